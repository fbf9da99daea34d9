"""The CSV export form of one block: MUSCLE's fields, options and templates, with a live preview.

The form mirrors MUSCLE's admin "Export CSV" page (EXPORTING.md, items 1-12): three lists of
fields and options (arrows and space; `a` all, `n` none), a template selector that applies the
template chosen at once and shows *custom* once the form differs from it, the output path,
*Export CSV* and *Back*, plus *Save as template…*. The same selection can be written as Parquet
instead (the format choice beside the path). Whenever the form changes, the first rows of the CSV
it would write are shown below it (`widgets/csv_preview.py`).

The form opens on the template last exported with (`muscle_tui/user_state.py`) when it still
exists, else on the config file's `[export] csv_template`, else on `wide`; it suggests the folder
last exported to while it exists.
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
from muscle_tui.export.csv import (
    DEFAULT_TEMPLATE,
    CsvPreview,
    CsvSelection,
    CsvTemplate,
    default_csv_name,
    load_templates,
    write_csv,
)
from muscle_tui.export.parquet import (
    PARQUET_EXTRA_MESSAGE,
    default_parquet_name,
    parquet_available,
    write_parquet,
)
from muscle_tui.export.progress import ExportResult, ProgressCallback
from muscle_tui.screens.export_flow import ExportJob, run_export_flow, suggested_path
from muscle_tui.screens.export_progress import Outcome
from muscle_tui.screens.formatting import format_size, printable
from muscle_tui.text import escape_controls
from muscle_tui.user_state import UserStateError, first_warning, load_user_state, remember_export
from muscle_tui.widgets.csv_preview import CsvPreviewPane, PreviewKey
from muscle_tui.widgets.filter_fields import FilterFields
from muscle_tui.widgets.format_choice import FormatChoice, with_format_suffix
from muscle_tui.widgets.preview_table import PreviewTable
from muscle_tui.widgets.selection_form import SelectionForm
from muscle_tui.widgets.template_picker import CUSTOM, TemplatePicker, start_template

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
    """Export the block's sessions and results as CSV (or Parquet), choosing MUSCLE's fields and options.

    Tab moves between the template selector, the three lists, the filters and the output path. In a
    list, the arrows move, space toggles, `a` selects all and `n` none. Choosing a template applies
    it at once; the selector shows *custom* once the form differs from it. Enter in the output path
    (or ctrl+r) exports.
    """

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "export", "Export"),
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
        self._state = load_user_state()

    def compose(self) -> ComposeResult:
        templates, errors = load_templates()
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            title = "Some templates could not be read"
            self.notify(f"{errors[0]}{more}", title=title, severity="warning", markup=False)
        if (warning := first_warning(self._state)) is not None:
            self.notify(warning, title="Remembered choices not used", severity="warning", markup=False)
        by_name = {template.name: template for template in templates}
        start_name, problem = start_template(by_name, self._state.csv_template)
        if problem is not None:
            self.notify(problem, title="Config file", severity="warning", markup=False)
        start = by_name.get(start_name) if start_name is not None else None
        if start is not None:
            self._template_name = start.name
        self._suggested = self._suggestion(self._default_name())
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

    def _suggestion(self, default_name: str) -> str:
        """`default_name` in the folder last exported to while it exists, else where the export
        flow suggests (the config's export directory or the current folder)."""
        folder = self._state.export_folder
        if folder is not None and folder.is_dir():
            return str(folder / default_name)
        return str(suggested_path(default_name))

    def _suggest(self, output: Input, default_name: str) -> None:
        """Show `default_name` in the suggested folder in the output field, unless the user typed a path."""
        if output.value.strip() == self._suggested:
            self._suggested = self._suggestion(default_name)
            output.value = self._suggested

    def on_mount(self) -> None:
        self.query_one(CsvPreviewPane).start()  # first: focusing lays the whole form out
        self.query_one("#template").focus()

    @property
    def selection(self) -> CsvSelection:
        """The selection the lists describe."""
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

    @property
    def template_name(self) -> str:
        """The template last applied (what the file name says), whether or not the form still holds it."""
        return self._template_name

    def matches(self, template: CsvTemplate) -> bool | None:
        """Whether the form holds `template` (Excel-safe and the time zone aside); None while the
        filters cannot be read."""
        filters = self.query_one(FilterFields).check_quietly()
        if filters is None:
            return None
        return self.selection.replace(excel_safe=False) == template.selection and filters == template.filters

    def _show_template_state(self) -> None:
        """The selector shows the template last applied while the form holds it, else *custom*."""
        template = self.templates.get(self._template_name)
        matched = self.matches(template) if template is not None else False
        if matched is not None:
            self.query_one(TemplatePicker).show(self._template_name if matched else CUSTOM)

    @on(TemplatePicker.Chosen)
    def _template_chosen(self, message: TemplatePicker.Chosen) -> None:
        """Apply the template at once: its selection and filters, and its name in the file name."""
        template = message.template
        if template.name == self._template_name and self.matches(template):
            return  # the selector showing what the form holds (as it mounts)
        self.query_one(SelectionForm).apply(template.selection)
        self.query_one(FilterFields).apply(template.filters)
        self._template_name = template.name
        self._suggest(self.query_one("#output-path", Input), self._default_name())

    @on(TemplatePicker.CustomChosen)
    def _custom_chosen(self) -> None:
        """Choosing *custom* changes nothing: the selector says again what the form holds."""
        self._show_template_state()

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
        self._show_template_state()
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
            format="Parquet" if writer is write_parquet else "CSV",
            block=slug,
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
            self._remember(Path(outcome.result.path).parent)
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

    def _remember(self, folder: Path) -> None:
        """Remember this export's template and folder for the next form (a warning if it cannot)."""
        try:
            remember_export(self._template_name, folder)
        except UserStateError as exc:
            self.notify(str(exc), title="Choices not remembered", severity="warning", markup=False)
            return
        self._state = load_user_state()

    # -----------------------------------------------------------------------------------------
    # Save as template.

    @on(Button.Pressed, "#save-template")
    def action_save_template(self) -> None:
        """Ask for a name and save the current selection and filters as a user template."""
        if (checked := self.query_one(FilterFields).check()) is not None:
            self.query_one(TemplatePicker).save_as(self.selection, checked[0])

    @on(TemplatePicker.Saved)
    def _template_saved(self, message: TemplatePicker.Saved) -> None:
        """The form now holds the template just saved: the selector and the file name say so."""
        self._template_name = message.name
        self._show_template_state()
        self._suggest(self.query_one("#output-path", Input), self._default_name())

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        """Return to the blocks."""
        self.dismiss()
