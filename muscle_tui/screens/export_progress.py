"""Runs an export in a worker thread and shows how far it is; Escape cancels it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, Static

from muscle_tui.errors import ExportCancelled, MuscleTuiError
from muscle_tui.export.progress import CancelToken, ExportProgress, ExportResult, ProgressCallback
from muscle_tui.messages import ExportFailed, ExportFinished, ExportProgressed
from muscle_tui.screens.formatting import format_duration

ExportRun = Callable[[ProgressCallback, CancelToken], ExportResult]
"""An export to run: called in a worker thread with a progress callback and a cancel token."""

PROGRESS_INTERVAL_SECONDS = 0.1


def describe_progress(done: int, total: int | None, elapsed: float, unit: str) -> str:
    """`1,200 of 5,000 objects written · 600 objects/s · ETA 0:06` (rate and ETA once measurable)."""
    parts = [f"{done:,} of {total:,} {unit} written" if total is not None else f"{done:,} {unit} written"]
    if elapsed > 0 and done > 0:
        rate = done / elapsed
        parts.append(f"{rate:,.0f} {unit}/s")
        if total is not None and total >= done:
            parts.append(f"ETA {format_duration((total - done) / rate)}")
    return " · ".join(parts)


class ExportProgressScreen(ModalScreen[ExportResult | None]):
    """Returns the ExportResult, or None when the export was cancelled or failed (after a notification)."""

    BINDINGS = [Binding("escape", "cancel_export", "Cancel export")]

    def __init__(self, title: str, run: ExportRun, unit: str = "objects") -> None:
        super().__init__()
        self.export_title = title
        self.export_run = run
        self.unit = unit
        self.cancel_token = CancelToken()
        self.running = threading.Event()
        self.stopped = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.export_title, classes="dialog-title", markup=False)
            yield Static("Starting …", id="stage", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="progress")
            yield Static("", id="rate", markup=False)
            yield Static("Escape cancels the export; nothing is left behind.", classes="dialog-hint")

    def on_mount(self) -> None:
        self._run_export()

    def on_unmount(self) -> None:
        self.cancel_token.cancel()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _run_export(self) -> None:
        started = time.monotonic()
        last_post = -PROGRESS_INTERVAL_SECONDS
        last_stage = None

        def report(progress: ExportProgress) -> None:
            nonlocal last_post, last_stage
            now = time.monotonic()
            finished = progress.total is not None and progress.done >= progress.total
            if finished or progress.stage != last_stage or now - last_post >= PROGRESS_INTERVAL_SECONDS:
                last_post, last_stage = now, progress.stage
                self.post_message(
                    ExportProgressed(progress.stage, progress.done, progress.total, now - started)
                )

        self.running.set()
        try:
            self.cancel_token.raise_if_cancelled()
            result = self.export_run(report, self.cancel_token)
        except ExportCancelled as exc:
            self.post_message(ExportFailed(str(exc), cancelled=True))
        except MuscleTuiError as exc:
            self.post_message(ExportFailed(str(exc)))
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            self.post_message(ExportFailed(f"export failed unexpectedly ({type(exc).__name__})"))
        else:
            self.post_message(ExportFinished(result))
        finally:
            self.stopped.set()

    def stop_and_wait(self, timeout: float) -> bool:
        """Cancel the export and wait (from any thread) until it has cleaned up; False on timeout."""
        self.cancel_token.cancel()
        return not self.running.is_set() or self.stopped.wait(timeout)

    @on(ExportProgressed)
    def _show_progress(self, message: ExportProgressed) -> None:
        if self.cancel_token.cancelled:
            return
        self.query_one("#stage", Static).update(f"Writing {message.stage}")
        self.query_one(ProgressBar).update(total=message.total, progress=message.done)
        self.query_one("#rate", Static).update(
            describe_progress(message.done, message.total, message.elapsed, self.unit)
        )

    @on(ExportFinished)
    def _finished(self, message: ExportFinished) -> None:
        self.dismiss(message.result)

    @on(ExportFailed)
    def _failed(self, message: ExportFailed) -> None:
        if message.cancelled:
            self.app.notify(message.text, title="Export cancelled", severity="warning", markup=False)
        else:
            self.app.notify(message.text, title="Export failed", severity="error", markup=False)
        self.dismiss(None)

    def action_cancel_export(self) -> None:
        """Ask the export to stop at its next row; the screen closes once it has cleaned up."""
        self.cancel_token.cancel()
        self.query_one("#stage", Static).update("Cancelling …")
