"""The database could not be opened: one line saying why, and a way out."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from muscle_tui.text import escape_controls

ERROR_EXIT_STATUS = 1


class ErrorScreen(Screen[None]):
    """Shows a MuscleTuiError's one-line message; `q` or Escape quits with exit status 1."""

    BINDINGS = [
        Binding("q", "quit_with_error", "Quit"),
        Binding("escape,ctrl+c", "quit_with_error", "Quit", show=False),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="error-box"):
            yield Static("Cannot open the database", id="error-title")
            yield Static(escape_controls(self.text), id="error-text", markup=False)
            yield Static("Press q or Escape to quit.", id="error-hint")
        yield Footer()

    def action_quit_with_error(self) -> None:
        self.app.exit(return_code=ERROR_EXIT_STATUS)
