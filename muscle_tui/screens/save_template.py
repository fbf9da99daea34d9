"""Asks for the name and label under which the CSV form's selection is saved as a template."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from muscle_tui.export.csv import valid_template_name
from muscle_tui.text import escape_controls


def template_name_problem(name: str, reserved: Collection[str]) -> str | None:
    """Why `name` cannot be used for a new user template (None when it can)."""
    if not name:
        return "Type a name for the template."
    if not valid_template_name(name):
        return "Use letters, digits, _ and - (starting with a letter or digit, at most 64)."
    if name in reserved:
        return f"{name!r} is a built-in template and is never written over; choose another name."
    return None


class SaveTemplateDialog(ModalScreen[tuple[str, str] | None]):
    """Returns (name, label) for the template, or None when cancelled.

    `directory` is where the template will be written (shown to the user); `reserved` are the
    built-in names, which are refused.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+c", "app.quit", "Quit", show=False)]

    def __init__(self, directory: Path, reserved: Collection[str]) -> None:
        super().__init__()
        self.directory = directory
        self.reserved = frozenset(reserved)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Save the selection as a template", classes="dialog-title")
            yield Label("Name (letters, digits, _ and -):", classes="dialog-label")
            yield Input(id="template-name", placeholder="e.g. my_long_results")
            yield Label(
                "Label (shown in the template selector; the name when empty):", classes="dialog-label"
            )
            yield Input(id="template-label")
            yield Static("", id="name-error", classes="dialog-error", markup=False)
            yield Static(
                f"Saved as <name>.toml in {escape_controls(str(self.directory))}\n"
                "Enter saves, Escape cancels. The Excel-safe switch is not saved.",
                classes="dialog-hint",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#template-name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _submit(self) -> None:
        name = self.query_one("#template-name", Input).value.strip()
        problem = template_name_problem(name, self.reserved)
        if problem is not None:
            error = self.query_one("#name-error", Static)
            error.update(problem)
            error.display = True
            self.query_one("#template-name", Input).focus()
            return
        label = " ".join(self.query_one("#template-label", Input).value.split()) or name
        self.dismiss((name, label))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
