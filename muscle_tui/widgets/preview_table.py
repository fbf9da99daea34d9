"""The CSV form's preview: the first rows of the CSV, one page of columns at a time.

A DataTable renders whole rows, so a page keeps each redraw cheap however wide the CSV. Column
widths are set from the page's cells when the page is shown (not measured later by the table
when idle), so the table looks the same whenever the preview arrives.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from muscle_tui.export.csv import CsvPreview
from muscle_tui.screens.formatting import printable

PREVIEW_CELL_CHARS = 40
PREVIEW_PAGE_COLUMNS = 32


def preview_cell(value: str) -> Text:
    """A preview cell: literal text on one line (line breaks as ⏎, other controls made visible),
    cut to PREVIEW_CELL_CHARS."""
    flat = printable(value.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎"))
    if len(flat) > PREVIEW_CELL_CHARS:
        flat = flat[: PREVIEW_CELL_CHARS - 1] + "…"
    return Text(flat, no_wrap=True)


def describe_preview(preview: CsvPreview, first_column: int = 0) -> str:
    """`Preview: first 20 of 6,329 rows · 262 columns, 33–64 shown ([ ] page)` or the like.

    The table shows PREVIEW_PAGE_COLUMNS columns at a time from `first_column` (0-based).
    """
    columns = f"{preview.total_columns:,} column{'s' if preview.total_columns != 1 else ''}"
    if preview.total_columns > PREVIEW_PAGE_COLUMNS:
        last = min(first_column + PREVIEW_PAGE_COLUMNS, preview.total_columns)
        columns += f", {first_column + 1:,}–{last:,} shown ([ ] page)"
    if not preview.total_rows:
        return f"Preview: no rows (the block has no sessions) · {columns}"
    return f"Preview: first {len(preview.rows):,} of {preview.total_rows:,} rows · {columns}"


class PreviewTable(DataTable[Text]):
    """Shows a `CsvPreview` a page of columns at a time (`show`, `page`)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, zebra_stripes=True, cursor_type="none")
        self.preview: CsvPreview | None = None
        self.first_column = 0

    def show(self, preview: CsvPreview, first_column: int | None = None) -> None:
        """Show `preview` from `first_column` (by default the current one, kept within the preview)."""
        self.preview = preview
        start = self.first_column if first_column is None else first_column
        last_page = max(0, (preview.total_columns - 1) // PREVIEW_PAGE_COLUMNS * PREVIEW_PAGE_COLUMNS)
        self._show_page(min(max(start, 0), last_page))

    def forget(self) -> None:
        """Show nothing (the preview failed)."""
        self.preview = None
        self.clear(columns=True)

    def can_page(self, direction: int) -> bool:
        """Whether there is a next (1) or previous (-1) page of columns."""
        if self.preview is None:
            return False
        target = self.first_column + direction * PREVIEW_PAGE_COLUMNS
        return 0 <= target < self.preview.total_columns

    def page(self, direction: int) -> None:
        """Show the next (1) or previous (-1) page of columns, if there is one."""
        if self.can_page(direction):
            self._show_page(self.first_column + direction * PREVIEW_PAGE_COLUMNS)

    @property
    def description(self) -> str:
        """The status line for what the table shows."""
        return "" if self.preview is None else describe_preview(self.preview, self.first_column)

    def _show_page(self, first_column: int) -> None:
        assert self.preview is not None
        self.first_column = first_column
        window = slice(first_column, first_column + PREVIEW_PAGE_COLUMNS)
        header = [preview_cell(name) for name in self.preview.header[window]]
        rows = [[preview_cell(value) for value in row[window]] for row in self.preview.rows]
        self.clear(columns=True)
        for index, label in enumerate(header):
            width = max([label.cell_len, *(row[index].cell_len for row in rows if index < len(row))])
            self.add_column(label, width=width)
        self.add_rows(rows)
