"""Benchmark browsing a block: session pages, counts, one session in full, and `muscle-tui sessions`.

    python bench/bench_browse.py [--db URL] [--block bench] [--repeat 20]
                                 [--memory-db URL ...] [--skip-memory]

On the database --db (default bench_10000x100, made by bench/generate.py), each call runs in its
own read-only snapshot, as the block screen makes them, `--repeat` times; it prints the median and
the slowest. The calls: counting the sessions, the first page (100 rows) in each sort, the last
page (End), the page after a row in the middle, a text filter, one session with its 100 results
(session_detail), the participants' first page and count, and the feedback.

Then `muscle-tui sessions BLOCK --format json` runs in a child process for --db and each
--memory-db (e.g. a 100,000-session database), output to /dev/null: its wall time and peak RSS
(from wait4), to show the stream's memory does not grow with the block. Targets (issue 12, on
bench_10000x100): first page drawn within 300 ms, End within 300 ms, a session with 100 results
within 200 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import URL, make_url

DEFAULT_DB = os.environ.get("MUSCLE_TUI_BENCH_DB", "postgresql://postgres@127.0.0.1:5432/bench_10000x100")
ROOT = Path(__file__).resolve().parent.parent


def _url(text: str) -> URL:
    url = make_url(text)
    return url.set(drivername="postgresql+psycopg2") if url.drivername == "postgresql" else url


def timed(db, call: Callable, repeat: int) -> tuple[float, float, object]:
    """Median and slowest wall time (ms) of `call(snap)`, each in a new snapshot; and its last value."""
    times = []
    value: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        with db.snapshot() as snap:
            value = call(snap)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), value


def browse_calls(db, slug: str) -> list[tuple[str, Callable]]:
    from muscle_tui.db.browse import (
        SESSION_SORTS,
        SessionQuery,
        block_feedback,
        count_participants,
        count_sessions,
        participant_page,
        session_detail,
        session_key,
        session_page,
    )

    query = SessionQuery(slug)
    with db.snapshot() as snap:
        everything = session_page(snap, query, limit=1_000_000)
    middle = everything[len(everything) // 2]
    fullest = max(everything, key=lambda row: (row.results, -row.id))
    calls: list[tuple[str, Callable]] = [
        ("count_sessions", lambda snap: count_sessions(snap, query)),
        ("first page + count (Enter)", lambda snap: (count_sessions(snap, query), session_page(snap, query))),
        ("last page (End)", lambda snap: session_page(snap, query, last=True)),
        (
            "page after the middle row",
            lambda snap: session_page(snap, query, after=session_key(middle, "started_at")),
        ),
        (
            "page before the middle row",
            lambda snap: session_page(snap, query, before=session_key(middle, "started_at")),
        ),
    ]
    for sort in SESSION_SORTS[1:]:
        for descending in (False, True):
            q = SessionQuery(slug, sort=sort, descending=descending)
            calls.append(
                (
                    f"first page by {sort}{' desc' if descending else ''}",
                    lambda snap, q=q: session_page(snap, q),
                )
            )
    results_query = SessionQuery(slug, sort="results", descending=True)
    calls += [
        ("last page by results desc", lambda snap: session_page(snap, results_query, last=True)),
        ("text filter 'lific_05' + count", lambda snap: (
            count_sessions(snap, SessionQuery(slug, participant_text="lific_05")),
            session_page(snap, SessionQuery(slug, participant_text="lific_05")),
        )),
        ("unfinished + count", lambda snap: (
            count_sessions(snap, SessionQuery(slug, status="unfinished")),
            session_page(snap, SessionQuery(slug, status="unfinished")),
        )),
        (f"session_detail ({fullest.results} results)", lambda snap: session_detail(snap, fullest.id)),
        ("participants first page + count", lambda snap: (
            count_participants(snap, slug), participant_page(snap, slug),
        )),
        ("participants last page", lambda snap: participant_page(snap, slug, last=True)),
        ("feedback", lambda snap: block_feedback(snap, slug)),
    ]  # fmt: skip
    return calls


def run_browse(url: URL, slug: str, repeat: int) -> None:
    from muscle_tui.db.database import MuscleDatabase

    db = MuscleDatabase.open(url, url.database or "")
    try:
        print(f"{url.database}, block {slug!r}: each call in its own snapshot, {repeat} runs")
        print(f"  {'call':<40} {'median':>9} {'slowest':>9}")
        for name, call in browse_calls(db, slug):
            median, slowest, _ = timed(db, call, repeat)
            print(f"  {name:<40} {median:>7.1f}ms {slowest:>7.1f}ms", flush=True)
    finally:
        db.close()


_CHILD = """
import sys
from muscle_tui.cli import main
status = main(sys.argv[1:])
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(int(peak.split()[1]) // 1024, file=sys.stderr)
sys.exit(status)
"""


def run_sessions_command(url: URL, slug: str, *flags: str) -> tuple[float, int]:
    """Wall time (s) and peak RSS (MB) of `muscle-tui sessions SLUG --format json` > /dev/null.

    The peak is the child's own VmHWM (Linux), read as it exits: a child's `ru_maxrss` would
    start from this (larger) process's, which it was forked from.
    """
    command = [
        sys.executable, "-c", _CHILD, "--db", url.render_as_string(hide_password=False),
        "sessions", slug, "--format", "json", *flags,
    ]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"muscle-tui sessions failed on {url.database}: {child.stderr.strip()}")
    return seconds, int(child.stderr.split()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB, metavar="URL", help=f"database (default {DEFAULT_DB})")
    parser.add_argument("--block", default="bench", help="block slug (default: bench)")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each call (default: 20)")
    parser.add_argument(
        "--memory-db", action="append", default=[], metavar="URL", help="also measure `sessions` here"
    )
    parser.add_argument("--skip-memory", action="store_true", help="do not run `muscle-tui sessions`")
    args = parser.parse_args(argv)
    url = _url(args.db)
    run_browse(url, args.block, max(1, args.repeat))
    if not args.skip_memory:
        print("muscle-tui sessions BLOCK --format json > /dev/null")
        for target in [url, *(_url(u) for u in args.memory_db)]:
            from muscle_tui.db.database import MuscleDatabase

            db = MuscleDatabase.open(target, target.database or "")
            try:
                sessions = db.block(args.block).sessions
            finally:
                db.close()
            _, baseline = run_sessions_command(target, args.block, "--started-after", "2999-01-01")
            seconds, peak = run_sessions_command(target, args.block)
            print(
                f"  {target.database:<22} {sessions:>9,} sessions {seconds:>7.2f}s  peak RSS {peak:>4}MB "
                f"(none listed: {baseline}MB)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
