"""Asks before an export replaces an existing file."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from muscle_tui.text import escape_controls


class ConfirmReplaceDialog(ModalScreen[bool]):
    """Returns True to replace `path`, False to keep it."""

    BINDINGS = [
        Binding("y", "answer(True)", "Replace"),
        Binding("n,escape", "answer(False)", "Keep"),
        Binding("ctrl+c", "app.quit", "Quit", show=False),
    ]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Replace the existing file?", classes="dialog-title")
            yield Label(escape_controls(str(self.path)), classes="dialog-label", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Replace", variant="error", id="replace")
                yield Button("Keep it", variant="primary", id="keep")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "replace")

    def action_answer(self, replace: bool) -> None:
        self.dismiss(replace)
