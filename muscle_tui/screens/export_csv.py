"""The CSV export form of one block: MUSCLE's fields, options and templates, with a live preview.

The form mirrors MUSCLE's admin "Export CSV" page (EXPORTING.md, items 1-12): three groups of
checkboxes, a template selector with *Load template*, the output path, *Export CSV* and *Back*,
plus *Save as template…*. Whenever the selection changes, the first rows of the CSV it would
write are computed in a worker (debounced) and shown below the form.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Checkbox, DataTable, Footer, Header, Input, Label, Select, Static
from textual.worker import get_current_worker

from muscle_tui.db.catalog import BlockSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import MuscleTuiError
from muscle_tui.export.csv_export import CsvPreview, default_csv_output, preview_csv, write_csv
from muscle_tui.export.csv_selection import (
    OPTIONS,
    RESULT_FIELDS,
    SESSION_FIELDS,
    SORT_COLUMNS_LABEL,
    CsvSelection,
)
from muscle_tui.export.progress import CancelToken, ExportResult, ProgressCallback
from muscle_tui.export.templates import (
    BUILTIN_ORDER,
    DEFAULT_TEMPLATE,
    CsvTemplate,
    load_templates,
    save_template,
    user_templates_dir,
)
from muscle_tui.screens.confirm_replace import ConfirmReplaceDialog
from muscle_tui.screens.export_path import resolve_output_path
from muscle_tui.screens.export_progress import ExportProgressScreen
from muscle_tui.screens.formatting import format_size, printable
from muscle_tui.screens.save_template import SaveTemplateDialog

PREVIEW_ROWS = 20
PREVIEW_DELAY_SECONDS = 0.3
PREVIEW_CELL_CHARS = 40
PREVIEW_PAGE_COLUMNS = 32
WIDE_WARNING_COLUMNS = 1000
SPREADSHEET_COLUMN_LIMIT = 16_384
EXCEL_SAFE_LABEL = "Neutralise spreadsheet formulas (Excel-safe)"
SORT_COLUMNS = "sort_columns"
EXCEL_SAFE = "excel_safe"
FIELD_GROUPS = (
    ("session-fields", "Session and participant fields", SESSION_FIELDS),
    ("result-fields", "Result fields", RESULT_FIELDS),
    ("options", "Options", OPTIONS),
)


def template_choice(template: CsvTemplate) -> str:
    """How the selector shows a template: its label, and whose it is unless built in."""
    label = printable(" ".join(template.label.split()))
    if template.builtin:
        return label
    if template.overrides_builtin:
        return f"{label} · user template (overrides built-in)"
    return f"{label} · user template"


def preview_cell(value: str) -> Text:
    """A preview cell: literal text on one line (line breaks as ⏎, other controls made visible),
    cut to PREVIEW_CELL_CHARS."""
    flat = printable(value.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎"))
    if len(flat) > PREVIEW_CELL_CHARS:
        flat = flat[: PREVIEW_CELL_CHARS - 1] + "…"
    return Text(flat, no_wrap=True)


def describe_preview(preview: CsvPreview, first_column: int = 0) -> str:
    """`Preview: first 20 of 6,329 rows · 262 columns, 33–64 shown ([ ] page)` or the like.

    The table shows PREVIEW_PAGE_COLUMNS columns at a time from `first_column` (0-based).
    """
    columns = f"{preview.total_columns:,} column{'s' if preview.total_columns != 1 else ''}"
    if preview.total_columns > PREVIEW_PAGE_COLUMNS:
        last = min(first_column + PREVIEW_PAGE_COLUMNS, preview.total_columns)
        columns += f", {first_column + 1:,}–{last:,} shown ([ ] page)"
    if not preview.total_rows:
        return f"Preview: no rows (the block has no sessions) · {columns}"
    return f"Preview: first {len(preview.rows):,} of {preview.total_rows:,} rows · {columns}"


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
    return f"Wrote {printable(result.path)} · {format_size(result.bytes)} · {rows} · {result.seconds:.1f} s"


class FormCheckbox(Checkbox):
    """A checkbox whose mark is `X` only when ticked, so its state shows without colour too."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - the name Textual reads
        return "X" if self.value else " "


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

    class PreviewReady(Message):
        """The preview of `selection` was computed."""

        def __init__(self, selection: CsvSelection, preview: CsvPreview) -> None:
            super().__init__()
            self.selection = selection
            self.preview = preview

    class PreviewFailed(Message):
        """The preview of `selection` could not be computed; `text` is the one-line reason."""

        def __init__(self, selection: CsvSelection, text: str) -> None:
            super().__init__()
            self.selection = selection
            self.text = text

    def __init__(self, database: MuscleDatabase, block: BlockSummary) -> None:
        super().__init__()
        self.database = database
        self.block = block
        self.templates: dict[str, CsvTemplate] = {}
        self.preview: CsvPreview | None = None
        self.preview_pending = True
        self.first_column = 0
        self.last_result: ExportResult | None = None
        self._preview_timer: Timer | None = None
        self._checkboxes: dict[str, Checkbox] = {}
        self.opened_at = datetime.now(UTC)
        self._default_output = self._output_for(DEFAULT_TEMPLATE)

    # -----------------------------------------------------------------------------------------
    # Layout.

    def compose(self) -> ComposeResult:
        templates, errors = load_templates()
        self._remember_templates(templates)
        if errors:
            self.notify(
                f"{errors[0]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
                title="Some templates could not be read",
                severity="warning",
                markup=False,
            )
        start = self.templates.get(DEFAULT_TEMPLATE) or next(iter(self.templates.values()), None)
        if start is not None:
            self._default_output = self._output_for(start.name)
        selection = start.selection if start is not None else CsvSelection()
        yield Header()
        yield Static(
            printable(f"Export CSV — {self.block.name or '(no name)'} ({self.block.slug})"),
            id="heading",
            classes="heading",
            markup=False,
        )
        with VerticalScroll(id="csv-form", can_focus=False):
            with Horizontal(id="template-row", classes="form-row"):
                yield Label("Template", classes="form-label")
                yield Select(
                    self._template_options(),
                    value=start.name if start is not None else Select.NULL,
                    allow_blank=start is None,
                    id="template",
                )
                yield Button("Load template", id="load-template")
            with Horizontal(id="field-groups"):
                for group_id, title, table in FIELD_GROUPS:
                    with Vertical(id=group_id, classes="field-group"):
                        yield Label(title, classes="group-title")
                        for key, label in table.items():
                            yield self._checkbox(key, label, self._selected(selection, key))
                        if group_id == "options":
                            yield self._checkbox(SORT_COLUMNS, SORT_COLUMNS_LABEL, selection.sort_columns)
                            yield self._checkbox(EXCEL_SAFE, EXCEL_SAFE_LABEL, False)
            with Horizontal(id="output-row", classes="form-row"):
                yield Label("Output", classes="form-label")
                yield Input(value=str(self._default_output), id="output-path")
            yield Static("", id="path-error", classes="form-error", markup=False)
            yield Static("", id="width-warning", classes="form-warning", markup=False)
            with Horizontal(id="action-row"):
                yield Button("Export CSV", variant="primary", id="export")
                yield Button("Save as template…", id="save-template")
                yield Button("Back", id="back")
            yield Static("", id="export-result", classes="form-result", markup=False)
            yield Static("Preview: computing …", id="preview-status", classes="status", markup=False)
            yield DataTable(id="preview", zebra_stripes=True, cursor_type="none")
        yield Footer()

    def _checkbox(self, key: str, label: str, value: bool) -> Checkbox:
        checkbox = FormCheckbox(label, value, id=f"csv-{key}", compact=True, classes="csv-choice")
        self._checkboxes[key] = checkbox
        return checkbox

    def _output_for(self, template_name: str) -> Path:
        return default_csv_output(self.block.slug, template_name, now=self.opened_at)

    @staticmethod
    def _selected(selection: CsvSelection, key: str) -> bool:
        return key in selection.session_fields or key in selection.result_fields or key in selection.options

    def on_mount(self) -> None:
        self.query_one("#template", Select).focus()
        self._start_preview()

    # -----------------------------------------------------------------------------------------
    # The selection.

    @property
    def selection(self) -> CsvSelection:
        """The selection the checkboxes describe."""
        ticked = {key for key, checkbox in self._checkboxes.items() if checkbox.value}
        return CsvSelection(
            session_fields=tuple(key for key in SESSION_FIELDS if key in ticked),
            result_fields=tuple(key for key in RESULT_FIELDS if key in ticked),
            options=frozenset(key for key in OPTIONS if key in ticked),
            sort_columns=SORT_COLUMNS in ticked,
            excel_safe=EXCEL_SAFE in ticked,
        )

    def apply_template(self, template: CsvTemplate) -> None:
        """Set the checkboxes to the template's selection (the Excel-safe switch is not part of it)."""
        selection = template.selection
        for key, checkbox in self._checkboxes.items():
            if key == EXCEL_SAFE:
                continue
            if key == SORT_COLUMNS:
                checkbox.value = selection.sort_columns
            else:
                checkbox.value = self._selected(selection, key)
        output = self.query_one("#output-path", Input)
        new_default = self._output_for(template.name)
        if output.value.strip() == str(self._default_output):
            output.value = str(new_default)
        self._default_output = new_default

    def _remember_templates(self, templates: list[CsvTemplate]) -> None:
        self.templates = {template.name: template for template in templates}

    def _template_options(self) -> list[tuple[Text, str]]:
        return [(Text(template_choice(template)), name) for name, template in self.templates.items()]

    def action_load_template(self) -> None:
        """Set the checkboxes from the template chosen in the selector."""
        name = self.query_one("#template", Select).value
        template = self.templates.get(name) if isinstance(name, str) else None
        if template is None:
            self.notify("Choose a template first.", severity="warning")
            return
        self.apply_template(template)

    @on(Button.Pressed, "#load-template")
    def _load_pressed(self) -> None:
        self.action_load_template()

    # -----------------------------------------------------------------------------------------
    # The preview: debounced, computed in a thread; a preview of an older selection is dropped.

    @on(Checkbox.Changed)
    def _selection_changed(self) -> None:
        self.preview_pending = True
        self.refresh_bindings()
        self.query_one("#preview-status", Static).update("Preview: updating …")
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY_SECONDS, self._start_preview)

    def _start_preview(self) -> None:
        self._preview_timer = None
        self._compute_preview(self.selection)

    @work(thread=True, exclusive=True, group="csv-preview", exit_on_error=False)
    def _compute_preview(self, selection: CsvSelection) -> None:
        worker = get_current_worker()
        try:
            preview = preview_csv(self.database, self.block.slug, selection, PREVIEW_ROWS)
        except MuscleTuiError as exc:
            message: Message = self.PreviewFailed(selection, str(exc))
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            message = self.PreviewFailed(selection, f"preview failed unexpectedly ({type(exc).__name__})")
        else:
            message = self.PreviewReady(selection, preview)
        if not worker.is_cancelled:
            self.post_message(message)

    @on(PreviewReady)
    def _show_preview(self, message: PreviewReady) -> None:
        if message.selection != self.selection or self._preview_timer is not None:
            return
        preview = message.preview
        self.preview = preview
        self.preview_pending = False
        last_page = max(0, (preview.total_columns - 1) // PREVIEW_PAGE_COLUMNS * PREVIEW_PAGE_COLUMNS)
        self._show_columns(min(self.first_column, last_page))
        warning = width_warning(message.selection, preview.total_columns)
        widget = self.query_one("#width-warning", Static)
        widget.update(warning or "")
        widget.display = warning is not None

    def _show_columns(self, first_column: int) -> None:
        """Fill the table with the preview's columns from `first_column` (one page of them).

        A DataTable renders whole rows, so a page keeps each redraw cheap however wide the CSV.
        """
        assert self.preview is not None
        self.first_column = first_column
        window = slice(first_column, first_column + PREVIEW_PAGE_COLUMNS)
        table = self.query_one("#preview", DataTable)
        table.clear(columns=True)
        table.add_columns(*(preview_cell(name) for name in self.preview.header[window]))
        table.add_rows([[preview_cell(value) for value in row[window]] for row in self.preview.rows])
        self.query_one("#preview-status", Static).update(describe_preview(self.preview, first_column))
        self.refresh_bindings()

    def action_page_columns(self, direction: int) -> None:
        """Show the next (1) or previous (-1) page of the preview's columns."""
        if self.check_action("page_columns", (direction,)):
            self._show_columns(self.first_column + direction * PREVIEW_PAGE_COLUMNS)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Paging the preview's columns is offered only where there is a page to go to."""
        if action != "page_columns":
            return True
        if self.preview is None or self.preview_pending:
            return None
        target = self.first_column + int(parameters[0]) * PREVIEW_PAGE_COLUMNS
        return True if 0 <= target < self.preview.total_columns else None

    @on(PreviewFailed)
    def _show_preview_failure(self, message: PreviewFailed) -> None:
        if message.selection != self.selection or self._preview_timer is not None:
            return
        self.query_one("#preview", DataTable).clear(columns=True)
        self.preview = None
        self.preview_pending = False
        self.query_one("#preview-status", Static).update(f"Preview failed: {message.text}")
        self.refresh_bindings()

    # -----------------------------------------------------------------------------------------
    # Export.

    @on(Input.Submitted, "#output-path")
    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        """Export the block with the current selection to the path in the form."""
        self._export()

    @work(exclusive=True, group="csv-export")
    async def _export(self) -> None:
        error = self.query_one("#path-error", Static)
        output = resolve_output_path(self.query_one("#output-path", Input).value, self._default_output.name)
        if output is None:
            error.update("Type a file name for the CSV.")
            error.display = True
            self.query_one("#output-path", Input).focus()
            return
        error.display = False
        force = False
        if output.exists():
            if not await self.app.push_screen_wait(ConfirmReplaceDialog(output)):
                return
            force = True
        selection = self.selection
        database, slug = self.database, self.block.slug

        def run(progress: ProgressCallback, cancel: CancelToken) -> ExportResult:
            return write_csv(database, slug, selection, output, force=force, progress=progress, cancel=cancel)

        result = await self.app.push_screen_wait(
            ExportProgressScreen(f"Exporting to {output.name}", run, "rows")
        )
        if result is None:
            return
        self.last_result = result
        summary = self.query_one("#export-result", Static)
        summary.update(describe_result(result))
        summary.display = True

    # -----------------------------------------------------------------------------------------
    # Save as template.

    @on(Button.Pressed, "#save-template")
    def action_save_template(self) -> None:
        """Ask for a name and save the current selection as a user template."""
        self._save_template()

    @work(exclusive=True, group="csv-template")
    async def _save_template(self) -> None:
        selection = self.selection
        directory = user_templates_dir()
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
            saved = save_template(name, label, selection, replace=replace, directory=directory)
        except MuscleTuiError as exc:
            self.notify(str(exc), title="Template not saved", severity="error", markup=False)
            return
        self._reload_templates(select=name)
        self.notify(str(saved), title=f"Template {name!r} saved", timeout=5, markup=False)

    def _reload_templates(self, select: str | None = None) -> None:
        templates, _errors = load_templates()
        self._remember_templates(templates)
        selector = self.query_one("#template", Select)
        current = selector.value
        selector.set_options(self._template_options())
        chosen = select if select in self.templates else current
        if isinstance(chosen, str) and chosen in self.templates:
            selector.value = chosen

    # -----------------------------------------------------------------------------------------

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        """Return to the blocks."""
        self.dismiss()
