"""Exporting a block as the JSON bundle from the terminal UI: path dialog, replace, progress, cancel."""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

from textual.widgets import DataTable, Input, Static

from muscle_tui.export.json import default_json_name, write_json_bundle
from muscle_tui.screens import blocks as blocks_module
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.confirm_replace import ConfirmReplaceDialog
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_flow import suggested_path
from muscle_tui.screens.export_path import ExportPathDialog
from muscle_tui.screens.export_progress import ExportProgressScreen
from tests.support.tui import (
    RecordingApp,
    bundle_members,
    export_to,
    open_blocks,
    run_async,
    toasts,
    wait_for_palette_match,
    wait_for_screen,
    wait_until,
)

SIZE = (120, 36)
WAIT_SECONDS = 20.0


@run_async
async def test_j_exports_the_selected_block_like_the_headless_export(demo_database, tmp_path) -> None:
    output = tmp_path / "from-the-tui.zip"
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        await pilot.press("down")
        block = screen.selected_block
        assert block is not None and block.results > 0

        await pilot.press("j")
        await wait_for_screen(pilot, ExportPathDialog)
        prefilled = Path(app.screen.query_one(Input).value)
        assert prefilled.parent == suggested_path(default_json_name(block.slug)).parent
        assert block.slug in prefilled.name
        app.screen.query_one(Input).value = str(output)
        await pilot.press("enter")

        await wait_until(pilot, lambda: app.screen is screen and output.exists(), "the export to finish")
        await wait_until(pilot, lambda: any(str(output) in t for t in toasts(app)), "the notification")
        note = next(t for t in toasts(app) if str(output) in t)
        assert "KiB" in note or "MiB" in note

    reference = write_json_bundle(demo_database, block.slug, tmp_path / "headless.zip")
    assert reference.count > 0
    assert bundle_members(output) == bundle_members(Path(reference.path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["from-the-tui.zip", "headless.zip"]


@run_async
async def test_command_palette_offers_the_json_export(demo_database) -> None:
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Export block as JSON")
        await wait_for_palette_match(pilot, "Export block as JSON")
        await pilot.press("enter")
        await wait_for_screen(pilot, ExportPathDialog)
        await pilot.press("escape")
        await wait_for_screen(pilot, BlocksScreen)


@run_async
async def test_an_existing_file_is_replaced_only_when_confirmed(demo_database, tmp_path) -> None:
    output = tmp_path / "bundle.zip"
    output.write_bytes(b"keep me")
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)

        await export_to(pilot, output)
        await wait_for_screen(pilot, ConfirmReplaceDialog)
        await pilot.press("n")
        await wait_for_screen(pilot, ExportPathDialog, "the path dialog again")
        assert app.screen.query_one(Input).value == str(output)
        await pilot.press("escape")
        await wait_for_screen(pilot, BlocksScreen)
        assert output.read_bytes() == b"keep me"

        await export_to(pilot, output)
        await wait_for_screen(pilot, ConfirmReplaceDialog)
        await pilot.press("y")
        await wait_until(
            pilot, lambda: app.screen is screen and zipfile.is_zipfile(output), "the replacing export"
        )
    assert "sessions.json" in bundle_members(output)


@run_async
async def test_escape_cancels_the_export_and_leaves_nothing_behind(
    demo_database, tmp_path, monkeypatch
) -> None:
    output = tmp_path / "cancelled.zip"
    started = threading.Event()
    real_export = blocks_module.write_json_bundle

    def export_that_waits_for_cancel(db, slug, path, *, force=False, progress=None, cancel=None, **options):
        def hold_at_first_progress(report):
            if not started.is_set():
                started.set()
                deadline = time.monotonic() + WAIT_SECONDS
                while not cancel.is_set() and time.monotonic() < deadline:
                    time.sleep(0.01)
            progress(report)

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
        progress_screen = app.screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "the progress screen to close")
        assert progress_screen.cancel.is_set()
        await wait_until(pilot, lambda: any("cancelled" in t for t in toasts(app)), "the notification")

        table = screen.query_one(DataTable)
        await pilot.press("down")
        assert table.cursor_row == 1
    assert list(tmp_path.iterdir()) == []


@run_async
async def test_a_failed_export_is_a_notification_and_the_ui_stays_usable(demo_database, tmp_path) -> None:
    output = tmp_path / "no-such-directory" / "bundle.zip"
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        await export_to(pilot, output)
        await wait_until(pilot, lambda: any("does not exist" in t for t in toasts(app)), "the error")
        dialog = app.screen
        assert isinstance(dialog, ExportPathDialog), "the path dialog stays open to correct the path"
        assert "does not exist" in str(dialog.query_one("#path-error", Static).render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "the blocks")
        await pilot.press("escape")
        await wait_for_screen(pilot, ExperimentsScreen)
    assert not output.parent.exists()


@run_async
async def test_the_path_dialog_needs_a_name_and_completes_a_directory(demo_database, tmp_path) -> None:
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        await export_to(pilot, "  ")
        dialog = app.screen
        assert isinstance(dialog, ExportPathDialog)
        assert dialog.query_one("#path-error").display

        dialog.query_one(Input).value = str(tmp_path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(str(tmp_path) in note for note in app.notes), "the export")
        written = list(tmp_path.iterdir())
        assert [p.name for p in written] == [dialog.default.name]


@run_async
async def test_a_folder_gets_the_default_name_inside(demo_database, tmp_path, monkeypatch) -> None:
    """The output rule (files.resolve_output): an existing folder, or a path ending in `/` (created),
    receives the default file name."""
    monkeypatch.chdir(tmp_path)
    existing = tmp_path / "existing"
    existing.mkdir()
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        for typed, folder in ((str(existing), existing), ("newdir/", tmp_path / "newdir")):
            await pilot.press("j")
            await wait_for_screen(pilot, ExportPathDialog)
            default_name = app.screen.job.default_name
            app.screen.query_one(Input).value = typed
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.screen is screen, f"the export to {typed}")
            assert [p.name for p in folder.iterdir()] == [default_name]
            assert zipfile.is_zipfile(folder / default_name)
            assert any(str(folder / default_name) in note for note in app.notes)
