"""Tables whose columns fit their width (widgets/fit_columns.py).

`FittedTable` holds its rows in memory and a text filter narrows them: the screens give it their
columns (a label and how the column fits) and their rows (cells for every column, and the texts the
filter searches). Every resize, new rows or new filter text fits the columns again: optional
columns leave a narrow table, and come back when it widens. The cursor stays on its row while that
row is shown.

`FittedPagedTable` is a PagedTable (widgets/paged_table.py) whose columns fit the same way: its
numbers keep their PagedColumn width, its text columns share the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.widgets.fit_columns import FitColumn, apply_fit, cell_width, fit_columns, table_room
from muscle_tui.widgets.paged_table import PagedSource, PagedTable
from muscle_tui.widgets.table_filter import matches


@dataclass(frozen=True)
class TableColumn:
    """A column: its label, whether it is right-aligned, and how it fits (`fit.key` is its key)."""

    label: str
    fit: FitColumn
    right: bool = False

    @property
    def key(self) -> str:
        """The column's key."""
        return self.fit.key


@dataclass(frozen=True)
class TableRow:
    """A row: its key, its cells (one per column, in the columns' order) and what the filter searches."""

    key: str
    cells: tuple[object, ...]
    search: tuple[str | None, ...] = ()


class FittedTable(DataTable):
    """A table of `columns` (see the module's description); `set_rows` fills it, `set_filter` narrows it."""

    def __init__(self, columns: Sequence[TableColumn], **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self.table_columns = tuple(columns)
        self.all_rows: list[TableRow] = []
        self.filter_text = ""
        self._wanted: dict[str, int | None] = {}
        self._shown_keys: tuple[str, ...] = ()
        self._measure()

    @property
    def total(self) -> int:
        """How many rows there are, shown or not."""
        return len(self.all_rows)

    @property
    def shown_keys(self) -> tuple[str, ...]:
        """The keys of the columns shown now."""
        return self._shown_keys

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor (None while no row is shown)."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return str(row_key.value)

    def on_mount(self) -> None:
        self._set_columns(tuple(column.key for column in self.table_columns))

    def on_resize(self, event: events.Resize) -> None:
        self.fit()

    def set_rows(self, rows: Sequence[TableRow]) -> None:
        """Show `rows` (those the filter lets through); the cursor stays on its row if it is there."""
        self.all_rows = list(rows)
        self._measure()
        self._fill()
        self.fit()

    def set_filter(self, text: str) -> None:
        """Show only the rows whose search texts contain `text` (any case); '' shows every row."""
        text = text.strip()
        if text != self.filter_text:
            self.filter_text = text
            self._fill()
            self.fit()

    def fit(self) -> None:
        """Fit the columns to the table's width (columns that make way leave, and come back)."""
        if not self.size.width:
            return
        fit = fit_columns(
            [column.fit for column in self.table_columns], self._wanted, table_room(self), self.cell_padding
        )
        if fit.keys != self._shown_keys:
            self._set_columns(fit.keys)
        apply_fit(self, fit)

    def _measure(self) -> None:
        """The width each column's content takes (label included), over every row."""
        for index, column in enumerate(self.table_columns):
            widths = [cell_width(row.cells[index]) for row in self.all_rows]
            self._wanted[column.key] = max([cell_width(column.label), *widths])

    def _set_columns(self, keys: tuple[str, ...]) -> None:
        cursor = self.cursor_key
        self.clear(columns=True)
        self._shown_keys = keys
        for column in self.table_columns:
            if column.key in keys:
                label = Text(column.label, justify="right" if column.right else "left")
                self.add_column(label, key=column.key, width=self._wanted.get(column.key) or None)
        self._fill(cursor)

    def _fill(self, cursor: str | None = None) -> None:
        """Show the rows the filter lets through, in the columns shown; the cursor on its row."""
        cursor = cursor if cursor is not None else self.cursor_key
        if self.row_count:
            self.clear()
        indexes = [index for index, column in enumerate(self.table_columns) if column.key in self._shown_keys]
        for row in self.all_rows:
            if matches(self.filter_text, *row.search):
                self.add_row(*(row.cells[index] for index in indexes), key=row.key)
        if cursor is not None and cursor in self.rows:
            self.move_cursor(row=self.get_row_index(cursor), scroll=True)


class FittedPagedTable(PagedTable):
    """A PagedTable whose columns fit its width: `fits` says how a column fits (by key; a column it
    does not name keeps its width). Its source is a dataclass with a `columns` field: the columns
    that make way leave that field, the others stay in their order."""

    def __init__(
        self,
        database: MuscleDatabase,
        source: PagedSource,
        *,
        fits: Mapping[str, FitColumn],
        id: str | None = None,
    ) -> None:
        super().__init__(database, source, id=id)
        self.fits = fits
        self.every_column = tuple(source.columns)

    def on_resize(self, event: events.Resize) -> None:
        self.fit()

    def on_paged_table_status_changed(self, event: PagedTable.StatusChanged) -> None:
        # New rows may bring (or take away) the vertical scrollbar.
        self.fit()

    def fit(self) -> None:
        """Fit the columns to the table's width."""
        if self.source is None or not self.size.width:
            return
        hows = [self.fits.get(column.key) or FitColumn(column.key) for column in self.every_column]
        wanted = {
            column.key: None if how.grow else column.width for column, how in zip(self.every_column, hows)
        }
        fit = fit_columns(hows, wanted, table_room(self), self.cell_padding)
        shown = tuple(column for column in self.every_column if column.key in fit.keys)
        if tuple(self.source.columns) != shown:
            self.show_columns(replace(self.source, columns=shown))  # type: ignore[type-var]
        apply_fit(self, fit)
