"""`muscle-tui demo [PATH]`: write the built-in demo database, or show where it lives."""

from __future__ import annotations

import argparse
from pathlib import Path

from muscle_tui.db import demo
from muscle_tui.export.output import check_target


def register(sub, add_database_options) -> None:
    parser = sub.add_parser(
        "demo",
        help="write the built-in demo database (SQLite, MUSCLE 2026 schema) to a file",
        description=(
            "Write the demo database muscle-tui opens when no database is configured: a SQLite file "
            "with MUSCLE's 2026 schema, two experiments and about 30,000 results. Without PATH, "
            "prints where the built-in copy lives (creating it if needed)."
        ),
    )
    parser.add_argument("path", nargs="?", metavar="PATH", help="the SQLite file to write")
    parser.add_argument("--force", action="store_true", help="replace PATH if it exists")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.path is None:
        print(demo.ensure_demo_database(demo.demo_database_path()))
        return 0
    target = check_target(Path(args.path), args.force)
    print(demo.write_demo_database(target, replace=args.force))
    return 0
