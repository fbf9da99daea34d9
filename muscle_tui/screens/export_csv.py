"""The CSV export form of one block: MUSCLE's fields, options and templates, with a live preview.

The form mirrors MUSCLE's admin "Export CSV" page (EXPORTING.md, items 1-12): three groups of
checkboxes, a template selector with *Load template*, the output path, *Export CSV* and *Back*,
plus *Save as template…*. The same selection can be written as Parquet instead (the format
choice beside the path). Whenever the form changes, the first rows of the CSV it would write are
shown below it (`widgets/csv_preview.py`).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, RadioSet, Static

from muscle_tui.db.catalog import BlockSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import SessionFilter
from muscle_tui.errors import MuscleTuiError
from muscle_tui.export.csv import (
    BUILTIN_ORDER,
    DEFAULT_TEMPLATE,
    CsvPreview,
    CsvSelection,
    CsvTemplate,
    default_csv_name,
    load_templates,
    save_template,
    user_templates_dir,
    write_csv,
)
from muscle_tui.export.parquet import (
    PARQUET_EXTRA_MESSAGE,
    default_parquet_name,
    parquet_available,
    write_parquet,
)
from muscle_tui.export.progress import ExportResult, ProgressCallback
from muscle_tui.screens.confirm_replace import ConfirmReplaceDialog
from muscle_tui.screens.export_flow import ExportJob, run_export_flow, suggested_path
from muscle_tui.screens.export_progress import Outcome
from muscle_tui.screens.formatting import format_size, printable
from muscle_tui.screens.save_template import SaveTemplateDialog
from muscle_tui.text import escape_controls
from muscle_tui.widgets.csv_preview import CsvPreviewPane, PreviewKey
from muscle_tui.widgets.filter_fields import FilterFields
from muscle_tui.widgets.format_choice import FormatChoice, with_format_suffix
from muscle_tui.widgets.preview_table import PreviewTable
from muscle_tui.widgets.selection_form import SelectionForm
from muscle_tui.widgets.template_picker import TemplatePicker

WIDE_WARNING_COLUMNS = 1000
SPREADSHEET_COLUMN_LIMIT = 16_384


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
    """MUSCLE's CSV export form for `block`, opened on the `wide` template, writing CSV or Parquet."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "export", "Export"),
        Binding("ctrl+l", "load_template", "Load template"),
        Binding("ctrl+s", "save_template", "Save template"),
        Binding("left_square_bracket", "page_columns(-1)", "Prev cols"),
        Binding("right_square_bracket", "page_columns(1)", "Next cols"),
    ]

    def __init__(self, database: MuscleDatabase, block: BlockSummary) -> None:
        super().__init__()
        self.database = database
        self.block = block
        self.preview_pending = True
        self.last_result: ExportResult | None = None
        self._shown: CsvPreviewPane.Shown | None = None
        self._format = "csv"
        self._warning: str | None = None
        self._paging = (False, False)  # whether the preview has a previous and a next page of columns
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
                yield FormatChoice(id="format")
            yield Static(PARQUET_EXTRA_MESSAGE, id="format-note", classes="form-warning", markup=False)
            yield Static("", id="path-error", classes="form-error", markup=False)
            yield Static("", id="width-warning", classes="form-warning", markup=False)
            with Horizontal(id="action-row"):
                yield Button("Export CSV", variant="primary", id="export")
                yield Button("Save as template…", id="save-template")
                yield Button("Back", id="back")
            yield Static("", id="export-result", classes="form-result", markup=False)
            yield CsvPreviewPane(self.database, self.block.slug, self.preview_key, id="preview-pane")
        yield Footer()

    @property
    def file_format(self) -> str:
        """The format chosen: `csv` or `parquet`."""
        return self._format

    def _default_name(self) -> str:
        """The file name for an export now, after the template last loaded, in the format chosen."""
        name = default_parquet_name if self.file_format == "parquet" else default_csv_name
        return name(self.block.slug, self._template_name, now=utc_now())

    def _suggest(self, output: Input, default_name: str) -> None:
        """Show `default_name` in the current folder in the output field, unless the user typed a path."""
        if output.value.strip() == self._suggested:
            self._suggested = str(suggested_path(default_name))
            output.value = self._suggested

    def on_mount(self) -> None:
        self.query_one(CsvPreviewPane).start()  # first: focusing lays the whole form out
        self.query_one("#template").focus()

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
    def preview_pane(self) -> CsvPreviewPane:
        """The preview below the form (its status line and table)."""
        return self.query_one(CsvPreviewPane)

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
    # The preview (widgets/csv_preview.py): it keeps the block's facts while only the selection
    # changes, and learns them again when the filters or the time zone do.

    def preview_key(self, report: bool) -> PreviewKey | None:
        """What the form describes now, or None when its filters cannot be used (said under them
        when `report`)."""
        fields = self.query_one(FilterFields)
        if report:
            checked = fields.check()
            return None if checked is None else (self.selection, *checked)
        filters = fields.check_quietly()
        return None if filters is None else (self.selection, filters, fields.time_zone)

    @on(SelectionForm.Changed)
    @on(FilterFields.Changed)
    def _form_changed(self, event: SelectionForm.Changed | FilterFields.Changed) -> None:
        if self.preview_pane.schedule(filters_changed=isinstance(event, FilterFields.Changed)):
            self.preview_pending = True

    @on(CsvPreviewPane.Shown)
    def _preview_shown(self, message: CsvPreviewPane.Shown) -> None:
        self._shown = message
        self._show_width_warning()
        self.preview_pending = False
        self._refresh_paging()

    def _refresh_paging(self) -> None:
        """Redraw the footer when the paging keys come or go (a footer redraw is not cheap)."""
        table = self.query_one(PreviewTable)
        paging = (table.can_page(-1), table.can_page(1))
        if paging != self._paging:
            self._paging = paging
            self.refresh_bindings()

    def _show_width_warning(self) -> None:
        """Warn of a CSV too wide for spreadsheets (a Parquet file is not opened in one)."""
        shown = self._shown
        warning = None
        if self.file_format == "csv" and shown is not None and shown.preview and shown.selection:
            warning = width_warning(shown.selection, shown.preview.total_columns)
        if warning != self._warning:  # a layout of the whole form only when the warning changes
            self._warning = warning
            widget = self.query_one("#width-warning", Static)
            widget.update(warning or "")
            widget.display = warning is not None

    def action_page_columns(self, direction: int) -> None:
        """Show the next (1) or previous (-1) page of the preview's columns (not while it updates)."""
        if not self.preview_pending and self.check_action("page_columns", (direction,)):
            self.preview_pane.page(direction)
            self._refresh_paging()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Paging the preview's columns is offered only where there is a page to go to."""
        if action != "page_columns":
            return True
        direction = parameters[0]
        pageable = isinstance(direction, int) and self.query_one(PreviewTable).can_page(direction)
        return True if pageable else None

    # -----------------------------------------------------------------------------------------
    # The format: the button, the output's suffix and the note about pyarrow follow it.

    @on(RadioSet.Changed, "#format")
    def _format_changed(self) -> None:
        choice = self.query_one(FormatChoice)
        self._format = choice.file_format
        output = self.query_one("#output-path", Input)
        if output.value.strip() == self._suggested:
            self._suggest(output, self._default_name())
        else:
            output.value = with_format_suffix(output.value, choice.file_format)
        self.query_one("#export", Button).label = f"Export {choice.format_name}"
        self.query_one("#format-note", Static).display = self._parquet_missing()
        self._show_width_warning()

    def _parquet_missing(self) -> bool:
        """Whether Parquet is chosen but cannot be written (pyarrow is not installed)."""
        return self.file_format == "parquet" and not parquet_available()

    # -----------------------------------------------------------------------------------------
    # Export, through the export flow; the path field takes the flow's errors.

    @on(Input.Submitted, "#output-path")
    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        """Export the block with the current selection to the path in the form."""
        if self._parquet_missing():
            self.query_one("#format-note", Static).display = True
            return
        checked = None if self._exporting else self.query_one(FilterFields).check()
        if checked is not None:
            self._exporting = True
            self._export(*checked)

    def export_job(self, default_name: str, filters: SessionFilter, time_zone: str) -> ExportJob:
        """The export (CSV or Parquet, as chosen) of the form's block, selection, `filters` and
        `time_zone` to `default_name` (when the path is a folder), for the export flow."""
        database, slug, selection = self.database, self.block.slug, self.selection
        writer = write_parquet if self.file_format == "parquet" else write_csv

        def run(
            output: Path, force: bool, progress: ProgressCallback, cancel: threading.Event
        ) -> ExportResult:
            engine = partial(writer, filters=filters, time_zone=time_zone)
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
