"""Everything the CLI writes to stderr: one-line messages and the progress of an export.

Messages are single lines with control characters made visible and passwords masked. Progress is a
`rich.progress` bar (stage, bar, count, rate, time left) when stderr is a terminal, and nothing
otherwise, so scripts see only the written path on stdout and errors on stderr. The engine's
`ProgressReporter` already limits how often it reports: every report is shown.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, TimeRemainingColumn
from rich.text import Text

from muscle_tui.export.progress import ExportProgress
from muscle_tui.text import escape_controls, printable

PREFIX = "muscle-tui: "
# A URL's userinfo, `scheme://user:` up to the last `@` of the line: a password may hold `@` and spaces.
_URL_PASSWORD = re.compile(r"(://[^/@\s:]*:)[^\n]*@")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def redact_passwords(text: str) -> str:
    """`text` with the password of any database URL (or `password=...`) in it replaced by ***.

    This works on the text's structure, never by looking for a known password (which would mangle
    every message holding its letters): for text muscle-tui did not write, such as a usage error
    echoing a URL typed in the wrong place, or a traceback."""
    return _KEYWORD_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", text))


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is an open terminal."""
    try:
        return stream.isatty()
    except (ValueError, OSError):
        return False


def say(line: str) -> None:
    """Write one line to stderr; quietly nothing when the terminal is gone (SIGHUP) or closed."""
    try:
        print(escape_controls(redact_passwords(line)), file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def say_error(message: str) -> None:
    """`muscle-tui: <message>` on stderr."""
    say(PREFIX + message)


def write_raw(text: str) -> None:
    """Write `text` (several lines, e.g. a usage message) to stderr, passwords masked and the
    control characters within each line escaped."""
    lines = redact_passwords(text).split("\n")
    try:
        sys.stderr.write("\n".join(escape_controls(line) for line in lines))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class CountColumn(ProgressColumn):
    """`1,500/3,000` (or `1,500` while the total is unknown)."""

    def render(self, task: Task) -> Text:
        done = f"{int(task.completed):,}"
        return Text(done if task.total is None else f"{done}/{int(task.total):,}", style="progress.download")


class RateColumn(ProgressColumn):
    """Objects or rows per second."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        shown = "?" if speed is None else f"{speed:,.0f}"
        return Text(f"{shown} {self.unit}/s", style="progress.data.speed")


class ExportProgressBar:
    """A context manager giving the progress callback for one export: a bar on a terminal, else None.

    The bar is transient: it is gone when the export ends, so what follows starts on a clean line.
    """

    def __init__(self, label: str, unit: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = is_terminal(self.stream)
        self.unit = unit
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ExportProgressBar | None:
        if not self.enabled:
            return None
        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            CountColumn(),
            RateColumn(self.unit),
            TimeRemainingColumn(),
            console=Console(file=self.stream),
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._progress.add_task(printable(self.label), total=None)
        self._guarded(self._progress.start)
        return self

    def __call__(self, report: ExportProgress) -> None:
        """Show one report of the engine's."""
        progress, task = self._progress, self._task
        if progress is None or task is None:
            return
        description = printable(f"{self.label}: {report.stage}" if report.stage else self.label)
        self._guarded(
            lambda: progress.update(
                task, description=description, total=report.total, completed=report.done, refresh=True
            )
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        progress, self._progress = self._progress, None
        if progress is not None:
            try:
                progress.stop()
            except (OSError, ValueError):
                pass

    def _guarded(self, action: Callable[[], object]) -> None:
        try:
            action()
        except (OSError, ValueError):
            self._progress = None  # the terminal is gone (SIGHUP): the export goes on without a bar
