"""The first screen: every experiment of the database with its counts."""

from __future__ import annotations

import threading

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from muscle_tui.db.catalog import ExperimentSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import ExportCancelled, MuscleTuiError
from muscle_tui.messages import CatalogFailed, ExperimentsLoaded
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.formatting import number, plain, right
from muscle_tui.screens.latest_query import LatestQuery
from muscle_tui.text import escape_controls


class ExperimentTable(DataTable):
    """The experiments table; Enter opens the highlighted experiment's blocks."""

    BINDINGS = [Binding("enter", "select_cursor", "Open")]


class ExperimentsScreen(Screen[None]):
    """A table of experiments: name, slug, active, blocks, sessions, participants."""

    BINDINGS = [Binding("r", "reload", "Reload")]

    def __init__(self, database: MuscleDatabase) -> None:
        super().__init__()
        self.database = database
        self.experiments: dict[str, ExperimentSummary] = {}
        self._loads = LatestQuery()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Experiments", id="heading", classes="heading")
        yield ExperimentTable(id="experiments", cursor_type="row", zebra_stripes=True)
        yield Static("", id="status", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(ExperimentTable)
        table.add_column("Name", key="name")
        table.add_column("Slug", key="slug")
        table.add_column("Active", key="active")
        table.add_column(right("Blocks"), key="blocks")
        table.add_column(right("Sessions"), key="sessions")
        table.add_column(right("Participants"), key="participants")
        self.action_reload()

    def on_unmount(self) -> None:
        self._loads.cancel()

    def action_reload(self) -> None:
        """Run the experiments query again (in a worker; the table shows a loading indicator)."""
        self.query_one(ExperimentTable).loading = True
        self._load_experiments(self._loads.start())

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load_experiments(self, cancel: threading.Event) -> None:
        try:
            rows = self.database.experiments(cancel=cancel)
        except ExportCancelled:
            return
        except MuscleTuiError as exc:
            message: Message = CatalogFailed(str(exc))
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            message = CatalogFailed(f"listing the experiments failed unexpectedly ({type(exc).__name__})")
        else:
            message = ExperimentsLoaded(rows)
        if not cancel.is_set():
            self.post_message(message)

    @on(ExperimentsLoaded)
    def _show_experiments(self, message: ExperimentsLoaded) -> None:
        table = self.query_one(ExperimentTable)
        table.clear()
        self.experiments = {}
        for experiment in message.rows:
            key = experiment.slug if experiment.id is not None else f"\0{experiment.slug}"
            self.experiments[key] = experiment
            table.add_row(
                plain(experiment.name),
                plain(experiment.slug),
                "" if experiment.id is None else ("yes" if experiment.active else "no"),
                number(experiment.blocks),
                number(experiment.sessions),
                number(experiment.participants),
                key=key,
            )
        table.loading = False
        status = self.query_one("#status", Static)
        status.update(
            "This database has no experiments and no blocks."
            if not message.rows
            else f"{len(message.rows)} experiment(s). Enter opens an experiment's blocks."
        )
        table.focus()

    @on(CatalogFailed)
    def _show_failure(self, message: CatalogFailed) -> None:
        self.query_one(ExperimentTable).loading = False
        self.query_one("#status", Static).update(escape_controls(message.text))
        self.notify(message.text, severity="error", title="Cannot list the experiments", markup=False)

    @on(DataTable.RowSelected)
    def _open_experiment(self, event: DataTable.RowSelected) -> None:
        experiment = self.experiments.get(str(event.row_key.value))
        if experiment is not None:
            self.app.push_screen(BlocksScreen(self.database, experiment))
