"""How a screen offers its own commands to the command palette (the app collects them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from textual.app import SystemCommand


@runtime_checkable
class OffersCommands(Protocol):
    """A screen with commands of its own for the palette while it is active."""

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The screen's commands."""
        ...
