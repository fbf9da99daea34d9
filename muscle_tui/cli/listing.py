"""`muscle-tui list`: every block with its experiment and counts, one row per block."""

from __future__ import annotations

import click

from muscle_tui.cli.console import say
from muscle_tui.cli.state import CliState, pass_state
from muscle_tui.cli.tables import Columns, plain_table, print_table
from muscle_tui.db.catalog import BlockSummary

COLUMNS = Columns(
    ("experiment", "block", "name", "sessions", "participants", "results"), right_from=3, shrinks=2
)


def block_rows(blocks: list[BlockSummary]) -> list[tuple[str, ...]]:
    """One row of cells per block, in the order of COLUMNS."""
    return [
        (b.experiment_slug, b.slug, b.name, str(b.sessions), str(b.participants), str(b.results))
        for b in blocks
    ]


def format_table(blocks: list[BlockSummary]) -> str:
    """Blocks as aligned text columns (numbers right-aligned), one line per block; control
    characters in names are shown as escapes, never sent to the terminal."""
    return plain_table(COLUMNS, block_rows(blocks))


@click.command("list")
@pass_state
def list_blocks(state: CliState) -> None:
    """List every block with its counts, one line per block."""
    blocks = state.database().blocks()
    print_table(COLUMNS, block_rows(blocks))
    if not blocks:
        say("(no blocks)")
