"""Benchmark the Block and Session screens in a headless app (Textual's App.run_test).

    python bench/bench_block_screen.py [--db URL] [--block bench] [--repeat 5] [--size 120x36]

On the Blocks screen of the block's experiment, each round times:

- open: Enter on the block → the Sessions tab's table draws its first sessions;
- end: End → the table draws the block's last session (fetched by keyset with `last=True`);
- session: Enter on a session with the most results among the first page (100 on
  bench_10000x100) → the Session screen draws its results table (all of them) and the trees;

then Escape twice back to the Blocks screen. "Draws" is the moment the widget renders its lines
with the rows in it (the compositor then writes them to the terminal). Times include the pilot's
key handling, so they are what a user waits for, or a little more. Prints each round and the
median; targets: open ≤ 300 ms, end ≤ 300 ms, session ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.widgets import DataTable

from muscle_tui.app import MuscleApp
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.screens.block import BlockScreen
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.session import SessionScreen
from muscle_tui.widgets.paged_table import PagedTable

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/bench_10000x100"
TARGETS_MS = {"open": 300, "end": 300, "session": 200}
TIMEOUT_SECONDS = 30.0

_drawn: list[tuple[DataTable, int, int, float]] = []  # (table, rows, cursor row, when) at each render


def _record_draws() -> None:
    """Every DataTable notes when it renders lines, with its rows and cursor row then."""
    real = DataTable.render_lines

    def render_lines(self, crop):  # type: ignore[no-untyped-def]
        lines = real(self, crop)
        _drawn.append((self, self.row_count, self.cursor_row, time.perf_counter()))
        return lines

    DataTable.render_lines = render_lines  # type: ignore[method-assign]


async def _until(pilot, condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)


def _drawn_since(start: float, test: Callable[[DataTable, int, int], bool]) -> float | None:
    """When a table first rendered, after `start`, in a state that passes `test(table, rows, cursor)`."""
    for table, rows, cursor, when in list(_drawn):
        if when >= start and test(table, rows, cursor):
            return when
    return None


async def _round(pilot, app: MuscleApp, row: int) -> dict[str, float]:
    times: dict[str, float] = {}
    _drawn.clear()
    start = time.perf_counter()
    await pilot.press("enter")
    await _until(pilot, lambda: isinstance(app.screen, BlockScreen), "the Block screen")
    table = app.screen.query_one("#sessions", PagedTable)

    def first_drawn() -> float | None:
        return _drawn_since(start, lambda t, rows, _: t is table and rows > 0)

    await _until(pilot, first_drawn, "the first sessions")
    times["open"] = (first_drawn() or 0) - start
    await _until(pilot, lambda: not table.busy, "the count")

    start = time.perf_counter()
    await pilot.press("end")
    await _until(pilot, lambda: not table.busy and table._tail == 0, "the last page")
    last = table.row_count - 1

    def last_drawn() -> float | None:
        return _drawn_since(start, lambda t, rows, cursor: t is table and rows == last + 1 and cursor == last)

    await _until(pilot, last_drawn, "the last row")
    assert table.position == table.total - 1 if table.total else True
    times["end"] = (last_drawn() or 0) - start

    await pilot.press("home")
    await _until(pilot, lambda: not table.busy and table.position == 0, "the first row")
    best = max(range(len(table.window)), key=lambda i: table.window[i].results)
    await pilot.press(*["down"] * best)
    await _until(pilot, lambda: table.cursor_row == best, "the cursor")
    results = table.window[best].results
    start = time.perf_counter()
    await pilot.press("enter")
    await _until(pilot, lambda: isinstance(app.screen, SessionScreen), "the Session screen")

    def results_drawn() -> float | None:
        return _drawn_since(start, lambda t, rows, _: t.id == "results" and rows == results > 0)

    await _until(pilot, results_drawn, "the results")
    times["session"] = (results_drawn() or 0) - start
    times["results"] = results
    await pilot.press("escape")
    await _until(pilot, lambda: isinstance(app.screen, BlockScreen), "the Block screen")
    await pilot.press("escape")
    await _until(pilot, lambda: isinstance(app.screen, BlocksScreen), "the Blocks screen")
    await pilot.press(*["up"] * 50, *["down"] * row)
    return times


async def run(url: str, block: str, repeat: int, size: tuple[int, int]) -> list[dict[str, float]]:
    """`repeat` rounds on one app; returns each round's times (seconds)."""
    _record_draws()
    address = make_url(url)
    if address.drivername == "postgresql":
        address = address.set(drivername="postgresql+psycopg2")
    database = MuscleDatabase.open(address, "bench")
    try:
        summary = database.block(block)
        experiments = database.experiments()
        experiment_row = next(i for i, e in enumerate(experiments) if e.slug == summary.experiment_slug)
        blocks = database.blocks(experiments[experiment_row].id)
        row = next(i for i, b in enumerate(blocks) if b.slug == block)
        app = MuscleApp(database=database)
        rounds = []
        async with app.run_test(size=size) as pilot:
            await _until(pilot, lambda: isinstance(app.screen, ExperimentsScreen), "the Experiments screen")
            await _until(pilot, lambda: app.screen.query_one(DataTable).row_count > 0, "experiments")
            await pilot.press(*["down"] * experiment_row, "enter")
            await _until(pilot, lambda: isinstance(app.screen, BlocksScreen), "the Blocks screen")
            await _until(pilot, lambda: app.screen.query_one(DataTable).row_count > 0, "blocks")
            await pilot.press(*["down"] * row)
            for _ in range(repeat):
                rounds.append(await _round(pilot, app, row))
        return rounds
    finally:
        database.close()


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print the times."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", default=os.environ.get("MUSCLE_TUI_BENCH_DB", DEFAULT_DB), help="database URL"
    )
    parser.add_argument("--block", default="bench", help="block slug (default: bench)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default: 5)")
    parser.add_argument("--size", default="120x36", help="terminal size, COLUMNSxROWS (default: 120x36)")
    args = parser.parse_args(argv)
    columns, rows = (int(part) for part in args.size.split("x"))
    rounds = asyncio.run(run(args.db, args.block, args.repeat, (columns, rows)))
    for number, times in enumerate(rounds, start=1):
        print(
            f"round {number}: open {times['open'] * 1000:6.1f} ms · end {times['end'] * 1000:6.1f} ms · "
            f"session ({int(times['results'])} results) {times['session'] * 1000:6.1f} ms"
        )
    for name, target in TARGETS_MS.items():
        values = sorted(times[name] * 1000 for times in rounds)
        median = statistics.median(values)
        verdict = "ok" if median <= target else "OVER"
        spread = f"min {values[0]:6.1f}  max {values[-1]:6.1f}"
        print(f"{name:8} median {median:6.1f} ms  {spread}  target {target} ms {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
