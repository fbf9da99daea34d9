"""One session in full: its fields, its json_data as a tree, its trial results (the highlighted
result's json_data below them) and its participant's profile answers. Escape goes back."""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from muscle_tui.db.browse import SessionDetail, TrialResult, session_detail
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import ExportCancelled
from muscle_tui.screens.block_format import score_text, timestamp, value_text
from muscle_tui.screens.block_messages import BrowseFailed, SessionLoaded
from muscle_tui.screens.formatting import format_duration, number, plain, right
from muscle_tui.screens.latest_query import LatestQuery
from muscle_tui.text import escape_controls, printable
from muscle_tui.widgets.json_tree import JsonTree
from muscle_tui.widgets.paged_table import one_line_failure


def describe_session(detail: SessionDetail) -> str:
    """The session's fields: who and when on one line, how it went on the next."""
    session = detail.session
    who = [f"participant {session.participant_id}"]
    if session.participant_url_id:
        who[0] += f" ({session.participant_url_id})"
    who.append(f"started {timestamp(session.started_at) or '?'}")
    if session.finished_at is None:
        who.append("unfinished")
    else:
        who.append(f"finished {timestamp(session.finished_at)}")
    how = []
    if session.duration_seconds is not None:
        how.append(f"duration {format_duration(session.duration_seconds)}")
    how.append(f"final score {score_text(session.final_score) or '—'}")
    how.append(f"{session.results:,} result{'s' if session.results != 1 else ''}")
    return printable(" · ".join(who)) + "\n" + printable(" · ".join(how))


def result_cells(result: TrialResult) -> tuple[object, ...]:
    """A trial result as the results table shows it (times in UTC)."""
    section = "" if result.section_id is None else str(result.section_id)
    if result.section_tag:
        section = f"{section} {result.section_tag}".strip()
    song = " – ".join(part for part in (result.song_artist, result.song_name) if part)
    return (
        number(result.position),
        plain(result.question_key),
        plain(section),
        plain(song),
        plain(result.expected_response),
        plain(result.given_response),
        right(score_text(result.score)),
        right(value_text(result.decision_time)),
        timestamp(result.created_at),
    )


class SessionScreen(Screen[None]):
    """One session: its fields, its trial results (the highlighted result's json_data below them),
    its own json_data as a tree and its participant's profile answers.

    Tab moves between the results, the trees and the answers; Escape goes back to the block.
    """

    BINDINGS = [Binding("escape", "back", "Back")]
    AUTO_FOCUS = "#results"

    def __init__(self, database: MuscleDatabase, session_id: int) -> None:
        super().__init__()
        self.database = database
        self.session_id = session_id
        self.detail: SessionDetail | None = None
        self._result_shown: int | None = None  # the id of the result whose json_data the tree shows
        self._loads = LatestQuery()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Session {self.session_id}", id="session-heading", classes="heading", markup=False)
        yield Static("Loading…", id="session-fields", markup=False)
        yield Static("Trial results", id="results-title", classes="section-title", markup=False)
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="session-lower"):
            yield JsonTree("json_data", id="result-json")
            with Vertical(id="session-side"):
                yield JsonTree("Session json_data", id="session-json")
                yield Static("Profile answers", id="profile-title", classes="section-title", markup=False)
                yield DataTable(id="profile", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        results = self.query_one("#results", DataTable)
        for label, key, width in (
            ("#", "position", 4),
            ("Question", "question", 16),
            ("Section", "section", 10),
            ("Song", "song", 18),
            ("Expected", "expected", 10),
            ("Given", "given", 10),
            ("Score", "score", 6),
            ("Decision", "decision", 8),
            ("Created (UTC)", "created", 19),
        ):
            shown = right(label) if key in ("position", "score", "decision") else Text(label)
            results.add_column(shown, key=key, width=width)
        profile = self.query_one("#profile", DataTable)
        profile.add_column("Question", key="question", width=26)
        profile.add_column("Given", key="given", width=14)
        profile.add_column(Text("Score", justify="right"), key="score", width=6)
        self._load(self._loads.start())

    def on_unmount(self) -> None:
        self._loads.cancel()

    def action_back(self) -> None:
        """Back to the Block screen."""
        self.app.pop_screen()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self, cancel: threading.Event) -> None:
        try:
            with self.database.snapshot(cancel) as snap, snap.translated():
                detail = session_detail(snap, self.session_id)
        except ExportCancelled:
            return
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            message: Message = BrowseFailed("session", one_line_failure(exc, "reading the session"))
        else:
            message = SessionLoaded(detail)
        if not cancel.is_set():
            self.post_message(message)

    @on(SessionLoaded)
    def _show(self, message: SessionLoaded) -> None:
        detail = self.detail = message.detail
        self.query_one("#session-heading", Static).update(
            printable(f"Session {detail.session.id} of block {detail.block_slug or '(none)'}")
        )
        self.query_one("#session-fields", Static).update(describe_session(detail))
        self.query_one("#session-json", JsonTree).show_json("Session json_data", detail.json_data)
        results = self.query_one("#results", DataTable)
        for result in detail.results:
            results.add_row(*result_cells(result), key=str(result.id))
        self.query_one("#results-title", Static).update(
            f"Trial results ({len(detail.results):,})" if detail.results else "No trial results."
        )
        profile = self.query_one("#profile", DataTable)
        for answer in detail.profile:
            profile.add_row(
                plain(answer.question_key), plain(answer.given_response), right(score_text(answer.score))
            )
        self.query_one("#profile-title", Static).update(
            f"Profile answers ({len(detail.profile):,})" if detail.profile else "No profile answers."
        )
        profile.display = bool(detail.profile)
        self._show_result(0)

    @on(DataTable.RowHighlighted, "#results")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_result(event.cursor_row)

    def _show_result(self, index: int) -> None:
        tree = self.query_one("#result-json", JsonTree)
        if self.detail is None or not self.detail.results:
            tree.display = False
            return
        result = self.detail.results[max(0, min(index, len(self.detail.results) - 1))]
        if result.id != self._result_shown:
            self._result_shown = result.id
            tree.show_json(f"json_data of result {result.id} (#{result.position})", result.json_data)

    @on(BrowseFailed)
    def _failed(self, message: BrowseFailed) -> None:
        self.query_one("#session-fields", Static).update(escape_controls(message.text))
        self.notify(message.text, severity="error", title="Cannot show the session", markup=False)
