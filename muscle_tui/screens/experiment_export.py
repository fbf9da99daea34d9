"""`j` on the Experiments screen: every block of an experiment as MUSCLE's JSON bundle, into one folder.

The rules are the CLI's (`export json --experiment`, export/experiment.py): one folder (created
when missing), a zip per block under its default name with one time for the whole run. Targets
that exist already are replaced only when the user says so, once for all of them (the CLI's
`--force`). One progress screen shows block k of n and the current block's progress; Escape there
stops the run: the block being written leaves nothing behind, the blocks written before it stay.
Every block gets its entry in the export history.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label

from muscle_tui.db.catalog import ExperimentSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from muscle_tui.errors import MuscleTuiError
from muscle_tui.export.experiment import (
    BlockTarget,
    ExperimentExport,
    default_experiment_folder,
    plan_experiment_export,
    write_experiment,
)
from muscle_tui.export.json import default_json_name, write_json_bundle
from muscle_tui.export.progress import ExportProgress, ExportResult, ProgressCallback
from muscle_tui.screens.confirm_replace import ConfirmReplaceDialog
from muscle_tui.screens.export_flow import origin_screen, suggested_path
from muscle_tui.screens.export_history import (
    ExportRecord,
    ExportRecorded,
    describe_record,
    export_history,
    last_export_line,
)
from muscle_tui.screens.export_path import PathDialog
from muscle_tui.screens.export_progress import ExportOutcome, ExportProgressScreen, Outcome
from muscle_tui.text import escape_controls

FORMAT = "JSON bundle"
UNIT = "objects"
EMPTY_FOLDER_TEXT = "Type a folder name."
FOLDER_HINT = (
    "Each block's zip is named <block slug>-<UTC time>.zip; the folder is created when missing.\n"
    "Enter exports, Escape cancels."
)
STOP_HINT = "Escape cancels: the block being written leaves nothing behind; the blocks already written stay."
LISTED = 5


def utc_now() -> datetime:
    """The run's one time (tests replace it)."""
    return datetime.now(UTC)


def experiment_label(experiment: ExperimentSummary) -> str:
    """`experiment musical-minds`, or what the row of the blocks without an experiment stands for."""
    if experiment.id is None:
        return "the blocks without an experiment"
    return f"experiment {experiment.slug}"


def suggested_folder(experiment: ExperimentSummary, now: datetime | None = None) -> str:
    """`<export directory>/<experiment slug>-<UTC time>/`, the folder the dialog offers: in the
    export directory of the user's config file (`[export] directory`), else in the current folder."""
    name = default_experiment_folder(experiment.slug if experiment.id is not None else "no-experiment", now)
    return str(suggested_path(name)) + os.sep


def bundles(count: int) -> str:
    """`1 bundle`, `3 bundles`."""
    return f"{count:,} bundle{'' if count == 1 else 's'}"


class ConfirmReplaceFilesDialog(ConfirmReplaceDialog):
    """Asks once before a whole-experiment export replaces files that exist already: `y` replaces
    them all, `n` or Escape keeps them and exports nothing."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__(paths[0])
        self.paths = paths

    def compose(self) -> ComposeResult:
        shown = [escape_controls(str(path)) for path in self.paths[:LISTED]]
        if len(self.paths) > LISTED:
            shown.append(f"… and {len(self.paths) - LISTED:,} more")
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"Replace {len(self.paths):,} existing file(s)?", classes="dialog-title")
            yield Label("\n".join(shown), classes="dialog-label", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Replace all", variant="error", id="replace")
                yield Button("Keep them", variant="primary", id="keep")


def _plan(
    database: MuscleDatabase, experiment: ExperimentSummary, folder: str, now: datetime
) -> ExperimentExport | None:
    """The run's targets (None when there are no blocks; the folder is then left alone)."""
    blocks = database.blocks(experiment.id)
    if not blocks:
        return None
    return plan_experiment_export([block.slug for block in blocks], folder, default_json_name, now=now)


def _stopped_text(plan: ExperimentExport, written: int) -> str:
    """What stays after a run stopped at block `written + 1`."""
    if not written:
        return "nothing was written"
    verb = "stays" if written == 1 else "stay"
    return f"the {bundles(written)} written before it {verb} in {plan.directory}"


class ExperimentRun:
    """One run over the blocks of a plan: writes them in the progress screen's worker thread and
    keeps what each wrote (read on the UI thread once the progress screen has closed)."""

    def __init__(self, database: MuscleDatabase, plan: ExperimentExport, filters: SessionFilter, force: bool):
        self.database = database
        self.plan = plan
        self.filters = filters
        self.force = force
        self.written: list[tuple[BlockTarget, ExportResult]] = []

    def __call__(self, progress: ProgressCallback, cancel: threading.Event) -> ExportResult:
        """Write every block; the whole run as one result (the folder, sums of sizes and counts)."""
        started = time.monotonic()
        total = len(self.plan.targets)

        def report(index: int, target: BlockTarget, shown: ExportProgress) -> None:
            stage = f"block {index + 1} of {total} ({target.slug}): {shown.stage}"
            progress(replace(shown, stage=stage))

        def write(
            slug: str, path: Path, each: ProgressCallback | None, stop: threading.Event
        ) -> ExportResult:
            return write_json_bundle(
                self.database,
                slug,
                path,
                filters=self.filters,
                force=self.force,
                progress=each,
                cancel=stop,
            )

        write_experiment(
            self.plan,
            write,
            cancel=cancel,
            progress=report,
            written=lambda _index, target, result: self.written.append((target, result)),
        )
        results = [result for _, result in self.written]
        return ExportResult(
            path=str(self.plan.directory),
            bytes=sum(result.bytes for result in results),
            count=sum(result.count for result in results),
            seconds=time.monotonic() - started,
            notices=tuple(notice for result in results for notice in result.notices),
        )

    def record(self, app: App[Any], ended: ExportOutcome) -> tuple[str, str | None]:
        """Put every block in the history (the one a stop interrupted marked as such); the line for
        the screen the run started on, and the error line when it did not complete."""
        history = export_history(app)
        for target, result in self.written:
            history.add(ExportRecord.of_result(result, format=FORMAT, block=target.slug, unit=UNIT))
        if ended.result is not None:
            return f"{bundles(len(self.written))} in {describe_record(self._summary(ended.result))}", None
        total, done = len(self.plan.targets), len(self.written)
        current = self.plan.targets[min(done, total - 1)]
        error = None if ended.outcome is Outcome.CANCELLED else (ended.error or "the export failed")
        history.add(
            ExportRecord.stopped(str(current.path), format=FORMAT, block=current.slug, unit=UNIT, error=error)
        )
        if not done:
            self.plan.remove_if_unused()
        where = f"block {done + 1} of {total} ({current.slug})"
        kept = _stopped_text(self.plan, done)
        if error is None:
            return f"cancelled at {where}: it left nothing behind; {kept}", None
        return f"failed at {where}: {error}; {kept}", f"{where}: {error}; {kept}"

    def _summary(self, result: ExportResult) -> ExportRecord:
        return ExportRecord.of_result(result, format=FORMAT, block="", unit=UNIT)


async def run_experiment_flow(
    app: App[Any],
    database: MuscleDatabase,
    experiment: ExperimentSummary,
    text: str,
    filters: SessionFilter = NO_FILTER,
) -> ExportOutcome:
    """Export every block of `experiment` into the folder the user typed (`text`): plan the
    targets, ask once before replacing, run them under one progress screen, then notify, record
    each block in the history and tell the screen the run started on. Runs in a worker."""
    origin = origin_screen(app)
    if not text.strip():
        return ExportOutcome(Outcome.REFUSED, error=EMPTY_FOLDER_TEXT)
    try:
        plan = await asyncio.to_thread(_plan, database, experiment, text.strip(), utc_now())
    except MuscleTuiError as exc:
        return ExportOutcome(Outcome.REFUSED, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
        return ExportOutcome(Outcome.REFUSED, error=f"listing the blocks failed ({type(exc).__name__})")
    if plan is None:
        return ExportOutcome(Outcome.REFUSED, error=f"{experiment_label(experiment)} has no blocks")
    force = False
    if existing := plan.existing():
        if not await app.push_screen_wait(ConfirmReplaceFilesDialog(existing)):
            return ExportOutcome(Outcome.KEPT)
        force = True

    run = ExperimentRun(database, plan, filters, force)
    what = f"{len(plan.targets):,} blocks of {experiment_label(experiment)}"
    title = f"Exporting {what} to {plan.directory.name}"
    ended = await app.push_screen_wait(ExportProgressScreen(title, run, UNIT, hint=STOP_HINT))
    line, error = run.record(app, ended)
    if origin is not None:
        origin.post_message(ExportRecorded(last_export_line(line), written=ended.result is not None))
    if ended.result is not None:
        app.notify(line, title="Experiment exported", timeout=10, markup=False)
        for notice in ended.result.notices:
            app.notify(notice, title="Export", severity="warning", timeout=10, markup=False)
    elif error is None:
        app.notify(line, title="Export cancelled", severity="warning", timeout=10, markup=False)
    else:
        app.notify(error, title="Export failed", severity="error", timeout=10, markup=False)
    return replace(ended, error=error) if error is not None else ended


class ExperimentExportDialog(PathDialog):
    """Exports every block of an experiment as MUSCLE's JSON bundle, one zip per block, into one
    folder (created when missing), under one progress screen for all the blocks.

    The filters keep only some sessions of each block. Enter exports, Escape cancels. Stopped on
    the progress screen, the run leaves nothing of the block it was writing; the blocks before stay.
    """

    def __init__(
        self, database: MuscleDatabase, experiment: ExperimentSummary, folder: str | None = None
    ) -> None:
        count = f"{experiment.blocks:,} block{'' if experiment.blocks == 1 else 's'}"
        super().__init__(
            f"Export every block of {experiment_label(experiment)} as JSON bundles",
            f"{count}, a zip each, into this folder:",
            folder if folder is not None else suggested_folder(experiment, utc_now()),
            FOLDER_HINT,
            with_filters=True,
        )
        self.database = database
        self.experiment = experiment

    async def export_to(self, text: str, filters: SessionFilter | None) -> ExportOutcome:
        """Every block of the experiment into the folder `text`."""
        return await run_experiment_flow(
            self.app, self.database, self.experiment, text, filters if filters is not None else NO_FILTER
        )


def export_experiment_json(
    app: App[Any], database: MuscleDatabase, experiment: ExperimentSummary | None
) -> None:
    """Ask for a folder, then export every block of `experiment` into it as JSON bundles."""
    if experiment is None:
        app.notify("No experiment selected.", severity="warning")
    elif not experiment.blocks:
        text = f"{experiment_label(experiment)} has no blocks; there is nothing to export."
        app.notify(text, severity="warning", markup=False)
    else:
        app.push_screen(ExperimentExportDialog(database, experiment))
