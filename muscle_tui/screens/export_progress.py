"""Runs an export in a worker thread and shows each progress report it sends; Escape cancels it.

Every running export is listed in its app's `RunningExports`, so that a signal handler (on any
thread) can cancel them all and wait until each has removed its temporary output.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, Static

from muscle_tui.errors import ExportCancelled, MuscleTuiError, raise_if_cancelled
from muscle_tui.export.files import OutputExists
from muscle_tui.export.progress import ExportProgress, ExportResult, ProgressCallback
from muscle_tui.messages import ExportFailed, ExportFinished, ExportProgressed
from muscle_tui.screens.formatting import format_duration
from muscle_tui.text import escape_controls

ExportRun = Callable[[ProgressCallback, threading.Event], ExportResult]
"""An export to run: called in a worker thread with a progress callback and a cancel event."""
CANCEL_HINT = "Escape cancels the export; nothing is left behind."


def describe_progress(progress: ExportProgress, unit: str) -> str:
    """`1,200 of 5,000 objects written · 600 objects/s · ETA 0:06` (rate and ETA once measurable)."""
    done, total, elapsed = progress.done, progress.total, progress.elapsed
    parts = [f"{done:,} of {total:,} {unit} written" if total is not None else f"{done:,} {unit} written"]
    if elapsed > 0 and done > 0:
        rate = done / elapsed
        parts.append(f"{rate:,.0f} {unit}/s")
        if total is not None and total >= done:
            parts.append(f"ETA {format_duration((total - done) / rate)}")
    return " · ".join(parts)


class Outcome(Enum):
    """Where an export (or the flow around it) ended."""

    WRITTEN = "written"
    CANCELLED = "cancelled"
    KEPT = "kept"
    """The target exists and the user chose not to replace it."""
    REFUSED = "refused"
    """The path or the export failed; `error` says why."""


@dataclass(frozen=True)
class ExportOutcome:
    """How an export ended: its result when written, the one-line reason when refused."""

    outcome: Outcome
    result: ExportResult | None = None
    error: str | None = None


@dataclass(eq=False)
class ExportHandle:
    """One running export as other threads see it: its cancel event, and whether it has begun
    (its worker runs) and stopped (its output is written or cleaned up)."""

    cancel: threading.Event = field(default_factory=threading.Event)
    begun: threading.Event = field(default_factory=threading.Event)
    stopped: threading.Event = field(default_factory=threading.Event)

    def settled(self, timeout: float) -> bool:
        """Wait until the export has stopped; an export cancelled before it began never starts."""
        if self.cancel.is_set() and not self.begun.is_set():
            return True
        return self.stopped.wait(max(0.0, timeout))


class RunningExports:
    """The exports one app is running. Safe to use from any thread, a signal handler included."""

    def __init__(self) -> None:
        self._handles: set[ExportHandle] = set()

    def add(self, handle: ExportHandle) -> None:
        self._handles.add(handle)

    def discard(self, handle: ExportHandle) -> None:
        self._handles.discard(handle)

    def running(self) -> int:
        """How many exports run and have not been asked to stop (quitting asks first while any do)."""
        return sum(not handle.cancel.is_set() for handle in tuple(self._handles))

    def cancel_all(self) -> None:
        """Ask every running export to stop at its next row."""
        for handle in tuple(self._handles):
            handle.cancel.set()

    def wait(self, timeout: float) -> bool:
        """True once every running export has stopped, False when `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        return all(handle.settled(deadline - time.monotonic()) for handle in tuple(self._handles))


_REGISTRIES: weakref.WeakKeyDictionary[App[Any], RunningExports] = weakref.WeakKeyDictionary()


def running_exports(app: App[Any]) -> RunningExports:
    """The exports `app` is running."""
    registry = _REGISTRIES.get(app)
    if registry is None:
        registry = _REGISTRIES[app] = RunningExports()
    return registry


class ExportProgressScreen(ModalScreen[ExportOutcome]):
    """An export running: what it writes, how far it is, its rate and the time left. Escape
    cancels it; the output appears only when complete, so a cancelled export leaves nothing behind.

    Runs `run` in a worker thread and returns how it ended; `shown` is the last progress report on
    screen.
    """

    BINDINGS = [
        Binding("escape", "cancel_export", "Cancel export"),
        # A modal screen hides the app's bindings. Quitting asks first (QuitPrompt), then cancels
        # the export; a second ctrl+c in that question quits at once.
        Binding("q,ctrl+c", "app.quit", "Quit (asks first)", show=False),
    ]

    def __init__(self, title: str, run: ExportRun, unit: str = "objects", hint: str = CANCEL_HINT) -> None:
        super().__init__()
        self.export_title = title
        self.export_run = run
        self.unit = unit
        self.hint = hint
        self.handle = ExportHandle()
        self.shown: ExportProgress | None = None
        self._exports = RunningExports()
        self.pending_outcome: ExportOutcome | None = None
        """How the export ended, while a screen over this one (the quit question) keeps it open."""

    @property
    def cancel(self) -> threading.Event:
        """Set to stop the export (from any thread)."""
        return self.handle.cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(escape_controls(self.export_title), classes="dialog-title", markup=False)
            yield Static("Starting …", id="stage", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="progress")
            yield Static("", id="rate", markup=False)
            yield Static(self.hint, classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self._exports = running_exports(self.app)
        self._exports.add(self.handle)
        self._run_export()

    def on_unmount(self) -> None:
        self.handle.cancel.set()
        if not self.handle.begun.is_set():
            self._exports.discard(self.handle)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _run_export(self) -> None:
        handle = self.handle
        handle.begun.set()
        try:
            raise_if_cancelled(handle.cancel)
            result = self.export_run(self._report, handle.cancel)
        except ExportCancelled as exc:
            self.post_message(ExportFailed(str(exc), cancelled=True))
        except OutputExists as exc:
            self.post_message(ExportFailed(f"{exc.path} already exists; it was kept and nothing was written"))
        except MuscleTuiError as exc:
            self.post_message(ExportFailed(str(exc)))
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            self.post_message(ExportFailed(f"export failed unexpectedly ({type(exc).__name__})"))
        else:
            self.post_message(ExportFinished(result))
        finally:
            handle.stopped.set()
            self._exports.discard(handle)

    def _report(self, progress: ExportProgress) -> None:
        self.post_message(ExportProgressed(progress))

    @on(ExportProgressed)
    def _show_progress(self, message: ExportProgressed) -> None:
        if self.handle.cancel.is_set():
            return
        progress = message.progress
        self.query_one("#stage", Static).update(escape_controls(f"Writing {progress.stage}"))
        self.query_one(ProgressBar).update(total=progress.total, progress=progress.done)
        self.query_one("#rate", Static).update(describe_progress(progress, self.unit))
        self.shown = progress

    @on(ExportFinished)
    def _finished(self, message: ExportFinished) -> None:
        self._close(ExportOutcome(Outcome.WRITTEN, result=message.result))

    @on(ExportFailed)
    def _failed(self, message: ExportFailed) -> None:
        if message.cancelled:
            self._close(ExportOutcome(Outcome.CANCELLED))
        else:
            self._close(ExportOutcome(Outcome.REFUSED, error=message.text))

    def _close(self, outcome: ExportOutcome) -> None:
        # The quit question (or the help) may be open over this screen, and `dismiss` closes the
        # screen on top: the outcome waits until this screen is on top again.
        if self.is_active:
            self.dismiss(outcome)
        else:
            self.pending_outcome = outcome

    def on_screen_resume(self) -> None:
        """On top again (the question over it answered "keep going"): close if the export ended."""
        if self.pending_outcome is not None:
            self.dismiss(self.pending_outcome)

    def action_cancel_export(self) -> None:
        """Ask the export to stop at its next row; the screen closes once it has cleaned up."""
        self.handle.cancel.set()
        self.query_one("#stage", Static).update("Cancelling …")
