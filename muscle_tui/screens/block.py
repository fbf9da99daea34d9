"""One block: a header with its name, slug, experiment, rules and counts, and four tabs.

`s` Sessions (shown first), `p` Participants, `f` Feedback and `o` Overview; `j` and `c` export the
block as on the Blocks screen; Enter on a session opens it (screens/session.py); Escape goes back.
Each tab is built and reads the database (in workers) when it is first shown, so opening the
block waits only for the Sessions tab and its first page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from muscle_tui.db.catalog import BlockSummary, ExperimentSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER
from muscle_tui.db.stats import block_stats
from muscle_tui.errors import ExportCancelled
from muscle_tui.screens.block_exports import export_block_csv, export_block_json
from muscle_tui.screens.block_messages import BrowseFailed, StatsLoaded
from muscle_tui.screens.block_panes import FeedbackPane, ParticipantsPane
from muscle_tui.screens.block_sessions import SessionsPane
from muscle_tui.screens.export_history import ExportRecorded, LastExport
from muscle_tui.screens.latest_query import LatestQuery
from muscle_tui.screens.session import SessionScreen
from muscle_tui.text import printable
from muscle_tui.widgets.overview import OverviewPane
from muscle_tui.widgets.paged_table import PagedTable, one_line_failure

TABS = ("sessions", "participants", "feedback", "overview")


def block_heading(block: BlockSummary) -> str:
    """`Name  (slug)`, or the slug alone for a block without a name."""
    return printable(f"{block.name}  ({block.slug})" if block.name else block.slug)


def block_facts(block: BlockSummary, experiment: ExperimentSummary | None) -> str:
    """The block's experiment and rules, and on a second line its counts."""
    if experiment is not None and experiment.id is not None:
        where = f"experiment {experiment.name or experiment.slug} ({experiment.slug})"
    elif block.experiment_slug:
        where = f"experiment {block.experiment_slug}"
    else:
        where = "no experiment"
    counts = (
        f"{block.sessions:,} sessions ({block.finished_sessions:,} finished) · "
        f"{block.participants:,} participants · {block.results:,} results"
    )
    return printable(f"{where} · rules {block.rules or '—'}") + "\n" + counts


class BlockScreen(Screen[None]):
    """One block: its sessions, participants, feedback and overview, a tab each (s, p, f, o).

    Enter on a session opens it; `j` and `c` export the block; Escape goes back to its experiment.
    """

    AUTO_FOCUS = "#sessions"

    BINDINGS = [
        Binding("escape", "back", "Back"),
        # The tabs' titles show their keys.
        Binding("s", "show_tab('sessions')", "Sessions", show=False),
        Binding("p", "show_tab('participants')", "Participants", show=False),
        Binding("f", "show_tab('feedback')", "Feedback", show=False),
        Binding("o", "show_tab('overview')", "Overview", show=False),
        Binding("j", "export_json", "Export JSON"),
        Binding("c", "export_csv", "Export CSV"),
    ]

    def __init__(
        self, database: MuscleDatabase, block: BlockSummary, experiment: ExperimentSummary | None = None
    ) -> None:
        super().__init__()
        self.database = database
        self.block = block
        self.experiment = experiment
        self._stats = LatestQuery()
        self._stats_started = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(block_heading(self.block), id="block-heading", classes="heading", markup=False)
        yield Static(block_facts(self.block, self.experiment), id="block-facts", markup=False)
        with TabbedContent(initial="sessions-tab", id="block-tabs"):
            with TabPane("Sessions (s)", id="sessions-tab"):
                yield SessionsPane(self.database, self.block.slug)
            # The other tabs are filled when first shown (`_tab_shown`).
            yield TabPane("Participants (p)", id="participants-tab")
            yield TabPane("Feedback (f)", id="feedback-tab")
            yield TabPane("Overview (o)", id="overview-tab")
        yield LastExport()
        yield Footer()

    def on_unmount(self) -> None:
        self._stats.cancel()

    @property
    def active_tab(self) -> str:
        """`sessions`, `participants`, `feedback` or `overview`."""
        return (self.query_one(TabbedContent).active or "sessions-tab").removesuffix("-tab")

    def action_back(self) -> None:
        """Back to the Blocks screen."""
        self.app.pop_screen()

    def action_show_tab(self, tab: str) -> None:
        """Show the tab `tab` (one of TABS)."""
        self.query_one(TabbedContent).active = f"{tab}-tab"

    @on(TabbedContent.TabActivated)
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        tab = self.active_tab
        holder = self.query_one(f"#{tab}-tab", TabPane)
        if not holder.children:
            if tab == "participants":
                await holder.mount(ParticipantsPane(self.database, self.block.slug))
            elif tab == "feedback":
                await holder.mount(FeedbackPane(self.database, self.block.slug))
            elif tab == "overview":
                await holder.mount(OverviewPane())
        if tab == "sessions":
            self.query_one("#sessions", PagedTable).focus()
        elif tab == "participants":
            self.query_one(ParticipantsPane).table.focus()
        elif tab == "feedback":
            feedback = self.query_one(FeedbackPane)
            feedback.load()
            feedback.focus()
        elif tab == "overview" and not self._stats_started:
            self._stats_started = True
            self._load_stats(self._stats.start())

    @work(thread=True, exclusive=True, group="block-stats", exit_on_error=False)
    def _load_stats(self, cancel: threading.Event) -> None:
        try:
            with self.database.snapshot(cancel) as snap, snap.translated():
                stats = block_stats(snap, self.block.slug, NO_FILTER)
        except ExportCancelled:
            return
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            message: Message = BrowseFailed("stats", one_line_failure(exc, "computing the overview"))
        else:
            message = StatsLoaded(stats)
        if not cancel.is_set():
            self.post_message(message)

    @on(StatsLoaded)
    def _show_stats(self, message: StatsLoaded) -> None:
        self.query_one(OverviewPane).show_stats(message.stats)

    @on(BrowseFailed)
    def _stats_failed(self, message: BrowseFailed) -> None:
        if message.what == "stats":
            self.query_one(OverviewPane).show_error(message.text)

    @on(DataTable.RowSelected, "#sessions")
    def _open_session(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.app.push_screen(SessionScreen(self.database, int(str(event.row_key.value))))

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The exports of this block."""
        yield SystemCommand(
            "Export block as JSON",
            "Write this block as MUSCLE's 7-file JSON bundle (zip)",
            self.action_export_json,
        )
        yield SystemCommand(
            "Export block as CSV",
            "Open the CSV export form (fields, options, templates, preview) for this block",
            self.action_export_csv,
        )

    def action_export_json(self) -> None:
        """Export this block as MUSCLE's JSON bundle (asks for the path first)."""
        export_block_json(self.app, self.database, self.block)

    def action_export_csv(self) -> None:
        """Open the CSV export form for this block."""
        export_block_csv(self.app, self.database, self.block)

    @on(ExportRecorded)
    def _show_last_export(self, message: ExportRecorded) -> None:
        self.query_one(LastExport).show_recorded(message)
