"""The Block screen: Experiments → Blocks → Block → Session and back, its tabs, sorting, filtering,
paging through a 1,000-session block, and values shown literally."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select, Static, TabbedContent

from muscle_tui.app import MuscleApp
from muscle_tui.db.browse import SessionQuery, count_sessions, participant_page, session_page
from muscle_tui.screens.block import BlockScreen
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_csv import ExportCsvScreen
from muscle_tui.screens.export_path import ExportPathDialog
from muscle_tui.screens.session import SessionScreen
from muscle_tui.widgets.paged_table import PagedTable
from tests.support.block_data import (
    MARKUP_PARTICIPANT,
    MARKUP_URL,
    SESSIONS,
    THOUSAND,
)
from tests.support.block_ui import (
    open_block,
    wait_for_feedback,
    wait_for_overview,
    wait_for_paged,
    wait_for_session,
)
from tests.support.tui import RecordingApp, run_async, wait_for_rows, wait_for_screen, wait_until

# The PostgreSQL database these tests browse (fixtures browse_url, browse_database).
pytest_plugins = ["tests.support.block_db"]

SIZE = (120, 36)


def ids(table: PagedTable) -> list[int]:
    return [row.id for row in table.window]


def first_sessions(database, query: SessionQuery, limit: int = 100) -> list[int]:
    with database.snapshot() as snap:
        return [row.id for row in session_page(snap, query, limit=limit)]


def last_sessions(database, query: SessionQuery, limit: int = 100) -> list[int]:
    with database.snapshot() as snap:
        return [row.id for row in session_page(snap, query, limit=limit, last=True)]


def status(screen, selector: str = "#sessions-status") -> str:
    return str(screen.query_one(selector, Static).render())


@run_async
async def test_experiments_blocks_block_session_and_back(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot)
        block = demo_database.blocks(demo_database.experiments()[0].id)[0]
        assert screen.block == block
        assert block.name in str(screen.query_one("#block-heading", Static).render())
        facts = str(screen.query_one("#block-facts", Static).render())
        assert block.rules in facts and f"{block.sessions:,} sessions" in facts
        table = screen.query_one("#sessions", PagedTable)
        assert ids(table) == first_sessions(demo_database, SessionQuery(block.slug))
        assert table.total == block.sessions
        assert status(screen).startswith(f"session 1 of {block.sessions:,} · sorted by Started")

        await pilot.press("down", "down", "down", "enter")
        session = await wait_for_session(pilot)
        chosen = table.window[3]
        assert session.session_id == chosen.id
        assert session.detail.session == chosen
        assert session.query_one("#results", DataTable).row_count == chosen.results

        await pilot.press("escape")
        await wait_for_screen(pilot, BlockScreen)
        assert app.screen is screen
        assert table.cursor_row == 3 and table.cursor_item == chosen
        assert app.focused is table

        await pilot.press("escape")
        await wait_for_screen(pilot, BlocksScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, ExperimentsScreen)


@run_async
async def test_tab_keys_show_each_tab(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot)
        slug = screen.block.slug
        tabs = screen.query_one(TabbedContent)
        assert tabs.active == "sessions-tab"

        await pilot.press("p")
        participants = await wait_for_paged(pilot, "#participants")
        assert tabs.active == "participants-tab" and app.focused is participants
        with demo_database.snapshot() as snap:
            expected = participant_page(snap, slug, limit=100)
        assert participants.window == expected
        assert participants.total == screen.block.participants
        details = str(screen.query_one("#participant-details", Static).render())
        assert details.startswith(f"participant {expected[0].id} · hash {expected[0].unique_hash}")

        await pilot.press("f")
        text = await wait_for_feedback(pilot)
        assert tabs.active == "feedback-tab"
        with demo_database.snapshot() as snap:
            from muscle_tui.db.browse import block_feedback

            feedback = block_feedback(snap, slug)
        assert feedback and all(f"#{row.id}" in text for row in feedback)

        await pilot.press("o")
        pane = await wait_for_overview(pilot)
        assert tabs.active == "overview-tab"
        assert pane.stats.sessions == screen.block.sessions

        await pilot.press("s")
        assert tabs.active == "sessions-tab"
        assert app.focused is screen.query_one("#sessions", PagedTable)


@run_async
async def test_export_keys_act_on_the_block(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot)
        await pilot.press("j")
        await wait_for_screen(pilot, ExportPathDialog)
        assert screen.block.slug in app.screen.dialog_title
        await pilot.press("escape")
        await wait_for_screen(pilot, BlockScreen)
        await pilot.press("c")
        await wait_for_screen(pilot, ExportCsvScreen)
        assert app.screen.block == screen.block


@run_async
async def test_empty_block_says_so(demo_database) -> None:
    blocks = demo_database.blocks(demo_database.experiments()[0].id)
    empty = next(i for i, block in enumerate(blocks) if block.sessions == 0)
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot, block_row=empty)
        table = screen.query_one("#sessions", PagedTable)
        assert table.row_count == 0 and table.total == 0
        assert status(screen) == "This block has no sessions."
        await pilot.press("end", "home", "pagedown", "enter")
        assert app.screen is screen


@run_async
async def test_sort_by_key_and_by_header_click(browse_database) -> None:
    app = MuscleApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot)
        table = screen.query_one("#sessions", PagedTable)
        query = SessionQuery(THOUSAND)
        assert ids(table)[:3] == [1, 2, 3]

        await pilot.press("greater_than_sign")  # started → finished
        table = await wait_for_paged(pilot)
        assert ids(table) == first_sessions(browse_database, SessionQuery(THOUSAND, sort="finished_at"))
        assert "sorted by Finished (UTC) ↑" in status(screen)

        await pilot.press("minus")
        table = await wait_for_paged(pilot)
        expected = first_sessions(
            browse_database, SessionQuery(THOUSAND, sort="finished_at", descending=True)
        )
        assert ids(table) == expected
        assert ids(table)[:3] == [1000, 990, 980]  # the exact reverse: unfinished (no finish time) first

        # A click on the Score header sorts by the final score; a second click reverses it.
        x = sum(column.get_render_width(table) for column in table.ordered_columns[:6]) + 2
        await pilot.click("#sessions", offset=(x, 0))
        table = await wait_for_paged(pilot)
        by_score = SessionQuery(THOUSAND, sort="final_score")
        assert ids(table) == first_sessions(browse_database, by_score)
        assert str(table.ordered_columns[6].label) == "Score ▲"
        await pilot.click("#sessions", offset=(x, 0))
        table = await wait_for_paged(pilot)
        assert ids(table) == first_sessions(
            browse_database, SessionQuery(THOUSAND, sort="final_score", descending=True)
        )
        assert str(table.ordered_columns[6].label) == "Score ▼"

        # Sorting keeps paging right: the last rows are the query's last rows.
        await pilot.press("end")
        table = await wait_for_paged(pilot)
        assert ids(table)[-100:] == last_sessions(
            browse_database, SessionQuery(THOUSAND, sort="final_score", descending=True)
        )
        assert table.position == SESSIONS - 1
        assert query.sort == "started_at"


@run_async
async def test_status_and_participant_filters(browse_database) -> None:
    app = MuscleApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot)
        screen.query_one("#session-status", Select).value = "unfinished"
        table = await wait_for_paged(pilot, showing=lambda source: source.query.status == "unfinished")
        unfinished = SessionQuery(THOUSAND, status="unfinished")
        with browse_database.snapshot() as snap:
            assert table.total == count_sessions(snap, unfinished) == SESSIONS // 10
        assert ids(table) == first_sessions(browse_database, unfinished)
        assert all(row.finished_at is None for row in table.window)
        assert "unfinished only" in status(screen)

        await pilot.click("#session-text")
        await pilot.press(*"p00")  # any case: participant_id_url P0001 … P0099
        table = await wait_for_paged(pilot, showing=lambda source: source.query.participant_text == "p00")
        both = SessionQuery(THOUSAND, status="unfinished", participant_text="p00")
        assert ids(table) == first_sessions(browse_database, both) == [10, 20, 40, 50, 70, 80]
        assert table.total == 6
        assert "participant contains 'p00'" in status(screen)

        screen.query_one("#session-status", Select).value = "all"
        table = await wait_for_paged(pilot, showing=lambda source: source.query.status == "all")
        text_only = SessionQuery(THOUSAND, participant_text="p00")
        assert ids(table) == first_sessions(browse_database, text_only)

        screen.query_one("#session-text", Input).value = "no such participant"
        table = await wait_for_paged(
            pilot, showing=lambda source: source.query.participant_text == "no such participant"
        )
        assert table.total == 0 and table.row_count == 0
        assert status(screen) == "No session matches the filters."


@run_async
async def test_end_reaches_the_last_of_1000_sessions_and_home_returns(browse_database) -> None:
    app = MuscleApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot)
        table = screen.query_one("#sessions", PagedTable)
        assert table.row_count == 100 and table.total == SESSIONS

        await pilot.press("end")
        table = await wait_for_paged(pilot)
        assert table.cursor_item.id == SESSIONS
        assert table.position == SESSIONS - 1
        assert status(screen).startswith(f"session {SESSIONS:,} of {SESSIONS:,}")
        assert table.row_count <= table.max_rows

        # Up through a page boundary: the previous page joins the window, in order.
        for _ in range(6):
            await pilot.press("pageup")
            table = await wait_for_paged(pilot)
        assert ids(table) == list(range(ids(table)[0], ids(table)[0] + table.row_count))
        assert table.position == table.cursor_item.id - 1

        await pilot.press("home")
        table = await wait_for_paged(pilot)
        assert table.cursor_item.id == 1 and table.position == 0
        assert status(screen).startswith(f"session 1 of {SESSIONS:,}")

        # Down through several pages: the window slides and never holds more than its pages.
        for _ in range(20):
            await pilot.press("pagedown")
            table = await wait_for_paged(pilot)
        assert table.row_count <= table.max_rows
        assert ids(table) == list(range(ids(table)[0], ids(table)[0] + table.row_count))
        assert table.position == table.cursor_item.id - 1 > 300
        await pilot.press("down")
        await wait_for_paged(pilot)
        assert table.position == table.cursor_item.id - 1


@run_async
async def test_markup_in_values_is_shown_literally(browse_database) -> None:
    app = RecordingApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot)
        table = screen.query_one("#sessions", PagedTable)
        row = table.get_row(str(MARKUP_PARTICIPANT))
        assert row[2].plain == MARKUP_URL and not row[2].spans

        await pilot.click("#session-text")
        await pilot.press(*"[bold", "enter")
        table = await wait_for_paged(pilot)
        assert app.focused is table
        assert ids(table) == [MARKUP_PARTICIPANT]
        assert "participant contains '[bold'" in status(screen)

        await pilot.press("p")
        participants = await wait_for_paged(pilot, "#participants")
        row = participants.get_row(str(MARKUP_PARTICIPANT))
        assert row[1].plain == MARKUP_URL

        await pilot.press("f")
        text = await wait_for_feedback(pilot)
        assert "first [b]not bold[/b]\nsecond" in text
        assert not app.notes


@run_async
async def test_session_screen_from_a_filtered_block(browse_database) -> None:
    app = MuscleApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_block(pilot)
        await pilot.click("#session-text")
        await pilot.press(*"P0004", "enter")
        table = await wait_for_paged(pilot)
        assert ids(table) == [4] and app.focused is table
        await pilot.press("enter")
        session = await wait_for_session(pilot)
        assert isinstance(session, SessionScreen) and session.session_id == 4
        await pilot.press("escape")
        await wait_for_screen(pilot, BlockScreen)
        assert screen.query_one("#session-text", Input).value == "P0004"
        assert ids(table) == [4]


@run_async
async def test_blocks_screen_enter_opens_the_highlighted_block(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        await pilot.press("enter")
        blocks = await wait_for_rows(pilot, BlocksScreen)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BlockScreen), "the Block screen")
        assert app.screen.block.slug == str(blocks.coordinate_to_cell_key((1, 0)).row_key.value)
