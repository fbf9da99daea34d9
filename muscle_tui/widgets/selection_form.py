"""The CSV form's checkboxes: MUSCLE's session fields, result fields and options, as a `CsvSelection`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Checkbox, Label

from muscle_tui.export.csv import OPTIONS, RESULT_FIELDS, SESSION_FIELDS, SORT_COLUMNS_LABEL, CsvSelection

EXCEL_SAFE_LABEL = "Neutralise spreadsheet formulas (Excel-safe)"
SORT_COLUMNS = "sort_columns"
EXCEL_SAFE = "excel_safe"
FORM_LAYOUT = "form"
FIELD_GROUPS = (
    ("session-fields", "Session and participant fields", SESSION_FIELDS),
    ("result-fields", "Result fields", RESULT_FIELDS),
    ("options", "Options", OPTIONS),
)


def is_selected(selection: CsvSelection, key: str) -> bool:
    """Whether `selection` ticks the field or option `key`."""
    return key in selection.session_fields or key in selection.result_fields or key in selection.options


class FormCheckbox(Checkbox):
    """A checkbox whose mark is `X` only when ticked, so its state shows without colour too."""

    def __init__(self, label: str, value: bool, **kwargs: Any) -> None:
        super().__init__(label, value, **kwargs)
        self.BUTTON_INNER = "X" if value else " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = "X" if self.value else " "
        super().watch_value()


class SelectionForm(Horizontal):
    """Three groups of checkboxes (ids `csv-<key>`) side by side; posts `Changed` on every tick.

    A fixed layout (MUSCLE 2026's own CSV) ignores fields and options: while one is applied, the
    checkboxes are disabled and the selection keeps that layout.
    """

    @dataclass
    class Changed(Message):
        """A checkbox of the form was ticked or unticked."""

        form: SelectionForm

    def __init__(self, selection: CsvSelection, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = selection
        self.csv_layout = selection.layout
        self.checkboxes: dict[str, Checkbox] = {}

    def compose(self) -> ComposeResult:
        selection = self._initial
        for group_id, title, table in FIELD_GROUPS:
            with Vertical(id=group_id, classes="field-group"):
                yield Label(title, classes="group-title")
                for key, label in table.items():
                    yield self._checkbox(key, label, is_selected(selection, key))
                if group_id == "options":
                    yield self._checkbox(SORT_COLUMNS, SORT_COLUMNS_LABEL, selection.sort_columns)
                    yield self._checkbox(EXCEL_SAFE, EXCEL_SAFE_LABEL, selection.excel_safe)

    def on_mount(self) -> None:
        self._show_layout()

    def _show_layout(self) -> None:
        for checkbox in self.checkboxes.values():
            checkbox.disabled = self.csv_layout != FORM_LAYOUT

    def _checkbox(self, key: str, label: str, value: bool) -> Checkbox:
        checkbox = FormCheckbox(label, value, id=f"csv-{key}", compact=True, classes="csv-choice")
        self.checkboxes[key] = checkbox
        return checkbox

    @property
    def selection(self) -> CsvSelection:
        """The selection the checkboxes describe."""
        ticked = {key for key, checkbox in self.checkboxes.items() if checkbox.value}
        return CsvSelection(
            session_fields=tuple(key for key in SESSION_FIELDS if key in ticked),
            result_fields=tuple(key for key in RESULT_FIELDS if key in ticked),
            options=frozenset(key for key in OPTIONS if key in ticked),
            sort_columns=SORT_COLUMNS in ticked,
            excel_safe=EXCEL_SAFE in ticked,
            layout=self.csv_layout,
        )

    def apply(self, selection: CsvSelection) -> None:
        """Tick what `selection` selects; the Excel-safe switch is left as it is (templates lack it)."""
        changed_layout = selection.layout != self.csv_layout
        self.csv_layout = selection.layout
        self._show_layout()
        for key, checkbox in self.checkboxes.items():
            if key == SORT_COLUMNS:
                checkbox.value = selection.sort_columns
            elif key != EXCEL_SAFE:
                checkbox.value = is_selected(selection, key)
        if changed_layout:
            self.post_message(self.Changed(self))

    @on(Checkbox.Changed)
    def _ticked(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self))
