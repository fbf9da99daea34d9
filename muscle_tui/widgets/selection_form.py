"""The CSV form's field lists: MUSCLE's session fields, result fields and options, as a `CsvSelection`.

Each group is a `FieldList` (a `SelectionList`): the arrow keys move, space toggles, `a` selects
all of the group and `n` none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList

from muscle_tui.export.csv import OPTIONS, RESULT_FIELDS, SESSION_FIELDS, SORT_COLUMNS_LABEL, CsvSelection

EXCEL_SAFE_LABEL = "Neutralise spreadsheet formulas (Excel-safe)"
SORT_COLUMNS = "sort_columns"
EXCEL_SAFE = "excel_safe"
FORM_LAYOUT = "form"
OPTION_ITEMS = {**OPTIONS, SORT_COLUMNS: SORT_COLUMNS_LABEL, EXCEL_SAFE: EXCEL_SAFE_LABEL}
FIELD_GROUPS = (
    ("csv-session-fields", "Session and participant fields", SESSION_FIELDS),
    ("csv-result-fields", "Result fields", RESULT_FIELDS),
    ("options", "Options", OPTION_ITEMS),
)
GROUP_HINT = "a all · n none"


def is_selected(selection: CsvSelection, key: str) -> bool:
    """Whether `selection` ticks the field or option `key`."""
    if key == SORT_COLUMNS:
        return selection.sort_columns
    if key == EXCEL_SAFE:
        return selection.excel_safe
    return key in selection.session_fields or key in selection.result_fields or key in selection.options


class FormCheckbox(Checkbox):
    """A checkbox whose mark is `X` only when ticked, so its state shows without colour too."""

    def __init__(self, label: str, value: bool, **kwargs: Any) -> None:
        super().__init__(label, value, **kwargs)
        self.BUTTON_INNER = "X" if value else " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = "X" if self.value else " "
        super().watch_value()


class FieldList(SelectionList[str]):
    """One group of fields or options: arrows move, space toggles, `a` all, `n` none. The mark is
    `X` only when selected, so the state shows without colour too."""

    DEFAULT_CSS = """
    FieldList {
        width: auto;
        height: auto;
        padding: 0 1 0 0;
        & > .option-list--option { padding: 0; }
    }
    FieldList#csv-session-fields { min-width: 36; }
    """

    BINDINGS = [
        Binding("a", "select_all", "All"),
        Binding("n", "deselect_all", "None"),
    ]

    def __init__(self, title: str, items: dict[str, str], chosen: set[str], *, id: str) -> None:
        super().__init__(*((label, key, key in chosen) for key, label in items.items()), id=id)
        self.border_title = title
        self.border_subtitle = GROUP_HINT

    @property
    def keys(self) -> list[str]:
        """The keys of the group's items, in order."""
        return [self.get_option_at_index(index).value for index in range(self.option_count)]

    def set_chosen(self, key: str, chosen: bool) -> None:
        """Select or unselect the item `key`."""
        if chosen:
            self.select(key)
        else:
            self.deselect(key)

    def action_select_all(self) -> None:
        """Select every item of the group."""
        self.select_all()

    def action_deselect_all(self) -> None:
        """Select no item of the group."""
        self.deselect_all()

    def render_line(self, y: int) -> Strip:
        """The list's line, its mark blank when the item is not selected."""
        strip = super().render_line(y)
        index = self.scroll_offset.y + y
        if index >= self.option_count or self.get_option_at_index(index).value in self.selected:
            return strip
        segments = list(strip)
        if len(segments) > 1:
            segments[1] = segments[1]._replace(text=" " * len(segments[1].text))
        return Strip(segments, strip.cell_length)


class SelectionForm(Horizontal):
    """Three `FieldList`s (`#csv-session-fields`, `#csv-result-fields`, `#options`) side by side; posts
    `Changed` on every change.

    A fixed layout (MUSCLE 2026's own CSV) ignores fields and options: while one is applied, the
    lists are disabled and the selection keeps that layout.
    """

    @dataclass
    class Changed(Message):
        """An item of the form was selected or unselected."""

        form: SelectionForm

    def __init__(self, selection: CsvSelection, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = selection
        self.csv_layout = selection.layout

    def compose(self) -> ComposeResult:
        for group_id, title, items in FIELD_GROUPS:
            chosen = {key for key in items if is_selected(self._initial, key)}
            yield FieldList(title, items, chosen, id=group_id)

    def on_mount(self) -> None:
        self._show_layout()

    @property
    def lists(self) -> list[FieldList]:
        """The three lists, in form order."""
        return list(self.query(FieldList))

    def _show_layout(self) -> None:
        for field_list in self.lists:
            field_list.disabled = self.csv_layout != FORM_LAYOUT

    @property
    def chosen(self) -> set[str]:
        """The keys of every item selected."""
        return {key for field_list in self.lists for key in field_list.selected}

    @property
    def selection(self) -> CsvSelection:
        """The selection the lists describe."""
        ticked = self.chosen
        return CsvSelection(
            session_fields=tuple(key for key in SESSION_FIELDS if key in ticked),
            result_fields=tuple(key for key in RESULT_FIELDS if key in ticked),
            options=frozenset(key for key in OPTIONS if key in ticked),
            sort_columns=SORT_COLUMNS in ticked,
            excel_safe=EXCEL_SAFE in ticked,
            layout=self.csv_layout,
        )

    def apply(self, selection: CsvSelection) -> None:
        """Select what `selection` selects (one `Changed` when that changes the form); the
        Excel-safe switch is left as it is (templates lack it)."""
        before = self.selection
        self.csv_layout = selection.layout
        self._show_layout()
        with self.prevent(SelectionList.SelectedChanged):
            for field_list in self.lists:
                for key in field_list.keys:
                    if key != EXCEL_SAFE:
                        field_list.set_chosen(key, is_selected(selection, key))
        if self.selection != before:
            self.post_message(self.Changed(self))

    def set_chosen(self, key: str, chosen: bool) -> None:
        """Select (or unselect) the field or option `key` (posts `Changed` when that changes it)."""
        for field_list in self.lists:
            if key in field_list.keys:
                field_list.set_chosen(key, chosen)
                return
        raise KeyError(key)

    @on(SelectionList.SelectedChanged)
    def _changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        self.post_message(self.Changed(self))
