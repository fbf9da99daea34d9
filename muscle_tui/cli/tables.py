"""Tables on stdout: a rich table on a terminal, plain aligned columns when piped (scripts parse those);
and the same records as JSON or CSV for scripts (`--format`), their values written as they are."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import click
from rich.box import SIMPLE_HEAD
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from muscle_tui.cli.console import is_terminal, printable
from muscle_tui.cli.stdout import writing_stdout

Row = Sequence[str]
MIN_WIDTH = 12
"""The least a narrow terminal leaves of the column it cuts short."""
COLUMN_GAP = 2


@dataclass(frozen=True)
class Columns:
    """A table's column names; columns from index `right_from` on (counts) are right-aligned, and
    `shrinks` is the one column a narrow terminal cuts short (the others keep their width)."""

    names: tuple[str, ...]
    right_from: int | None = None
    shrinks: int | None = None

    def is_right(self, index: int) -> bool:
        """Whether column `index` is right-aligned."""
        return self.right_from is not None and index >= self.right_from


def _clean(cell: str) -> str:
    return " ".join(printable(cell).split())


def _cleaned(columns: Columns, rows: Sequence[Row]) -> list[tuple[str, ...]]:
    return [tuple(_clean(cell) for cell in row) for row in [columns.names, *rows]]


def plain_table(columns: Columns, rows: Sequence[Row]) -> str:
    """Aligned text columns, two spaces apart, one line per row. Control characters in cells are
    shown as escapes, never sent on."""
    cleaned = _cleaned(columns, rows)
    widths = [max(cell_len(row[i]) for row in cleaned) for i in range(len(columns.names))]
    lines = []
    for row in cleaned:
        cells = []
        for i, cell in enumerate(row):
            fill = " " * (widths[i] - cell_len(cell))
            cells.append(fill + cell if columns.is_right(i) else cell + fill)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def rich_table(columns: Columns, rows: Sequence[Row], width: int) -> Table:
    """The same table for a terminal `width` cells wide: one line per row, the `shrinks` column cut
    short (…) when the row would not fit; cells are literal text, never read as markup."""
    cleaned = _cleaned(columns, rows)
    widths = [max(cell_len(row[i]) for row in cleaned) for i in range(len(columns.names))]
    table = Table(box=SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    for i, name in enumerate(columns.names):
        room = None
        if i == columns.shrinks:
            others = sum(widths) - widths[i] + COLUMN_GAP * (len(widths) - 1)
            room = max(MIN_WIDTH, width - others)
        justify: JustifyMethod = "right" if columns.is_right(i) else "left"
        table.add_column(name, justify=justify, no_wrap=True, overflow="ellipsis", max_width=room)
    for row in cleaned[1:]:
        table.add_row(*(Text(cell) for cell in row))
    return table


def print_table(columns: Columns, rows: Sequence[Row]) -> None:
    """Print the table on stdout: rich on a terminal, plain aligned text otherwise (a failing
    stdout fails as `stdout.writing_stdout` says)."""
    with writing_stdout() as out:
        if is_terminal(out):
            console = Console(file=out)
            console.print(rich_table(columns, rows, console.width))
        else:
            out.write(plain_table(columns, rows) + "\n")


TABLE, JSON, CSV = "table", "json", "csv"
Command = Callable[..., Any]


def format_option(*choices: str) -> Callable[[Command], Command]:
    """The `--format` option of a listing: `table` (the default) and the machine-readable `choices`."""
    names = (TABLE, *choices)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(names),
        default=TABLE,
        show_default=True,
        help=f"{' | '.join(names)}: a table for people, or records for scripts (UTF-8)",
    )


def write_utf8(text: str) -> None:
    """Write `text` to stdout as UTF-8, whatever encoding the locale gives stdout."""
    with writing_stdout() as out:
        buffer = getattr(out, "buffer", None)
        encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if buffer is not None and encoding != "utf8":
            out.flush()
            buffer.write(text.encode("utf-8"))
            buffer.flush()
        else:
            out.write(text)


def print_json(value: Any) -> None:
    """Print `value` as JSON (indented, non-ASCII characters as they are), one newline at the end."""
    write_utf8(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def print_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a header row and the rows as CSV (RFC 4180: CRLF line ends, quotes where needed)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_utf8(text.getvalue())
