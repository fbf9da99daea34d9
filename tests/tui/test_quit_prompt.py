"""Issue 14: quitting while an export runs asks first ("An export is running: cancel it and quit?").

y or Enter cancels the export (nothing is left behind) and quits; n or Escape keeps it running;
ctrl+c pressed again in the question quits at once. Without a running export, q quits at once.
"""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import pytest
from textual.pilot import Pilot

from muscle_tui.app import MuscleApp
from muscle_tui.errors import ExportCancelled
from muscle_tui.export.progress import ExportProgress
from muscle_tui.screens import blocks as blocks_module
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_progress import ExportProgressScreen, running_exports
from muscle_tui.screens.quit_prompt import QUESTION, QuitPrompt
from tests.support.hardening import leftovers
from tests.support.tui import (
    RecordingApp,
    export_to,
    open_blocks,
    run_async,
    toasts,
    wait_for_progress,
    wait_for_rows,
    wait_for_screen,
    wait_until,
)

SIZE = (120, 36)
WAIT_SECONDS = 20.0
PROGRESS = ExportProgress("results.json", 12_000, 30_000, 4.0)


class GatedExport:
    """The real JSON engine, held at its first progress report until the test `release`s it or the
    export is cancelled (then the engine stops at its next row and removes what it wrote)."""

    def __init__(self, monkeypatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        real = blocks_module.write_json_bundle

        def export(db, slug, path, *, force=False, progress=None, cancel=None, **options):
            def gate(report: ExportProgress) -> None:
                if not self.started.is_set():
                    self.started.set()
                    deadline = time.monotonic() + WAIT_SECONDS
                    while not (self.release.is_set() or cancel.is_set()) and time.monotonic() < deadline:
                        self.release.wait(0.01)
                progress(report)

            return real(db, slug, path, force=force, progress=gate, cancel=cancel, **options)

        monkeypatch.setattr(blocks_module, "write_json_bundle", export)


async def start_export(pilot: Pilot, gated: GatedExport, output: Path) -> ExportProgressScreen:
    """From the blocks, export the first block to `output` and wait until the export runs (held)."""
    await open_blocks(pilot)
    await export_to(pilot, output)
    await wait_for_screen(pilot, ExportProgressScreen)
    await wait_until(pilot, gated.started.is_set, "the export to start")
    return pilot.app.screen


@pytest.mark.parametrize(("quit", "answer"), [("q", "n"), ("ctrl+c", "escape")])
@run_async
async def test_keep_going_leaves_the_export_running_and_it_completes(
    demo_database, tmp_path, monkeypatch, quit, answer
) -> None:
    gated = GatedExport(monkeypatch)
    output = tmp_path / "kept.zip"
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        progress = await start_export(pilot, gated, output)
        await pilot.press(quit)
        await wait_for_screen(pilot, QuitPrompt)
        assert str(app.screen.query_one(".dialog-title").render()) == QUESTION
        await pilot.press(answer)
        await wait_until(pilot, lambda: app.screen is progress, "the progress screen again")
        assert not progress.cancel.is_set() and running_exports(app).running() == 1
        gated.release.set()
        await wait_for_rows(pilot, BlocksScreen)
        await wait_until(pilot, lambda: any("Export written" in t for t in toasts(app)), "the notice")
        assert app.return_code is None, "the app still runs"
    assert zipfile.is_zipfile(output)
    assert leftovers(tmp_path) == ["kept.zip"]


@run_async
async def test_an_export_that_ends_while_the_question_is_open_is_reported_once_answered(
    demo_database, tmp_path, monkeypatch
) -> None:
    gated = GatedExport(monkeypatch)
    output = tmp_path / "done.zip"
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        progress = await start_export(pilot, gated, output)
        await pilot.press("q")
        await wait_for_screen(pilot, QuitPrompt)
        prompt = app.screen
        gated.release.set()
        await wait_until(pilot, lambda: progress.pending_outcome is not None, "the export to end")
        assert app.screen is prompt, "the question stays until it is answered"
        await pilot.press("n")
        await wait_for_rows(pilot, BlocksScreen)
        await wait_until(pilot, lambda: any("Export written" in t for t in toasts(app)), "the notice")
    assert zipfile.is_zipfile(output)


@pytest.mark.parametrize(
    ("quit", "answer"), [("q", "y"), ("q", "enter"), ("ctrl+c", "ctrl+c")], ids=["y", "enter", "ctrl+c twice"]
)
@run_async
async def test_cancel_and_quit_leaves_no_output(demo_database, tmp_path, monkeypatch, quit, answer) -> None:
    gated = GatedExport(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        progress = await start_export(pilot, gated, out / "cancelled.zip")
        await pilot.press(quit)
        await wait_for_screen(pilot, QuitPrompt)
        await pilot.press(answer)
        assert progress.cancel.is_set(), "the export was cancelled"
        assert app.return_code == 0, f"{answer} quits"
    assert app.wait_for_exports(WAIT_SECONDS), "the export stopped and cleaned up"
    assert leftovers(out) == []


@run_async
async def test_without_a_running_export_q_quits_at_once(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        await pilot.press("q")
        assert app.return_code == 0


def export_until_cancelled(db, slug, path, *, force=False, progress=None, cancel=None, **_):
    """Stands in for the engine: reports PROGRESS (with its own elapsed time, so nothing in the
    picture depends on load), then runs until cancelled (the app cancels when it closes)."""
    progress(PROGRESS)
    deadline = time.monotonic() + WAIT_SECONDS
    while not cancel.is_set() and time.monotonic() < deadline:
        cancel.wait(0.01)
    raise ExportCancelled("export cancelled; nothing was written")


def test_quit_prompt(snap_compare, demo_database, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(blocks_module, "write_json_bundle", export_until_cancelled)
    monkeypatch.chdir(tmp_path)  # the path typed below is relative: no temporary folder in the picture

    async def run_before(pilot: Pilot) -> None:
        await open_blocks(pilot)
        await export_to(pilot, "bundle.zip")
        await wait_for_screen(pilot, ExportProgressScreen)
        await wait_for_progress(pilot, PROGRESS)
        await pilot.press("q")
        await wait_for_screen(pilot, QuitPrompt)

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=SIZE, run_before=run_before)
