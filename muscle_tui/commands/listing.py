"""`muscle-tui list`: experiments and blocks as a plain-text table."""

from __future__ import annotations

import argparse
import sys

from rich.cells import cell_len

from muscle_tui.commands import open_database
from muscle_tui.db.catalog import BlockSummary
from muscle_tui.screens.formatting import printable

COLUMNS = ("experiment", "block", "name", "sessions", "participants", "results")


def register(sub, add_database_options) -> None:
    parser = sub.add_parser("list", help="list every block with its counts, one line per block")
    add_database_options(parser)
    parser.set_defaults(handler=run)


def format_table(blocks: list[BlockSummary]) -> str:
    """Blocks as aligned text columns (numbers right-aligned), one line per block; control
    characters in names are shown as escapes, never sent to the terminal."""
    rows = [COLUMNS] + [
        (b.experiment_slug, b.slug, b.name, str(b.sessions), str(b.participants), str(b.results))
        for b in blocks
    ]
    rows = [tuple(" ".join(printable(cell).split()) for cell in row) for row in rows]
    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = []
    for row in rows:
        cells = [_pad(cell, widths[i], right=i >= 3) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _pad(cell: str, width: int, right: bool) -> str:
    fill = " " * (width - cell_len(cell))
    return fill + cell if right else cell + fill


def run(args: argparse.Namespace) -> int:
    db = open_database(args)
    try:
        blocks = db.blocks()
    finally:
        db.close()
    print(format_table(blocks))
    if not blocks:
        print("(no blocks)", file=sys.stderr)
    return 0
