"""The Sessions tab of the Block screen: the block's sessions, a page at a time, sortable and filtered.

Each session is a row (id, participant, started, finished or "unfinished", duration, final score,
results), fetched from the database by keyset as the view needs it (widgets/paged_table.py). A Select
chooses all, finished or unfinished sessions and an Input filters on participant ids (`/` goes to
it, Escape clears it); every change starts the query again and cancels the one still running (the
table's LatestQuery), so typing costs no more than the last query.

The columns fit the width: on a narrow terminal the Finished column leaves first (Duration then
says which sessions are unfinished), then participant_id_url.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from muscle_tui.db.browse import SessionQuery, SessionRow, count_sessions, session_key, session_page
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.stream import Snapshot
from muscle_tui.screens.block_format import score_text, timestamp
from muscle_tui.screens.formatting import format_duration, number, plain, right
from muscle_tui.text import escape_controls
from muscle_tui.widgets.fit_columns import FitColumn
from muscle_tui.widgets.fitted_table import FittedPagedTable
from muscle_tui.widgets.paged_table import PagedColumn, PagedSource, PagedTable
from muscle_tui.widgets.table_filter import TextFilteredPane

UNFINISHED = "unfinished"
FILTER_PLACEHOLDER = "(/) participant id or participant_id_url contains…"
STATUS_CHOICES = (("All sessions", "all"), ("Finished", "finished"), ("Unfinished", "unfinished"))
SESSION_COLUMNS = (
    PagedColumn("id", "Session", 8, sort="id", right=True),
    PagedColumn("participant", "Partic.", 8, sort="participant_id", right=True),
    PagedColumn("participant_url", "participant_id_url", 20, sort="participant_url_id"),
    PagedColumn("started", "Started (UTC)", 19, sort="started_at"),
    PagedColumn("finished", "Finished (UTC)", 19, sort="finished_at"),
    PagedColumn("duration", "Duration", 10, sort="duration_seconds", right=True),
    PagedColumn("score", "Score", 8, sort="final_score", right=True),
    PagedColumn("results", "Results", 9, sort="results", right=True),
)
SESSION_KEYS = tuple(column.key for column in SESSION_COLUMNS)
SORT_LABELS = {column.sort: column.label for column in SESSION_COLUMNS}
# Numbers and times keep their width; participant_id_url takes what is left (up to 32 cells) and
# leaves a narrow table after Finished.
SESSION_FITS = {
    "participant_url": FitColumn("participant_url", grow=1, minimum=10, maximum=32, drop=1),
    "finished": FitColumn("finished", drop=2),
}


def session_cells(row: SessionRow, finished_shown: bool = True) -> tuple[object, ...]:
    """A session as the table shows it: values literal, an unfinished session said so (in the
    Duration column when the Finished column is not shown)."""
    unfinished = Text(UNFINISHED, style="italic")
    finished = Text(timestamp(row.finished_at)) if row.finished_at is not None else unfinished
    if row.duration_seconds is not None:
        duration = right(format_duration(row.duration_seconds))
    elif row.finished_at is None and not finished_shown:
        duration = Text(UNFINISHED, style="italic", justify="right")
    else:
        duration = right("")
    return (
        number(row.id),
        number(row.participant_id),
        plain(row.participant_url_id),
        timestamp(row.started_at),
        finished,
        duration,
        right(score_text(row.final_score)),
        number(row.results),
    )


@dataclass(frozen=True)
class SessionSource:
    """The sessions of a SessionQuery, as a PagedTable shows them."""

    query: SessionQuery
    columns: Sequence[PagedColumn] = SESSION_COLUMNS

    @property
    def sort(self) -> str:
        return self.query.sort

    @property
    def descending(self) -> bool:
        return self.query.descending

    def count(self, snap: Snapshot) -> int:
        """How many sessions the query lists."""
        return count_sessions(snap, self.query)

    def page(self, snap: Snapshot, *, after: Any, before: Any, limit: int, last: bool) -> list[Any]:
        """One page of sessions, by keyset from the row `after` or `before`."""
        sort = self.query.sort
        return list(
            session_page(
                snap,
                self.query,
                after=None if after is None else session_key(after, sort),
                before=None if before is None else session_key(before, sort),
                limit=limit,
                last=last,
            )
        )

    def key(self, row: Any) -> str:
        """The session's id."""
        return str(row.id)

    def cells(self, row: Any) -> Sequence[object]:
        """The session's cells, in the columns shown."""
        keys = [column.key for column in self.columns]
        every = dict(zip(SESSION_KEYS, session_cells(row, finished_shown="finished" in keys), strict=True))
        return [every[key] for key in keys]

    def sorted_by(self, sort: str, descending: bool) -> PagedSource:
        """The same sessions in another order."""
        return replace(self, query=replace(self.query, sort=sort, descending=descending))


class SessionsTable(FittedPagedTable):
    """The sessions table: Enter opens the highlighted session."""

    BINDINGS = [Binding("enter", "select_cursor", "Open")]


class SessionsPane(TextFilteredPane):
    """The filters, the sessions table and its status line."""

    filter_selector = "#session-text"

    def __init__(self, database: MuscleDatabase, block_slug: str) -> None:
        super().__init__(id="sessions-pane")
        self.database = database
        self.block_slug = block_slug

    def compose(self) -> ComposeResult:
        with Horizontal(classes="browse-filters"):
            yield Select(STATUS_CHOICES, value="all", allow_blank=False, id="session-status")
            yield Input(placeholder=FILTER_PLACEHOLDER, id="session-text")
        source = SessionSource(SessionQuery(self.block_slug))
        yield SessionsTable(self.database, source, fits=SESSION_FITS, id="sessions")
        yield Static("", id="sessions-status", classes="status", markup=False)

    @property
    def table(self) -> PagedTable:
        """The sessions table."""
        return self.query_one("#sessions", PagedTable)

    @property
    def filter_table(self) -> PagedTable:
        """The table the participant filter narrows."""
        return self.table

    @property
    def source(self) -> SessionSource:
        """What the table shows now (its query, with the current sort and filters)."""
        source = self.table.source
        assert isinstance(source, SessionSource)
        return source

    def _filter(self, **changes: Any) -> None:
        self.table.show(replace(self.source, query=replace(self.source.query, **changes)))

    @on(Select.Changed, "#session-status")
    def _status_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if event.value != self.source.query.status:
            self._filter(status=event.value)

    @on(Input.Changed, "#session-text")
    def _text_typed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value.strip() != self.source.query.participant_text:
            self._filter(participant_text=event.value.strip())

    @on(Input.Submitted, "#session-text")
    def _text_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    @on(PagedTable.StatusChanged, "#sessions")
    def _show_status(self, event: PagedTable.StatusChanged) -> None:
        event.stop()
        self.query_one("#sessions-status", Static).update(self.describe())

    def describe(self) -> str:
        """The status line: where the cursor is, the order, the filters (or why nothing shows)."""
        table, query = self.table, self.source.query
        if table.error is not None:
            return escape_controls(table.error)
        if table.total == 0 and not table.window:
            filtered = query.status != "all" or query.participant_text
            return "No session matches the filters." if filtered else "This block has no sessions."
        order = "↓" if query.descending else "↑"
        parts = [table.describe("session"), f"sorted by {SORT_LABELS[query.sort]} {order}"]
        if query.status != "all":
            parts.append(f"{query.status} only")
        if query.participant_text:
            parts.append(f"participant contains {query.participant_text!r}")
        return escape_controls(" · ".join(parts))
