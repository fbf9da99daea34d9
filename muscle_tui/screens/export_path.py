"""Asks where an export should go, prefilled with a default path."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


def resolve_output_path(text: str, default_name: str) -> Path | None:
    """The absolute path the user typed (~ expanded; an existing directory gets `default_name`)."""
    text = text.strip()
    if not text:
        return None
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / default_name
    return path.absolute()


class ExportPathDialog(ModalScreen[Path | None]):
    """Returns the chosen output path, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: Path) -> None:
        super().__init__()
        self.dialog_title = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.dialog_title, classes="dialog-title", markup=False)
            yield Label("Write to:", classes="dialog-label")
            yield Input(value=str(self.default), id="output-path")
            yield Static("", id="path-error", classes="dialog-error", markup=False)
            yield Static(
                "Ending in .zip: one zip file; otherwise a new directory of the 7 JSON files.\n"
                "An existing directory receives the default file name.\n"
                "Enter exports, Escape cancels.",
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#export")
    def _submit(self) -> None:
        path = resolve_output_path(self.query_one(Input).value, self.default.name)
        if path is None:
            error = self.query_one("#path-error", Static)
            error.update("Type a file name.")
            error.display = True
            return
        self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
