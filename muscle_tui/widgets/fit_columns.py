"""Columns that fit the width of their table.

Numbers and dates (a column with `grow` 0) get the width of their content and are never cut. Text
columns share the room that is left, by weight (`grow`: names first), each between its `minimum`
and the width it wants; when even the minimums do not fit, optional columns (`drop` > 0) make way,
the highest `drop` first. Past that the table scrolls sideways: numbers are still never cut.

`fit_columns` is the arithmetic (pure); `table_room` says how wide a table's cells may be and
`apply_fit` gives a DataTable's columns their widths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

TEXT_MINIMUM = 8


@dataclass(frozen=True)
class FitColumn:
    """How a column fits: `grow` 0 for numbers and dates (always their content's width), else its
    weight in sharing the room; `minimum` and `maximum` bound a text column; `drop` > 0 lets it make
    way on a narrow table (the highest `drop` first)."""

    key: str
    grow: int = 0
    minimum: int = TEXT_MINIMUM
    maximum: int | None = None
    drop: int = 0


@dataclass(frozen=True)
class Fit:
    """The columns shown (in their order) and the width of each, padding not included."""

    keys: tuple[str, ...]
    widths: Mapping[str, int]


def cell_width(cell: object) -> int:
    """How many terminal cells a table cell (a rich Text or a string, one line) takes."""
    return cell_len(cell.plain if isinstance(cell, Text) else str(cell))


def fit_columns(
    columns: Sequence[FitColumn], wanted: Mapping[str, int | None], room: int, padding: int = 1
) -> Fit:
    """Which of `columns` to show and how wide, in `room` cells. `wanted` is the width each column's
    content takes (label included); None for a text column whose content is not known, which then
    takes what room there is up to its `maximum`. `padding` is the table's cell padding (each side)."""
    shown = list(columns)

    def least(column: FitColumn) -> int:
        want = wanted.get(column.key)
        if not column.grow:
            return max(want or 0, 1)
        return min(column.minimum, _cap(column, want))

    def needed(kept: list[FitColumn]) -> int:
        return sum(least(column) + 2 * padding for column in kept)

    droppable = sorted(
        (column for column in columns if column.drop > 0),
        key=lambda column: (-column.drop, -columns.index(column)),
    )
    while droppable and needed(shown) > room:
        shown.remove(droppable.pop(0))

    widths = {column.key: least(column) for column in shown}
    left = room - needed(shown)
    growing = [column for column in shown if column.grow]
    while left > 0:
        open_ = [c for c in growing if widths[c.key] < _cap(c, wanted.get(c.key))]
        if not open_:
            break
        weight = sum(column.grow for column in open_)
        given = 0
        for column in open_:
            share = left * column.grow // weight
            add = min(share, _cap(column, wanted.get(column.key)) - widths[column.key])
            widths[column.key] += add
            given += add
        if not given:  # less than a cell each: the heaviest (then the first) takes one
            first = max(open_, key=lambda column: column.grow)
            widths[first.key] += 1
            given = 1
        left -= given
    return Fit(tuple(column.key for column in shown), widths)


def _cap(column: FitColumn, want: int | None) -> int:
    """The widest a text column gets: what its content wants, at most its maximum (unbounded: a
    width no terminal reaches)."""
    caps = [width for width in (want, column.maximum) if width is not None]
    return min(caps) if caps else 10_000


def table_room(table: DataTable) -> int:
    """How many cells `table`'s columns may take: its width, less a vertical scrollbar when its rows
    (one line each) need one."""
    rows = table.row_count + (table.header_height if table.show_header else 0)
    scrollbar = table.styles.scrollbar_size_vertical if rows > table.content_size.height else 0
    return max(table.content_size.width - scrollbar, 0)


def apply_fit(table: DataTable, fit: Fit) -> None:
    """Give `table`'s columns the widths of `fit` (columns it does not have are left alone)."""
    changed = False
    for key, width in fit.widths.items():
        column = table.columns.get(ColumnKey(key))
        if column is not None and (column.auto_width or column.width != width):
            column.auto_width = False
            column.width = width
            changed = True
    if changed:
        # A DataTable caches its rendered cells and measures itself when idle: start both afresh.
        table._clear_caches()
        table._require_update_dimensions = True
        table.refresh()
