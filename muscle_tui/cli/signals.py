"""Stop signals during a headless command: the first cancels a running export, a second stops at once."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Stopped(BaseException):
    """A stop signal (SIGINT, SIGTERM, SIGHUP) that ends the command at once.

    Not a KeyboardInterrupt: click would turn that into its own `Abort` and print a blank line.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP (the SSH session dropped) while a command runs.

    During an export (`exporting()`), the first signal cancels it through a `threading.Event`:
    the export stops at its next row and removes its temporary output, at a point where nothing
    is half-done. Otherwise, and at a second signal, `Stopped` is raised at once.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.signum: int | None = None
        self._exporting = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Handle the signals while the block runs; the previous handlers come back after."""
        previous = {signum: signal.signal(signum, self._handle) for signum in self.SIGNALS}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if first and self._exporting:
            self.cancel.set()
            return
        raise Stopped(signum)

    @contextlib.contextmanager
    def exporting(self) -> Iterator[threading.Event]:
        """While the block runs, a signal cancels through the event it yields."""
        if self.signum is not None:
            raise Stopped(self.signum)
        self._exporting = True
        try:
            yield self.cancel
        finally:
            self._exporting = False


def stopped_line(signum: int, printing: bool = False) -> str:
    """What muscle-tui says when a signal stopped it: an unfinished export has removed its files,
    while a listing (`printing`) has already written part of its output to stdout."""
    reason = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    if printing:
        return f"muscle-tui: {reason}; the output printed so far is incomplete"
    return f"muscle-tui: {reason}; no partial output was left behind"
