"""Session filters and the time zone in the CSV form and the JSON dialog (issue 11, items 3 and 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Checkbox, Input, Select, Static

from muscle_tui.app import MuscleApp
from muscle_tui.db.filters import SessionFilter
from muscle_tui.export.csv import find_template, preview_csv, user_templates_dir
from muscle_tui.export.json import write_json_bundle
from muscle_tui.screens import export_csv as export_csv_module
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_csv import ExportCsvScreen
from muscle_tui.screens.export_path import ExportPathDialog
from muscle_tui.screens.save_template import SaveTemplateDialog
from muscle_tui.widgets.filter_fields import FilterFields
from tests.support.tui import (
    bundle_members,
    open_blocks,
    run_async,
    wait_for_preview,
    wait_for_rows,
    wait_for_screen,
    wait_until,
)

SIZE = (120, 40)
FINISHED = SessionFilter(finished_only=True)


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch) -> Path:
    """A private user config directory and working directory (no user templates, no ./.env)."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


async def open_csv_form(pilot) -> ExportCsvScreen:
    await wait_for_rows(pilot, ExperimentsScreen)
    await pilot.press("enter")
    await wait_for_rows(pilot, BlocksScreen)
    await pilot.press("c")
    await wait_for_screen(pilot, ExportCsvScreen)
    screen = pilot.app.screen
    await wait_for_preview(pilot, screen)
    return screen


def filter_error(screen) -> str:
    error = screen.query_one("#filter-error", Static)
    return str(error.render()) if error.display else ""


@run_async
async def test_finished_only_gives_the_engines_rows_and_count(demo_database) -> None:
    wide = find_template("wide").selection
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        slug = screen.block.slug
        everything = preview_csv(demo_database, slug, wide, 20)
        assert screen.preview == everything
        screen.query_one("#filter-finished", Checkbox).value = True
        await wait_for_preview(pilot, screen)
        expected = preview_csv(demo_database, slug, wide, 20, filters=FINISHED)
        assert 0 < expected.total_rows < everything.total_rows
        assert screen.preview == expected
        status = str(screen.query_one("#preview-status", Static).render())
        assert f"{expected.total_rows:,} rows" in status


@run_async
async def test_a_time_zone_gives_the_engines_local_timestamps(demo_database) -> None:
    wide = find_template("wide").selection
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        slug = screen.block.slug
        assert screen.query_one("#time-zone", Input).value == "UTC"
        screen.query_one("#time-zone", Input).value = "Asia/Kolkata"
        await wait_for_preview(pilot, screen)
        expected = preview_csv(demo_database, slug, wide, 20, time_zone="Asia/Kolkata")
        assert expected != preview_csv(demo_database, slug, wide, 20)
        assert any("+05:30" in cell for cell in expected.rows[0])
        assert screen.preview == expected


@run_async
async def test_a_bad_zone_or_date_is_one_line_and_nothing_is_exported(
    demo_database, tmp_path, monkeypatch
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(export_csv_module, "write_csv", lambda *args, **kwargs: calls.append(args))
    output = tmp_path / "never.csv"
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        screen.query_one("#time-zone", Input).value = "Mars/Olympus_Mons"
        await wait_for_preview(pilot, screen)
        shown = filter_error(screen)
        assert "unknown time zone 'Mars/Olympus_Mons'" in shown and "\n" not in shown
        assert screen.preview is None
        screen.query_one("#output-path", Input).value = str(output)
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.pause()
        assert app.screen is screen and calls == [] and not output.exists()

        screen.query_one("#time-zone", Input).value = "UTC"
        screen.query_one("#filter-after", Input).value = "last tuesday"
        await wait_for_preview(pilot, screen)
        shown = filter_error(screen)
        assert "'last tuesday' is not a date" in shown and "\n" not in shown
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.pause()
        assert app.screen is screen and calls == []


@run_async
async def test_the_json_dialogs_finished_only_export_equals_the_engines(demo_database, tmp_path) -> None:
    output = tmp_path / "finished.zip"
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        await pilot.press("down")
        block = screen.selected_block
        await pilot.press("j")
        await wait_for_screen(pilot, ExportPathDialog)
        dialog = app.screen
        dialog.query_one("#filter-finished", Checkbox).value = True
        dialog.query_one("#output-path", Input).value = str(output)
        dialog.query_one("#output-path", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen and output.exists(), "the export to finish")

    filtered = write_json_bundle(demo_database, block.slug, tmp_path / "filtered.zip", filters=FINISHED)
    everything = write_json_bundle(demo_database, block.slug, tmp_path / "everything.zip")
    assert 0 < filtered.count < everything.count
    assert bundle_members(output) == bundle_members(Path(filtered.path))


@run_async
async def test_a_template_with_filters_fills_the_fields_and_saving_keeps_them(demo_database) -> None:
    directory = user_templates_dir()
    directory.mkdir(parents=True)
    (directory / "mine.toml").write_text(
        'name = "mine"\nlabel = "Mine"\nsession_fields = ["session_id"]\nresult_fields = []\noptions = []\n'
        '[filters]\nfinished_only = true\nstarted_after = "2020-01-01"\n'
        'started_before = "2030-01-01T00:00"\nexclude_participants = ["test*", "demo-?"]\n',
        encoding="utf-8",
    )
    filters = SessionFilter(True, "2020-01-01", "2030-01-01T00:00", ("test*", "demo-?"))
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        fields = screen.query_one(FilterFields)
        assert fields.read() == SessionFilter()
        screen.query_one("#template", Select).value = "mine"
        await wait_until(pilot, lambda: screen.template_name == "mine", "the template mine")
        await wait_for_preview(pilot, screen)
        assert screen.query_one("#filter-finished", Checkbox).value is True
        assert screen.query_one("#filter-after", Input).value == "2020-01-01"
        assert screen.query_one("#filter-before", Input).value == "2030-01-01T00:00"
        assert screen.query_one("#filter-exclude", Input).value == "test*, demo-?"
        assert fields.read() == filters
        expected = preview_csv(demo_database, screen.block.slug, screen.selection, 20, filters=filters)
        assert screen.preview == expected

        screen.query_one("#filter-exclude", Input).value = "pilot-* tester"
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, SaveTemplateDialog)
        dialog = app.screen
        dialog.query_one("#template-name", Input).value = "again"
        dialog.query_one("#template-label", Input).value = "Again"
        dialog.query_one("#template-name", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: "again" in screen.templates, "the saved template")

    assert find_template("again").filters == SessionFilter(
        True, "2020-01-01", "2030-01-01T00:00", ("pilot-*", "tester")
    )


@run_async
async def test_aml_time_zone_of_the_env_is_offered_not_applied(demo_database) -> None:
    Path(".env").write_text("SQL_HOST=nowhere\nAML_TIME_ZONE=Europe/Amsterdam\n", encoding="utf-8")
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        zone = screen.query_one("#time-zone", Input)
        offer = screen.query_one("#use-env-zone", Button)
        assert str(offer.label) == "Use AML_TIME_ZONE (Europe/Amsterdam)"
        assert zone.value == "UTC"
        offer.press()
        await wait_for_preview(pilot, screen)
        assert zone.value == "Europe/Amsterdam"
        expected = preview_csv(
            demo_database, screen.block.slug, screen.selection, 20, time_zone="Europe/Amsterdam"
        )
        assert screen.preview == expected
