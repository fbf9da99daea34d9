"""Issue 14 item 7: this run's exports, recorded by the export flow (JSON dialog and CSV form alike),
listed newest first by `e` (and the palette), and the last one shown on the screen it started on.

Update the snapshot with `pytest tests/tui/test_export_history.py --snapshot-update`, then look at it.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from muscle_tui.app import MuscleApp
from muscle_tui.export.json import count_json_objects
from muscle_tui.export.progress import ExportResult
from muscle_tui.screens import blocks as blocks_module
from muscle_tui.screens.block import BlockScreen
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.export_csv import ExportCsvScreen
from muscle_tui.screens.export_flow import ExportJob, export_format
from muscle_tui.screens.export_history import (
    NO_EXPORTS,
    ExportHistory,
    ExportHistoryScreen,
    ExportRecord,
    LastExport,
    describe_record,
    export_history,
)
from muscle_tui.screens.export_progress import ExportProgressScreen
from tests.support.tui import (
    WAIT_SECONDS,
    RecordingApp,
    export_to,
    open_blocks,
    run_async,
    toasts,
    wait_for_palette_match,
    wait_for_preview,
    wait_for_screen,
    wait_until,
)

SIZE = (120, 40)
ZONE = timezone(timedelta(hours=2))


def last_export(screen) -> str:
    line = screen.query_one(LastExport)
    return str(line.render()) if line.display else ""


def fixed_records() -> list[ExportRecord]:
    """A history as a long session might leave it: fixed paths and times, every outcome."""
    at = datetime(2026, 5, 1, 14, 2, 7, tzinfo=ZONE)
    return [
        ExportRecord.of_result(
            ExportResult(
                "/home/researcher/exports/rhythm-discrimination-20260501T120207Z.zip", 912_384, 9_731, 0.84
            ),
            format="JSON bundle",
            block="rhythm-discrimination",
            unit="objects",
            finished_at=at,
        ),
        ExportRecord.of_result(
            ExportResult(
                "/home/researcher/exports/hooked-eurovision-wide-20260501T120455Z.csv", 2_411_520, 167, 1.27
            ),
            format="CSV",
            block="hooked-eurovision",
            unit="rows",
            finished_at=at + timedelta(minutes=2, seconds=48),
        ),
        ExportRecord.stopped(
            "/home/researcher/exports/categorization-pairs-20260501T120611Z.parquet",
            format="Parquet",
            block="categorization-pairs",
            unit="rows",
            finished_at=at + timedelta(minutes=4, seconds=4),
        ),
        ExportRecord.stopped(
            "/media/usb/s2s-intake-20260501T121530Z.zip",
            format="JSON bundle",
            block="s2s-intake",
            unit="objects",
            error="disk full while writing /media/usb/s2s-intake-20260501T121530Z.zip; nothing was written",
            finished_at=at + timedelta(minutes=13, seconds=23),
        ),
    ]


class HistoryHost(App[None]):
    """Only the history, over an empty screen: the picture depends on nothing but the records."""

    CSS_PATH = MuscleApp.CSS_PATH

    def __init__(self, records: list[ExportRecord]) -> None:
        super().__init__()
        self.records = records

    def on_mount(self) -> None:
        for record in self.records:
            export_history(self).add(record)
        self.push_screen(ExportHistoryScreen.of_app(self))


# ---------------------------------------------------------------------------------------------
# The records and their text


def test_the_history_lists_newest_first_and_describes_every_outcome() -> None:
    history = ExportHistory()
    records = fixed_records()
    for record in records:
        history.add(record)
    assert history.newest_first() == records[::-1]
    assert len(history) == 4
    written, csv, cancelled, failed = (describe_record(record) for record in records)
    assert (
        written
        == "/home/researcher/exports/rhythm-discrimination-20260501T120207Z.zip (891.0 KiB, 9,731 objects, 0.8 s)"
    )
    assert csv.endswith("(2.3 MiB, 167 rows, 1.3 s)")
    assert cancelled.endswith(".parquet: cancelled, nothing was written")
    assert failed.endswith(
        "failed, nothing was written (disk full while writing "
        "/media/usb/s2s-intake-20260501T121530Z.zip; nothing was written)"
    )


def test_the_format_follows_the_job_or_else_the_output() -> None:
    def job(unit: str, format: str = "") -> ExportJob:
        return ExportJob(
            "x", lambda output: "", unit, lambda *args: ExportResult("", 0, 0, 0.0), format=format
        )

    assert export_format(job("rows"), Path("a.parquet")) == "Parquet"
    assert export_format(job("rows"), Path("a.CSV")) == "CSV"
    assert export_format(job("rows"), Path("a.tsv")) == "CSV"
    assert export_format(job("objects"), Path("bundle")) == "JSON bundle"
    assert export_format(job("rows", "Parquet"), Path("a.csv")) == "Parquet"


# ---------------------------------------------------------------------------------------------
# The flow records every export


@run_async
async def test_exports_of_two_blocks_are_listed_newest_first(demo_database, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user templates read or written
    bundle, table = tmp_path / "first.zip", tmp_path / "second.csv"
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        first = screen.selected_block
        assert first is not None and last_export(screen) == ""

        await export_to(pilot, bundle)
        await wait_until(pilot, lambda: app.screen is screen and last_export(screen) != "", "the JSON export")
        assert last_export(screen).startswith(f"Last export: {bundle} (")
        assert last_export(screen).endswith("e: this run's exports")

        await pilot.press("down", "c")
        await wait_for_screen(pilot, ExportCsvScreen)
        form = app.screen
        second = form.block
        await wait_for_preview(pilot, form)
        form.query_one("#output-path", Input).value = str(table)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: form.last_result is not None, "the CSV export")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "the blocks")
        assert last_export(screen).startswith(f"Last export: {bundle} ("), "the CSV form shows its own"

        await pilot.press("e")
        await wait_for_screen(pilot, ExportHistoryScreen)
        history = app.screen
        newest, oldest = history.records
        assert (newest.path, newest.format, newest.block, newest.unit) == (
            str(table),
            "CSV",
            second.slug,
            "rows",
        )
        assert (oldest.path, oldest.format, oldest.block, oldest.unit) == (
            str(bundle),
            "JSON bundle",
            first.slug,
            "objects",
        )
        assert (newest.status, oldest.status) == ("written", "written")
        assert newest.bytes == table.stat().st_size and oldest.bytes == bundle.stat().st_size
        assert oldest.count == count_json_objects(demo_database, first.slug)
        assert newest.count == form.last_result.count
        assert newest.finished_at >= oldest.finished_at
        entries = history.query_one(OptionList)
        assert entries.option_count == 2
        shown = str(entries.get_option_at_index(0).prompt)
        assert shown.startswith(f"{newest.finished_at:%H:%M:%S}  written  {second.slug} · CSV · ")
        assert shown.endswith(f"{newest.count:,} rows, {newest.seconds:.1f} s\n{table}".replace(", ", " · "))
        assert history.highlighted == newest

        await pilot.press("down", "c")
        assert app.clipboard == str(bundle)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "the history to close")
    assert {"first.zip", "second.csv"} <= {p.name for p in tmp_path.iterdir()}


@run_async
async def test_the_block_screen_shows_its_last_export_and_e_toggles_the_list(demo_database, tmp_path) -> None:
    output = tmp_path / "from-the-block.zip"
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, BlockScreen)
        screen = app.screen
        await export_to(pilot, output)
        await wait_until(pilot, lambda: last_export(screen) != "", "the export")
        assert last_export(screen).startswith(f"Last export: {output} (")

        await pilot.press("e")
        await wait_for_screen(pilot, ExportHistoryScreen)
        assert [record.block for record in app.screen.records] == [screen.block.slug]
        await pilot.press("e")
        await wait_until(pilot, lambda: app.screen is screen, "e to close the history")


@run_async
async def test_a_cancelled_export_is_listed_as_such(demo_database, tmp_path, monkeypatch) -> None:
    output = tmp_path / "cancelled.zip"
    started = threading.Event()
    real_export = blocks_module.write_json_bundle

    def export_that_waits_for_cancel(db, slug, path, *, force=False, progress=None, cancel=None, **options):
        def hold_at_first_progress(report):
            progress(report)
            if not started.is_set():
                started.set()
                cancel.wait(WAIT_SECONDS)

        return real_export(
            db, slug, path, force=force, progress=hold_at_first_progress, cancel=cancel, **options
        )

    monkeypatch.setattr(blocks_module, "write_json_bundle", export_that_waits_for_cancel)
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        await export_to(pilot, output)
        await wait_for_screen(pilot, ExportProgressScreen)
        await wait_until(pilot, started.is_set, "the export to start")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen and last_export(screen) != "", "the cancel")
        assert last_export(screen).startswith(f"Last export: {output}: cancelled, nothing was written")
        assert screen.query_one(LastExport).has_class("-stopped")
        [record] = export_history(app).newest_first()
        assert (record.status, record.path, record.bytes, record.count) == (
            "cancelled",
            str(output),
            None,
            None,
        )
        assert any("cancelled" in note for note in toasts(app))
    assert list(tmp_path.iterdir()) == []


@run_async
async def test_the_palette_opens_the_history_and_an_empty_one_says_how_to_export(demo_database) -> None:
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Export history")
        await wait_for_palette_match(pilot, "Export history")
        await pilot.press("enter")
        await wait_for_screen(pilot, ExportHistoryScreen)
        history = app.screen
        assert history.records == []
        assert not history.query(OptionList)
        assert str(history.query_one("#history-empty").render()) == NO_EXPORTS
        await pilot.press("c")
        await wait_until(pilot, lambda: any("No export" in note for note in toasts(app)), "the warning")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "the blocks")
        assert isinstance(screen, BlocksScreen)


@run_async
async def test_the_history_is_kept_per_app_and_in_memory_only(demo_database, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    output = tmp_path / "out" / "bundle.zip"
    output.parent.mkdir()
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        await export_to(pilot, output)
        await wait_until(pilot, lambda: last_export(screen) != "", "the export")
    assert len(export_history(app)) == 1
    assert len(export_history(RecordingApp(database=demo_database))) == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [output], "nothing but the export itself is written"


# ---------------------------------------------------------------------------------------------
# Snapshot


def test_export_history_screen(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await wait_for_screen(pilot, ExportHistoryScreen)
        await pilot.pause()

    assert snap_compare(HistoryHost(fixed_records()), terminal_size=(120, 30), run_before=run_before)
