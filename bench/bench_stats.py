"""Time `block_stats` (every figure of `muscle-tui stats`) on a large block, group by group.

    python bench/bench_stats.py [--db URL ...] [--block bench] [--repeat 5] [--filter finished]

For each database, in one REPEATABLE READ READ ONLY snapshot per run (as the CLI and the TUI use),
it times `block_stats` as a whole and each of its statements on its own: the session group (counts,
results per session, durations, final scores and their histograms), the decision times of the trial
results (quartiles and histogram), sessions per day, and countries. With --repeat, the fastest run of
each counts. Without --db it uses bench_10000x100 (1,000,000 trial results, bench/generate.py) on the
default server. Target: all figures of a 1,000,000-result block within 2 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from sqlalchemy.engine import URL, make_url

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from muscle_tui.db.stats import block_stats, common, postgres, sqlite
from muscle_tui.db.stream import Snapshot

DEFAULT_SERVER = os.environ.get("MUSCLE_TUI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DEFAULT_DATABASE = "bench_10000x100"
TARGET_SECONDS = 2.0
FILTERS = {
    "none": NO_FILTER,
    "finished": SessionFilter(finished_only=True),
    "exclude": SessionFilter(exclude_participants=("*1",)),
}


def _driver_url(text: str) -> URL:
    url = make_url(text)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def one_run(snap: Snapshot, slug: str, filters: SessionFilter) -> dict[str, float]:
    """Seconds of `block_stats`, then of each of its statements, in this snapshot."""
    backend = postgres if snap.postgres else sqlite
    chosen = common.Chosen(snap.block(slug).id, filters, "UTC")
    runs: dict[str, Callable[[], object]] = {
        "all figures": lambda: block_stats(snap, slug, filters),
        "session group": lambda: backend.session_figures(snap, chosen, 20),
        "decision times": lambda: backend.decision_figures(snap, chosen, 20),
        "sessions per day": lambda: backend.sessions_per_day(snap, chosen),
        "countries": lambda: common.countries(snap, chosen),
    }
    return {name: _timed(call) for name, call in runs.items()}


def measure(url: URL, slug: str, filters: SessionFilter, repeat: int) -> tuple[dict[str, float], str]:
    """The fastest time of `block_stats` and of each of its statements over `repeat` runs, and
    what the block holds."""
    db = MuscleDatabase.open(url, "bench")
    best: dict[str, float] = {}
    try:
        for _ in range(repeat):
            with db.snapshot() as snap:
                for name, seconds in one_run(snap, slug, filters).items():
                    best[name] = min(best.get(name, seconds), seconds)
        with db.snapshot() as snap:
            stats = block_stats(snap, slug, filters)
    finally:
        db.close()
    return best, f"{stats.sessions:,} sessions, {stats.results:,} trial results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", action="append", metavar="URL", help="database URL (repeatable)")
    parser.add_argument("--block", default="bench", help="block slug (default: bench)")
    parser.add_argument("--repeat", type=int, default=3, help="runs, fastest counts (default: 3)")
    parser.add_argument("--filter", choices=sorted(FILTERS), default="none", help="session filter to apply")
    args = parser.parse_args(argv)
    urls = (
        [_driver_url(u) for u in args.db]
        if args.db
        else [_driver_url(DEFAULT_SERVER).set(database=DEFAULT_DATABASE)]
    )
    worst = 0.0
    for url in urls:
        best, size = measure(url, args.block, FILTERS[args.filter], max(1, args.repeat))
        print(f"{url.database} ({size})")
        for name, seconds in best.items():
            print(f"  {name:<17} {seconds:6.3f} s")
        worst = max(worst, best["all figures"])
    verdict = "within" if worst <= TARGET_SECONDS else "OVER"
    print(f"slowest: {worst:.3f} s, {verdict} the {TARGET_SECONDS:.0f} s target")
    return 0 if worst <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
