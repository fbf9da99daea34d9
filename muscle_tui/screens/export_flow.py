"""The one export flow of the UI, for JSON and CSV alike.

The path the user typed (in the JSON path dialog or the CSV form) → `files.resolve_output`, the
output rule every front end shares → "Replace?" when the target exists → the progress screen →
a notification, an entry in this run's export history (screens/export_history.py) and an
`ExportRecorded` message to the screen the export was started on (under its dialogs), which shows
it as its "Last export" line. The caller keeps its path field on screen and shows there why an
export did not happen (`ExportOutcome.error`), so the user can correct the path and try again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen

from muscle_tui.db.catalog import BlockSummary
from muscle_tui.errors import MuscleTuiError
from muscle_tui.export.files import resolve_output, target_exists
from muscle_tui.export.progress import ExportResult, ProgressCallback
from muscle_tui.screens.confirm_replace import ConfirmReplaceDialog
from muscle_tui.screens.export_history import (
    ExportRecord,
    ExportRecorded,
    describe_record,
    export_history,
    last_export_line,
)
from muscle_tui.screens.export_progress import ExportOutcome, ExportProgressScreen, Outcome
from muscle_tui.user_config import suggested_export_directory

EMPTY_PATH_TEXT = "Type a file name."
CANCELLED_NOTICE = "Nothing was written."

EngineCall = Callable[[Path, bool, ProgressCallback, threading.Event], ExportResult]
"""An engine entry point bound to its block and options: (output, force, progress, cancel)."""
FORMATS_BY_SUFFIX = {".zip": "JSON bundle", ".csv": "CSV", ".parquet": "Parquet"}


@dataclass(frozen=True)
class ExportJob:
    """One export the flow can run.

    `default_name` is the file name used when the path is a folder; `title` says what the
    progress screen shows for the resolved output; `unit` is what the engine counts. `format` and
    `block` are what the export history lists; when not given, the format follows from the output's
    suffix and the block is the one of the screen the export was started on.
    """

    default_name: str
    title: Callable[[Path], str]
    unit: str
    run: EngineCall
    format: str = ""
    block: str = ""


def suggested_path(default_name: str) -> Path:
    """The path a front end offers before the user types one: `default_name` in the export directory
    of the user's config file (`[export] directory`, created 0700 if missing), else in the current
    folder."""
    return resolve_output(None, default_name, default_directory=suggested_export_directory())


def describe_written(result: ExportResult, unit: str) -> str:
    """`/path/file.zip (1.2 MiB, 4,000 objects, 0.4 s)`."""
    return describe_record(ExportRecord.of_result(result, format="", block="", unit=unit))


def origin_screen(app: App[Any]) -> Screen[Any] | None:
    """The screen an export is started on: the topmost one that is not a dialog."""
    return next((screen for screen in reversed(app.screen_stack) if not screen.is_modal), None)


def export_format(job: ExportJob, output: Path) -> str:
    """What the history calls the export's format: the job's, else the output's suffix says."""
    if job.format:
        return job.format
    known = FORMATS_BY_SUFFIX.get(output.suffix.lower())
    return known or ("JSON bundle" if job.unit == "objects" else "CSV")


def export_block(job: ExportJob, origin: Screen[Any] | None) -> str:
    """The slug of the exported block: the job's, else the block of the screen it was started on."""
    block = getattr(origin, "block", None)
    return job.block or (block.slug if isinstance(block, BlockSummary) else "")


def record_export(app: App[Any], origin: Screen[Any] | None, record: ExportRecord) -> None:
    """Add `record` to the app's export history and show it as the last export of `origin`."""
    export_history(app).add(record)
    if origin is not None:
        line = last_export_line(describe_record(record))
        origin.post_message(ExportRecorded(line, written=record.status == "written"))


def outcome_record(job: ExportJob, output: Path, ended: ExportOutcome, block: str) -> ExportRecord:
    """The history's record of an export that reached the progress screen."""
    chosen = export_format(job, output)
    if ended.result is not None:
        return ExportRecord.of_result(ended.result, format=chosen, block=block, unit=job.unit)
    error = None if ended.outcome is Outcome.CANCELLED else (ended.error or "the export failed")
    return ExportRecord.stopped(str(output), format=chosen, block=block, unit=job.unit, error=error)


async def run_export_flow(app: App[Any], job: ExportJob, text: str) -> ExportOutcome:
    """Export to the path the user typed (`text`): resolve it, ask before replacing, show the
    progress, notify the result and record it (history, the origin screen's last export). Must run
    in a worker (it waits for the screens it pushes)."""
    origin = origin_screen(app)
    if not text.strip():
        return ExportOutcome(Outcome.REFUSED, error=EMPTY_PATH_TEXT)
    try:
        output = resolve_output(text.strip(), job.default_name)
    except MuscleTuiError as exc:
        return ExportOutcome(Outcome.REFUSED, error=str(exc))
    force = False
    if target_exists(output):
        if not await app.push_screen_wait(ConfirmReplaceDialog(output)):
            return ExportOutcome(Outcome.KEPT)
        force = True

    def run(progress: ProgressCallback, cancel: threading.Event) -> ExportResult:
        return job.run(output, force, progress, cancel)

    ended = await app.push_screen_wait(ExportProgressScreen(job.title(output), run, job.unit))
    record_export(app, origin, outcome_record(job, output, ended, export_block(job, origin)))
    if ended.result is not None:
        app.notify(describe_written(ended.result, job.unit), title="Export written", timeout=10, markup=False)
        for notice in ended.result.notices:
            app.notify(notice, title="Export", severity="warning", timeout=10, markup=False)
    elif ended.outcome is Outcome.CANCELLED:
        app.notify(CANCELLED_NOTICE, title="Export cancelled", severity="warning", markup=False)
    else:
        app.notify(ended.error or "", title="Export failed", severity="error", markup=False)
    return ended
