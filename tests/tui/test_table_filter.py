"""`/` filters a table as you type: the Experiments and Blocks tables in memory (name, slug, a
block's rules; any case), the Block screen's Sessions and Participants tabs through their
participant filter (a query). Escape clears the filter first and goes back only when there is
none; values with markup are matched and shown literally."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from textual.widgets import DataTable, Input, Static

from muscle_tui.app import MuscleApp
from muscle_tui.db.browse import SessionQuery, count_participants, count_sessions, session_page
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.screens.block import BlockScreen
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.widgets.paged_table import PagedTable
from muscle_tui.widgets.table_filter import TableFilter, filtered_status, matches
from tests.support.block_data import MARKUP_PARTICIPANT, MARKUP_URL, SESSIONS, THOUSAND
from tests.support.block_ui import open_block, paged_settled, wait_for_paged
from tests.support.tui import run_async, table_settled, wait_for_rows, wait_for_screen, wait_until

# The PostgreSQL database the Sessions tests browse (fixtures browse_url, browse_database).
pytest_plugins = ["tests.support.block_db"]

SIZE = (120, 36)
MARKUP_NAME = "[bold]Loud[/bold] & [link=https://example.org]quiet[/link] \x1b[2J"
MARKUP_SHOWN = "[bold]Loud[/bold] & [link=https://example.org]quiet[/link] \\x1b[2J"


def keys(table: DataTable) -> list[str]:
    return [str(key.value) for key in table.rows]


def status(screen, selector: str = "#status") -> str:
    return str(screen.query_one(selector, Static).render())


async def wait_for_keys(pilot, table: DataTable, expected: list[str]) -> None:
    """Wait until `table` shows the rows `expected` (in that order) and has measured them."""
    await wait_until(pilot, lambda: keys(table) == expected and table_settled(table), f"the rows {expected}")


def participant_filter(table: PagedTable) -> str | None:
    """The participant text the paged table's source filters on (sessions or participants)."""
    query = getattr(table.source, "query", None)
    return query.participant_text if query is not None else getattr(table.source, "text", None)


async def wait_for_text(pilot, table: PagedTable, text: str) -> None:
    """Wait until the paged table shows the rows of the participant filter `text`."""
    await wait_until(
        pilot,
        lambda: participant_filter(table) == text and paged_settled(table),
        f"the rows of the participant filter {text!r}",
    )


def test_matches_any_text_in_any_case() -> None:
    assert matches("", "anything") and matches("  ", None)
    assert matches("RHY", "rhythm-discrimination") and matches("Straße", None, "STRASSE study")
    assert matches("[b", "x", "[bold]") and not matches("x", None, "")
    assert filtered_status(2, 5, "blocks", "rhy") == "2 of 5 blocks shown (filter 'rhy'; Escape clears it)."


@run_async
async def test_slash_filters_the_experiments_and_escape_clears_the_filter(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        table = await wait_for_rows(pilot, ExperimentsScreen)
        screen = app.screen
        bar = screen.query_one(TableFilter)
        every = keys(table)
        assert len(every) == 2 and not bar.display
        speech = [e.slug for e in demo_database.experiments() if "speech" in e.name.casefold()]
        assert len(speech) == 1

        await pilot.press("slash")
        await wait_until(pilot, lambda: bar.input.has_focus, "the filter field")
        await pilot.press(*"SPEECH")
        await wait_for_keys(pilot, table, speech)
        assert status(screen) == "1 of 2 experiments shown (filter 'SPEECH'; Escape clears it)."

        await pilot.press("enter")  # back to the table, the filter kept
        assert app.focused is table and bar.display and keys(table) == speech

        await pilot.press("escape")  # on the table: clears the filter
        await wait_for_keys(pilot, table, every)
        assert not bar.display and app.focused is table
        assert status(screen) == "2 experiment(s). Enter opens an experiment's blocks."
        await pilot.press("escape")  # no filter left: Escape does nothing here
        assert app.screen is screen

        await pilot.press("slash", *"minds")
        await wait_for_keys(pilot, table, ["musical-minds"])
        await pilot.press("escape")  # in the field: clears it, hides it, back to the table
        await wait_for_keys(pilot, table, every)
        assert not bar.display and bar.input.value == "" and app.focused is table


@run_async
async def test_slash_filters_the_blocks_escape_clears_it_then_goes_back(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        await pilot.press("enter")
        table = await wait_for_rows(pilot, BlocksScreen)
        screen = app.screen
        blocks = demo_database.blocks(screen.experiment.id)
        every = [block.slug for block in blocks]
        assert keys(table) == every
        rhythm = [
            b.slug for b in blocks if any("rhy" in text.casefold() for text in (b.name, b.slug, b.rules))
        ]
        assert 1 < len(rhythm) < len(every)
        by_rules = [b.slug for b in blocks if "battery_f" in b.rules.casefold()]
        assert by_rules, "a text only the rules hold"

        await pilot.press("slash", *"RhY")
        await wait_for_keys(pilot, table, rhythm)
        assert (
            status(screen) == f"{len(rhythm)} of {len(every)} blocks shown (filter 'RhY'; Escape clears it)."
        )
        await pilot.press("enter", "down", "enter")  # the second block shown opens
        await wait_for_screen(pilot, BlockScreen)
        assert app.screen.block.slug == rhythm[1]
        await pilot.press("escape")
        await wait_for_screen(pilot, BlocksScreen)
        assert keys(table) == rhythm and screen.query_one(TableFilter).display, "the filter is kept"

        await pilot.press("slash", *["backspace"] * 3, *"BATTERY_F", "enter")  # the rules are searched too
        await wait_for_keys(pilot, table, by_rules)

        await pilot.press("slash", *"no such block", "enter")
        await wait_for_keys(pilot, table, [])
        assert status(screen) == f"0 of {len(every)} blocks shown (filter 'no such block'; Escape clears it)."
        assert status(screen, "#details") == ""
        assert screen.selected_block is None

        await pilot.press("escape")  # the first Escape clears the filter …
        await wait_for_keys(pilot, table, every)
        assert app.screen is screen and not screen.query_one(TableFilter).display
        await pilot.press("escape")  # … the second goes back
        await wait_for_screen(pilot, ExperimentsScreen)


@pytest.fixture
def markup_names(demo_path, tmp_path) -> Path:
    """The demo database with an experiment and a block named with markup and a control sequence."""
    path = shutil.copyfile(demo_path, tmp_path / "markup.sqlite3")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE experiment_experiment SET name = ? WHERE id = 1", (MARKUP_NAME,))
    conn.execute("UPDATE experiment_block SET name = ? WHERE id = 1", (MARKUP_NAME,))
    conn.commit()
    conn.close()
    return path


@run_async
async def test_markup_in_names_is_matched_and_shown_literally(markup_names) -> None:
    database = MuscleDatabase.open(URL.create("sqlite", database=str(markup_names)), "markup")
    app = MuscleApp(database=database)
    try:
        async with app.run_test(size=SIZE) as pilot:
            table = await wait_for_rows(pilot, ExperimentsScreen)
            [experiment] = [e for e in database.experiments() if e.name == MARKUP_NAME]
            await pilot.press("slash", *"[bold]loud", "enter")
            await wait_for_keys(pilot, table, [experiment.slug])
            name = table.get_row(experiment.slug)[0]
            assert name.plain == MARKUP_SHOWN and not name.spans
            assert "(filter '[bold]loud';" in status(app.screen)

            await pilot.press("enter")
            blocks = await wait_for_rows(pilot, BlocksScreen)
            [block] = [b for b in database.blocks(experiment.id) if b.name == MARKUP_NAME]
            await pilot.press("slash", *"[link=", "enter")
            await wait_for_keys(pilot, blocks, [block.slug])
            name = blocks.get_row(block.slug)[2]
            assert name.plain == MARKUP_SHOWN and not name.spans
            assert MARKUP_SHOWN in status(app.screen, "#details")
    finally:
        database.close()


@run_async
async def test_slash_goes_to_the_session_filter_and_escape_clears_it(browse_database) -> None:
    app = MuscleApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot)
        table = screen.query_one("#sessions", PagedTable)
        field = screen.query_one("#session-text", Input)
        p00 = SessionQuery(THOUSAND, participant_text="p00")
        with browse_database.snapshot() as snap:
            expected = count_sessions(snap, p00)
            first = [row.id for row in session_page(snap, p00, limit=100)]

        await pilot.press("slash")
        await wait_until(pilot, lambda: field.has_focus, "the participant filter")
        await pilot.press(*"p00")
        await wait_for_text(pilot, table, "p00")
        assert table.total == expected and [row.id for row in table.window] == first

        await pilot.press("escape")  # in the field: clears it, back to the table
        await wait_for_text(pilot, table, "")
        assert field.value == "" and app.focused is table and table.total == SESSIONS

        await pilot.press("slash", *"[bold", "enter")  # Enter keeps the filter
        await wait_for_text(pilot, table, "[bold")
        assert [row.id for row in table.window] == [MARKUP_PARTICIPANT] and app.focused is table
        assert table.get_row(str(MARKUP_PARTICIPANT))[2].plain == MARKUP_URL

        await pilot.press("escape")  # on the table: the first Escape clears the filter …
        await wait_for_text(pilot, table, "")
        assert app.screen is screen and field.value == "" and table.total == SESSIONS
        await pilot.press("escape")  # … the second goes back
        await wait_for_screen(pilot, BlocksScreen)


@run_async
async def test_slash_goes_to_the_participant_filter_on_the_participants_tab(browse_database) -> None:
    app = MuscleApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot)
        await pilot.press("p")
        table = await wait_for_paged(pilot, "#participants")
        field = screen.query_one("#participant-text", Input)
        with browse_database.snapshot() as snap:
            every = count_participants(snap, THOUSAND)
            assert count_participants(snap, THOUSAND, text="P0004") == 1

        await pilot.press("slash", *"P0004")
        assert field.has_focus
        await wait_for_text(pilot, table, "P0004")
        assert [row.id for row in table.window] == [4]

        await pilot.press("escape")
        await wait_for_text(pilot, table, "")
        assert field.value == "" and app.focused is table and table.total == every
        await pilot.press("escape")
        await wait_for_screen(pilot, BlocksScreen)
