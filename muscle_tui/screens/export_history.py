"""This run's exports: the history the export flow records, the screen listing it (`e`), and the
"Last export" line a screen shows for the exports started on it.

The history lives in memory only and ends with the app: the paths may name where personal data is
kept, so nothing about them is ever written to disk.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from muscle_tui.export.progress import ExportResult
from muscle_tui.screens.formatting import format_duration, format_size
from muscle_tui.text import escape_controls, printable

ExportStatus = Literal["written", "cancelled", "failed"]
HISTORY_KEY = "e"
NO_EXPORTS = (
    "No exports yet in this run. On a block, j exports it as a JSON bundle and c opens the CSV "
    "export; on an experiment, j exports every block."
)


@dataclass(frozen=True)
class ExportRecord:
    """One export of this run: where it went, what it wrote, how it ended and when.

    `bytes`, `count` and `seconds` are known for written exports only; `error` says why a failed
    one stopped. `finished_at` is the local wall time it ended.
    """

    path: str
    format: str
    block: str
    status: ExportStatus
    finished_at: datetime
    unit: str = "objects"
    bytes: int | None = None
    count: int | None = None
    seconds: float | None = None
    error: str | None = None

    @classmethod
    def of_result(
        cls, result: ExportResult, *, format: str, block: str, unit: str, finished_at: datetime | None = None
    ) -> ExportRecord:
        """The record of a written export."""
        return cls(
            path=result.path,
            format=format,
            block=block,
            status="written",
            finished_at=finished_at or datetime.now().astimezone(),
            unit=unit,
            bytes=result.bytes,
            count=result.count,
            seconds=result.seconds,
        )

    @classmethod
    def stopped(
        cls,
        path: str,
        *,
        format: str,
        block: str,
        unit: str,
        error: str | None = None,
        finished_at: datetime | None = None,
    ) -> ExportRecord:
        """The record of an export that wrote nothing: cancelled, or failed with `error`."""
        return cls(
            path=path,
            format=format,
            block=block,
            status="failed" if error is not None else "cancelled",
            finished_at=finished_at or datetime.now().astimezone(),
            unit=unit,
            error=error,
        )


def format_seconds(seconds: float) -> str:
    """`0.4 s` under a minute, else `1:02` (as the progress screen's ETA)."""
    return f"{seconds:.1f} s" if seconds < 60 else format_duration(seconds)


def describe_record(record: ExportRecord) -> str:
    """`/path/file.zip (1.2 MiB, 4,000 objects, 0.4 s)`, or what kept the export from writing it."""
    if record.status == "written":
        figures = [
            format_size(record.bytes or 0),
            f"{record.count or 0:,} {record.unit}",
            format_seconds(record.seconds or 0.0),
        ]
        return f"{record.path} ({', '.join(figures)})"
    if record.status == "cancelled":
        return f"{record.path}: cancelled, nothing was written"
    return f"{record.path}: failed, nothing was written ({record.error or 'no reason given'})"


def last_export_line(text: str) -> str:
    """The line a screen shows for the last export started on it, with the key of the history."""
    return f"Last export: {text}  ·  {HISTORY_KEY}: this run's exports"


class ExportHistory:
    """The exports of one app run, in the order they ended (memory only, main thread only)."""

    def __init__(self) -> None:
        self._records: list[ExportRecord] = []

    def add(self, record: ExportRecord) -> None:
        """Remember one export."""
        self._records.append(record)

    def newest_first(self) -> list[ExportRecord]:
        """Every export so far, the last one first."""
        return self._records[::-1]

    def __len__(self) -> int:
        return len(self._records)


_HISTORIES: weakref.WeakKeyDictionary[App[Any], ExportHistory] = weakref.WeakKeyDictionary()


def export_history(app: App[Any]) -> ExportHistory:
    """The exports `app` has run."""
    history = _HISTORIES.get(app)
    if history is None:
        history = _HISTORIES[app] = ExportHistory()
    return history


@dataclass
class ExportRecorded(Message):
    """An export started on the screen receiving this ended; `line` says what it wrote (or not)."""

    line: str
    written: bool = True


class LastExport(Static):
    """The last export started on this screen, in one line (hidden until there is one)."""

    DEFAULT_CSS = """
    LastExport {
        height: auto;
        padding: 0 1;
        color: $text-success;
        display: none;
    }
    LastExport.-stopped {
        color: $text-warning;
    }
    """

    def __init__(self, *, id: str | None = "last-export") -> None:
        super().__init__("", id=id, markup=False)

    def show(self, line: str, written: bool = True) -> None:
        """Show `line` (see `last_export_line`) from now on."""
        self.update(escape_controls(line))
        self.set_class(not written, "-stopped")
        self.display = True

    def show_recorded(self, message: ExportRecorded) -> None:
        """Show what an `ExportRecorded` message says."""
        self.show(message.line, message.written)


STATUS_STYLES = {"written": "bold green", "cancelled": "bold yellow", "failed": "bold red"}


def history_entry(record: ExportRecord) -> Text:
    """One export as the list shows it: when it ended, how, its block, format and figures on the
    first line, its whole path on the next (text from anywhere shown literally)."""
    figures = [printable(record.block) or "no block", record.format]
    if record.status == "written":
        figures += [
            format_size(record.bytes or 0),
            f"{record.count or 0:,} {record.unit}",
            format_seconds(record.seconds or 0.0),
        ]
    entry = Text.assemble(
        (record.finished_at.strftime("%H:%M:%S"), "bold"),
        "  ",
        (record.status, STATUS_STYLES[record.status]),
        "  ",
        " · ".join(figures),
        "\n",
        printable(record.path),
    )
    if record.error is not None:
        entry.append("\n" + printable(record.error), style="red")
    return entry


class ExportHistoryScreen(ModalScreen[None]):
    """This run's exports, newest first: when each ended and how, its block and format, its size,
    how many rows or objects it wrote, how long it took and its whole path. Kept in memory only:
    nothing about them is written to disk, and the list ends with the app.

    `c` copies the highlighted export's path; Escape (or `e`) closes the list.
    """

    DEFAULT_CSS = """
    ExportHistoryScreen > #history {
        width: 96%;
        height: 90%;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    ExportHistoryScreen #history-list {
        height: 1fr;
    }
    ExportHistoryScreen #history-empty {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding(f"escape,{HISTORY_KEY}", "close", "Close"),
        Binding("c", "copy_path", "Copy path"),
        Binding("ctrl+c", "app.quit", "Quit", show=False),
    ]

    def __init__(self, records: list[ExportRecord]) -> None:
        super().__init__()
        self.records = records

    @classmethod
    def of_app(cls, app: App[Any]) -> ExportHistoryScreen:
        """The screen listing `app`'s exports as they are now."""
        return cls(export_history(app).newest_first())

    def compose(self) -> ComposeResult:
        with Vertical(id="history"):
            yield Label(f"This run's exports ({len(self.records)})", classes="dialog-title")
            if self.records:
                entries: list[Option | None] = []
                for index, record in enumerate(self.records):
                    if index:
                        entries.append(None)  # a separator line
                    entries.append(Option(history_entry(record), id=str(index)))
                yield OptionList(*entries, id="history-list")
            else:
                yield Static(NO_EXPORTS, id="history-empty", markup=False)
            yield Static(
                "Kept in memory only; the list ends with the app.  c copies the path, Escape closes.",
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        if self.records:
            self.query_one(OptionList).focus()

    @property
    def highlighted(self) -> ExportRecord | None:
        """The export under the list's cursor (None while there is none)."""
        lists = self.query(OptionList)
        option = lists.first().highlighted_option if lists else None
        return None if option is None or option.id is None else self.records[int(option.id)]

    def action_copy_path(self) -> None:
        """Copy the highlighted export's path to the clipboard (the terminal's, through OSC 52)."""
        record = self.highlighted
        if record is None:
            self.notify("No export to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(record.path)
        self.notify(record.path, title="Path copied", timeout=5, markup=False)

    def action_close(self) -> None:
        """Close the list."""
        self.dismiss(None)

    def palette_commands(self) -> list[SystemCommand]:
        """Copy the highlighted path; close."""
        return [
            SystemCommand("Copy export path", "Copy the highlighted export's path", self.action_copy_path),
            SystemCommand("Close export history", "Back to the screen under the list", self.action_close),
        ]
