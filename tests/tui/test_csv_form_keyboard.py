"""The CSV form by keyboard alone (Tab, arrows, space, Enter), its All/None keys, and what it
remembers between runs (the state file) or takes from the config file (demo database)."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from muscle_tui.export.csv import (
    RESULT_FIELDS,
    SESSION_FIELDS,
    find_template,
    preview_csv,
    user_templates_dir,
)
from muscle_tui.screens.export_csv import ExportCsvScreen
from muscle_tui.user_state import load_user_state
from muscle_tui.widgets.selection_form import FieldList
from muscle_tui.widgets.template_picker import CUSTOM
from tests.support.tui import RecordingApp, run_async, wait_for_preview, wait_for_screen, wait_until
from tests.tui.test_tui_csv import SIZE, TEMPLATE_ORDER, choose_template, open_csv_form, ticked


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    """A private user config directory, so no test reads or writes the real user templates."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert user_templates_dir().is_relative_to(tmp_path / "config")
    return tmp_path / "config"


def selector_value(screen: ExportCsvScreen) -> object:
    return screen.query_one("#template", Select).value


async def tab_to(pilot, widget) -> None:
    """Press Tab until `widget` has the focus."""
    for _ in range(40):
        if pilot.app.focused is widget:
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached {widget!r}")


@run_async
async def test_the_whole_form_by_keyboard_alone(
    demo_database, tmp_path, monkeypatch, isolated_user_state
) -> None:
    """Choose a template with arrows and Enter (applied at once), toggle a field with arrows and
    space (the selector says custom), export with Enter in the path field."""
    monkeypatch.chdir(tmp_path)
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        slug = screen.block.slug
        assert app.focused is screen.query_one("#template", Select)

        await pilot.press("enter")
        for _ in range(TEMPLATE_ORDER.index("long_results")):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.template_name == "long_results", "the template to apply")
        await wait_for_preview(pilot, screen)
        long_results = find_template("long_results").selection
        assert screen.selection == long_results and selector_value(screen) == "long_results"
        output = screen.query_one("#output-path", Input)
        assert Path(output.value).name.startswith(f"{slug}-long_results-")

        await pilot.press("tab")
        sessions = screen.query_one("#csv-session-fields", FieldList)
        assert app.focused is sessions
        await pilot.press("down", "up")  # the first field: Session ID, not in long_results
        assert sessions.highlighted == 0
        await pilot.press("space")
        await wait_for_preview(pilot, screen)
        expected = long_results.replace(session_fields=("session_id", *long_results.session_fields))
        assert screen.selection == expected
        assert selector_value(screen) == CUSTOM, "the form differs from the template"
        assert screen.template_name == "long_results", "the file name still follows the template"

        await pilot.press("space")  # back as the template has it: the selector says so again
        await wait_for_preview(pilot, screen)
        assert selector_value(screen) == "long_results"
        await pilot.press("space")
        await wait_for_preview(pilot, screen)
        assert selector_value(screen) == CUSTOM

        await tab_to(pilot, output)
        await pilot.press("end", "ctrl+u", *"kb.csv", "enter")
        await wait_until(pilot, lambda: screen.last_result is not None, "the export")
        assert app.screen is screen

    written = tmp_path / "kb.csv"
    header = written.read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == preview_csv(demo_database, slug, expected, 0).header
    assert header.startswith("session_id,") and "session_id" not in long_results.session_fields
    remembered = load_user_state()
    assert (remembered.csv_template, remembered.export_folder) == ("long_results", tmp_path)
    assert stat.S_IMODE(isolated_user_state.stat().st_mode) == 0o600


@run_async
async def test_a_and_n_select_all_or_none_of_a_group(demo_database) -> None:
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        results = screen.query_one("#csv-result-fields", FieldList)
        await tab_to(pilot, results)
        await pilot.press("n")
        await wait_for_preview(pilot, screen)
        assert screen.selection.result_fields == ()
        assert set(screen.selection.session_fields) == set(find_template("wide").selection.session_fields)
        assert selector_value(screen) == CUSTOM
        await pilot.press("a")
        await wait_for_preview(pilot, screen)
        assert screen.selection.result_fields == tuple(RESULT_FIELDS)

        sessions = screen.query_one("#csv-session-fields", FieldList)
        await pilot.press("shift+tab")
        assert app.focused is sessions
        await pilot.press("a")
        await wait_for_preview(pilot, screen)
        assert screen.selection.session_fields == tuple(SESSION_FIELDS)
        options = screen.query_one("#options", FieldList)
        await tab_to(pilot, options)
        await pilot.press("n")
        await wait_for_preview(pilot, screen)
        assert screen.selection.options == frozenset() and not screen.selection.sort_columns
        assert screen.preview == preview_csv(demo_database, screen.block.slug, screen.selection, 20)


@run_async
async def test_choosing_custom_changes_nothing(demo_database) -> None:
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        before = ticked(screen)
        screen.query_one("#template", Select).value = CUSTOM
        await wait_until(pilot, lambda: selector_value(screen) == "wide", "the selector to say wide again")
        assert ticked(screen) == before and screen.template_name == "wide"


@run_async
async def test_the_form_remembers_the_template_and_folder_across_runs(
    demo_database, tmp_path, isolated_user_state
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    first = RecordingApp(database=demo_database)
    async with first.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        await choose_template(pilot, screen, "long")
        screen.query_one("#output-path", Input).value = str(folder / "first.csv")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.last_result is not None, "the first export")
    assert json.loads(isolated_user_state.read_text()) == {
        "csv_template": "long",
        "export_folder": str(folder),
    }

    second = RecordingApp(database=demo_database)
    async with second.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        assert selector_value(screen) == "long" and screen.template_name == "long"
        assert screen.selection == find_template("long").selection
        output = Path(screen.query_one("#output-path", Input).value)
        assert output.parent == folder and output.name.startswith(f"{screen.block.slug}-long-")

    shutil.rmtree(folder)  # a folder that is gone is not suggested; the template still is
    third = RecordingApp(database=demo_database)
    async with third.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        assert selector_value(screen) == "long"
        assert Path(screen.query_one("#output-path", Input).value).parent == Path.cwd()


def write_config(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


@run_async
async def test_the_config_file_names_the_default_template(demo_database, tmp_path, monkeypatch) -> None:
    config = tmp_path / "config.toml"
    write_config(config, '[export]\ncsv_template = "long_profile"\n')
    monkeypatch.setenv("MUSCLE_TUI_CONFIG", str(config))
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        assert selector_value(screen) == "long_profile"
        assert screen.selection == find_template("long_profile").selection
    assert not any("Config file" in note for note in app.notes)


@run_async
async def test_an_unknown_configured_template_falls_back_to_wide_and_says_so(
    demo_database, tmp_path, monkeypatch
) -> None:
    config = tmp_path / "config.toml"
    write_config(config, '[export]\ncsv_template = "no_such_template"\n')
    monkeypatch.setenv("MUSCLE_TUI_CONFIG", str(config))
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        assert selector_value(screen) == "wide"
    problems = [note for note in app.notes if note.startswith("Config file:")]
    assert problems == [
        f"Config file: {config}: [export] csv_template: no template is named 'no_such_template'; using wide"
    ]


@run_async
async def test_a_remembered_template_beats_the_config_and_a_gone_one_does_not(
    demo_database, tmp_path, monkeypatch, isolated_user_state
) -> None:
    config = tmp_path / "config.toml"
    write_config(config, '[export]\ncsv_template = "long_profile"\n')
    monkeypatch.setenv("MUSCLE_TUI_CONFIG", str(config))
    for remembered, opened in (("wide_results", "wide_results"), ("deleted_mine", "long_profile")):
        isolated_user_state.write_text(json.dumps({"csv_template": remembered}))
        app = RecordingApp(database=demo_database)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_csv_form(pilot)
            assert selector_value(screen) == opened


@run_async
async def test_a_malformed_state_file_is_ignored_with_one_notice(
    demo_database, tmp_path, isolated_user_state
) -> None:
    isolated_user_state.write_text('{"csv_template": "long"', encoding="utf-8")
    isolated_user_state.chmod(0o600)
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        assert selector_value(screen) == "wide"
        await pilot.press("escape")
        await pilot.press("c")
        await wait_for_screen(pilot, ExportCsvScreen)
        screen = app.screen
        await wait_for_preview(pilot, screen)
        notices = [note for note in app.notes if note.startswith("Remembered choices not used")]
        assert len(notices) == 1 and str(isolated_user_state) in notices[0] and "not valid JSON" in notices[0]

        screen.query_one("#output-path", Input).value = str(tmp_path / "out.csv")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.last_result is not None, "the export")
    assert load_user_state() == load_user_state().__class__("wide", tmp_path)
