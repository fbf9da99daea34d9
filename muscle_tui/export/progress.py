"""Progress and cancellation, shared by every export and every front end.

An export counts its work on a `ProgressReporter`, which checks for cancellation (a plain
`threading.Event`, set from any thread) and calls the front end back at most every
`REPORT_INTERVAL_SECONDS`, at each new stage and at the end. Front ends therefore show every
report they are given: the rate limit lives here only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from muscle_tui.errors import raise_if_cancelled

REPORT_INTERVAL_SECONDS = 0.1


@dataclass(frozen=True)
class ExportProgress:
    """How far an export is: `done` of `total` objects or rows (total None when unknown),
    `elapsed` seconds after it started."""

    stage: str
    done: int
    total: int | None
    elapsed: float = 0.0

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total


ProgressCallback = Callable[[ExportProgress], None]


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: its path, size, how many objects or rows, how long it took, and
    one-line notes for the user (e.g. leftovers of an interrupted export it removed)."""

    path: str
    bytes: int
    count: int
    seconds: float
    notices: tuple[str, ...] = ()


class ProgressReporter:
    """Counts an export's work, stops it when cancelled, and reports at a bounded rate."""

    def __init__(
        self,
        callback: ProgressCallback | None,
        cancel: threading.Event | None = None,
        *,
        interval: float = REPORT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.callback = callback
        self.cancel = cancel
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.stage = ""
        self.done = 0
        self.total: int | None = None
        self._last_report: float | None = None

    def check(self) -> None:
        """Raise ExportCancelled when the export was cancelled."""
        raise_if_cancelled(self.cancel)

    def begin(self, stage: str, total: int | None = None) -> None:
        """Start a stage (reported at once); `total` counts the whole export, when known."""
        self.check()
        self.stage = stage
        if total is not None:
            self.total = total
        self._report(self.clock())

    def advance(self, count: int, stage: str | None = None) -> None:
        """Count `count` more objects or rows; report if due (or when the stage changed)."""
        self.done += count
        self.check()
        now = self.clock()
        if stage is not None and stage != self.stage:
            self.stage = stage
            self._report(now)
        elif self._last_report is None or now - self._last_report >= self.interval:
            self._report(now)

    def finish(self) -> None:
        """Report the final count."""
        self._report(self.clock())

    def _report(self, now: float) -> None:
        self._last_report = now
        if self.callback is not None:
            self.callback(ExportProgress(self.stage, self.done, self.total, now - self.started))
