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
from muscle_tui.screens.formatting import format_date, number, plain, printable, right
from muscle_tui.screens.latest_query import LatestQuery
from muscle_tui.text import escape_controls

NAME_WIDTH = 20


class BlocksScreen(Screen[None]):
    """A table of an experiment's blocks; the export bindings act on the highlighted block.

    Each export format is a binding (and a palette command) that asks for its options and then
    runs the export flow: `j` opens the path dialog, `c` the CSV export form.
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("j", "export_json", "Export JSON"),
        Binding("c", "export_csv", "Export CSV"),
        Binding("r", "reload", "Reload"),
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
        yield DataTable(id="blocks", cursor_type="row", zebra_stripes=True)
        yield Static("", id="details", classes="details", markup=False)
        yield Static("", id="status", classes="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(right("Phase"), key="phase")
        table.add_column(right("#"), key="index")
        table.add_column("Name", key="name", width=NAME_WIDTH)
        table.add_column("Slug", key="slug")
        table.add_column(right("Sessions"), key="sessions")
        table.add_column(right("Partic."), key="participants")
        table.add_column(right("Results"), key="results")
        table.add_column("First", key="first")
        table.add_column("Last", key="last")
        table.add_column("Rules", key="rules")
        self.action_reload()

    def on_unmount(self) -> None:
        self._loads.cancel()

    @property
    def selected_block(self) -> BlockSummary | None:
        """The block under the table's cursor (None while the table is empty)."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return self.blocks.get(str(row_key.value))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        """Run the blocks query again (in a worker; the table shows a loading indicator)."""
        self.query_one(DataTable).loading = True
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
        table = self.query_one(DataTable)
        table.clear()
        self.blocks = {}
        for block in message.rows:
            self.blocks[block.slug] = block
            table.add_row(
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
                key=block.slug,
            )
        table.loading = False
        if self.highlight in self.blocks:
            table.move_cursor(row=table.get_row_index(self.highlight), scroll=True)
        self.query_one("#status", Static).update(
            "This experiment has no blocks."
            if not message.rows
            else f"{len(message.rows)} block(s). "
            "Sessions: finished / total; first and last session dates in UTC."
        )
        table.focus()

    @on(DataTable.RowHighlighted)
    def _show_details(self, event: DataTable.RowHighlighted) -> None:
        block = self.blocks.get(str(event.row_key.value))
        if block is not None:
            self.query_one("#details", Static).update(
                printable(f"{block.slug}: {block.name or '(no name)'} · rules {block.rules}")
            )

    @on(CatalogFailed)
    def _show_failure(self, message: CatalogFailed) -> None:
        self.query_one(DataTable).loading = False
        self.query_one("#status", Static).update(escape_controls(message.text))
        self.notify(message.text, severity="error", title="Cannot list the blocks", markup=False)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The exports of the highlighted block."""
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
