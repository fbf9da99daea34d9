"""Asks where an export should go and runs it there (the export flow), prefilled with a default path.

The dialog stays open until the export is written or cancelled: when the user keeps an existing
file, it asks again; when the path or the export fails, it shows why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from muscle_tui.db.filters import SessionFilter
from muscle_tui.export.progress import ExportResult
from muscle_tui.screens.export_flow import ExportJob, run_export_flow, suggested_path
from muscle_tui.screens.export_progress import ExportOutcome, Outcome
from muscle_tui.text import escape_controls
from muscle_tui.widgets.filter_fields import FilterFields

JSON_PATH_HINT = (
    "Ending in .zip: one zip file; otherwise a new directory of the 7 JSON files.\n"
    "A folder (one that exists, or a path ending in /) receives the default file name.\n"
    "Enter exports, Escape cancels."
)


class PathDialog(ModalScreen[ExportResult | None]):
    """A dialog that asks where an export goes and runs it there: it closes with the export's
    result (None when cancelled), or stays open saying why nothing was written.

    A subclass gives the texts, whether the filter fields are shown, and `export_to`, the export
    flow for the path typed and the filters chosen.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+c", "app.quit", "Quit", show=False)]

    def __init__(self, title: str, label: str, default: str | Path, hint: str, *, with_filters: bool) -> None:
        super().__init__()
        self.dialog_title = title
        self.label = label
        self.default = default
        self.hint = hint
        self.with_filters = with_filters
        self.exporting = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(escape_controls(self.dialog_title), classes="dialog-title", markup=False)
            yield Label(self.label, classes="dialog-label", markup=False)
            yield Input(value=str(self.default), id="output-path")
            yield Static("", id="path-error", classes="dialog-error", markup=False)
            if self.with_filters:
                yield FilterFields(id="filter-fields")
            yield Static(self.hint, classes="dialog-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#output-path", Input).focus()

    @on(Input.Submitted, "#output-path")
    @on(Button.Pressed, "#export")
    def _submit(self) -> None:
        if self.exporting:
            return
        filters: SessionFilter | None = None
        if self.with_filters:
            checked = self.query_one(FilterFields).check()
            if checked is None:
                return
            filters = checked[0]
        self.exporting = True
        self._export(self.query_one("#output-path", Input).value, filters)

    async def export_to(self, text: str, filters: SessionFilter | None) -> ExportOutcome:
        """Run the export flow to the path `text` (with `filters` when the fields are shown)."""
        raise NotImplementedError

    @work(exclusive=True, group="export-flow")
    async def _export(self, text: str, filters: SessionFilter | None) -> None:
        try:
            outcome = await self.export_to(text, filters)
        finally:
            self.exporting = False
        self.end_export(outcome)

    def end_export(self, outcome: ExportOutcome) -> None:
        """Close with what was written, close after a cancel, or show why nothing was written."""
        if outcome.outcome is Outcome.WRITTEN:
            self.dismiss(outcome.result)
        elif outcome.outcome is Outcome.CANCELLED:
            self.dismiss(None)
        else:
            self.show_error(outcome.error)

    def show_error(self, text: str | None) -> None:
        """Show why the export did not happen (nothing when `text` is None) and return to the path."""
        error = self.query_one("#path-error", Static)
        error.update(escape_controls(text or ""))
        error.display = text is not None
        self.query_one("#output-path", Input).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close the dialog without exporting."""
        self.dismiss(None)


class ExportPathDialog(PathDialog):
    """Runs `job` to the path the user gives; returns its result, or None when cancelled.

    With `filtered` (the job for a session filter), the dialog also shows the filter fields and runs
    `filtered(filters)` instead; a filter that cannot be used is shown in one line and nothing runs.
    """

    def __init__(
        self,
        title: str,
        job: ExportJob,
        hint: str = JSON_PATH_HINT,
        *,
        filtered: Callable[[SessionFilter], ExportJob] | None = None,
    ) -> None:
        default = suggested_path(job.default_name)
        super().__init__(title, "Write to:", default, hint, with_filters=filtered is not None)
        self.job = job
        self.filtered = filtered

    async def export_to(self, text: str, filters: SessionFilter | None) -> ExportOutcome:
        """The job (for `filters`, when the dialog has them) to the path `text`."""
        job = self.job
        if self.filtered is not None and filters is not None:
            job = replace(self.filtered(filters), default_name=job.default_name)
        return await run_export_flow(self.app, job, text)
