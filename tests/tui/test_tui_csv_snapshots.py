"""What the CSV export form looks like: SVG snapshots on the demo database at fixed terminal sizes.

Update them with `pytest tests/tui/test_tui_csv_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from muscle_tui.app import MuscleApp
from muscle_tui.errors import ExportCancelled
from muscle_tui.export.csv import default_csv_name
from muscle_tui.export.parquet import default_parquet_name
from muscle_tui.export.progress import ExportProgress, ExportResult
from muscle_tui.screens import export_csv as export_csv_module
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_csv import ExportCsvScreen
from muscle_tui.screens.export_progress import ExportProgressScreen
from muscle_tui.widgets.template_picker import CUSTOM
from tests.support.tui import (
    table_settled,
    wait_for_preview,
    wait_for_progress,
    wait_for_rows,
    wait_for_screen,
    wait_until,
)

COMFORTABLE = (120, 40)
SMALL = (80, 24)
LARGE = (200, 50)
EXPORT_DIRECTORY = Path("/home/researcher/exports")
EXPORT_TIME = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_environment(tmp_path, monkeypatch) -> None:
    """Only the built-in templates, and a default file name without the clock or the cwd in it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

    def fixed_default_name(slug, template_name, now=None):
        return default_csv_name(slug, template_name, EXPORT_TIME)

    def fixed_parquet_name(slug, template_name, now=None):
        return default_parquet_name(slug, template_name, EXPORT_TIME)

    monkeypatch.setattr(export_csv_module, "default_csv_name", fixed_default_name)
    monkeypatch.setattr(export_csv_module, "default_parquet_name", fixed_parquet_name)
    monkeypatch.setattr(export_csv_module, "suggested_path", lambda name: EXPORT_DIRECTORY / name)


async def open_form(pilot: Pilot) -> ExportCsvScreen:
    """Experiments → first experiment → first block → `c`, with the preview shown and measured."""
    await wait_for_rows(pilot, ExperimentsScreen)
    await pilot.press("enter")
    await wait_for_rows(pilot, BlocksScreen)
    await pilot.press("c")
    await wait_for_screen(pilot, ExportCsvScreen)
    screen = pilot.app.screen
    screen.query_one("#output-path", Input).cursor_blink = False
    await wait_for_preview(pilot, screen)
    return screen


async def load(pilot: Pilot, screen: ExportCsvScreen, template: str) -> None:
    screen.query_one("#template", Select).value = template
    await wait_until(pilot, lambda: screen.template_name == template, f"the template {template}")
    await wait_for_preview(pilot, screen)


def test_csv_form_as_opened(snap_compare, demo_database) -> None:
    assert snap_compare(MuscleApp(database=demo_database), terminal_size=COMFORTABLE, run_before=open_form)


def test_csv_form_after_loading_long_profile(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        screen = await open_form(pilot)
        await load(pilot, screen, "long_profile")

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=COMFORTABLE, run_before=run_before)


def test_csv_form_with_the_preview_on_its_second_page_of_columns(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        screen = await open_form(pilot)
        screen.query_one("#preview").focus()
        await pilot.press("right_square_bracket")
        await wait_until(
            pilot,
            lambda: screen.first_column > 0 and table_settled(screen.query_one("#preview")),
            "the second page",
        )

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=COMFORTABLE, run_before=run_before)


PROGRESS = ExportProgress("rows", 2_000, 6_329, 0.8)


def write_csv_waiting_for_cancel(db, slug, selection, path, *, force=False, progress=None, cancel=None, **_):
    """Stands in for the engine: reports PROGRESS, then runs until cancelled (the app cancels when
    it closes). The report carries its own elapsed time, so rate and ETA never depend on load."""
    progress(PROGRESS)
    deadline = time.monotonic() + 20
    while not cancel.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    raise ExportCancelled("export cancelled; nothing was written")


def test_csv_export_progress(snap_compare, demo_database, monkeypatch) -> None:
    monkeypatch.setattr(export_csv_module, "write_csv", write_csv_waiting_for_cancel)

    async def run_before(pilot: Pilot) -> None:
        await open_form(pilot)
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, ExportProgressScreen)
        await wait_for_progress(pilot, PROGRESS)

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=COMFORTABLE, run_before=run_before)


def test_csv_export_finished(snap_compare, demo_database, monkeypatch) -> None:
    def write_csv_reporting_a_result(
        db, slug, selection, path, *, force=False, progress=None, cancel=None, **_
    ):
        return ExportResult(path=str(path), bytes=3_575_928, count=226, seconds=1.4)

    monkeypatch.setattr(export_csv_module, "write_csv", write_csv_reporting_a_result)

    async def run_before(pilot: Pilot) -> None:
        screen = await open_form(pilot)
        await pilot.press("ctrl+r")
        await wait_until(
            pilot, lambda: screen.last_result is not None and pilot.app.screen is screen, "the result"
        )

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=COMFORTABLE, run_before=run_before)


def test_csv_form_at_80x24(snap_compare, demo_database) -> None:
    assert snap_compare(MuscleApp(database=demo_database), terminal_size=SMALL, run_before=open_form)


def test_csv_form_at_200x50(snap_compare, demo_database) -> None:
    assert snap_compare(MuscleApp(database=demo_database), terminal_size=LARGE, run_before=open_form)


def test_csv_form_at_80x24_with_a_list_focused_and_custom(snap_compare, demo_database) -> None:
    """Tab to the session fields, space on the first: the footer offers a/n, the selector says custom."""

    async def run_before(pilot: Pilot) -> None:
        screen = await open_form(pilot)
        await pilot.press("tab", "space")
        await wait_until(pilot, lambda: screen.query_one(Select).value == CUSTOM, "custom")
        await wait_for_preview(pilot, screen)

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=SMALL, run_before=run_before)


async def choose_parquet_by_keyboard(pilot: Pilot, screen: ExportCsvScreen) -> None:
    """Tab to the format choice (scrolled into view), move to Parquet and choose it."""
    screen.query_one("#format").focus()
    await pilot.press("right", "enter")
    await wait_until(pilot, lambda: screen.file_format == "parquet", "the Parquet format")
    await wait_for_preview(pilot, screen)


def test_csv_form_with_parquet_chosen(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await choose_parquet_by_keyboard(pilot, await open_form(pilot))

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=COMFORTABLE, run_before=run_before)


def test_csv_form_parquet_without_pyarrow_at_80x24(snap_compare, demo_database, monkeypatch) -> None:
    monkeypatch.setattr(export_csv_module, "parquet_available", lambda: False)

    async def run_before(pilot: Pilot) -> None:
        await choose_parquet_by_keyboard(pilot, await open_form(pilot))

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=SMALL, run_before=run_before)
