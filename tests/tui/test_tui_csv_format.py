"""The CSV form's format choice (CSV or Parquet) and its preview's reuse of the block's facts (demo database)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import event
from textual.widgets import Button, Checkbox, Input, Static

from muscle_tui.app import MuscleApp
from muscle_tui.db.filters import SessionFilter
from muscle_tui.export.csv import CsvPreview, find_template, preview_csv, user_templates_dir
from muscle_tui.export.parquet import PARQUET_EXTRA_MESSAGE, write_parquet
from muscle_tui.screens import export_csv as export_csv_module
from muscle_tui.screens.export_csv import ExportCsvScreen
from muscle_tui.screens.export_progress import ExportProgressScreen
from muscle_tui.widgets.csv_preview import CsvPreviewPane
from muscle_tui.widgets.format_choice import with_format_suffix
from tests.support.tui import run_async, wait_for_preview, wait_until
from tests.tui.test_tui_csv import SIZE, choose_template, open_csv_form, preview_cells, set_chosen, shown

# What only the facts' queries say: the block lookup, the counts, profile and session json keys.
FACT_MARKERS = ("experiment_block", "count(", "any_scored", "json_each")


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    """A private user config directory, so no test reads or writes the real user templates."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert user_templates_dir().is_relative_to(tmp_path / "config")
    return tmp_path / "config"


@contextlib.contextmanager
def recorded(database) -> Iterator[list[str]]:
    """The statements sent through SQLAlchemy on `database` while the block runs (the facts'
    queries go that way; the rows are read through the driver's own cursors)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def fact_queries(statements: list[str]) -> list[str]:
    return [s for s in statements if any(marker in s for marker in FACT_MARKERS)]


async def choose_format(pilot, screen: ExportCsvScreen, key: str) -> None:
    await pilot.click(f"#format-{key}")
    await wait_until(pilot, lambda: screen.file_format == key, f"the {key} format")


# ---------------------------------------------------------------------------------------------
# The preview keeps the block's facts while only the selection changes.


@run_async
async def test_a_selection_change_reuses_the_facts_and_a_filter_change_learns_them_again(
    demo_database,
) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        slug = screen.block.slug
        facts = screen.preview_pane.facts
        assert facts is not None and facts.fits(slug, SessionFilter(), "UTC")

        with recorded(demo_database) as statements:
            set_chosen(screen, "result_comment", False)
            await wait_for_preview(pilot, screen)
            await choose_template(pilot, screen, "long_profile")
        assert fact_queries(statements) == []
        assert screen.preview_pane.facts is facts
        assert screen.preview == preview_csv(demo_database, slug, screen.selection, 20)

        with recorded(demo_database) as statements:
            screen.query_one("#filter-finished", Checkbox).value = True
            await wait_for_preview(pilot, screen)
        assert fact_queries(statements), "new filters: the facts are learned again"
        finished = SessionFilter(finished_only=True)
        assert screen.preview_pane.facts.fits(slug, finished, "UTC")
        assert screen.preview == preview_csv(demo_database, slug, screen.selection, 20, filters=finished)

        with recorded(demo_database) as statements:
            screen.query_one("#time-zone", Input).value = "Asia/Kolkata"
            await wait_for_preview(pilot, screen)
        assert fact_queries(statements), "another time zone: the facts are learned again"
        assert screen.preview == preview_csv(
            demo_database, slug, screen.selection, 20, filters=finished, time_zone="Asia/Kolkata"
        )
        assert preview_cells(screen) == shown(screen.preview)


@run_async
async def test_a_preview_of_another_state_of_the_form_is_never_shown(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        pane = screen.preview_pane
        current = screen.preview
        assert current is not None
        assert not pane.schedule(), "the form still describes the preview shown: nothing to do"
        assert not screen.preview_pending and pane.table.preview is current
        stale = CsvPreview(["stale"], [["x"]], 1, 1)
        key = screen.preview_key(False)
        other = (key[0].replace(excel_safe=True), key[1], key[2])
        pane.post_message(CsvPreviewPane.Ready(other, stale))
        pane.post_message(CsvPreviewPane.Ready((key[0], SessionFilter(finished_only=True), key[2]), stale))
        pane.post_message(CsvPreviewPane.Ready((key[0], key[1], "Asia/Kolkata"), stale))
        pane.post_message(CsvPreviewPane.Failed(other, "stale"))
        await pilot.pause()
        assert screen.preview is current and "stale" not in preview_cells(screen)[0]

        # A result that arrives while the next preview is scheduled is dropped, even for the key
        # the form now has: the scheduled preview is the one shown.
        set_chosen(screen, "block_id", False)
        assert pane.schedule()
        pane.post_message(CsvPreviewPane.Ready(screen.preview_key(False), stale))
        await wait_for_preview(pilot, screen)
        assert "stale" not in preview_cells(screen)[0]
        assert screen.preview == preview_csv(demo_database, screen.block.slug, screen.selection, 20)


# ---------------------------------------------------------------------------------------------
# The format: CSV or Parquet.


def test_the_output_suffix_follows_the_format() -> None:
    assert with_format_suffix("/data/out.csv", "parquet") == "/data/out.parquet"
    assert with_format_suffix("/data/out.PARQUET", "csv") == "/data/out.csv"
    assert with_format_suffix("/data/out.csv", "csv") == "/data/out.csv"
    assert with_format_suffix("/data/out.txt", "parquet") == "/data/out.txt"
    assert with_format_suffix("/data/exports/", "parquet") == "/data/exports/"
    assert with_format_suffix("", "parquet") == ""


@run_async
async def test_choosing_parquet_renames_the_output_and_the_button(
    demo_database, tmp_path, monkeypatch
) -> None:
    opened = export_csv_module.utc_now()
    monkeypatch.setattr(export_csv_module, "utc_now", lambda: opened)  # each suggestion is stamped anew
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        output = screen.query_one("#output-path", Input)
        export = screen.query_one("#export", Button)
        assert screen.file_format == "csv" and str(export.label) == "Export CSV"
        suggested = Path(output.value)
        assert suggested.suffix == ".csv"

        await choose_format(pilot, screen, "parquet")
        assert Path(output.value).name == suggested.name.removesuffix(".csv") + ".parquet"
        assert str(export.label) == "Export Parquet"
        assert not screen.query_one("#format-note", Static).display

        output.value = str(tmp_path / "mine.parquet")
        await choose_format(pilot, screen, "csv")
        assert output.value == str(tmp_path / "mine.csv")
        output.value = str(tmp_path / "folder") + "/"
        await choose_format(pilot, screen, "parquet")
        assert output.value == str(tmp_path / "folder") + "/"


@pytest.mark.parametrize("template", ["wide", "muscle_2026"])
@run_async
async def test_export_parquet_from_the_form(demo_database, tmp_path, template) -> None:
    output = tmp_path / "from-the-form.parquet"
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        slug = screen.block.slug
        if template != screen.template_name:
            await choose_template(pilot, screen, template)
        await choose_format(pilot, screen, "parquet")
        screen.query_one("#output-path", Input).value = str(output)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.last_result is not None, "the export to finish")
        assert app.screen is screen
        preview = screen.preview
        assert f"{screen.last_result.count:,} rows" in str(
            screen.query_one("#export-result", Static).render()
        )

    selection = find_template(template).selection
    table = pq.read_table(output)
    assert table.num_rows == screen.last_result.count == preview.total_rows > 0
    assert table.column_names == preview.header
    reference = write_parquet(demo_database, slug, selection, tmp_path / "headless.parquet")
    assert reference.count == table.num_rows
    assert table.schema.equals(pq.read_schema(reference.path))
    types = {field.name: str(field.type) for field in table.schema}
    if template == "wide":
        assert types["block_id"] == "int64" and types["final_score"] == "double"
        assert types["session_start"] == "timestamp[us, tz=UTC]" and types["block_name"] == "string"
    else:
        assert types["session__id"] == "int64" and types["score"] == "double"
        assert types["created_at"] == "timestamp[us, tz=UTC]"
    assert (tmp_path / "from-the-form.datapackage.json").is_file()


@run_async
async def test_without_pyarrow_parquet_shows_one_line_and_exports_nothing(
    demo_database, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(export_csv_module, "parquet_available", lambda: False)
    output = tmp_path / "never.parquet"
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_csv_form(pilot)
        note = screen.query_one("#format-note", Static)
        assert not note.display
        await choose_format(pilot, screen, "parquet")
        assert note.display and str(note.render()) == PARQUET_EXTRA_MESSAGE
        screen.query_one("#output-path", Input).value = str(output)
        await pilot.press("ctrl+r")
        await pilot.click("#export")
        await pilot.pause()
        assert app.screen is screen and not isinstance(app.screen, ExportProgressScreen)
        assert screen.last_result is None

        await choose_format(pilot, screen, "csv")
        assert not note.display
    assert list(tmp_path.iterdir()) == []
