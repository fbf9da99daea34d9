"""Benchmark the CSV export against PostgreSQL's own COPY of the same block, in the same run.

    python bench/bench_csv.py [--sizes 100x100,1000x100,10000x100] [--templates long,wide]
                              [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
                              [--db URL --block SLUG] [--repeat N] [--output-dir DIR]

For each database `bench_<N>x<M>` (made by bench/generate.py; block slug `bench`), or the one
given with --db, it runs, each in a child process so that its peak memory is its own:

- `COPY (SELECT sessions joined to their trial results, in export order) TO STDOUT (FORMAT csv)`
  into a file, through psycopg2's copy_expert: the floor for getting these rows out as CSV;
- muscle-tui's `write_csv` with each template (MUSCLE's `long` and `wide` by default).

It prints wall time, peak RSS, rows and bytes of each, and each export's time as a multiple of
COPY's. Output files are written to a temporary directory (or --output-dir) and deleted after
each run. Targets (10,000 sessions x 100 results): long within 3x COPY, wide within 4x, peak
memory under 150 MB; MUSCLE itself took 684 s / 3.9 GB (long) and 624 s / 2.3 GB (wide).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import URL, make_url

DEFAULT_ADMIN_URL = os.environ.get("MUSCLE_TUI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DEFAULT_SIZES = "100x100,1000x100,10000x100"
BLOCK_SLUG = "bench"
TARGETS = {"long": 3.0, "wide": 4.0}
MEMORY_TARGET_MB = 150

COPY_SQL = """
COPY (
    SELECT s.id AS session_id, s.participant_id, s.started_at, s.finished_at, s.final_score,
           s.json_data AS session_json, r.id, r.created_at, r.question_key, r.expected_response,
           r.given_response, r.comment, r.score, r.section_id, r.json_data
    FROM result_result r
    JOIN session_session s ON s.id = r.session_id
    JOIN experiment_block b ON b.id = s.block_id
    WHERE b.slug = %(slug)s
    ORDER BY r.session_id, r.created_at, r.id
) TO STDOUT (FORMAT csv, HEADER)
"""


def _driver_url(text: str) -> URL:
    url = make_url(text)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url


# ---------------------------------------------------------------------------------------------
# Children: one measurement each, reporting JSON on stdout.


def child_copy(url: URL, slug: str, output: Path) -> dict:
    import psycopg2

    started = time.monotonic()
    conn = psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, dbname=url.database
    )
    try:
        with conn.cursor() as cursor, output.open("wb") as handle:
            cursor.copy_expert(cursor.mogrify(COPY_SQL, {"slug": slug}).decode(), handle)
    finally:
        conn.close()
    seconds = time.monotonic() - started
    with output.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1  # lines, a close enough count (cells may hold newlines)
    return {"seconds": seconds, "bytes": output.stat().st_size, "rows": rows}


def child_export(url: URL, slug: str, template: str, output: Path) -> dict:
    from muscle_tui.db.database import MuscleDatabase
    from muscle_tui.export.csv import find_template, write_csv

    selection = find_template(template).selection
    started = time.monotonic()
    db = MuscleDatabase.open(url, "bench")
    try:
        result = write_csv(db, slug, selection, output, force=True)
    finally:
        db.close()
    return {"seconds": time.monotonic() - started, "bytes": result.bytes, "rows": result.count}


def run_child(args: list[str]) -> dict:
    """Run this script as a child; its report, with its wall time and its own peak RSS."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"child {' '.join(args)} failed:\n{err.decode(errors='replace')}")
    report = json.loads(out)
    report["wall"] = wall
    report["peak_mb"] = usage.ru_maxrss / 1024
    return report


# ---------------------------------------------------------------------------------------------


def bench_database(url: URL, slug: str, templates: list[str], repeat: int, directory: Path) -> list[dict]:
    label = url.database
    rows: list[dict] = []
    measurements = [("COPY", ["copy"])] + [(t, ["export", t]) for t in templates]
    for _ in range(repeat):
        for name, command in measurements:
            output = directory / f"{label}-{name}.csv"
            report = run_child([*command, url.render_as_string(hide_password=False), slug, str(output)])
            output.unlink(missing_ok=True)
            report.update(database=label, what=name)
            rows.append(report)
            print(
                f"  {label:<18} {name:<8} {report['seconds']:8.2f} s  {report['peak_mb']:7.1f} MB  "
                f"{report['rows']:>10,} rows  {report['bytes'] / 1e6:9.1f} MB written",
                flush=True,
            )
    return rows


def summarise(rows: list[dict]) -> None:
    print("\nbest of runs; export time as a multiple of COPY's (target: long 3x, wide 4x; memory < 150 MB)")
    print(f"{'database':<18} {'what':<8} {'seconds':>8} {'x COPY':>7} {'peak MB':>8}  verdict")
    for database in dict.fromkeys(r["database"] for r in rows):
        mine = [r for r in rows if r["database"] == database]
        best = {}
        for r in mine:
            if r["what"] not in best or r["seconds"] < best[r["what"]]["seconds"]:
                best[r["what"]] = r
        copy = best["COPY"]["seconds"]
        for what, r in best.items():
            ratio = r["seconds"] / copy if copy else float("nan")
            verdict = ""
            if what in TARGETS:
                ok = ratio <= TARGETS[what] and r["peak_mb"] < MEMORY_TARGET_MB
                verdict = "within target" if ok else "OUTSIDE target"
            shown = "" if what == "COPY" else f"{ratio:6.2f}x"
            print(f"{database:<18} {what:<8} {r['seconds']:8.2f} {shown:>7} {r['peak_mb']:8.1f}  {verdict}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        kind, *rest = argv[1:]
        if kind == "copy":
            url, slug, output = rest
            report = child_copy(_driver_url(url), slug, Path(output))
        else:
            template, url, slug, output = rest
            report = child_export(_driver_url(url), slug, template, Path(output))
        print(json.dumps(report))
        return 0

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"NxM list of bench databases (default {DEFAULT_SIZES})"
    )
    parser.add_argument("--templates", default="long,wide", help="templates to export (default long,wide)")
    parser.add_argument(
        "--admin-url", default=DEFAULT_ADMIN_URL, help="server whose bench_<N>x<M> databases to use"
    )
    parser.add_argument("--db", help="benchmark this database instead of bench_<N>x<M>")
    parser.add_argument("--block", default=BLOCK_SLUG, help=f"block slug (default {BLOCK_SLUG})")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement (the best is kept)")
    parser.add_argument("--output-dir", type=Path, help="where the CSV files go while measured")
    args = parser.parse_args(argv)

    templates = [t.strip() for t in args.templates.split(",") if t.strip()]
    if args.db:
        urls = [_driver_url(args.db)]
    else:
        admin = _driver_url(args.admin_url)
        urls = [admin.set(database=f"bench_{size.strip()}") for size in args.sizes.split(",") if size.strip()]
    print(f"CSV export benchmark: {os.cpu_count()} CPUs, templates {', '.join(templates)}")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(dir=args.output_dir) as tmp:
        for url in urls:
            rows.extend(bench_database(url, args.block, templates, args.repeat, Path(tmp)))
    summarise(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
