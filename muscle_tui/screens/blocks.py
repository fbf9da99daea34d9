"""The blocks of one experiment, with their counts; Enter opens the highlighted block, `j` and `c`
export it."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from muscle_tui.db.catalog import BlockSummary, ExperimentSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import ExportCancelled, MuscleTuiError
from muscle_tui.export.json import default_json_name, write_json_bundle
from muscle_tui.messages import BlocksLoaded, CatalogFailed
from muscle_tui.screens.block import BlockScreen
from muscle_tui.screens.block_exports import export_block_csv, export_block_json
from muscle_tui.screens.export_history import ExportRecorded, LastExport
from muscle_tui.screens.formatting import format_date, number, plain, printable, right
from muscle_tui.screens.latest_query import LatestQuery
from muscle_tui.text import escape_controls
from muscle_tui.widgets.fit_columns import FitColumn
from muscle_tui.widgets.fitted_table import FittedTable, TableColumn, TableRow
from muscle_tui.widgets.table_filter import TableFilter, filtered_status

# Counts and dates keep their width; names take the room left, slugs and rules a share of it. On a
# narrow terminal the rules leave first, then the last and first session dates (the line under the
# table shows the highlighted block's rules).
BLOCK_COLUMNS = (
    TableColumn("Phase", FitColumn("phase"), right=True),
    TableColumn("#", FitColumn("index"), right=True),
    TableColumn("Name", FitColumn("name", grow=2, minimum=16)),
    TableColumn("Slug", FitColumn("slug", grow=1, minimum=16)),
    TableColumn("Sessions", FitColumn("sessions"), right=True),
    TableColumn("Partic.", FitColumn("participants"), right=True),
    TableColumn("Results", FitColumn("results"), right=True),
    TableColumn("First", FitColumn("first", drop=2)),
    TableColumn("Last", FitColumn("last", drop=3)),
    TableColumn("Rules", FitColumn("rules", grow=1, drop=4)),
)


class BlockTable(FittedTable):
    """The blocks table; Enter opens the highlighted block."""


class BlocksScreen(Screen[None]):
    """An experiment's blocks, one row each: phase and position, name and slug, sessions (finished /
    total), participants, results, the first and last session dates (UTC) and the rules. Enter opens
    the highlighted block, `j` and `c` export it, `/` filters the rows by name, slug or rules.

    Each export format is a binding (and a palette command) that asks for its options and then
    runs the export flow: `j` opens the path dialog, `c` the CSV export form.
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("j", "export_json", "Export JSON"),
        Binding("c", "export_csv", "Export CSV"),
        Binding("r", "reload", "Reload", show=False),  # the footer fits 80 columns
        Binding("slash", "filter", "Filter"),
    ]

    def __init__(
        self, database: MuscleDatabase, experiment: ExperimentSummary, highlight: str | None = None
    ) -> None:
        super().__init__()
        self.database = database
        self.experiment = experiment
        self.highlight = highlight  # the slug of the block to put the cursor on once loaded
        self.blocks: dict[str, BlockSummary] = {}
        self._loads = LatestQuery()

    def compose(self) -> ComposeResult:
        yield Header()
        heading = self.experiment.name
        if self.experiment.id is not None:
            heading = f"{self.experiment.name}  ({self.experiment.slug})"
        yield Static(printable(heading), id="heading", classes="heading", markup=False)
        yield TableFilter("#blocks", "name, slug or rules contain…", id="blocks-filter")
        yield BlockTable(BLOCK_COLUMNS, id="blocks")
        yield Static("", id="details", classes="details", markup=False)
        yield Static("", id="status", classes="status", markup=False)
        yield LastExport()
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def on_unmount(self) -> None:
        self._loads.cancel()

    @property
    def selected_block(self) -> BlockSummary | None:
        """The block under the table's cursor (None while the table is empty)."""
        key = self.query_one(BlockTable).cursor_key
        return None if key is None else self.blocks.get(key)

    def action_back(self) -> None:
        """Clear the filter if there is one, else go back to the experiments."""
        bar = self.query_one(TableFilter)
        if bar.active:
            bar.action_clear()
        else:
            self.app.pop_screen()

    def action_filter(self) -> None:
        """Filter the blocks by name, slug or rules as you type (Escape clears the filter)."""
        self.query_one(TableFilter).open()

    @on(TableFilter.Changed, "#blocks-filter")
    def _filter_changed(self, event: TableFilter.Changed) -> None:
        self.query_one(BlockTable).set_filter(event.text)
        self._show_status()

    def action_reload(self) -> None:
        """Run the blocks query again (in a worker; the table shows a loading indicator)."""
        self.query_one(BlockTable).loading = True
        self._load_blocks(self._loads.start())

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load_blocks(self, cancel: threading.Event) -> None:
        try:
            rows = self.database.blocks(self.experiment.id, cancel=cancel)
        except ExportCancelled:
            return
        except MuscleTuiError as exc:
            message: Message = CatalogFailed(str(exc))
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            message = CatalogFailed(f"listing the blocks failed unexpectedly ({type(exc).__name__})")
        else:
            message = BlocksLoaded(rows)
        if not cancel.is_set():
            self.post_message(message)

    @on(BlocksLoaded)
    def _show_blocks(self, message: BlocksLoaded) -> None:
        table = self.query_one(BlockTable)
        self.blocks = {}
        rows = []
        for block in message.rows:
            self.blocks[block.slug] = block
            cells = (
                number(block.phase_index),
                number(block.index),
                plain(block.name),
                plain(block.slug),
                right(f"{block.finished_sessions:,} / {block.sessions:,}"),
                number(block.participants),
                number(block.results),
                format_date(block.first_session),
                format_date(block.last_session),
                plain(block.rules),
            )
            rows.append(TableRow(block.slug, cells, (block.name, block.slug, block.rules)))
        table.set_rows(rows)
        table.loading = False
        if self.highlight in self.blocks and self.highlight in table.rows:
            table.move_cursor(row=table.get_row_index(self.highlight), scroll=True)
        self._show_status()
        if not self.query_one(TableFilter).input.has_focus:
            table.focus()

    def _show_status(self) -> None:
        table = self.query_one(BlockTable)
        if not table.total:
            text = "This experiment has no blocks."
        elif table.filter_text:
            text = filtered_status(table.row_count, table.total, "blocks", table.filter_text)
        else:
            text = f"{table.total} block(s). Sessions: finished / total; first and last session dates in UTC."
        self.query_one("#status", Static).update(escape_controls(text))
        if not table.row_count:
            self.query_one("#details", Static).update("")

    @on(DataTable.RowHighlighted)
    def _show_details(self, event: DataTable.RowHighlighted) -> None:
        block = self.blocks.get(str(event.row_key.value))
        if block is not None:
            self.query_one("#details", Static).update(
                printable(f"{block.slug}: {block.name or '(no name)'} · rules {block.rules}")
            )

    @on(CatalogFailed)
    def _show_failure(self, message: CatalogFailed) -> None:
        self.query_one(BlockTable).loading = False
        self.query_one("#status", Static).update(escape_controls(message.text))
        self.notify(message.text, severity="error", title="Cannot list the blocks", markup=False)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The exports of the highlighted block; filtering the blocks."""
        yield SystemCommand(
            "Export block as JSON",
            "Write the highlighted block as MUSCLE's 7-file JSON bundle (zip)",
            self.action_export_json,
        )
        yield SystemCommand(
            "Export block as CSV",
            "Open the CSV export form (fields, options, templates, preview) for the highlighted block",
            self.action_export_csv,
        )
        yield SystemCommand(
            "Filter blocks",
            "Show only those whose name, slug or rules contain a text (/)",
            self.action_filter,
        )

    def action_export_json(self) -> None:
        """Export the highlighted block as MUSCLE's JSON bundle (asks for the path first)."""
        block = self.selected_block
        if block is None:
            self.notify("No block selected.", severity="warning")
            return
        # This module's engine and file name, which tests replace.
        export_block_json(self.app, self.database, block, write=write_json_bundle, name=default_json_name)

    def action_export_csv(self) -> None:
        """Open the CSV export form for the highlighted block."""
        block = self.selected_block
        if block is None:
            self.notify("No block selected.", severity="warning")
            return
        export_block_csv(self.app, self.database, block)

    @on(DataTable.RowSelected)
    def _open_block(self, event: DataTable.RowSelected) -> None:
        block = self.blocks.get(str(event.row_key.value))
        if block is not None:
            self.app.push_screen(BlockScreen(self.database, block, self.experiment))

    @on(ExportRecorded)
    def _show_last_export(self, message: ExportRecorded) -> None:
        self.query_one(LastExport).show_recorded(message)
