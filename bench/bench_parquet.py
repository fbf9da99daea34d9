"""Benchmark the Parquet export against PostgreSQL's own COPY of the same block, in the same run.

    python bench/bench_parquet.py [--sizes 1000x100,10000x100] [--templates long,wide]
                                  [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
                                  [--db URL --block SLUG] [--repeat N] [--output-dir DIR]

For each database `bench_<N>x<M>` (made by bench/generate.py; block slug `bench`), or the one
given with --db, it runs, each in a child process so that its peak memory is its own:

- the same COPY as bench_csv.py (sessions joined to their trial results, in export order, as CSV,
  through psycopg2's copy_expert into a file): the floor for getting these rows out;
- muscle-tui's `write_parquet` with each template (MUSCLE's `long` and `wide` by default), data
  package included, as `muscle-tui export parquet` runs it.

It prints wall time, peak RSS (the child's own ru_maxrss), rows and bytes of each, and each
export's time as a multiple of COPY's. Output files go to a temporary directory (or --output-dir)
and are deleted after each run. Targets (10,000 sessions x 100 results): within 1.5x COPY, peak
memory at most 150 MB.
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
from pathlib import Path

from sqlalchemy.engine import URL, make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_csv import child_copy  # the same COPY, so both benchmarks mean the same floor

DEFAULT_ADMIN_URL = os.environ.get("MUSCLE_TUI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DEFAULT_SIZES = "1000x100,10000x100"
BLOCK_SLUG = "bench"
TIME_TARGET = 1.5
MEMORY_TARGET_MB = 150


def _driver_url(text: str) -> URL:
    url = make_url(text)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url


def child_export(url: URL, slug: str, template: str, output: Path) -> dict:
    from muscle_tui.db.database import MuscleDatabase
    from muscle_tui.export.csv import find_template
    from muscle_tui.export.parquet import write_parquet

    selection = find_template(template).selection
    started = time.monotonic()
    db = MuscleDatabase.open(url, "bench")
    try:
        result = write_parquet(db, slug, selection, output, force=True)
    finally:
        db.close()
    return {"seconds": time.monotonic() - started, "bytes": result.bytes, "rows": result.count}


def run_child(args: list[str]) -> dict:
    """Run this script as a child; its report, with its wall time and its own peak RSS."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True)
    if done.returncode:
        raise SystemExit(f"child {' '.join(args)} failed:\n{done.stderr.decode(errors='replace')}")
    report = json.loads(done.stdout)
    report["wall"] = time.monotonic() - started
    return report


def bench_database(url: URL, slug: str, templates: list[str], repeat: int, directory: Path) -> list[dict]:
    label = url.database
    rows: list[dict] = []
    measurements = [("COPY", ["copy"], ".csv")] + [(t, ["export", t], ".parquet") for t in templates]
    for _ in range(repeat):
        for name, command, suffix in measurements:
            output = directory / f"{label}-{name}{suffix}"
            report = run_child([*command, url.render_as_string(hide_password=False), slug, str(output)])
            for written in directory.iterdir():
                written.unlink()
            report.update(database=label, what=name)
            rows.append(report)
            print(
                f"  {label:<24} {name:<8} {report['seconds']:8.2f} s  {report['peak_mb']:7.1f} MB  "
                f"{report['rows']:>10,} rows  {report['bytes'] / 1e6:9.1f} MB written",
                flush=True,
            )
    return rows


def summarise(rows: list[dict]) -> None:
    print(f"\nbest of runs; export time as a multiple of COPY's (target: {TIME_TARGET}x, <= 150 MB)")
    print(f"{'database':<24} {'what':<8} {'seconds':>8} {'x COPY':>7} {'peak MB':>8} {'MB out':>8}  verdict")
    for database in dict.fromkeys(r["database"] for r in rows):
        best: dict[str, dict] = {}
        for r in rows:
            if r["database"] == database and (
                r["what"] not in best or r["seconds"] < best[r["what"]]["seconds"]
            ):
                best[r["what"]] = r
        copy = best["COPY"]["seconds"]
        for what, r in best.items():
            ratio = r["seconds"] / copy if copy else float("nan")
            verdict = ""
            if what != "COPY":
                ok = ratio <= TIME_TARGET and r["peak_mb"] <= MEMORY_TARGET_MB
                verdict = "within target" if ok else "OUTSIDE target"
            shown = "" if what == "COPY" else f"{ratio:6.2f}x"
            print(
                f"{database:<24} {what:<8} {r['seconds']:8.2f} {shown:>7} {r['peak_mb']:8.1f} "
                f"{r['bytes'] / 1e6:8.1f}  {verdict}"
            )


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
        report["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
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
    parser.add_argument("--output-dir", type=Path, help="where the files go while measured")
    args = parser.parse_args(argv)

    templates = [t.strip() for t in args.templates.split(",") if t.strip()]
    if args.db:
        urls = [_driver_url(args.db)]
    else:
        admin = _driver_url(args.admin_url)
        urls = [admin.set(database=f"bench_{size.strip()}") for size in args.sizes.split(",") if size.strip()]
    print(f"Parquet export benchmark: {os.cpu_count()} CPUs, templates {', '.join(templates)}")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(dir=args.output_dir) as tmp:
        for url in urls:
            rows.extend(bench_database(url, args.block, templates, args.repeat, Path(tmp)))
    summarise(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
