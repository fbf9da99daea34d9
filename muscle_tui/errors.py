"""Errors that reach the user as one clear line."""

from __future__ import annotations

import threading


class MuscleTuiError(Exception):
    """A failure the user can act on; its message is one line and never holds a password."""


class DatabaseError(MuscleTuiError):
    """The database cannot be reached, opened or read."""


class SchemaError(MuscleTuiError):
    """The database is not a MUSCLE database muscle-tui knows how to read."""


class NotFoundError(MuscleTuiError):
    """An unknown block or experiment slug."""


class OutputError(MuscleTuiError):
    """The export's output cannot be written."""


class ExportCancelled(MuscleTuiError):
    """The export was cancelled; nothing was left behind."""

    def __init__(self, message: str = "export cancelled; nothing was written") -> None:
        super().__init__(message)


def raise_if_cancelled(cancel: threading.Event | None) -> None:
    """Raise ExportCancelled when `cancel` (set from any thread to stop an export) is set."""
    if cancel is not None and cancel.is_set():
        raise ExportCancelled()
