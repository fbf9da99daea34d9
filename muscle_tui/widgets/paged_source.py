"""What a PagedTable (widgets/paged_table.py) shows: its columns and the source of its rows,
counted and fetched by keyset (each in one query, in a snapshot of its own); and how its window
of rows slides when a page arrives (`slide`, pure arithmetic)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from muscle_tui.db.stream import Snapshot
from muscle_tui.errors import MuscleTuiError

FetchKind = Literal["first", "last", "next", "previous"]


@dataclass(frozen=True)
class PagedColumn:
    """A column of a paged table: `sort` is the source's sort name (None: not sortable)."""

    key: str
    label: str
    width: int
    sort: str | None = None
    right: bool = False


class PagedSource(Protocol):
    """What a PagedTable shows: rows counted and fetched by keyset, each in one query."""

    @property
    def columns(self) -> Sequence[PagedColumn]: ...

    @property
    def sort(self) -> str | None: ...

    @property
    def descending(self) -> bool: ...

    def count(self, snap: Snapshot) -> int:
        """How many rows there are."""
        ...

    def page(self, snap: Snapshot, *, after: Any, before: Any, limit: int, last: bool) -> list[Any]:
        """The first `limit` rows, those after the row `after`, those before the row `before` (in
        display order), or the last `limit` rows."""
        ...

    def key(self, row: Any) -> str:
        """A row's unique key in the table."""
        ...

    def cells(self, row: Any) -> Sequence[object]:
        """A row's cells, one per column."""
        ...

    def sorted_by(self, sort: str, descending: bool) -> PagedSource:
        """The same rows sorted by the column whose sort name is `sort`."""
        ...


def rows_left(rows: int | None, fetched: int) -> int | None:
    """How many rows are still beyond the window once `fetched` more joined it: None when unknown
    (or when the count may be out of date: the next fetch finds out)."""
    return rows - fetched if rows is not None and rows > fetched else None


def one_line_failure(exc: Exception, what: str) -> str:
    """The line a failed query shows: its own for a MuscleTuiError, else its type only."""
    if isinstance(exc, MuscleTuiError):
        return str(exc)
    return f"{what} failed unexpectedly ({type(exc).__name__})"


@dataclass(frozen=True)
class View:
    """Where a window of rows sits and how it is seen: `start` is the absolute index of its first
    row and `tail` the number of rows after its last (None when unknown; tail 0: it ends the rows);
    `cursor` and `top` are the cursor's row and the first row on screen, in the window; `height`
    is how many rows the screen shows."""

    start: int | None
    tail: int | None
    cursor: int = 0
    top: int = 0
    height: int = 1


@dataclass(frozen=True)
class Slid:
    """A window after a page arrived: its rows (None when the page was empty and the window is
    unchanged, only now known to reach that end) and its view."""

    rows: list[Any] | None
    view: View


def slide(window: list[Any], view: View, kind: FetchKind, page: list[Any], limit: int, most: int) -> Slid:
    """The window once `page` (fetched as `kind`, up to `limit` rows) joined it, cut to `most` rows
    at its far end; the cursor stays on its row and the rows on screen stay where they are."""
    full = len(page) >= limit
    start, tail, cursor, top = view.start, view.tail, view.cursor, view.top
    if not page and kind in ("next", "previous"):
        if kind == "next":
            return Slid(None, replace(view, tail=0))
        return Slid(None, replace(view, start=0))
    if kind == "first":
        return Slid(page, View(0, None if full else 0, 0, 0, view.height))
    if kind == "last":
        last = View(None if full else 0, 0, len(page) - 1, max(len(page) - view.height, 0), view.height)
        return Slid(page, last)
    if kind == "next":
        rows = window + page
        tail = 0 if not full else rows_left(tail, len(page))
        drop = max(len(rows) - most, 0)
        rows = rows[drop:]
        start = None if start is None else start + drop
        cursor, top = cursor - drop, max(top - drop, 0)
        cursor = max(cursor, top)  # the cursor's row left the window: keep the cursor in view
        return Slid(rows, View(start, tail, cursor, top, view.height))
    rows = page + window
    start = 0 if not full else rows_left(start, len(page))
    drop = max(len(rows) - most, 0)
    if drop:
        rows = rows[: len(rows) - drop]
        tail = None if tail is None else tail + drop
    cursor, top = cursor + len(page), top + len(page)
    cursor = min(cursor, len(rows) - 1, top + view.height - 1)
    return Slid(rows, View(start, tail, cursor, top, view.height))
