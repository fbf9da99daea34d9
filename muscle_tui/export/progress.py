"""Progress reports and cancellation, shared by every export (CLI and TUI alike)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from muscle_tui.errors import ExportCancelled


@dataclass(frozen=True)
class ExportProgress:
    """How far an export is: `done` of `total` objects or rows (total None when unknown)."""

    stage: str
    done: int
    total: int | None


ProgressCallback = Callable[[ExportProgress], None]


class CancelToken:
    """Set from any thread to stop an export at its next row; the export then cleans up."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise ExportCancelled("export cancelled; nothing was written")


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    path: str
    bytes: int
    count: int
    seconds: float
