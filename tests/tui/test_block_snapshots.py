"""What the Block and Session screens look like: SVG snapshots at fixed terminal sizes, on the demo
database (fixed data; times in UTC, none relative to now).

Update them with `pytest tests/tui/test_block_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

from textual.pilot import Pilot

from muscle_tui.app import MuscleApp
from muscle_tui.widgets.json_tree import JsonTree
from tests.support.block_ui import (
    open_block,
    wait_for_feedback,
    wait_for_overview,
    wait_for_paged,
    wait_for_session,
)
from tests.support.tui import wait_until

SIZE = (120, 36)
SMALL = (80, 24)
EMPTY_BLOCK_ROW = 4  # musical-preferences: no sessions yet


def snapshot(snap_compare, demo_database, run_before, size=SIZE) -> bool:
    return snap_compare(MuscleApp(database=demo_database), terminal_size=size, run_before=run_before)


def test_block_sessions_tab(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_block(pilot)
        await pilot.press("down", "down")
        await wait_for_paged(pilot)

    assert snapshot(snap_compare, demo_database, run_before)


def test_block_sessions_tab_at_80x24(snap_compare, demo_database) -> None:
    assert snapshot(snap_compare, demo_database, open_block, SMALL)


def test_block_participants_tab(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_block(pilot)
        await pilot.press("p")
        await wait_for_paged(pilot, "#participants")

    assert snapshot(snap_compare, demo_database, run_before)


def test_block_feedback_tab(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_block(pilot)
        await pilot.press("f")
        await wait_for_feedback(pilot)

    assert snapshot(snap_compare, demo_database, run_before)


def test_block_overview_tab(snap_compare, demo_database) -> None:
    # The empty block: its figures and "No sessions." lines. The demo blocks' plots are not drawn the
    # same way in every run yet (plotext's date ticks), so they are left to tests/tui/test_overview.py.
    async def run_before(pilot: Pilot) -> None:
        await open_block(pilot, block_row=EMPTY_BLOCK_ROW)
        await pilot.press("o")
        await wait_for_overview(pilot)
        await pilot.pause()

    assert snapshot(snap_compare, demo_database, run_before)


def test_empty_block(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_block(pilot, block_row=EMPTY_BLOCK_ROW)

    assert snapshot(snap_compare, demo_database, run_before)


def test_session_screen(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_block(pilot)
        await pilot.press(*["down"] * 9, "enter")  # session 339: a participant_id_url, profile answers
        await wait_for_session(pilot)
        await pilot.press("down", "down")
        tree = pilot.app.screen.query_one("#result-json", JsonTree)
        await wait_until(pilot, lambda: "(#3)" in tree.root.label.plain, "the third result's json_data")

    assert snapshot(snap_compare, demo_database, run_before)


def test_session_screen_at_80x24(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_block(pilot)
        await pilot.press(*["down"] * 3, "enter")  # session 382: profile answers
        await wait_for_session(pilot)

    assert snapshot(snap_compare, demo_database, run_before, SMALL)
