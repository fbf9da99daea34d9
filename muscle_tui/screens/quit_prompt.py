"""Asks before quitting cancels a running export."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

QUESTION = "An export is running: cancel it and quit?"


class ChoiceButton(Button, can_focus=False):
    """A button for the mouse only: the keys answer the question, whatever was clicked before."""


class QuitPrompt(ModalScreen[bool]):
    """An export is still running: quitting would cancel it (nothing is left behind).

    y or Enter cancels the export and quits; n or Escape keeps it running. Pressing ctrl+c here
    quits at once, as a second ctrl+c always does.
    """

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Cancel export and quit"),
        Binding("n,escape", "answer(False)", "Keep exporting"),
        Binding("ctrl+c", "answer(True)", "Quit now", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(QUESTION, classes="dialog-title")
            yield Static(
                "y or Enter: cancel the export (nothing is left behind) and quit.\n"
                "n or Escape: keep the export running.",
                classes="dialog-hint",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield ChoiceButton("Cancel export and quit", variant="error", id="quit")
                yield ChoiceButton("Keep exporting", variant="primary", id="keep")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id == "quit")

    def action_answer(self, quit: bool) -> None:
        """True: cancel the export and quit; False: keep it running."""
        if self.is_active:  # a second answer in the same moment must not close the screen below
            self.dismiss(quit)
