"""What the terminal UI looks like: SVG snapshots at a fixed terminal size, on the demo database.

Update them with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from muscle_tui.app import MuscleApp
from muscle_tui.errors import ExportCancelled
from muscle_tui.export.json import default_json_name
from muscle_tui.export.progress import ExportProgress
from muscle_tui.screens import blocks as blocks_module
from muscle_tui.screens import export_path as export_path_module
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.error import ErrorScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_path import ExportPathDialog
from muscle_tui.screens.export_progress import ExportProgressScreen
from tests.support.tui import wait_for_progress, wait_for_rows, wait_for_screen

SIZE = (120, 36)


async def open_first_experiment(pilot: Pilot) -> None:
    await wait_for_rows(pilot, ExperimentsScreen)
    await pilot.press("enter")
    await wait_for_rows(pilot, BlocksScreen)


def test_experiments_screen(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await wait_for_rows(pilot, ExperimentsScreen)

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=SIZE, run_before=run_before)


def test_blocks_screen(snap_compare, demo_database) -> None:
    assert snap_compare(
        MuscleApp(database=demo_database), terminal_size=SIZE, run_before=open_first_experiment
    )


def test_error_screen(snap_compare) -> None:
    app = MuscleApp(
        error='error connecting to the database: connection to server at "db.example.org" (192.0.2.7), '
        "port 5432 failed: timeout expired"
    )

    async def run_before(pilot: Pilot) -> None:
        await wait_for_screen(pilot, ErrorScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


EXPORT_DIRECTORY = Path("/home/researcher/exports")
EXPORT_TIME = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


PROGRESS = ExportProgress("results.json", 12_000, 30_000, 4.0)


def fixed_default_path(monkeypatch) -> None:
    """The dialog offers a fixed path: no clock, no current directory in the picture."""
    monkeypatch.setattr(
        blocks_module, "default_json_name", lambda slug, now=None: default_json_name(slug, EXPORT_TIME)
    )
    monkeypatch.setattr(export_path_module, "suggested_path", lambda name: EXPORT_DIRECTORY / name)


def export_waiting_for_cancel(db, slug, path, *, force=False, progress=None, cancel=None, **_):
    """Stands in for the engine: reports PROGRESS, then runs until cancelled (the app cancels when
    it closes). The report carries its own elapsed time, so rate and ETA never depend on load."""
    progress(PROGRESS)
    deadline = time.monotonic() + 20
    while not cancel.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    raise ExportCancelled("export cancelled; nothing was written")


async def open_json_export_dialog(pilot: Pilot) -> None:
    await open_first_experiment(pilot)
    await pilot.press("down", "j")
    await wait_for_screen(pilot, ExportPathDialog)
    pilot.app.screen.query_one(Input).cursor_blink = False


def test_json_export_path_dialog(snap_compare, demo_database, monkeypatch) -> None:
    fixed_default_path(monkeypatch)
    assert snap_compare(
        MuscleApp(database=demo_database), terminal_size=SIZE, run_before=open_json_export_dialog
    )


def test_json_export_progress(snap_compare, demo_database, monkeypatch) -> None:
    fixed_default_path(monkeypatch)
    monkeypatch.setattr(blocks_module, "write_json_bundle", export_waiting_for_cancel)

    async def run_before(pilot: Pilot) -> None:
        await open_json_export_dialog(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, ExportProgressScreen)
        await wait_for_progress(pilot, PROGRESS)

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=SIZE, run_before=run_before)
