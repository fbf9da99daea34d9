"""Shown while the database opens (a worker connects; a slow server must not freeze the UI)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static

from muscle_tui.text import escape_controls


class ConnectingScreen(Screen[None]):
    """A loading indicator and the name of the database being opened."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="connecting"):
            yield LoadingIndicator()
            yield Static(escape_controls(f"Opening {self.label} …"), id="connecting-label", markup=False)
        yield Footer()
