"""The Participants and Feedback tabs of the Block screen.

Participants are a paged table (widgets/paged_table.py) by id, filtered on their ids as you type
(`/` goes to the filter, Escape clears it); the line under it shows the highlighted participant's
hash and access info whole, so their columns may be cut to fit the width. Feedback is every
feedback text of the block, whole, with its id, in one scrolling column. Each tab loads when it is
first shown.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from muscle_tui.db.browse import (
    FeedbackRow,
    ParticipantRow,
    block_feedback,
    count_participants,
    participant_page,
)
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.stream import Snapshot
from muscle_tui.errors import ExportCancelled
from muscle_tui.screens.block_format import whole_text
from muscle_tui.screens.block_messages import BrowseFailed, FeedbackLoaded
from muscle_tui.screens.block_sessions import FILTER_PLACEHOLDER
from muscle_tui.screens.formatting import number, plain
from muscle_tui.screens.latest_query import LatestQuery
from muscle_tui.text import escape_controls, printable
from muscle_tui.widgets.fit_columns import FitColumn
from muscle_tui.widgets.fitted_table import FittedPagedTable
from muscle_tui.widgets.paged_table import PagedColumn, PagedSource, PagedTable, one_line_failure
from muscle_tui.widgets.table_filter import TextFilteredPane

PARTICIPANT_COLUMNS = (
    PagedColumn("id", "Partic.", 8, right=True),
    PagedColumn("participant_url", "participant_id_url", 22),
    PagedColumn("hash", "unique_hash", 14),
    PagedColumn("country", "Country", 7),
    PagedColumn("access", "Access info", 34),
    PagedColumn("sessions", "Sessions", 8, right=True),
    PagedColumn("profile", "Profile", 7, right=True),
)
PARTICIPANT_KEYS = tuple(column.key for column in PARTICIPANT_COLUMNS)
# The counts keep their width; participant_id_url, the hash and the access info share the rest (the
# line under the table shows the last two whole, and a narrow table leaves out the access info).
PARTICIPANT_FITS = {
    "participant_url": FitColumn("participant_url", grow=2, minimum=16, maximum=32),
    "hash": FitColumn("hash", grow=1, minimum=8, maximum=36),
    "access": FitColumn("access", grow=2, minimum=12, drop=1),
}


@dataclass(frozen=True)
class ParticipantSource:
    """A block's participants (those whose id or participant_id_url contains `text`), by id."""

    block_slug: str
    text: str = ""
    columns: Sequence[PagedColumn] = PARTICIPANT_COLUMNS
    sort: str | None = None
    descending: bool = False

    def count(self, snap: Snapshot) -> int:
        """How many participants there are."""
        return count_participants(snap, self.block_slug, text=self.text)

    def page(self, snap: Snapshot, *, after: Any, before: Any, limit: int, last: bool) -> list[Any]:
        """One page of participants, by keyset on their id."""
        return list(
            participant_page(
                snap,
                self.block_slug,
                text=self.text,
                after=None if after is None else after.id,
                before=None if before is None else before.id,
                limit=limit,
                last=last,
            )
        )

    def key(self, row: Any) -> str:
        """The participant's id."""
        return str(row.id)

    def cells(self, row: Any) -> Sequence[object]:
        """The participant's cells (long values cut; the details line shows them whole)."""
        every = dict(zip(PARTICIPANT_KEYS, participant_cells(row), strict=True))
        return [every[column.key] for column in self.columns]

    def sorted_by(self, sort: str, descending: bool) -> PagedSource:
        """Participants are listed by id only."""
        return self


def participant_cells(row: ParticipantRow) -> tuple[object, ...]:
    """A participant as the table shows it."""
    return (
        number(row.id),
        plain(row.participant_url_id),
        plain(row.unique_hash),
        plain(row.country_code),
        plain(row.access_info),
        number(row.sessions),
        number(row.profile_answers),
    )


class ParticipantsPane(TextFilteredPane):
    """A text filter, the participants table, the highlighted participant whole, and a status line."""

    filter_selector = "#participant-text"

    def __init__(self, database: MuscleDatabase, block_slug: str) -> None:
        super().__init__(id="participants-pane")
        self.database = database
        self.block_slug = block_slug

    def compose(self) -> ComposeResult:
        with Horizontal(classes="browse-filters"):
            yield Input(placeholder=FILTER_PLACEHOLDER, id="participant-text")
        source = ParticipantSource(self.block_slug)
        yield FittedPagedTable(self.database, source, fits=PARTICIPANT_FITS, id="participants")
        yield Static("", id="participant-details", classes="details", markup=False)
        yield Static("", id="participants-status", classes="status", markup=False)

    @property
    def table(self) -> PagedTable:
        """The participants table."""
        return self.query_one("#participants", PagedTable)

    @property
    def filter_table(self) -> PagedTable:
        """The table the participant filter narrows."""
        return self.table

    @on(Input.Changed, "#participant-text")
    def _text_typed(self, event: Input.Changed) -> None:
        event.stop()
        source = self.table.source
        if isinstance(source, ParticipantSource) and event.value.strip() != source.text:
            self.table.show(replace(source, text=event.value.strip()))

    @on(Input.Submitted, "#participant-text")
    def _text_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    @on(PagedTable.StatusChanged, "#participants")
    def _show_status(self, event: PagedTable.StatusChanged) -> None:
        event.stop()
        table = self.table
        if table.error is not None:
            text = table.error
        elif table.total == 0 and not table.window:
            source = table.source
            filtered = isinstance(source, ParticipantSource) and source.text
            text = "No participant matches the filter." if filtered else "This block has no participants."
        else:
            text = table.describe("participant")
        self.query_one("#participants-status", Static).update(escape_controls(text))
        self._show_details()

    @on(DataTable.RowHighlighted, "#participants")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_details()

    def _show_details(self) -> None:
        row = self.table.cursor_item
        text = ""
        if isinstance(row, ParticipantRow):
            text = (
                f"participant {row.id} · hash {row.unique_hash} · access info {row.access_info or '(none)'}"
            )
        self.query_one("#participant-details", Static).update(printable(text))


class FeedbackPane(VerticalScroll):
    """Every feedback text of the block, whole, each under its id."""

    def __init__(self, database: MuscleDatabase, block_slug: str) -> None:
        super().__init__(id="feedback-pane")
        self.database = database
        self.block_slug = block_slug
        self.loaded = False
        self._loads = LatestQuery()

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="feedback", markup=False)

    def on_unmount(self) -> None:
        self._loads.cancel()

    def load(self) -> None:
        """Read the feedback (once: the tab calls this whenever it is shown)."""
        if not self.loaded:
            self.loaded = True
            self._load(self._loads.start())

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self, cancel: threading.Event) -> None:
        try:
            with self.database.snapshot(cancel) as snap, snap.translated():
                rows = block_feedback(snap, self.block_slug)
        except ExportCancelled:
            return
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            message: Message = BrowseFailed("feedback", one_line_failure(exc, "reading the feedback"))
        else:
            message = FeedbackLoaded(rows)
        if not cancel.is_set():
            self.post_message(message)

    @on(FeedbackLoaded)
    def _show(self, message: FeedbackLoaded) -> None:
        message.stop()
        self.query_one("#feedback", Static).update(feedback_text(message.rows))

    @on(BrowseFailed)
    def _failed(self, message: BrowseFailed) -> None:
        message.stop()
        self.query_one("#feedback", Static).update(escape_controls(message.text))


def feedback_text(rows: list[FeedbackRow]) -> Text:
    """The feedback texts, each under its id (text literal: never markup, controls made visible)."""
    if not rows:
        return Text("This block has no feedback.")
    text = Text()
    count = f"{len(rows):,} feedback text{'s' if len(rows) != 1 else ''}"
    text.append(f"{count}, by id.\n", style="dim")
    for row in rows:
        text.append(f"\n#{row.id}\n", style="bold")
        text.append(whole_text(row.text) + "\n")
    return text
