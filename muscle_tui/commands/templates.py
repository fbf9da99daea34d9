"""`muscle-tui templates`: every CSV export template, its label and where it came from."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from muscle_tui.export.templates import CsvTemplate, load_templates, user_templates_dir

COLUMNS = ("name", "label", "origin")


def register(sub, add_database_options) -> None:
    parser = sub.add_parser(
        "templates",
        help="list the CSV export templates (built-in and the user's)",
        description=(
            "List the CSV export templates: MUSCLE's built-in ten, the user's in "
            f"{user_templates_dir()}, and any further files or directories given. A user "
            "template with a built-in's name overrides it. Files that cannot be read are reported "
            "on stderr (exit status 1); the others are still listed."
        ),
    )
    parser.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="further template files or directories"
    )
    parser.set_defaults(handler=run)


def format_templates(templates: list[CsvTemplate]) -> str:
    """Templates as aligned columns: name, label, origin."""
    rows = [COLUMNS] + [(t.name, " ".join(t.label.split()), t.origin) for t in templates]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])), row[-1]]).rstrip()
        for row in rows
    )


def run(args: argparse.Namespace) -> int:
    templates, errors = load_templates(args.paths)
    print(format_templates(templates))
    for error in errors:
        print(f"muscle-tui: {error}", file=sys.stderr)
    return 1 if errors else 0
