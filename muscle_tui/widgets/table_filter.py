"""Filtering a table as you type.

`TableFilter` is a one-line bar over a table held in memory (widgets/fitted_table.py), hidden until
the screen's `/` opens it: every key narrows the rows (`Changed`); Enter goes back to the table and
keeps the filter; Escape clears the filter, hides the bar and goes back to the table.

`TextFilteredPane` gives a pane whose text filter queries the database (the Block screen's Sessions
and Participants tabs) the same keys: `/` goes to its filter, Escape there (or on the table while
the filter holds text) clears it and goes back to the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label


def matches(needle: str, *texts: str | None) -> bool:
    """Whether any of `texts` contains `needle`, in any case (an empty `needle` matches everything)."""
    needle = needle.strip().casefold()
    return not needle or any(needle in text.casefold() for text in texts if text)


def filtered_status(shown: int, total: int, noun: str, text: str) -> str:
    """The status line of a filtered table: `2 of 5 blocks shown (filter 'rhy'; Escape clears it).`"""
    return f"{shown:,} of {total:,} {noun} shown (filter {text!r}; Escape clears it)."


class TableFilter(Horizontal):
    """`Filter` and a text field, over the table `table` (a selector); see the module's description."""

    BINDINGS = [Binding("escape", "clear", "Clear filter")]

    @dataclass
    class Changed(Message):
        """The filter's text changed (stripped; '' when cleared)."""

        bar: TableFilter
        text: str

        @property
        def control(self) -> TableFilter:
            """The bar (so `@on(TableFilter.Changed, "#id")` matches it)."""
            return self.bar

    def __init__(self, table: str, placeholder: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="table-filter")
        self.table = table
        self.placeholder = placeholder
        self._show(False)  # until `open`

    def compose(self) -> ComposeResult:
        yield Label("Filter", classes="table-filter-label")
        yield Input(placeholder=self.placeholder, compact=True, classes="table-filter-input")

    @property
    def input(self) -> Input:
        """The text field."""
        return self.query_one(Input)

    @property
    def text(self) -> str:
        """The filter's text, stripped ('' when there is none)."""
        return self.input.value.strip()

    @property
    def active(self) -> bool:
        """Whether the bar is shown (a filter is being typed or narrows the table)."""
        return self.display

    def open(self) -> None:
        """Show the bar and put the cursor in it (its text kept)."""
        self._show(True)
        self.input.focus()

    def action_clear(self) -> None:
        """Clear the filter, hide the bar and go back to the table."""
        self.input.value = ""  # the field says so (Changed)
        self._back_to_table()
        self._show(False)

    def _show(self, shown: bool) -> None:
        # Hidden, the bar is disabled too: nothing focuses its field by accident (a screen's AUTO_FOCUS).
        self.display = shown
        self.disabled = not shown

    def _back_to_table(self) -> None:
        self.screen.query_one(self.table).focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self, event.value.strip()))

    @on(Input.Submitted)
    def _done(self, event: Input.Submitted) -> None:
        event.stop()
        self._back_to_table()
        if not self.text:
            self._show(False)


class TextFilteredPane(Vertical):
    """A pane with a text filter (the Input `filter_selector`) over its table (`filter_table`)."""

    BINDINGS = [
        # Not in the footer: the field is on screen, its placeholder says `/`.
        Binding("slash", "focus_filter", "Filter", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    filter_selector = "Input"

    @property
    def filter_input(self) -> Input:
        """The text filter."""
        return self.query_one(self.filter_selector, Input)

    @property
    def filter_table(self) -> Widget:
        """The table the filter narrows (subclasses say which)."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape clears the filter while it has the cursor or holds text; else it means what the
        screen says (back)."""
        if action == "clear_filter":
            field = self.filter_input
            return field.has_focus or bool(field.value)
        return True

    def action_focus_filter(self) -> None:
        """Put the cursor in the text filter."""
        self.filter_input.focus()

    def action_clear_filter(self) -> None:
        """Clear the text filter and go back to the table."""
        self.filter_input.value = ""
        self.filter_table.focus()
