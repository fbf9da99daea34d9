"""Time muscle-tui's JSON bundle export next to PostgreSQL's own COPY of the same rows as JSON.

    python bench/bench_json.py [--db URL ...] [--block bench] [--repeat 3] [--format zip|dir]

For each database: the export of the block runs in a child process (wall time, peak RSS of that
process, bytes written); then `COPY (SELECT row_to_json(…) …) TO STDOUT` of the block's sessions,
results and profile answers — the rows that make up nearly all of the bundle — is read and
discarded, in one REPEATABLE READ READ ONLY transaction like the export's. With --repeat, each is run
that many times (alternating) and the fastest run counts. Prints one line per database and the
ratio export / COPY. Without --db, uses the bench_100x100, bench_1000x100 and bench_10000x100
databases of bench/generate.py that exist on the default server.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from sqlalchemy.engine import URL, make_url

DEFAULT_SERVER = os.environ.get("MUSCLE_TUI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DEFAULT_DATABASES = ("bench_100x100", "bench_1000x100", "bench_10000x100")


@dataclass(frozen=True)
class ExportRun:
    seconds: float
    peak_rss_mb: float
    bytes: int
    objects: int


def _libpq(url: URL) -> dict:
    params = {"host": url.host or "127.0.0.1", "port": url.port or 5432, "dbname": url.database}
    if url.username:
        params["user"] = url.username
    if url.password:
        params["password"] = str(url.password)
    return params


def _copy_queries(block_id: int) -> dict[str, str]:
    """The block's sessions, results and profile answers, selected and ordered as the export does."""
    participants = f"SELECT participant_id FROM session_session WHERE block_id = {block_id}"
    sessions = f"SELECT id FROM session_session WHERE block_id = {block_id}"
    return {
        "sessions": f"SELECT row_to_json(s) FROM session_session s WHERE s.block_id = {block_id} "
        "ORDER BY s.id",
        "results": f"SELECT row_to_json(r) FROM result_result r WHERE r.session_id IN ({sessions}) "
        "ORDER BY r.session_id, r.id",
        "profiles": f"SELECT row_to_json(r) FROM result_result r WHERE r.participant_id IN ({participants}) "
        "ORDER BY r.participant_id, r.id",
    }


class _Discard:
    """A file-like sink for COPY that only counts bytes."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data) -> int:
        self.bytes += len(data)
        return len(data)


def time_copy(url: URL, block_slug: str) -> tuple[float, int]:
    """Seconds and bytes of PostgreSQL's COPY … TO STDOUT of the block's rows as JSON."""
    conn = psycopg2.connect(**_libpq(url))
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        started = time.perf_counter()
        sink = _Discard()
        with conn.cursor() as cursor:
            cursor.execute("SELECT id FROM experiment_block WHERE slug = %s", (block_slug,))
            row = cursor.fetchone()
            if row is None:
                raise SystemExit(f"{url.database}: no block with slug {block_slug!r}")
            for query in _copy_queries(row[0]).values():
                cursor.copy_expert(f"COPY ({query}) TO STDOUT", sink)
        seconds = time.perf_counter() - started
        conn.rollback()
        return seconds, sink.bytes
    finally:
        conn.close()


def time_export(url: URL, block_slug: str, fmt: str) -> ExportRun:
    """Run the export in a child process, so its peak RSS is the export's alone."""
    with tempfile.TemporaryDirectory(prefix="bench_json_") as tmp:
        output = Path(tmp) / ("bundle.zip" if fmt == "zip" else "bundle")
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                url.render_as_string(hide_password=False),
                block_slug,
                str(output),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    return ExportRun(**json.loads(child.stdout))


def _child(url_text: str, block_slug: str, output: str) -> None:
    from muscle_tui.db.database import MuscleDatabase
    from muscle_tui.export.json import write_json_bundle

    url = make_url(url_text)
    db = MuscleDatabase.open(url, url.database or "")
    started = time.perf_counter()
    result = write_json_bundle(db, block_slug, Path(output))
    seconds = time.perf_counter() - started
    db.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": peak_kb / 1024,
                "bytes": result.bytes,
                "objects": result.count,
            }
        )
    )


def _existing_default_databases() -> list[URL]:
    server = make_url(DEFAULT_SERVER).set(drivername="postgresql+psycopg2")
    conn = psycopg2.connect(**_libpq(server))
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname = ANY(%s)", (list(DEFAULT_DATABASES),)
            )
            found = {row[0] for row in cursor.fetchall()}
    finally:
        conn.close()
    return [server.set(database=name) for name in DEFAULT_DATABASES if name in found]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child(*argv[1:4])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", action="append", metavar="URL", help="database URL (repeatable)")
    parser.add_argument("--block", default="bench", help="block slug (default: bench)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, fastest counts (default: 1)")
    parser.add_argument(
        "--format", choices=("zip", "dir"), default="zip", help="export to a zip (default) or a directory"
    )
    args = parser.parse_args(argv)
    urls = (
        [make_url(u).set(drivername="postgresql+psycopg2") for u in args.db]
        if args.db
        else _existing_default_databases()
    )
    if not urls:
        print(
            "no benchmark databases; create them with bench/generate.py or name one with --db",
            file=sys.stderr,
        )
        return 1
    print(
        f"{'database':<22} {'objects':>10} {'export':>9} {'peak RSS':>9} {'output':>10} "
        f"{'COPY':>8} {'ratio':>6}"
    )
    for url in urls:
        exports: list[ExportRun] = []
        copies: list[tuple[float, int]] = []
        for _ in range(max(1, args.repeat)):
            copies.append(time_copy(url, args.block))
            exports.append(time_export(url, args.block, args.format))
        export = min(exports, key=lambda run: run.seconds)
        copy_seconds = min(seconds for seconds, _ in copies)
        peak = max(run.peak_rss_mb for run in exports)
        print(
            f"{url.database:<22} {export.objects:>10,} {export.seconds:>8.2f}s {peak:>7.0f}MB "
            f"{export.bytes / 1e6:>8.1f}MB {copy_seconds:>7.2f}s {export.seconds / copy_seconds:>5.2f}x",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
