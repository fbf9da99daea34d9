"""The one export flow of the UI, for JSON and CSV alike.

The path the user typed (in the JSON path dialog or the CSV form) → `files.resolve_output`, the
output rule every front end shares → "Replace?" when the target exists → the progress screen →
a notification. The caller keeps its path field on screen and shows there why an export did not
happen (`ExportOutcome.error`), so the user can correct the path and try again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App

from muscle_tui.errors import MuscleTuiError
from muscle_tui.export.files import resolve_output, target_exists
from muscle_tui.export.progress import ExportResult, ProgressCallback
from muscle_tui.screens.confirm_replace import ConfirmReplaceDialog
from muscle_tui.screens.export_progress import ExportOutcome, ExportProgressScreen, Outcome
from muscle_tui.screens.formatting import format_size

EMPTY_PATH_TEXT = "Type a file name."
CANCELLED_NOTICE = "Nothing was written."

EngineCall = Callable[[Path, bool, ProgressCallback, threading.Event], ExportResult]
"""An engine entry point bound to its block and options: (output, force, progress, cancel)."""


@dataclass(frozen=True)
class ExportJob:
    """One export the flow can run.

    `default_name` is the file name used when the path is a folder; `title` says what the
    progress screen shows for the resolved output; `unit` is what the engine counts.
    """

    default_name: str
    title: Callable[[Path], str]
    unit: str
    run: EngineCall


def suggested_path(default_name: str) -> Path:
    """The path a front end offers before the user types one: `default_name` in the current folder."""
    return resolve_output(None, default_name)


def describe_written(result: ExportResult, unit: str) -> str:
    """`/path/file.zip (1.2 MiB, 4,000 objects, 0.4 s)`."""
    return f"{result.path} ({format_size(result.bytes)}, {result.count:,} {unit}, {result.seconds:.1f} s)"


async def run_export_flow(app: App[Any], job: ExportJob, text: str) -> ExportOutcome:
    """Export to the path the user typed (`text`): resolve it, ask before replacing, show the
    progress, notify the result. Must run in a worker (it waits for the screens it pushes)."""
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
    if ended.result is not None:
        app.notify(describe_written(ended.result, job.unit), title="Export written", timeout=10, markup=False)
        for notice in ended.result.notices:
            app.notify(notice, title="Export", severity="warning", timeout=10, markup=False)
    elif ended.outcome is Outcome.CANCELLED:
        app.notify(CANCELLED_NOTICE, title="Export cancelled", severity="warning", markup=False)
    else:
        app.notify(ended.error or "", title="Export failed", severity="error", markup=False)
    return ended
