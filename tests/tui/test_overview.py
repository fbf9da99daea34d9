"""The Overview pane on its own (the Block screen's `o` tab hosts it): what it shows for the demo's
figures at 80×24 and 160×50, for no session and for one, while loading and after an error, and
that text from the database (a country code) is shown literally.

Update the pictures with `pytest tests/tui/test_overview.py --snapshot-update`, then look at them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static

from muscle_tui.db.filters import SessionFilter
from muscle_tui.db.stats import BlockStats, CountryCount, DayCount, block_stats
from muscle_tui.widgets.overview import LOADING, Chart, OverviewPane
from tests.support.tui import run_async, wait_until

NARROW = (80, 24)
WIDE = (160, 50)
BLOCK = "rhythm-discrimination"


class OverviewApp(App[None]):
    """Hosts one OverviewPane, handing it `stats` (or `error`) once mounted, as the Block screen does
    when its worker is done."""

    def __init__(self, stats: BlockStats | None = None, error: str | None = None) -> None:
        super().__init__()
        self.stats = stats
        self.error = error

    def compose(self) -> ComposeResult:
        yield OverviewPane()

    def on_mount(self) -> None:
        pane = self.query_one(OverviewPane)
        if self.stats is not None:
            pane.show_stats(self.stats)
        elif self.error is not None:
            pane.show_error(self.error)


def demo_block_stats(database, filters: SessionFilter | None = None) -> BlockStats:
    with database.snapshot() as snap:
        return block_stats(snap, BLOCK, filters) if filters else block_stats(snap, BLOCK)


@pytest.fixture(scope="module")
def demo_stats(demo_database) -> BlockStats:
    return demo_block_stats(demo_database)


def first_finished_session_only(demo_path: Path) -> SessionFilter:
    """A filter choosing the block's first finished session: started from it, before the next one."""
    with sqlite3.connect(demo_path) as conn:
        rows = conn.execute(
            "SELECT s.started_at, s.finished_at FROM session_session s "
            "JOIN experiment_block b ON b.id = s.block_id WHERE b.slug = ? ORDER BY s.started_at",
            (BLOCK,),
        ).fetchall()
    first = next(i for i, (_, finished_at) in enumerate(rows) if finished_at is not None)
    after, before = (rows[i][0].replace(" ", "T") + "+00:00" for i in (first, first + 1))
    return SessionFilter(started_after=after, started_before=before)


@pytest.fixture(scope="module")
def one_session_stats(demo_database, demo_path) -> BlockStats:
    stats = demo_block_stats(demo_database, first_finished_session_only(demo_path))
    assert (stats.sessions, stats.finished) == (1, 1)
    return stats


@pytest.fixture(scope="module")
def no_session_stats(demo_database) -> BlockStats:
    stats = demo_block_stats(demo_database, SessionFilter(started_before="2000-01-01"))
    assert stats.sessions == 0
    return stats


async def wait_for_overview(pilot: Pilot) -> None:
    """Until the pane shows its figures, laid out for the terminal's width."""
    pane = pilot.app.query_one(OverviewPane)
    await wait_until(pilot, lambda: pane.ready and pane.size.width > 0, "the overview's figures")
    await pilot.pause()


def test_overview_of_the_demo_at_80x24(snap_compare, demo_stats) -> None:
    assert snap_compare(OverviewApp(demo_stats), terminal_size=NARROW, run_before=wait_for_overview)


def test_overview_of_the_demo_at_160x50(snap_compare, demo_stats) -> None:
    assert snap_compare(OverviewApp(demo_stats), terminal_size=WIDE, run_before=wait_for_overview)


def test_overview_of_one_session_at_160x50(snap_compare, one_session_stats) -> None:
    assert snap_compare(OverviewApp(one_session_stats), terminal_size=WIDE, run_before=wait_for_overview)


def test_overview_of_one_session_at_80x24(snap_compare, one_session_stats) -> None:
    async def run_before(pilot: Pilot) -> None:
        await wait_for_overview(pilot)
        body = pilot.app.query_one("#overview-body")
        body.scroll_to_widget(body.query_one("#overview-final-score"), animate=False, top=True)
        await pilot.pause()

    assert snap_compare(OverviewApp(one_session_stats), terminal_size=NARROW, run_before=run_before)


def test_overview_of_no_sessions_at_80x24(snap_compare, no_session_stats) -> None:
    assert snap_compare(OverviewApp(no_session_stats), terminal_size=NARROW, run_before=wait_for_overview)


def status_line(app: App) -> str:
    status = app.query_one("#overview-status", Static)
    return str(status.render()) if status.display else ""


@run_async
async def test_loading_then_figures_then_an_error_then_loading_again(demo_stats) -> None:
    app = OverviewApp()
    async with app.run_test(size=NARROW) as pilot:
        pane = app.query_one(OverviewPane)
        await pilot.pause()
        assert status_line(app) == LOADING
        assert not pane.query_one("#overview-body").display

        pane.show_stats(demo_stats)
        await wait_for_overview(pilot)
        assert status_line(app) == ""
        assert pane.query_one("#overview-body").display
        assert not pane.has_class("-wide")  # 80 columns: one column of plots

        pane.show_error("statistics failed: canceling statement due to \x1b[31mlock[/] timeout\n")
        await pilot.pause()
        assert not pane.ready
        assert status_line(app) == "statistics failed: canceling statement due to \\x1b[31mlock[/] timeout "
        assert pane.query_one("#overview-status").has_class("-error")
        assert not pane.query_one("#overview-body").display

        pane.show_loading()
        await pilot.pause()
        assert status_line(app) == LOADING
        assert not pane.query_one("#overview-status").has_class("-error")


@run_async
async def test_country_codes_show_literally(demo_stats) -> None:
    countries = [CountryCount("[red]x", 7), CountryCount("\x1b[31mzz", 3), CountryCount("", 2)]
    stats = replace(demo_stats, countries=countries)
    app = OverviewApp(stats)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot)
        assert app.query_one(OverviewPane).has_class("-wide")  # 160 columns: plots side by side
        chart = app.query_one("#overview-countries-chart", Chart)
        shown = chart.render().plain
        assert "[red]x" in shown
        assert "\\x1b[31mzz" in shown and "\x1b" not in shown
        assert "unknown" in shown


@run_async
async def test_a_block_spanning_years_is_plotted_per_month(demo_stats) -> None:
    days = [DayCount(date(2023, 1, 5), 4, 3), DayCount(date(2025, 6, 1), 2, 2)]
    app = OverviewApp(replace(demo_stats, sessions_per_day=days))
    async with app.run_test(size=WIDE) as pilot:
        await wait_for_overview(pilot)
        card = app.query_one("#overview-sessions")
        assert card.border_title == "Sessions per month"
        shown = app.query_one("#overview-sessions-chart", Chart).render().plain
        assert "2023-01" in shown and "2025-06" in shown
