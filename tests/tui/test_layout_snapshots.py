"""Layouts that use the terminal: columns fit the width (numbers never cut, names take the room that
is left, optional columns make way on a narrow terminal), at 80×24 and 200×50, and a filtered table.

The arithmetic (`fit_columns`) is tested alone; the screens on the demo database, by pilot and by
SVG snapshot. Update the snapshots with `pytest tests/tui/test_layout_snapshots.py --snapshot-update`,
then look at the SVGs.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable

from muscle_tui.app import MuscleApp
from muscle_tui.screens.blocks import BLOCK_COLUMNS, BlocksScreen
from muscle_tui.screens.experiments import EXPERIMENT_COLUMNS, ExperimentsScreen
from muscle_tui.widgets.fit_columns import FitColumn, cell_width, fit_columns
from muscle_tui.widgets.fitted_table import FittedTable
from tests.support.block_ui import open_block, wait_for_paged
from tests.support.tui import run_async, table_settled, wait_for_rows, wait_until

SMALL = (80, 24)
LARGE = (200, 50)
NAME = FitColumn("name", grow=2, minimum=8)
SLUG = FitColumn("slug", grow=1, minimum=8)
COUNT = FitColumn("count")
RULES = FitColumn("rules", grow=1, drop=1)


# -- the arithmetic ----------------------------------------------------------------------------------


def test_numbers_keep_their_width_and_names_take_most_of_the_rest() -> None:
    fit = fit_columns([NAME, SLUG, COUNT], {"name": 40, "slug": 20, "count": 5}, room=50)
    assert fit.keys == ("name", "slug", "count")
    assert fit.widths["count"] == 5
    assert fit.widths["name"] > fit.widths["slug"] >= SLUG.minimum
    assert sum(fit.widths.values()) + 2 * 3 == 50, "the room is used up"


def test_a_wide_table_gives_every_column_what_it_wants_and_no_more() -> None:
    wanted = {"name": 40, "slug": 20, "count": 5, "rules": 12}
    fit = fit_columns([NAME, SLUG, COUNT, RULES], wanted, room=200)
    assert fit.widths == wanted


def test_a_narrow_table_drops_optional_columns_first_and_never_cuts_numbers() -> None:
    wanted = {"name": 40, "slug": 20, "count": 5, "rules": 12}
    first = FitColumn("first", drop=2)
    columns, wanted = [NAME, SLUG, COUNT, first, RULES], {**wanted, "first": 10}
    assert fit_columns(columns, wanted, room=60).keys == ("name", "slug", "count", "first", "rules")
    assert fit_columns(columns, wanted, room=40).keys == ("name", "slug", "count", "rules"), (
        "highest drop first"
    )
    assert fit_columns(columns, wanted, room=30).keys == ("name", "slug", "count")
    fit = fit_columns([NAME, SLUG, COUNT], wanted, room=10)
    assert fit.widths == {"name": 8, "slug": 8, "count": 5}, "too narrow: the table scrolls sideways"


def test_a_column_of_unknown_width_takes_the_room_up_to_its_maximum() -> None:
    url = FitColumn("url", grow=1, minimum=10, maximum=32)
    access = FitColumn("access", grow=1, minimum=10)
    assert fit_columns([COUNT, url], {"count": 8, "url": None}, room=100).widths["url"] == 32
    fit = fit_columns([COUNT, url, access], {"count": 8, "url": None, "access": None}, room=100)
    assert fit.widths["url"] == 32 and fit.widths["access"] == 100 - 8 - 32 - 6


# -- the screens -------------------------------------------------------------------------------------


def assert_fits(table: FittedTable) -> None:
    """Every column shown is at least as wide as its numbers and dates; the columns fit the table."""
    shown = [column for column in table.table_columns if column.key in table.shown_keys]
    for column in shown:
        if column.fit.grow:
            continue
        cells = table.get_column(column.key)
        widest = max([cell_width(cell) for cell in cells], default=0)
        assert table.columns[column.key].width >= widest, f"{column.label} is cut"
    widths = sum(table.columns[column.key].get_render_width(table) for column in shown)
    assert widths <= table.size.width, "the columns fit the table: no sideways scrolling"


async def wait_for_columns(pilot: Pilot, table: FittedTable, keys: tuple[str, ...]) -> None:
    await wait_until(pilot, lambda: table.shown_keys == keys and table_settled(table), f"the columns {keys}")


@run_async
async def test_columns_follow_the_width_of_the_terminal(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SMALL) as pilot:
        experiments = await wait_for_rows(pilot, ExperimentsScreen)
        assert isinstance(experiments, FittedTable)
        assert experiments.shown_keys == tuple(column.key for column in EXPERIMENT_COLUMNS)
        assert_fits(experiments)

        await pilot.press("enter")
        blocks = await wait_for_rows(pilot, BlocksScreen)
        assert isinstance(blocks, FittedTable)
        assert blocks.shown_keys == ("phase", "index", "name", "slug", "sessions", "participants", "results")
        assert_fits(blocks)

        await pilot.resize_terminal(*LARGE)
        every = tuple(column.key for column in BLOCK_COLUMNS)
        await wait_for_columns(pilot, blocks, every)
        assert_fits(blocks)
        name = blocks.columns["name"]
        assert name.width == max(cell_width(cell) for cell in blocks.get_column("name")), "names whole"

        await pilot.resize_terminal(*SMALL)
        await wait_for_columns(pilot, blocks, every[:7])
        assert_fits(blocks)


# -- snapshots -------------------------------------------------------------------------------------


def snapshot(snap_compare, demo_database, run_before, size) -> bool:
    return snap_compare(MuscleApp(database=demo_database), terminal_size=size, run_before=run_before)


async def show_experiments(pilot: Pilot) -> None:
    await wait_for_rows(pilot, ExperimentsScreen)


async def show_blocks(pilot: Pilot) -> None:
    await wait_for_rows(pilot, ExperimentsScreen)
    await pilot.press("enter")
    await wait_for_rows(pilot, BlocksScreen)


def test_experiments_at_80x24(snap_compare, demo_database) -> None:
    assert snapshot(snap_compare, demo_database, show_experiments, SMALL)


def test_experiments_at_200x50(snap_compare, demo_database) -> None:
    assert snapshot(snap_compare, demo_database, show_experiments, LARGE)


def test_blocks_at_80x24(snap_compare, demo_database) -> None:
    assert snapshot(snap_compare, demo_database, show_blocks, SMALL)


def test_blocks_at_200x50(snap_compare, demo_database) -> None:
    assert snapshot(snap_compare, demo_database, show_blocks, LARGE)


def test_filtered_blocks_at_80x24(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await show_blocks(pilot)
        await pilot.press("slash", *"rhy", "enter")  # Enter: back to the table, the filter kept
        table = pilot.app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 2 and table_settled(table), "the filtered blocks")

    assert snapshot(snap_compare, demo_database, run_before, SMALL)


def test_block_sessions_at_200x50(snap_compare, demo_database) -> None:
    assert snapshot(snap_compare, demo_database, open_block, LARGE)


def test_block_participants_at_80x24(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_block(pilot)
        await pilot.press("p")
        await wait_for_paged(pilot, "#participants")

    assert snapshot(snap_compare, demo_database, run_before, SMALL)
