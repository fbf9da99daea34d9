"""The first screen: every experiment of the database with its counts."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from textual import on, work
from textual.app import ComposeResult, SystemCommand
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
    """Every experiment of the database, one row each: its name and slug, whether it is active,
    and how many blocks, sessions and participants it has (blocks without an experiment get a row
    of their own). Enter opens the highlighted experiment's blocks.
    """

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
        self._open(self.experiments.get(str(event.row_key.value)))

    @property
    def selected_experiment(self) -> ExperimentSummary | None:
        """The experiment under the table's cursor (None while the table is empty)."""
        table = self.query_one(ExperimentTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return self.experiments.get(str(row_key.value))

    def action_open_experiment(self) -> None:
        """Open the highlighted experiment's blocks."""
        self._open(self.selected_experiment)

    def _open(self, experiment: ExperimentSummary | None) -> None:
        if experiment is None:
            self.notify("No experiment selected.", severity="warning")
            return
        self.app.push_screen(BlocksScreen(self.database, experiment))

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Open the highlighted experiment; reload the list."""
        yield SystemCommand(
            "Open experiment", "Show the blocks of the highlighted experiment", self.action_open_experiment
        )
        yield SystemCommand("Reload experiments", "Run the experiments query again", self.action_reload)
