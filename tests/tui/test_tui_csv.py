"""The CSV export form: templates, field lists, live preview, export, save as template (demo database)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from textual.widgets import DataTable, Input, Select, Static

from muscle_tui.app import MuscleApp
from muscle_tui.cli import main
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.csv import (
    BUILTIN_ORDER,
    OPTIONS,
    RESULT_FIELDS,
    SESSION_FIELDS,
    CsvSelection,
    find_template,
    load_templates,
    preview_csv,
    user_templates_dir,
    write_csv,
)
from muscle_tui.screens import export_csv as export_csv_module
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.confirm_replace import ConfirmReplaceDialog
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_csv import ExportCsvScreen, width_warning
from muscle_tui.screens.export_progress import ExportProgressScreen
from muscle_tui.screens.save_template import SaveTemplateDialog
from muscle_tui.widgets.preview_table import (
    PREVIEW_CELL_CHARS,
    PREVIEW_PAGE_COLUMNS,
    PreviewTable,
    preview_cell,
)
from muscle_tui.widgets.selection_form import FieldList, SelectionForm
from muscle_tui.widgets.template_picker import CUSTOM
from tests.support.tui import (
    run_async,
    wait_for_palette_match,
    wait_for_preview,
    wait_for_rows,
    wait_for_screen,
    wait_until,
)

SIZE = (120, 40)
TEMPLATE_ORDER = [template.name for template in load_templates(user_dir=Path("/nonexistent"))[0]]


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    """A private user config directory, so no test reads or writes the real user templates."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    assert user_templates_dir().is_relative_to(home)
    return home


async def open_csv_form(pilot, down: int = 0) -> ExportCsvScreen:
    """Experiments → first experiment's blocks → `down` rows down → `c`; waits for the preview."""
    await wait_for_rows(pilot, ExperimentsScreen)
    await pilot.press("enter")
    await wait_for_rows(pilot, BlocksScreen)
    for _ in range(down):
        await pilot.press("down")
    await pilot.press("c")
    await wait_for_screen(pilot, ExportCsvScreen)
    screen = pilot.app.screen
    await wait_for_preview(pilot, screen)
    return screen


def ticked(screen: ExportCsvScreen) -> set[str]:
    return screen.query_one(SelectionForm).chosen


def set_chosen(screen: ExportCsvScreen, key: str, chosen: bool) -> None:
    """Select or unselect the field or option `key` in the form's lists."""
    screen.query_one(SelectionForm).set_chosen(key, chosen)


async def choose_template(pilot, screen: ExportCsvScreen, name: str) -> None:
    """Choose `name` in the selector (it applies at once) and wait for its preview."""
    screen.query_one("#template", Select).value = name
    await wait_until(pilot, lambda: screen.template_name == name, f"the template {name}")
    await wait_for_preview(pilot, screen)


def keys_of(selection: CsvSelection) -> set[str]:
    keys = {*selection.session_fields, *selection.result_fields, *selection.options}
    if selection.sort_columns:
        keys.add("sort_columns")
    if selection.excel_safe:
        keys.add("excel_safe")
    return keys


def choices(selector: Select) -> list[tuple[str, str]]:
    """The selector's (prompt, value) pairs (Textual 8 keeps them in a private attribute)."""
    return [(str(prompt), value) for prompt, value in selector._options]


def shown(preview, first_column: int = 0) -> tuple[list[str], list[list[str]]]:
    """What the preview table should display of an engine preview: one page of columns, cells cut."""
    window = slice(first_column, first_column + PREVIEW_PAGE_COLUMNS)

    def cut(text: str) -> str:
        return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"

    return [cut(name) for name in preview.header[window]], [
        [cut(cell) for cell in row[window]] for row in preview.rows
    ]


def preview_cells(screen: ExportCsvScreen) -> tuple[list[str], list[list[str]]]:
    table = screen.query_one("#preview", DataTable)
    header = [str(column.label) for column in table.ordered_columns]
    rows = [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]
    return header, rows


@run_async
async def test_the_form_opens_on_wide_with_muscles_fields_and_a_preview(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        block = screen.block
        assert (
            str(screen.query_one("#heading", Static).render()) == f"Export CSV — {block.name} ({block.slug})"
        )

        labels = {
            option.value: str(option.prompt)
            for field_list in screen.query(FieldList)
            for option in (field_list.get_option_at_index(i) for i in range(field_list.option_count))
        }
        assert labels == {
            **SESSION_FIELDS,
            **RESULT_FIELDS,
            **OPTIONS,
            "sort_columns": "Sort columns by name (MUSCLE's order)",
            "excel_safe": "Neutralise spreadsheet formulas (Excel-safe)",
        }
        wide = find_template("wide").selection
        assert ticked(screen) == keys_of(wide)
        assert screen.selection == wide

        selector = screen.query_one("#template", Select)
        assert selector.value == "wide"
        assert [value for _prompt, value in choices(selector)] == [*TEMPLATE_ORDER, CUSTOM]
        assert (
            list(BUILTIN_ORDER) == TEMPLATE_ORDER and len(TEMPLATE_ORDER) == 11
        )  # MUSCLE's ten, muscle_2026
        output = Path(screen.query_one("#output-path", Input).value)
        assert output.parent == Path.cwd() and output.name.startswith(f"{block.slug}-wide-")

        expected = preview_csv(demo_database, block.slug, wide, 20)
        assert screen.preview == expected
        header, rows = preview_cells(screen)
        assert (header, rows) == shown(expected)
        assert len(rows) == 20
        assert any(len(cell) > PREVIEW_CELL_CHARS for cell in expected.rows[0])
        status = str(screen.query_one("#preview-status", Static).render())
        assert f"{expected.total_rows:,} rows" in status and f"{expected.total_columns:,} columns" in status


@run_async
async def test_whole_flow_load_a_template_toggle_a_field_and_export(demo_database, tmp_path) -> None:
    """Experiments → Blocks → c → load long_results by keyboard → untick a field → export."""
    output = tmp_path / "from-the-form.csv"
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot, down=1)
        slug = screen.block.slug
        assert app.focused is screen.query_one("#template", Select)

        await pilot.press("enter")
        for _ in range(TEMPLATE_ORDER.index("long_results")):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.template_name == "long_results", "the template applied")
        await wait_for_preview(pilot, screen)
        long_results = find_template("long_results").selection
        assert ticked(screen) == keys_of(long_results)
        assert Path(screen.query_one("#output-path", Input).value).name.startswith(f"{slug}-long_results-")

        results = screen.query_one("#csv-result-fields", FieldList)
        while app.focused is not results:
            await pilot.press("tab")
        for _ in range(list(RESULT_FIELDS).index("result_comment")):
            await pilot.press("down")
        await pilot.press("space")
        expected = long_results.replace(
            result_fields=(
                "section_name",
                "result_created_at",
                "result_score",
                "expected_response",
                "given_response",
            )
        )
        await wait_for_preview(pilot, screen)
        header, _rows = preview_cells(screen)
        assert "result_comment" not in header
        assert header == preview_csv(demo_database, slug, expected, 0).header

        screen.query_one("#output-path", Input).value = str(output)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.last_result is not None, "the export to finish")
        assert app.screen is screen
        summary = str(screen.query_one("#export-result", Static).render())
        assert str(output) in summary and f"{screen.last_result.count:,} rows" in summary

    reference = write_csv(demo_database, slug, expected, tmp_path / "headless.csv")
    assert reference.count == screen.last_result.count > 0
    assert output.read_bytes() == Path(reference.path).read_bytes()


@run_async
async def test_choosing_muscle_2026_greys_the_boxes_out_and_previews_its_fixed_layout(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        await choose_template(pilot, screen, "muscle_2026")
        assert screen.selection.layout == "muscle_2026"
        assert all(field_list.disabled for field_list in screen.query(FieldList))
        expected = preview_csv(demo_database, screen.block.slug, find_template("muscle_2026").selection, 20)
        assert screen.preview == expected
        assert expected.header[:3] == ["session__id", "participant__id", "participant__country_code"]

        await choose_template(pilot, screen, "wide")
        assert screen.selection == find_template("wide").selection
        assert not any(field_list.disabled for field_list in screen.query(FieldList))


@run_async
async def test_loading_long_profile_sets_the_boxes_but_keeps_excel_safe(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        set_chosen(screen, "excel_safe", True)
        await choose_template(pilot, screen, "long_profile")
        assert screen.query_one("#template", Select).value == "long_profile", "Excel-safe is no change"
        long_profile = find_template("long_profile").selection
        assert ticked(screen) == keys_of(long_profile) | {"excel_safe"}
        assert screen.selection == long_profile.replace(excel_safe=True)

        expected = preview_csv(demo_database, screen.block.slug, screen.selection, 20)
        assert screen.preview == expected
        assert preview_cells(screen) == shown(expected)

        set_chosen(screen, "sort_columns", True)
        await wait_for_preview(pilot, screen)
        assert screen.query_one("#template", Select).value == CUSTOM
        header, _rows = preview_cells(screen)
        assert header == sorted(expected.header)


@run_async
async def test_quick_toggles_end_with_the_preview_of_the_last_selection(demo_database, monkeypatch) -> None:
    shown_with: list[tuple[object, CsvSelection]] = []
    real_show = PreviewTable.show

    def show(table, preview, first_column=None):
        shown_with.append((preview, table.screen.selection))
        real_show(table, preview, first_column)

    monkeypatch.setattr(PreviewTable, "show", show)
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot, down=2)
        for key in ("wide_format", "session_data", "export_profile", "block_id", "wide_format"):
            screen.query_one(SelectionForm).set_chosen(key, key not in ticked(screen))
            await pilot.pause(0.01)
        await wait_for_preview(pilot, screen)
        # Never a preview of a selection the form no longer shows, not even for a moment.
        for preview, selection in shown_with:
            assert preview == preview_csv(demo_database, screen.block.slug, selection, 20)
        expected = preview_csv(demo_database, screen.block.slug, screen.selection, 20)
        assert screen.selection.wide and not screen.selection.has("session_data")
        assert screen.preview == expected
        assert preview_cells(screen) == shown(expected)


@run_async
async def test_excel_safe_neutralises_formulas_in_preview_and_file(demo_path, tmp_path) -> None:
    copy = tmp_path / "formulas.sqlite3"
    shutil.copyfile(demo_path, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute(
            "UPDATE result_result SET given_response = '=HYPERLINK(\"http://x\")' WHERE id = ("
            " SELECT r.id FROM result_result r JOIN session_session s ON s.id = r.session_id"
            " JOIN experiment_block b ON b.id = s.block_id WHERE b.slug = 'rhythm-discrimination'"
            " ORDER BY s.id, r.created_at, r.id LIMIT 1)"
        )
    database = MuscleDatabase.open(URL.create("sqlite", database=str(copy)), "formulas")
    output = tmp_path / "safe.csv"
    try:
        app = MuscleApp(database=database)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_csv_form(pilot)
            await choose_template(pilot, screen, "long")
            header, rows = preview_cells(screen)
            given = header.index("given_response")
            assert rows[0][given] == '=HYPERLINK("http://x")'

            set_chosen(screen, "excel_safe", True)
            await wait_for_preview(pilot, screen)
            header, rows = preview_cells(screen)
            assert rows[0][given] == '\'=HYPERLINK("http://x")'

            screen.query_one("#output-path", Input).value = str(output)
            await pilot.click("#export")
            await wait_until(pilot, lambda: screen.last_result is not None, "the export")
        selection = find_template("long").selection.replace(excel_safe=True)
        reference = write_csv(database, "rhythm-discrimination", selection, tmp_path / "headless.csv")
    finally:
        database.close()
    assert output.read_bytes() == Path(reference.path).read_bytes()
    assert b"'=HYPERLINK" in output.read_bytes()


@run_async
async def test_save_as_template_appears_in_the_selector_and_the_cli(demo_database, capsys) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        set_chosen(screen, "final_score", False)
        set_chosen(screen, "excel_safe", True)
        saved_selection = screen.selection

        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, SaveTemplateDialog)
        await pilot.press(*"wide", "enter")
        dialog = app.screen
        assert isinstance(dialog, SaveTemplateDialog)
        assert "built-in" in str(dialog.query_one("#name-error", Static).render())

        dialog.query_one("#template-name", Input).value = "my_wide"
        dialog.query_one("#template-label", Input).value = "My wide export"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "my_wide" in screen.templates, "the saved template")
        assert app.screen is screen

        selector = screen.query_one("#template", Select)
        assert selector.value == "my_wide" and screen.template_name == "my_wide"
        assert Path(screen.query_one("#output-path", Input).value).name.startswith(
            f"{screen.block.slug}-my_wide-"
        )
        assert ("My wide export · user template", "my_wide") in choices(selector)

    path = user_templates_dir() / "my_wide.toml"
    assert path.is_file()
    assert not (user_templates_dir() / "wide.toml").exists()
    saved = find_template("my_wide")
    assert saved.label == "My wide export"
    assert saved.selection == saved_selection.replace(excel_safe=False)
    assert "excel_safe" not in path.read_text()

    assert main(["templates"]) == 0
    listing = capsys.readouterr().out
    assert any(line.startswith("my_wide") and str(path) in line for line in listing.splitlines())


@run_async
async def test_saving_over_a_user_template_asks_first(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    path = user_templates_dir() / "mine.toml"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)

        async def save_as_mine() -> None:
            await pilot.press("ctrl+s")
            await wait_for_screen(pilot, SaveTemplateDialog)
            await pilot.press(*"mine", "enter")

        await save_as_mine()
        await wait_until(pilot, path.is_file, "the first save")
        first = path.read_text()

        set_chosen(screen, "block_id", False)
        await save_as_mine()
        await wait_for_screen(pilot, ConfirmReplaceDialog)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen, "the form")
        assert path.read_text() == first

        await save_as_mine()
        await wait_for_screen(pilot, ConfirmReplaceDialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: path.read_text() != first, "the replacing save")
    assert "block_id" not in find_template("mine").selection.session_fields


@run_async
async def test_existing_output_is_replaced_only_when_confirmed(demo_database, tmp_path) -> None:
    output = tmp_path / "keep.csv"
    output.write_bytes(b"keep me")
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot, down=4)
        screen.query_one("#output-path", Input).value = str(output)
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, ConfirmReplaceDialog)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen, "the form")
        assert output.read_bytes() == b"keep me"

        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, ConfirmReplaceDialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.last_result is not None, "the export")
    assert output.read_bytes().startswith(b"block_id,block_name,")


@run_async
async def test_escape_cancels_the_csv_export_and_leaves_nothing(demo_database, tmp_path, monkeypatch) -> None:
    output = tmp_path / "cancelled.csv"
    started = threading.Event()
    real_write_csv = export_csv_module.write_csv

    def write_csv_waiting_for_cancel(
        db, slug, selection, path, *, force=False, progress=None, cancel=None, **options
    ):
        def hold_at_first_progress(report):
            if not started.is_set():
                started.set()
                deadline = time.monotonic() + 20
                while not cancel.is_set() and time.monotonic() < deadline:
                    time.sleep(0.01)
            progress(report)

        return real_write_csv(
            db, slug, selection, path, force=force, progress=hold_at_first_progress, cancel=cancel, **options
        )

    monkeypatch.setattr(export_csv_module, "write_csv", write_csv_waiting_for_cancel)
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        screen.query_one("#output-path", Input).value = str(output)
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, ExportProgressScreen)
        await wait_until(pilot, started.is_set, "the export to start")
        progress_screen = app.screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "the form")
        assert progress_screen.cancel.is_set()
        assert screen.last_result is None
        assert not screen.query_one("#export-result", Static).display
    assert list(tmp_path.iterdir()) == []


@run_async
async def test_a_failed_export_shows_its_error_beside_the_path(demo_database, tmp_path) -> None:
    output = tmp_path / "no-such-directory" / "out.csv"
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        screen.query_one("#output-path", Input).value = str(output)
        await pilot.press("ctrl+r")
        error = screen.query_one("#path-error", Static)
        await wait_until(pilot, lambda: error.display, "the error")
        assert app.screen is screen
        assert "does not exist" in str(error.render())
        assert app.focused is screen.query_one("#output-path", Input)
        assert screen.last_result is None
    assert not output.parent.exists()


@run_async
async def test_a_folder_in_the_form_gets_the_default_name_inside(
    demo_database, tmp_path, monkeypatch
) -> None:
    """The output rule (files.resolve_output): an existing folder, or a path ending in `/` (created),
    receives the default file name, as in the JSON path dialog and the CLI."""
    monkeypatch.chdir(tmp_path)
    opened = export_csv_module.utc_now()
    monkeypatch.setattr(export_csv_module, "utc_now", lambda: opened)  # the name is stamped at export
    existing = tmp_path / "existing"
    existing.mkdir()
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        default_name = Path(screen.query_one("#output-path", Input).value).name
        assert default_name.startswith(f"{screen.block.slug}-wide-") and default_name.endswith(".csv")
        for typed, folder in ((str(existing), existing), ("newdir/", tmp_path / "newdir")):
            screen.last_result = None
            screen.query_one("#output-path", Input).value = typed
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: screen.last_result is not None, f"the export to {typed}")
            assert sorted(p.name for p in folder.iterdir()) == [
                default_name,
                default_name.removesuffix(".csv") + ".datapackage.json",
            ]
            assert screen.last_result.path == str(folder / default_name)
            assert str(folder / default_name) in str(screen.query_one("#export-result", Static).render())


@run_async
async def test_an_empty_path_is_refused_in_the_form(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        screen.query_one("#output-path", Input).value = "   "
        await pilot.click("#export")
        await wait_until(pilot, lambda: screen.query_one("#path-error", Static).display, "the error")
        assert app.screen is screen
        assert app.focused is screen.query_one("#output-path", Input)


@run_async
async def test_the_width_warning_follows_the_selection(demo_database, monkeypatch) -> None:
    monkeypatch.setattr(export_csv_module, "WIDE_WARNING_COLUMNS", 200)
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        warning = screen.query_one("#width-warning", Static)
        assert screen.preview.total_columns >= 200
        assert warning.display
        assert f"{screen.preview.total_columns:,} columns" in str(warning.render())

        set_chosen(screen, "wide_format", False)
        await wait_for_preview(pilot, screen)
        assert screen.preview.total_columns < 200
        assert not warning.display


def test_width_warning_text() -> None:
    wide = find_template("wide").selection
    assert width_warning(wide, 999) is None
    assert "4,000 columns" in width_warning(wide, 4000) and "long format" in width_warning(wide, 4000)
    assert "16,384" in width_warning(wide, 20_000)
    assert "long format" not in width_warning(wide.replace(options=frozenset()), 4000)


@run_async
async def test_command_palette_and_back(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        await pilot.press("enter")
        blocks = await wait_for_rows(pilot, BlocksScreen)
        await pilot.press("ctrl+p")
        await pilot.press(*"Export block as CSV")
        await wait_for_palette_match(pilot, "Export block as CSV")
        await pilot.press("enter")
        await wait_for_screen(pilot, ExportCsvScreen)
        await wait_for_preview(pilot, app.screen)
        await pilot.press("escape")
        await wait_for_screen(pilot, BlocksScreen)
        assert app.screen.query_one(DataTable) is blocks


@run_async
async def test_tab_reaches_every_control_in_form_order_and_scrolls_to_it_at_80x24(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_csv_form(pilot)
        form = screen.query_one("#csv-form")
        expected = [
            "template",
            "csv-session-fields",
            "csv-result-fields",
            "options",
            "filter-finished",
            "filter-after",
            "filter-before",
            "filter-exclude",
            "time-zone",
            "output-path",
            "format",
            "export",
            "save-template",
            "back",
            "preview",
        ]
        visited = []
        for _ in expected:
            focused = app.focused
            visited.append(focused.id)
            assert form.region.contains_region(focused.region), f"{focused.id} is off screen"
            await pilot.press("tab")
        assert visited == expected
        assert app.focused.id == "template"
        assert form.max_scroll_y > 0


@run_async
async def test_brackets_page_through_the_columns_of_a_wide_preview(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        expected = screen.preview
        pages = -(-expected.total_columns // PREVIEW_PAGE_COLUMNS)
        assert pages > 2
        status = screen.query_one("#preview-status", Static)
        assert f"1–{PREVIEW_PAGE_COLUMNS} shown" in str(status.render())

        await pilot.press("right_square_bracket")
        assert preview_cells(screen) == shown(expected, PREVIEW_PAGE_COLUMNS)
        assert f"{PREVIEW_PAGE_COLUMNS + 1}–{2 * PREVIEW_PAGE_COLUMNS} shown" in str(status.render())
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert preview_cells(screen) == shown(expected, 0)

        for _ in range(pages + 2):
            await pilot.press("right_square_bracket")
        last = (pages - 1) * PREVIEW_PAGE_COLUMNS
        assert preview_cells(screen) == shown(expected, last)
        assert f"{last + 1}–{expected.total_columns} shown" in str(status.render())

        output = screen.query_one("#output-path", Input)
        output.focus()
        await pilot.pause()
        output.value = "/tmp/a"
        await pilot.press("end", "right_square_bracket")
        assert output.value == "/tmp/a]"
        assert screen.first_column == last


def test_preview_cells_are_literal_one_line_text() -> None:
    assert preview_cell("a\r\nb\nc").plain == "a⏎b⏎c"
    assert preview_cell("[b]x[/b]\x1b[31m").plain == "[b]x[/b]\\x1b[31m"
    assert preview_cell("x" * 100).plain == "x" * (PREVIEW_CELL_CHARS - 1) + "…"


@run_async
async def test_user_template_labels_are_shown_literally(demo_database, config_home) -> None:
    directory = user_templates_dir()
    directory.mkdir(parents=True)
    (directory / "odd.toml").write_text(
        'name = "odd"\nlabel = "[bold]Odd[/bold] \\u001b[31m"\n'
        'session_fields = ["block_id"]\nresult_fields = []\noptions = []\n',
        encoding="utf-8",
    )
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        selector = screen.query_one("#template", Select)
        assert choices(selector)[-2] == ("[bold]Odd[/bold] \\x1b[31m · user template", "odd")
        await choose_template(pilot, screen, "odd")
        assert ticked(screen) == {"block_id"}
        assert preview_cells(screen)[0] == ["block_id"]
