"""The CSV export form of one block: MUSCLE's fields, options and templates, with a live preview.

The form mirrors MUSCLE's admin "Export CSV" page (EXPORTING.md, items 1-12): three groups of
checkboxes, a template selector with *Load template*, the output path, *Export CSV* and *Back*,
plus *Save as template…*. Whenever the selection changes, the first rows of the CSV it would
write are computed in a worker (debounced) and shown below the form.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, Header, Input, Label, Static
from textual.worker import get_current_worker

from muscle_tui.db.catalog import BlockSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import SessionFilter
from muscle_tui.errors import ExportCancelled, MuscleTuiError
from muscle_tui.export.csv import (
    BUILTIN_ORDER,
    DEFAULT_TEMPLATE,
    CsvPreview,
    CsvSelection,
    CsvTemplate,
    default_csv_name,
    load_templates,
    preview_csv,
    save_template,
    user_templates_dir,
    write_csv,
)
from muscle_tui.export.progress import ExportResult, ProgressCallback
from muscle_tui.screens.confirm_replace import ConfirmReplaceDialog
from muscle_tui.screens.export_flow import ExportJob, run_export_flow, suggested_path
from muscle_tui.screens.export_progress import Outcome
from muscle_tui.screens.formatting import format_size, printable
from muscle_tui.screens.latest_query import LatestQuery
from muscle_tui.screens.save_template import SaveTemplateDialog
from muscle_tui.text import escape_controls
from muscle_tui.widgets.filter_fields import FilterFields
from muscle_tui.widgets.preview_table import PreviewTable
from muscle_tui.widgets.selection_form import SelectionForm
from muscle_tui.widgets.template_picker import TemplatePicker

PREVIEW_ROWS = 20
PREVIEW_DELAY_SECONDS = 0.3
WIDE_WARNING_COLUMNS = 1000
SPREADSHEET_COLUMN_LIMIT = 16_384

PreviewKey = tuple[CsvSelection, SessionFilter, str]  # the selection, the filters, the time zone


def width_warning(selection: CsvSelection, columns: int) -> str | None:
    """A warning when the CSV would be too wide for comfort (None when it is not)."""
    if columns < WIDE_WARNING_COLUMNS:
        return None
    text = f"⚠ {columns:,} columns"
    if selection.wide:
        text += " (wide: result columns for every trial)"
    if columns > SPREADSHEET_COLUMN_LIMIT:
        text += f"; more than spreadsheets open ({SPREADSHEET_COLUMN_LIMIT:,})"
    else:
        text += "; spreadsheets handle so many poorly"
    return text + ("; consider long format." if selection.wide else ".")


def describe_result(result: ExportResult) -> str:
    """`Wrote <path> · 1.2 MiB · 6,329 rows · 0.4 s`."""
    rows = f"{result.count:,} row{'s' if result.count != 1 else ''}"
    shown = escape_controls(result.path)
    return f"Wrote {shown} · {format_size(result.bytes)} · {rows} · {result.seconds:.1f} s"


def utc_now() -> datetime:
    """The time the form stamps into the default file name of each export."""
    return datetime.now(UTC)


class ExportCsvScreen(Screen[None]):
    """MUSCLE's CSV export form for `block`, opened on the `wide` template."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "export", "Export CSV"),
        Binding("ctrl+l", "load_template", "Load template"),
        Binding("ctrl+s", "save_template", "Save template"),
        Binding("left_square_bracket", "page_columns(-1)", "Prev cols"),
        Binding("right_square_bracket", "page_columns(1)", "Next cols"),
    ]

    @dataclass
    class PreviewReady(Message):
        """The preview of `key` was computed."""

        key: PreviewKey
        preview: CsvPreview

    @dataclass
    class PreviewFailed(Message):
        """The preview of `key` could not be computed; `text` is the one-line reason."""

        key: PreviewKey
        text: str

    def __init__(self, database: MuscleDatabase, block: BlockSummary) -> None:
        super().__init__()
        self.database = database
        self.block = block
        self.preview_pending = True
        self.last_result: ExportResult | None = None
        self._preview_timer: Timer | None = None
        self._previews = LatestQuery()
        self._template_name = DEFAULT_TEMPLATE
        # The path the form suggested: while the output field holds it, each export suggests anew.
        self._suggested = ""
        self._exporting = False

    def compose(self) -> ComposeResult:
        templates, errors = load_templates()
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            title = "Some templates could not be read"
            self.notify(f"{errors[0]}{more}", title=title, severity="warning", markup=False)
        first = templates[0] if templates else None
        start = next((t for t in templates if t.name == DEFAULT_TEMPLATE), first)
        if start is not None:
            self._template_name = start.name
        self._suggested = str(suggested_path(self._default_name()))
        yield Header()
        yield Static(
            printable(f"Export CSV — {self.block.name or '(no name)'} ({self.block.slug})"),
            id="heading",
            classes="heading",
            markup=False,
        )
        with VerticalScroll(id="csv-form", can_focus=False):
            yield TemplatePicker(
                templates, start.name if start else None, id="template-row", classes="form-row"
            )
            yield SelectionForm(start.selection if start else CsvSelection(), id="field-groups")
            yield FilterFields(start.filters if start else None, time_zone=True, id="filter-fields")
            with Horizontal(id="output-row", classes="form-row"):
                yield Label("Output", classes="form-label")
                yield Input(value=self._suggested, id="output-path")
            yield Static("", id="path-error", classes="form-error", markup=False)
            yield Static("", id="width-warning", classes="form-warning", markup=False)
            with Horizontal(id="action-row"):
                yield Button("Export CSV", variant="primary", id="export")
                yield Button("Save as template…", id="save-template")
                yield Button("Back", id="back")
            yield Static("", id="export-result", classes="form-result", markup=False)
            yield Static("Preview: computing …", id="preview-status", classes="status", markup=False)
            yield PreviewTable(id="preview")
        yield Footer()

    def _default_name(self) -> str:
        """The file name for an export now, after the template last loaded."""
        return default_csv_name(self.block.slug, self._template_name, now=utc_now())

    def _suggest(self, output: Input, default_name: str) -> None:
        """Show `default_name` in the current folder in the output field, unless the user typed a path."""
        if output.value.strip() == self._suggested:
            self._suggested = str(suggested_path(default_name))
            output.value = self._suggested

    def on_mount(self) -> None:
        self.query_one("#template").focus()
        self._start_preview()

    def on_unmount(self) -> None:
        self._previews.cancel()

    @property
    def selection(self) -> CsvSelection:
        """The selection the checkboxes describe."""
        return self.query_one(SelectionForm).selection

    @property
    def templates(self) -> dict[str, CsvTemplate]:
        """The templates the selector offers, by name."""
        return self.query_one(TemplatePicker).templates

    @property
    def preview(self) -> CsvPreview | None:
        """The preview on screen (None while none could be computed)."""
        return self.query_one(PreviewTable).preview

    @property
    def first_column(self) -> int:
        """The first column (0-based) of the preview's page on screen."""
        return self.query_one(PreviewTable).first_column

    # -----------------------------------------------------------------------------------------
    # Templates.

    def action_load_template(self) -> None:
        """Set the checkboxes from the template chosen in the selector."""
        self.query_one(TemplatePicker).load()

    @on(TemplatePicker.Chosen)
    def _template_chosen(self, message: TemplatePicker.Chosen) -> None:
        """Set the checkboxes to the template's selection, and the default file name to its name."""
        self.query_one(SelectionForm).apply(message.template.selection)
        self.query_one(FilterFields).apply(message.template.filters)
        self._template_name = message.template.name
        self._suggest(self.query_one("#output-path", Input), self._default_name())

    # -----------------------------------------------------------------------------------------
    # The preview: debounced, computed in a thread; a preview of an older selection is dropped.

    @on(SelectionForm.Changed)
    @on(FilterFields.Changed)
    def _selection_changed(self) -> None:
        self.preview_pending = True
        self._previews.cancel()
        self.refresh_bindings()
        self.query_one("#preview-status", Static).update("Preview: updating …")
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY_SECONDS, self._start_preview)

    def _start_preview(self) -> None:
        self._preview_timer = None
        if (checked := self.query_one(FilterFields).check()) is None:
            self.query_one(PreviewTable).forget()
            self._preview_shown("Preview: correct the filters or the time zone above.")
            return
        self._compute_preview((self.selection, *checked), self._previews.start())

    @work(thread=True, exclusive=True, group="csv-preview", exit_on_error=False)
    def _compute_preview(self, key: PreviewKey, cancel: threading.Event) -> None:
        worker = get_current_worker()
        (selection, filters, zone), db, slug = key, self.database, self.block.slug
        try:
            preview = preview_csv(db, slug, selection, PREVIEW_ROWS, cancel, filters=filters, time_zone=zone)
        except ExportCancelled:
            return
        except MuscleTuiError as exc:
            message: Message = self.PreviewFailed(key, str(exc))
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            message = self.PreviewFailed(key, f"preview failed unexpectedly ({type(exc).__name__})")
        else:
            message = self.PreviewReady(key, preview)
        if not (worker.is_cancelled or cancel.is_set()):
            self.post_message(message)

    def _is_current(self, key: PreviewKey) -> bool:
        fields = self.query_one(FilterFields)
        return self._preview_timer is None and key == (
            self.selection,
            fields.check_quietly(),
            fields.time_zone,
        )

    @on(PreviewReady)
    def _show_preview(self, message: PreviewReady) -> None:
        if not self._is_current(message.key):
            return
        table = self.query_one(PreviewTable)
        table.show(message.preview)
        self._preview_shown(table.description)
        warning = width_warning(message.key[0], message.preview.total_columns)
        widget = self.query_one("#width-warning", Static)
        widget.update(warning or "")
        widget.display = warning is not None

    @on(PreviewFailed)
    def _show_preview_failure(self, message: PreviewFailed) -> None:
        if not self._is_current(message.key):
            return
        self.query_one(PreviewTable).forget()
        self._preview_shown(escape_controls(f"Preview failed: {message.text}"))

    def _preview_shown(self, status: str) -> None:
        self.preview_pending = False
        self.query_one("#preview-status", Static).update(status)
        self.refresh_bindings()

    def action_page_columns(self, direction: int) -> None:
        """Show the next (1) or previous (-1) page of the preview's columns."""
        if self.check_action("page_columns", (direction,)):
            table = self.query_one(PreviewTable)
            table.page(direction)
            self._preview_shown(table.description)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Paging the preview's columns is offered only where there is a page to go to."""
        if action != "page_columns":
            return True
        if self.preview_pending:
            return None
        direction = parameters[0]
        pageable = isinstance(direction, int) and self.query_one(PreviewTable).can_page(direction)
        return True if pageable else None

    # -----------------------------------------------------------------------------------------
    # Export, through the export flow; the path field takes the flow's errors.

    @on(Input.Submitted, "#output-path")
    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        """Export the block with the current selection to the path in the form."""
        checked = None if self._exporting else self.query_one(FilterFields).check()
        if checked is not None:
            self._exporting = True
            self._export(*checked)

    def export_job(self, default_name: str, filters: SessionFilter, time_zone: str) -> ExportJob:
        """The CSV export of the form's block, selection, `filters` and `time_zone` to `default_name`
        (when the path is a folder), for the export flow."""
        database, slug, selection = self.database, self.block.slug, self.selection

        def run(
            output: Path, force: bool, progress: ProgressCallback, cancel: threading.Event
        ) -> ExportResult:
            engine = partial(write_csv, filters=filters, time_zone=time_zone)
            return engine(database, slug, selection, output, force=force, progress=progress, cancel=cancel)

        return ExportJob(
            default_name=default_name,
            title=lambda output: f"Exporting to {output.name}",
            unit="rows",
            run=run,
        )

    @work(exclusive=True, group="csv-export")
    async def _export(self, filters: SessionFilter, time_zone: str) -> None:
        error = self.query_one("#path-error", Static)
        path = self.query_one("#output-path", Input)
        error.display = False
        default_name = self._default_name()
        self._suggest(path, default_name)
        try:
            job = self.export_job(default_name, filters, time_zone)
            outcome = await run_export_flow(self.app, job, path.value)
        finally:
            self._exporting = False
        if outcome.outcome is Outcome.WRITTEN and outcome.result is not None:
            self.last_result = outcome.result
            summary = self.query_one("#export-result", Static)
            summary.update(describe_result(outcome.result))
            summary.display = True
        elif outcome.outcome is Outcome.REFUSED:
            error.update(escape_controls(outcome.error or ""))
            error.display = True
            path.focus()
        elif outcome.outcome is Outcome.KEPT:
            path.focus()

    # -----------------------------------------------------------------------------------------
    # Save as template.

    @on(Button.Pressed, "#save-template")
    def action_save_template(self) -> None:
        """Ask for a name and save the current selection as a user template."""
        self._save_template()

    @work(exclusive=True, group="csv-template")
    async def _save_template(self) -> None:
        if (checked := self.query_one(FilterFields).check()) is None:
            return
        selection, filters, directory = self.selection, checked[0], user_templates_dir()
        reserved = set(BUILTIN_ORDER) | {t.name for t in self.templates.values() if t.builtin}
        answer = await self.app.push_screen_wait(SaveTemplateDialog(directory, reserved))
        if answer is None:
            return
        name, label = answer
        path = directory / f"{name}.toml"
        replace = path.exists()
        if replace and not await self.app.push_screen_wait(ConfirmReplaceDialog(path)):
            return
        try:
            saved = save_template(
                name, label, selection, filters=filters, replace=replace, directory=directory
            )
        except MuscleTuiError as exc:
            self.notify(str(exc), title="Template not saved", severity="error", markup=False)
            return
        templates, _errors = load_templates()
        self.query_one(TemplatePicker).set_templates(templates, select=name)
        self.notify(str(saved), title=f"Template {name!r} saved", timeout=5, markup=False)

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        """Return to the blocks."""
        self.dismiss()
