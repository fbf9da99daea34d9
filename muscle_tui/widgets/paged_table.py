"""A DataTable over a keyset-paged source: a window of a few pages, fetched as the view needs them.

The table never holds more than `max_pages` pages. When the view (the cursor, or the rows the mouse
scrolled to) comes within half a page of the window's edge, the next or previous page is fetched by
keyset in a worker (one query, in its own snapshot) and the window slides: the rows the user looks
at stay where they are on screen. Home and End fetch the first and the last page; PageUp and
PageDown move by a screen and fetch as needed; a click on a sortable column's header, or `<`, `>`
and `-`, sort the rows in SQL and start from the first page again. The number of rows is counted in
a worker of its own, so the first page is drawn without waiting for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import ExportCancelled
from muscle_tui.screens.latest_query import LatestQuery
from muscle_tui.widgets.paged_source import (
    FetchKind,
    PagedColumn,
    PagedSource,
    View,
    one_line_failure,
    slide,
)

__all__ = ["PagedColumn", "PagedSource", "PagedTable", "one_line_failure"]

PAGE_ROWS = 100
MAX_PAGES = 4
ASCENDING_MARK, DESCENDING_MARK = " ▲", " ▼"


@dataclass
class _PageFetched(Message, bubble=False):
    token: int
    kind: FetchKind
    rows: list[Any]


@dataclass
class _Counted(Message, bubble=False):
    token: int
    total: int


@dataclass
class _Failed(Message, bubble=False):
    token: int
    text: str


class PagedTable(DataTable):
    """A windowed view of `source` (given, or set with `show`); see the module's description."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
        # Not in the footer (the header's ▲ shows the order; F1 lists these keys).
        Binding("less_than_sign", "sort_step(-1)", "Sort: previous column", key_display="<", show=False),
        Binding("greater_than_sign", "sort_step(1)", "Sort: next column", key_display=">", show=False),
        Binding("minus", "reverse", "Reverse", key_display="-", show=False),
    ]

    @dataclass
    class StatusChanged(Message):
        """The position, the count, the loading state or the error changed."""

        table: PagedTable

        @property
        def control(self) -> PagedTable:
            """The table (so `@on(PagedTable.StatusChanged, "#id")` matches it)."""
            return self.table

    def __init__(
        self,
        database: MuscleDatabase,
        source: PagedSource | None = None,
        *,
        page_rows: int = PAGE_ROWS,
        max_pages: int = MAX_PAGES,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.database = database
        self.page_rows = page_rows
        self.max_rows = page_rows * max_pages
        self.source: PagedSource | None = source  # shown once mounted
        self.window: list[Any] = []
        self.total: int | None = None
        self.error: str | None = None
        self.fetching: FetchKind | None = None
        self._start: int | None = None  # absolute index of the window's first row
        self._tail: int | None = None  # rows after the window's last one (0: the window ends the rows)
        self._token = 0
        self._count_token = 0
        self._pages = LatestQuery()
        self._counts = LatestQuery()
        self._rebuilding = False
        self._pending_move: tuple[str, int] | None = None  # (key of a row, rows to move from it)
        self._position: int | None = None

    # -- what the screens read ------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a page or the count is still being fetched."""
        return self.fetching is not None or (self.total is None and self.error is None)

    @property
    def cursor_item(self) -> Any:
        """The row under the cursor (None while the table is empty)."""
        if not self.window or not self.row_count:
            return None
        return self.window[min(self.cursor_row, len(self.window) - 1)]

    @property
    def position(self) -> int | None:
        """The cursor's row among all rows (0-based), when the window's place is known."""
        if not self.window:
            return None
        if self._start is not None:
            return self._start + self.cursor_row
        if self.total is not None and self._tail is not None:
            return max(self.total - self._tail - len(self.window) + self.cursor_row, 0)
        return None

    def describe(self, noun: str = "row") -> str:
        """`row 1,234 of 10,000`, `no rows`, … with `loading…` while a fetch runs, or the error."""
        if self.error is not None:
            return self.error
        if self.total == 0 and not self.window:
            text = f"no {noun}s"
        elif not self.window:
            text = ""
        else:
            position = self.position
            where = "?" if position is None else f"{position + 1:,}"
            text = f"{noun} {where} of {'…' if self.total is None else f'{self.total:,}'}"
        if self.fetching is not None or self.total is None:
            text = f"{text} · loading…" if text else "loading…"
        return text

    # -- showing a source ------------------------------------------------------------------------

    def show(self, source: PagedSource) -> None:
        """Show `source` from its first row (counting its rows alongside)."""
        sortable = self._sortable
        self.source = source
        self._set_columns(source)
        if self._sortable != sortable:
            self.refresh_bindings()
        self._token += 1
        self._count_token += 1
        self.total = None
        self.error = None
        self._pending_move = None
        self._rebuild([], 0, 0)
        self._start, self._tail = 0, None
        self._request("first")
        self._count(source, self._count_token, self._counts.start())
        self._status_changed()

    def on_mount(self) -> None:
        if self.source is not None:
            self.show(self.source)

    def show_columns(self, source: PagedSource) -> None:
        """Show the rows of the window again, with the columns of `source` (the same rows as now)."""
        cursor, top = self.cursor_row, round(self.scroll_y)
        self.source, self._rebuilding = source, True
        try:
            self._set_columns(source)
        finally:
            self._rebuilding = False
        self._rebuild(list(self.window), cursor, top)

    def on_unmount(self) -> None:
        self._pages.cancel()
        self._counts.cancel()

    def _set_columns(self, source: PagedSource) -> None:
        keys = [column.key for column in source.columns]
        if [str(key.value) for key in self.columns] != keys:
            self.clear(columns=True)
            for column in source.columns:
                label = Text(column.label, justify="right" if column.right else "left")
                self.add_column(label, width=column.width, key=column.key)
        for column in source.columns:
            mark = ""
            if column.sort is not None and column.sort == source.sort:
                mark = DESCENDING_MARK if source.descending else ASCENDING_MARK
            label = Text(column.label + mark, justify="right" if column.right else "left")
            self.columns[ColumnKey(column.key)].label = label
        self.refresh()

    # -- fetching --------------------------------------------------------------------------------

    def _request(self, kind: FetchKind) -> None:
        if self.source is None:
            return
        anchor = None
        if kind == "next":
            anchor = self.window[-1]
        elif kind == "previous":
            anchor = self.window[0]
        self._token += 1
        self.fetching = kind
        self._fetch(self.source, kind, anchor, self._token, self._pages.start())
        self._status_changed()

    @work(thread=True, group="paged-page", exclusive=True, exit_on_error=False)
    def _fetch(
        self, source: PagedSource, kind: FetchKind, anchor: Any, token: int, cancel: threading.Event
    ) -> None:
        try:
            with self.database.snapshot(cancel) as snap, snap.translated():
                rows = source.page(
                    snap,
                    after=anchor if kind == "next" else None,
                    before=anchor if kind == "previous" else None,
                    limit=self.page_rows,
                    last=kind == "last",
                )
        except ExportCancelled:
            return
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            message: Message = _Failed(token, one_line_failure(exc, "reading the rows"))
        else:
            message = _PageFetched(token, kind, rows)
        if not cancel.is_set():
            self.post_message(message)

    @work(thread=True, group="paged-count", exclusive=True, exit_on_error=False)
    def _count(self, source: PagedSource, token: int, cancel: threading.Event) -> None:
        try:
            with self.database.snapshot(cancel) as snap, snap.translated():
                total = source.count(snap)
        except ExportCancelled:
            return
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            message: Message = _Failed(-token, one_line_failure(exc, "counting the rows"))
        else:
            message = _Counted(token, total)
        if not cancel.is_set():
            self.post_message(message)

    @on(_Counted)
    def _counted(self, message: _Counted) -> None:
        if message.token == self._count_token:
            self.total = message.total
            self._locate()
            self._status_changed()

    @on(_Failed)
    def _failed(self, message: _Failed) -> None:
        if message.token in (self._token, -self._count_token):
            if message.token == self._token:
                self.fetching = None
            self.error = message.text
            self._status_changed()

    @on(_PageFetched)
    def _fetched(self, message: _PageFetched) -> None:
        if message.token != self._token:
            return
        self.fetching = None
        view = View(self._start, self._tail, self.cursor_row, round(self.scroll_y), self._visible_rows())
        slid = slide(self.window, view, message.kind, message.rows, self.page_rows, self.max_rows)
        self._start, self._tail = slid.view.start, slid.view.tail
        if slid.rows is None:  # the window already reached that end
            self._pending_move = None
            self._locate()
            self._status_changed()
            return
        window, cursor, top = slid.rows, slid.view.cursor, slid.view.top
        cursor = self._apply_pending_move(window, cursor)
        self._rebuild(window, max(cursor, 0), top)
        self._locate()
        self._status_changed()

    def _apply_pending_move(self, window: list[Any], cursor: int) -> int:
        if self._pending_move is None or self.source is None:
            return cursor
        key, delta = self._pending_move
        self._pending_move = None
        keys = [self.source.key(row) for row in window]
        if key in keys:
            return max(0, min(keys.index(key) + delta, len(window) - 1))
        return cursor

    def _locate(self) -> None:
        """With the count known, place a window known only from one end."""
        if self.total is None or not self.window:
            return
        if self._start is None and self._tail is not None:
            self._start = max(self.total - self._tail - len(self.window), 0)
        elif self._tail is None and self._start is not None and self._start + len(self.window) >= self.total:
            self._tail = 0

    def _rebuild(self, window: list[Any], cursor: int, top: int) -> None:
        """Show `window`, with the cursor on its row `cursor` and row `top` first on screen."""
        assert self.source is not None
        self._rebuilding = True
        try:
            self.clear()
            self.window = []
            seen: set[str] = set()
            for row in window:
                key = self.source.key(row)
                if key in seen:  # the data changed between two pages' snapshots
                    continue
                seen.add(key)
                self.window.append(row)
                self.add_row(*self.source.cells(row), key=key)
            if self.window:
                self.move_cursor(row=min(cursor, len(self.window) - 1), scroll=False)
        finally:
            self._rebuilding = False
        self.call_after_refresh(self._scroll_to_top_row, top)

    def _scroll_to_top_row(self, top: int) -> None:
        self.scroll_to(y=top, animate=False, immediate=True)
        self._scroll_cursor_into_view()
        self._check_edges()

    def _visible_rows(self) -> int:
        return max(self.scrollable_content_region.height - (self.header_height if self.show_header else 0), 1)

    def _check_edges(self) -> None:
        """Fetch the next or previous page when the view comes within half a page of the window's edge."""
        if self._rebuilding or self.source is None or self.fetching is not None or not self.window:
            return
        margin = max(self.page_rows // 2, 1)
        top = round(self.scroll_y)
        bottom = max(top + self._visible_rows(), self.cursor_row + 1)
        if bottom >= len(self.window) - margin and self._tail != 0:
            self._request("next")
        elif min(top, self.cursor_row) < margin and self._start != 0:
            self._request("previous")

    def _status_changed(self) -> None:
        self._position = self.position
        self.post_message(self.StatusChanged(self))

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        if not self._rebuilding:
            self._check_edges()
            if self.position != self._position:
                self._status_changed()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._rebuilding:
            self._check_edges()

    # -- keys and clicks -------------------------------------------------------------------------

    @property
    def _sortable(self) -> bool:
        return self.source is not None and any(column.sort for column in self.source.columns)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Sorting is offered only when the source has sortable columns."""
        if action in ("sort_step", "reverse"):
            return self._sortable
        return True

    def action_first(self) -> None:
        """Go to the first row (fetching the first page unless the window holds it)."""
        if self._start == 0:
            self.move_cursor(row=0)
        elif self.source is not None:
            self._pending_move = None
            self._request("first")

    def action_last(self) -> None:
        """Go to the last row (fetching the last page unless the window holds it)."""
        if self._tail == 0:
            self.move_cursor(row=max(len(self.window) - 1, 0))
        elif self.source is not None:
            self._pending_move = None
            self._request("last")

    def action_page_down(self) -> None:
        """Move a screen down, fetching the next page first when the window ends sooner."""
        self._page(self._visible_rows())

    def action_page_up(self) -> None:
        """Move a screen up, fetching the previous page first when the window starts later."""
        self._page(-self._visible_rows())

    def _page(self, delta: int) -> None:
        if not self.window or self.source is None:
            return
        target = self.cursor_row + delta
        beyond = (target >= len(self.window) and self._tail != 0) or (target < 0 and self._start != 0)
        if not beyond:
            if delta > 0:
                super().action_page_down()
            else:
                super().action_page_up()
            return
        self._pending_move = (self.source.key(self.window[self.cursor_row]), delta)
        if self.fetching not in ("next", "previous"):
            self._request("next" if delta > 0 else "previous")

    def action_sort_step(self, step: int) -> None:
        """Sort by the previous (`step` -1) or next (1) sortable column."""
        if self.source is None:
            return
        sorts = [column.sort for column in self.source.columns if column.sort is not None]
        if not sorts:
            return
        index = sorts.index(self.source.sort) if self.source.sort in sorts else -step
        self.show(self.source.sorted_by(sorts[(index + step) % len(sorts)], False))

    def action_reverse(self) -> None:
        """Reverse the order of the rows."""
        if self.source is not None and self.source.sort is not None:
            self.show(self.source.sorted_by(self.source.sort, not self.source.descending))

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        if self.source is None:
            return
        for column in self.source.columns:
            if column.key == str(event.column_key.value) and column.sort is not None:
                descending = column.sort == self.source.sort and not self.source.descending
                self.show(self.source.sorted_by(column.sort, descending))
