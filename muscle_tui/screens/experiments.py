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
from muscle_tui.screens.experiment_export import export_experiment_json
from muscle_tui.screens.export_history import ExportRecorded, LastExport
from muscle_tui.screens.formatting import number, plain
from muscle_tui.screens.latest_query import LatestQuery
from muscle_tui.text import escape_controls
from muscle_tui.widgets.fit_columns import FitColumn
from muscle_tui.widgets.fitted_table import FittedTable, TableColumn, TableRow
from muscle_tui.widgets.table_filter import TableFilter, filtered_status

# Names take the room the counts leave; slugs a share of it.
EXPERIMENT_COLUMNS = (
    TableColumn("Name", FitColumn("name", grow=2, minimum=16)),
    TableColumn("Slug", FitColumn("slug", grow=1, minimum=12)),
    TableColumn("Active", FitColumn("active")),
    TableColumn("Blocks", FitColumn("blocks"), right=True),
    TableColumn("Sessions", FitColumn("sessions"), right=True),
    TableColumn("Participants", FitColumn("participants"), right=True),
)


class ExperimentTable(FittedTable):
    """The experiments table; Enter opens the highlighted experiment's blocks."""

    BINDINGS = [Binding("enter", "select_cursor", "Open")]


class ExperimentsScreen(Screen[None]):
    """Every experiment of the database, one row each: its name and slug, whether it is active,
    and how many blocks, sessions and participants it has (blocks without an experiment get a row
    of their own). Enter opens the highlighted experiment's blocks; `j` exports every one of them
    as a JSON bundle into one folder; `/` filters the rows by name or slug.
    """

    BINDINGS = [
        Binding("r", "reload", "Reload"),
        Binding("j", "export_experiment", "Export JSON"),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, database: MuscleDatabase) -> None:
        super().__init__()
        self.database = database
        self.experiments: dict[str, ExperimentSummary] = {}
        self._loads = LatestQuery()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Experiments", id="heading", classes="heading")
        yield TableFilter("#experiments", "name or slug contains…", id="experiments-filter")
        yield ExperimentTable(EXPERIMENT_COLUMNS, id="experiments")
        yield Static("", id="status", classes="status", markup=False)
        yield LastExport()
        yield Footer()

    def on_mount(self) -> None:
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
        self.experiments = {}
        rows = []
        for experiment in message.rows:
            key = experiment.slug if experiment.id is not None else f"\0{experiment.slug}"
            self.experiments[key] = experiment
            cells = (
                plain(experiment.name),
                plain(experiment.slug),
                "" if experiment.id is None else ("yes" if experiment.active else "no"),
                number(experiment.blocks),
                number(experiment.sessions),
                number(experiment.participants),
            )
            rows.append(TableRow(key, cells, (experiment.name, experiment.slug)))
        table.set_rows(rows)
        table.loading = False
        self._show_status()
        if not self.query_one(TableFilter).input.has_focus:
            table.focus()

    def _show_status(self) -> None:
        table = self.query_one(ExperimentTable)
        if not table.total:
            text = "This database has no experiments and no blocks."
        elif table.filter_text:
            text = filtered_status(table.row_count, table.total, "experiments", table.filter_text)
        else:
            text = f"{table.total} experiment(s). Enter opens an experiment's blocks."
        self.query_one("#status", Static).update(escape_controls(text))

    @on(TableFilter.Changed, "#experiments-filter")
    def _filter_changed(self, event: TableFilter.Changed) -> None:
        self.query_one(ExperimentTable).set_filter(event.text)
        self._show_status()

    def action_filter(self) -> None:
        """Filter the experiments by name or slug as you type (Escape clears the filter)."""
        self.query_one(TableFilter).open()

    def action_clear_filter(self) -> None:
        """Clear the filter and show every experiment."""
        self.query_one(TableFilter).action_clear()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape clears the filter while there is one."""
        if action == "clear_filter":
            return self.query_one(TableFilter).active
        return True

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
        key = self.query_one(ExperimentTable).cursor_key
        return None if key is None else self.experiments.get(key)

    def action_open_experiment(self) -> None:
        """Open the highlighted experiment's blocks."""
        self._open(self.selected_experiment)

    def _open(self, experiment: ExperimentSummary | None) -> None:
        if experiment is None:
            self.notify("No experiment selected.", severity="warning")
            return
        self.app.push_screen(BlocksScreen(self.database, experiment))

    def action_export_experiment(self) -> None:
        """Export every block of the highlighted experiment as a JSON bundle into one folder."""
        export_experiment_json(self.app, self.database, self.selected_experiment)

    @on(ExportRecorded)
    def _show_last_export(self, message: ExportRecorded) -> None:
        self.query_one(LastExport).show_recorded(message)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Open the highlighted experiment; export all its blocks; reload the list."""
        yield SystemCommand(
            "Open experiment", "Show the blocks of the highlighted experiment", self.action_open_experiment
        )
        yield SystemCommand(
            "Export experiment as JSON",
            "Write every block of the highlighted experiment as a JSON bundle (zip) into one folder",
            self.action_export_experiment,
        )
        yield SystemCommand("Reload experiments", "Run the experiments query again", self.action_reload)
        yield SystemCommand(
            "Filter experiments", "Show only those whose name or slug contains a text (/)", self.action_filter
        )
