"""Time the CSV form's preview on a large block: the first preview, and a redraw after a selection change.

    python bench/bench_preview.py [--db postgresql://postgres@127.0.0.1:5432/bench_10000x100]
                                  [--block bench] [--repeat 7] [--no-engine] [--no-tui] [--explain]

Engine (`preview_csv`, 20 rows, as the form asks): for MUSCLE's `wide`, `long`, `long_profile` and
MUSCLE 2026's layout,
- *first*: a preview without facts (what the form's first preview of a block, or of new filters,
  costs: the block's counts and keys are learned);
- *redraw*: a preview of a changed selection (a field unticked, Excel-safe ticked; for MUSCLE 2026,
  Excel-safe) with the facts the first one returned (what every later change of the form costs);
- *switch*: a preview of another template with the facts learned under `wide`.

TUI (`App.run_test`, 120×40, the form pushed on the block): from pushing the form until its preview
is shown (*first*), and from unticking/ticking *Result comment* until the preview of the new
selection is on screen (*redraw*; it includes the form's 20 ms gathering of a template's ticks).

Each figure is the median (and the slowest) of --repeat runs. Targets on 1,000,000 results: first
≤ 1 s, redraw ≤ 150 ms. With --explain, prints PostgreSQL's plans for the cursors the rows are read
from (each must start from an index in the export's order, not sort or scan every result).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable

from sqlalchemy.engine import URL, make_url

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.csv import CsvSelection, find_template, preview_csv

DEFAULT_DB = os.environ.get("MUSCLE_TUI_BENCH_DB", "postgresql://postgres@127.0.0.1:5432/bench_10000x100")
BLOCK_SLUG = "bench"
ROWS = 20
TEMPLATES = ("wide", "long", "long_profile", "muscle_2026")
TUI_RUNS = 3  # apps started; each redraws --repeat times
FIRST_TARGET = 1.0
REDRAW_TARGET = 0.150


def _driver_url(text: str) -> URL:
    url = make_url(text)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url


def changed(selection: CsvSelection) -> CsvSelection:
    """The selection after a click or two in the form: a result field less, Excel-safe on."""
    fields = tuple(field for field in selection.result_fields if field != "result_comment")
    return selection.replace(result_fields=fields, excel_safe=not selection.excel_safe)


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def figure(seconds: list[float], target: float) -> str:
    middle, worst = statistics.median(seconds), max(seconds)
    verdict = "ok" if middle <= target else "OVER"
    return f"{middle * 1000:7.0f} ms (slowest {worst * 1000:5.0f})  {verdict:<4}"


def bench_engine(db: MuscleDatabase, slug: str, repeat: int) -> None:
    print(f"engine: preview_csv, {ROWS} rows, median of {repeat}")
    print(f"  {'template':<13} {'first (no facts)':<34} {'redraw (facts)':<34} rows / columns")
    wide_facts = preview_csv(db, slug, find_template("wide").selection, ROWS).facts
    for name in TEMPLATES:
        selection = find_template(name).selection
        first = [timed(lambda s=selection: preview_csv(db, slug, s, ROWS)) for _ in range(repeat)]
        preview = preview_csv(db, slug, selection, ROWS)
        other = changed(selection)
        redraw = [
            timed(lambda s=s, facts=preview.facts: preview_csv(db, slug, s, ROWS, facts=facts))
            for s in [other, selection] * repeat
        ][:repeat]
        print(
            f"  {name:<13} {figure(first, FIRST_TARGET):<34} {figure(redraw, REDRAW_TARGET):<34} "
            f"{preview.total_rows:,} / {preview.total_columns:,}"
        )
    print("  switch (facts learned under wide):")
    for name in TEMPLATES[1:]:
        selection = find_template(name).selection
        switch = [
            timed(lambda s=selection: preview_csv(db, slug, s, ROWS, facts=wide_facts)) for _ in range(repeat)
        ]
        print(f"    wide → {name:<13} {figure(switch, REDRAW_TARGET)}")


async def tui_run(db: MuscleDatabase, slug: str, repeat: int) -> tuple[list[float], list[float]]:
    """(first, redraw) seconds measured through the app: until the form has shown the preview."""
    from textual.widgets import Checkbox

    from muscle_tui.app import MuscleApp
    from muscle_tui.screens.experiments import ExperimentsScreen
    from muscle_tui.screens.export_csv import ExportCsvScreen

    class TimedForm(ExportCsvScreen):
        """The form, noting when it has shown a preview (after the table was filled)."""

        shown = asyncio.Event()

        def on_csv_preview_pane_shown(self) -> None:
            self.shown.set()

    block = db.block(slug)
    firsts: list[float] = []
    redraws: list[float] = []
    for _ in range(TUI_RUNS):
        app = MuscleApp(database=db)
        async with app.run_test(size=(120, 40)) as pilot:
            while (
                not isinstance(app.screen, ExperimentsScreen) or app.screen.query("DataTable").first().loading
            ):
                await pilot.pause(0.05)  # the catalog's queries are done before anything is timed
            screen = TimedForm(db, block)
            TimedForm.shown.clear()
            started = time.perf_counter()
            app.push_screen(screen)
            await TimedForm.shown.wait()
            firsts.append(time.perf_counter() - started)
            comment = screen.query_one("#csv-result_comment", Checkbox)
            for _ in range(repeat):
                await pilot.pause(0.1)
                TimedForm.shown.clear()
                started = time.perf_counter()
                comment.value = not comment.value
                await TimedForm.shown.wait()
                redraws.append(time.perf_counter() - started)
                assert any("result_comment" in name for name in screen.preview.header) == comment.value
    return firsts, redraws


def bench_tui(db: MuscleDatabase, slug: str, repeat: int) -> None:
    firsts, redraws = asyncio.run(tui_run(db, slug, repeat))
    print(f"TUI: the CSV form on block {slug!r} (template wide), App.run_test at 120x40")
    print(f"  first preview after pushing the form  {figure(firsts, FIRST_TARGET)}  ({len(firsts)} runs)")
    print(f"  redraw after ticking Result comment   {figure(redraws, REDRAW_TARGET)}  ({len(redraws)} runs)")


def explain(db: MuscleDatabase, slug: str) -> None:
    """The plans of the preview's row cursors (PostgreSQL plans a cursor for its first rows)."""
    from muscle_tui.export.csv.plan import plan_export
    from muscle_tui.export.csv.rows import ResultRows, _profiles_query, _sessions_query

    selection = find_template("long_profile").selection
    with db.snapshot() as snap:
        plan = plan_export(snap, slug, selection)
        chosen = plan.filters.clause(snap.schema, snap.dialect, "UTC")
        queries = {
            "results": ResultRows(snap, selection).query(plan.block.id)[0],
            "sessions": _sessions_query(snap, plan.block.id, chosen),
            "profile answers": _profiles_query(snap, plan.block.id, chosen),
        }
        for name, query in queries.items():
            sql = str(query.compile(dialect=snap.conn.dialect, compile_kwargs={"literal_binds": True}))
            print(f"--- {name}: EXPLAIN DECLARE … CURSOR")
            for (line,) in snap.rows(f"EXPLAIN DECLARE preview_{name[0]} NO SCROLL CURSOR FOR {sql}"):
                print("   ", line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default=DEFAULT_DB, help=f"database URL (default {DEFAULT_DB})")
    parser.add_argument("--block", default=BLOCK_SLUG, help=f"block slug (default {BLOCK_SLUG})")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each measurement (the median counts)")
    parser.add_argument("--no-engine", action="store_true", help="only the TUI")
    parser.add_argument("--no-tui", action="store_true", help="only the engine")
    parser.add_argument("--explain", action="store_true", help="print the plans of the row cursors")
    args = parser.parse_args(argv)

    url = _driver_url(args.db)
    db = MuscleDatabase.open(url, "bench")
    try:
        print(f"CSV preview benchmark: {url.render_as_string(hide_password=True)}, {os.cpu_count()} CPUs")
        if not args.no_engine:
            bench_engine(db, args.block, args.repeat)
        if not args.no_tui:
            bench_tui(db, args.block, args.repeat)
        if args.explain and db.engine.dialect.name == "postgresql":
            explain(db, args.block)
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
