"""Helpers for the Block and Session screen tests (no tests here): opening a block, and waiting
until a paged table, a tab or the Session screen has shown what it fetched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from muscle_tui.screens.block import BlockScreen
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.session import SessionScreen
from muscle_tui.widgets.json_tree import JsonTree
from muscle_tui.widgets.overview import OverviewPane
from muscle_tui.widgets.paged_table import PagedTable
from tests.support.tui import table_settled, wait_for_rows, wait_until


def paged_settled(table: PagedTable) -> bool:
    """Whether `table` fetched and counted everything it asked for, and measured its rows."""
    return not table.busy and table.error is None and table_settled(table)


async def wait_for_paged(
    pilot: Pilot, selector: str = "#sessions", showing: Callable[[Any], bool] | None = None
) -> PagedTable:
    """Wait until the Block screen's paged table `selector` has settled (on a source for which
    `showing` is true, when given: a change just made may not have reached the table yet)."""

    def settled() -> bool:
        screen = pilot.app.screen
        if not isinstance(screen, BlockScreen):
            return False
        table = screen.query_one(selector, PagedTable)
        if showing is not None and (table.source is None or not showing(table.source)):
            return False
        return paged_settled(table)

    try:
        await wait_until(pilot, settled, f"the table {selector}")
    except AssertionError:
        raise AssertionError(
            f"the table {selector} did not settle: {describe_state(pilot, selector)}"
        ) from None
    return pilot.app.screen.query_one(selector, PagedTable)


def describe_state(pilot: Pilot, selector: str = "#sessions") -> str:
    """What a paged table is doing (for a failed wait)."""
    screen = pilot.app.screen
    if not isinstance(screen, BlockScreen):
        return f"the active screen is {screen!r}"
    table = screen.query_one(selector, PagedTable)
    return (
        f"fetching={table.fetching} total={table.total} error={table.error} rows={table.row_count} "
        f"dimensions={table._require_update_dimensions} cells={len(table._updated_cells)} "
        f"new={len(table._new_rows)}"
    )


async def open_block(pilot: Pilot, experiment_row: int = 0, block_row: int = 0) -> BlockScreen:
    """From the Experiments screen: open an experiment, then a block; wait for its sessions."""
    await wait_for_rows(pilot, ExperimentsScreen)
    await pilot.press(*["down"] * experiment_row, "enter")
    await wait_for_rows(pilot, BlocksScreen)
    await pilot.press(*["down"] * block_row, "enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, BlockScreen), "the Block screen")
    await wait_for_paged(pilot)
    return pilot.app.screen


def session_shown(screen: SessionScreen) -> bool:
    """Whether the Session screen shows its session (tables measured, trees filled)."""
    if screen.detail is None:
        return False
    results = screen.query_one("#results", DataTable)
    profile = screen.query_one("#profile", DataTable)
    trees = screen.query(JsonTree)
    return (
        results.row_count == len(screen.detail.results)
        and table_settled(results)
        and (table_settled(profile) or not profile.display)
        and all(tree.shown or not tree.display for tree in trees)
    )


async def wait_for_session(pilot: Pilot) -> SessionScreen:
    """Wait until the Session screen is active and shows its session."""
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, SessionScreen) and session_shown(pilot.app.screen),
        "the Session screen",
    )
    return pilot.app.screen


async def wait_for_feedback(pilot: Pilot) -> str:
    """Wait until the Feedback tab shows what it read; returns its text."""

    def shown() -> bool:
        return str(pilot.app.screen.query_one("#feedback", Static).render()) != "Loading…"

    await wait_until(pilot, shown, "the feedback")
    return str(pilot.app.screen.query_one("#feedback", Static).render())


async def wait_for_overview(pilot: Pilot) -> OverviewPane:
    """Wait until the Overview tab shows the block's figures."""
    await wait_until(pilot, lambda: pilot.app.screen.query_one(OverviewPane).ready, "the overview")
    return pilot.app.screen.query_one(OverviewPane)
