"""The terminal UI: browsing experiments and blocks, the header, and the error screen."""

from __future__ import annotations

import argparse
import socket

import pytest
from textual.widgets import DataTable, Static

from muscle_tui.app import MuscleApp
from muscle_tui.cli.tui import build_app
from muscle_tui.config import resolve_database
from muscle_tui.db.catalog import NO_EXPERIMENT
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.error import ErrorScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.formatting import format_date
from tests.conftest import DUMPS
from tests.support.fake_pg import RejectingServer
from tests.support.tui import run_async, wait_for_rows, wait_for_screen

PASSWORD = "Sup3rS3cret-pw"
SIZE = (120, 36)


def cells(table: DataTable, key: str) -> list[str]:
    return [str(cell) for cell in table.get_row(key)]


@run_async
async def test_browse_experiments_then_blocks_and_back(demo_target, demo_database) -> None:
    app = MuscleApp(target=demo_target)
    async with app.run_test(size=SIZE) as pilot:
        table = await wait_for_rows(pilot, ExperimentsScreen)
        experiments = demo_database.experiments()
        assert table.row_count == len(experiments) >= 2
        first = experiments[0]
        assert cells(table, first.slug) == [
            first.name,
            first.slug,
            "yes" if first.active else "no",
            f"{first.blocks:,}",
            f"{first.sessions:,}",
            f"{first.participants:,}",
        ]

        await pilot.press("down", "enter")
        table = await wait_for_rows(pilot, BlocksScreen)
        second = experiments[1]
        assert app.screen.experiment == second
        blocks = demo_database.blocks(second.id)
        assert [str(key.value) for key in table.rows] == [b.slug for b in blocks]
        block = blocks[0]
        assert cells(table, block.slug) == [
            str(block.phase_index),
            str(block.index),
            block.name,
            block.slug,
            f"{block.finished_sessions:,} / {block.sessions:,}",
            f"{block.participants:,}",
            f"{block.results:,}",
            format_date(block.first_session),
            format_date(block.last_session),
            block.rules,
        ]
        assert block.slug in str(app.screen.query_one("#details", Static).render())

        await pilot.press("escape")
        await wait_for_screen(pilot, ExperimentsScreen)
        assert app.screen.query_one(DataTable).cursor_row == 1

        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert app.error is None


@run_async
async def test_header_marks_the_demo(demo_target) -> None:
    app = MuscleApp(target=demo_target)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        assert app.title == "muscle-tui"
        assert app.sub_title == "demo database (built-in sample data)"


@pytest.mark.postgres
@run_async
async def test_header_names_a_postgres_database_without_its_password(sample2026_url) -> None:
    url = sample2026_url.set(password=PASSWORD).render_as_string(hide_password=False)
    app = MuscleApp(target=resolve_database(db=url, environ={}))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        assert app.sub_title == f"postgres@127.0.0.1:5432/{sample2026_url.database}"
        assert PASSWORD not in app.sub_title


@pytest.mark.postgres
@run_async
async def test_blocks_without_an_experiment_are_listed_under_their_own_row(pg) -> None:
    url = pg.create("tui_orphans")
    pg.psql(url, "-f", str(DUMPS["sample2026"]))
    pg.psql(url, "-c", "UPDATE experiment_block SET phase_id = NULL WHERE slug = 'block-c-empty'")
    database = MuscleDatabase.open(url, "orphans")
    try:
        app = MuscleApp(database=database)
        async with app.run_test(size=SIZE) as pilot:
            table = await wait_for_rows(pilot, ExperimentsScreen)
            assert [cells(table, key.value)[0] for key in table.rows][-1] == NO_EXPERIMENT
            table.move_cursor(row=table.row_count - 1)
            await pilot.press("enter")
            table = await wait_for_rows(pilot, BlocksScreen)
            assert app.screen.experiment.id is None
            assert [str(key.value) for key in table.rows] == ["block-c-empty"]
    finally:
        database.close()


async def show_error(args: argparse.Namespace) -> tuple[str, int]:
    """Run the app the options give until its error screen shows; returns its text and exit status."""
    app = build_app(args)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ErrorScreen)
        text = str(app.screen.query_one("#error-text", Static).render())
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 1
    return text, app.return_code


def assert_one_clear_line(text: str, expected: str) -> None:
    assert expected in text
    assert "\n" not in text
    assert PASSWORD not in text
    assert "Traceback" not in text


@pytest.mark.postgres
@run_async
async def test_missing_database_shows_the_error_screen(pg) -> None:
    url = pg.admin.set(database="mtui_no_such_database", password=PASSWORD)
    text, _ = await show_error(argparse.Namespace(db=url.render_as_string(hide_password=False)))
    assert_one_clear_line(text, "does not exist")


@pytest.mark.postgres
@run_async
async def test_a_database_that_is_not_muscles_shows_the_error_screen(pg) -> None:
    url = pg.admin.set(password=PASSWORD)
    text, _ = await show_error(argparse.Namespace(db=url.render_as_string(hide_password=False)))
    assert_one_clear_line(text, "MUSCLE")


@run_async
async def test_malformed_url_shows_the_error_screen() -> None:
    text, _ = await show_error(argparse.Namespace(db=f"postgresql://aml:{PASSWORD}@host:notaport/muscle"))
    assert_one_clear_line(text, "--db is not a database URL")


@run_async
async def test_wrong_password_shows_the_error_screen() -> None:
    server = RejectingServer()
    try:
        text, _ = await show_error(
            argparse.Namespace(db=f"postgresql://aml:{PASSWORD}@127.0.0.1:{server.port}/muscle")
        )
    finally:
        server.close()
    assert_one_clear_line(text, "password authentication failed")


@run_async
async def test_unreachable_server_shows_the_error_screen() -> None:
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        text, _ = await show_error(
            argparse.Namespace(db=f"postgresql://aml:{PASSWORD}@127.0.0.1:{port}/muscle")
        )
    assert_one_clear_line(text, "refused")


@run_async
async def test_escape_also_leaves_the_error_screen_with_status_1() -> None:
    app = MuscleApp(error="no SQLite database at /nowhere.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ErrorScreen)
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 1
