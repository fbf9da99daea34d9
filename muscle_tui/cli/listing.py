"""`muscle-tui list`: every block with its experiment and counts, one row per block."""

from __future__ import annotations

import click

from muscle_tui.cli.console import say
from muscle_tui.cli.state import CliState, pass_state
from muscle_tui.cli.tables import (
    CSV,
    JSON,
    Columns,
    format_option,
    plain_table,
    print_csv,
    print_json,
    print_table,
)
from muscle_tui.db.catalog import BlockSummary

COLUMNS = Columns(
    ("experiment", "block", "name", "sessions", "participants", "results"), right_from=3, shrinks=2
)
RECORD_KEYS = ("experiment", "slug", "name", "sessions", "finished", "participants", "results")
"""The keys of a block's record in `--format json` and the header of `--format csv`."""


def block_rows(blocks: list[BlockSummary]) -> list[tuple[str, ...]]:
    """One row of cells per block, in the order of COLUMNS."""
    return [
        (b.experiment_slug, b.slug, b.name, str(b.sessions), str(b.participants), str(b.results))
        for b in blocks
    ]


def block_record(block: BlockSummary) -> dict[str, str | int]:
    """A block as a record for scripts: the keys of RECORD_KEYS, counts as integers."""
    values = (
        block.experiment_slug,
        block.slug,
        block.name,
        block.sessions,
        block.finished_sessions,
        block.participants,
        block.results,
    )
    return dict(zip(RECORD_KEYS, values, strict=True))


def format_table(blocks: list[BlockSummary]) -> str:
    """Blocks as aligned text columns (numbers right-aligned), one line per block; control
    characters in names are shown as escapes, never sent to the terminal."""
    return plain_table(COLUMNS, block_rows(blocks))


@click.command(
    "list",
    short_help="list every block with its counts",
    help=(
        "List every block with its counts, one line per block. --format json prints a JSON array "
        f"with an object per block, keys {', '.join(RECORD_KEYS)} (counts as integers); --format "
        "csv prints the same columns under a header row. Values are written as they are (only the "
        "table escapes control characters)."
    ),
)
@format_option(JSON, CSV)
@pass_state
def list_blocks(state: CliState, output_format: str) -> None:
    blocks = state.database().blocks()
    if output_format == JSON:
        print_json([block_record(b) for b in blocks])
    elif output_format == CSV:
        print_csv(RECORD_KEYS, [tuple(block_record(b).values()) for b in blocks])
    else:
        print_table(COLUMNS, block_rows(blocks))
        if not blocks:
            say("(no blocks)")
