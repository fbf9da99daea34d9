"""The CSV form's live preview: a status line and the first rows, computed in a worker.

Every change to the form schedules a preview. The block's facts (counts and keys: what does not
depend on the selection, `BlockFacts`) come back with the first preview of a block, filters and
time zone and are passed back in while only the selection changes, so a redraw reads just the
first rows and starts at once; a change of filters or time zone waits for the typing to pause
and learns the facts again. Only the preview of what the form shows now is ever displayed: each
preview cancels the one before (`LatestQuery`), and a result that arrives for an older state of
the form, or while a newer one is scheduled, is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import SessionFilter
from muscle_tui.errors import ExportCancelled, MuscleTuiError
from muscle_tui.export.csv import CsvPreview, CsvSelection, preview_csv
from muscle_tui.export.csv.facts import BlockFacts
from muscle_tui.screens.latest_query import LatestQuery
from muscle_tui.text import escape_controls
from muscle_tui.widgets.preview_table import PreviewTable

PREVIEW_ROWS = 20
PREVIEW_DELAY_SECONDS = 0.3  # typing in the filters: wait for a pause before learning the facts again
REDRAW_DELAY_SECONDS = 0.02  # a selection change: gather the ticks of one template load, then go
FILTERS_TEXT = "Preview: correct the filters or the time zone above."
UPDATING_TEXT = "Preview: updating …"

PreviewKey = tuple[CsvSelection, SessionFilter, str]  # the selection, the filters, the time zone
KeySource = Callable[[bool], PreviewKey | None]
"""The form's current key, or None when its filters cannot be used (shown to the user when asked)."""


class CsvPreviewPane(Vertical):
    """`#preview-status` over the `#preview` table; `schedule()` after each change of the form.

    `key(report)` gives what the form describes now. Posts `Shown` when the pane has shown the
    preview of the current form (or, with `preview` None, why there is none).
    """

    DEFAULT_CSS = """
    CsvPreviewPane {
        height: 1fr;
        min-height: 11;
    }
    """

    @dataclass
    class Shown(Message):
        """The pane shows the preview of `selection` (None: no preview, the status says why)."""

        preview: CsvPreview | None
        selection: CsvSelection | None

    @dataclass
    class Ready(Message):
        """The preview of `key` was computed."""

        key: PreviewKey
        preview: CsvPreview

    @dataclass
    class Failed(Message):
        """The preview of `key` could not be computed; `text` is the one-line reason."""

        key: PreviewKey
        text: str

    def __init__(
        self, database: MuscleDatabase, block_slug: str, key: KeySource, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.database = database
        self.block_slug = block_slug
        self._key = key
        self.facts: BlockFacts | None = None
        self._timer: Timer | None = None
        self._refilter = True  # the filters changed since the last preview started: learn the facts
        self._wanted: PreviewKey | None = None  # the key of the preview running or shown
        self._previews = LatestQuery()
        self._status = "Preview: computing …"

    def compose(self) -> ComposeResult:
        yield Static(self._status, id="preview-status", classes="status", markup=False)
        yield PreviewTable(id="preview")

    def on_unmount(self) -> None:
        self._previews.cancel()

    @property
    def table(self) -> PreviewTable:
        """The table of the preview's rows."""
        return self.query_one(PreviewTable)

    def schedule(self, filters_changed: bool = False) -> bool:
        """The form changed: drop the running preview and start the next one soon. False (and
        nothing done) when the form still describes the preview running or shown (a field was set
        to the value it had, as inputs do when they mount)."""
        if self._timer is None and self._wanted is not None and self._key(False) == self._wanted:
            return False
        self._wanted = None
        self._previews.cancel()
        self._refilter = self._refilter or filters_changed
        self.show_status(UPDATING_TEXT)
        if self._timer is not None:
            self._timer.stop()
        quick = self.facts is not None and not self._refilter
        self._timer = self.set_timer(REDRAW_DELAY_SECONDS if quick else PREVIEW_DELAY_SECONDS, self.start)
        return True

    def start(self) -> None:
        """Start the preview of the form as it is now (with its facts, when they are still its own)."""
        self._timer = None
        self._refilter = False
        if (key := self._key(True)) is None:
            self.table.forget()
            self.show_status(FILTERS_TEXT)
            self.post_message(self.Shown(None, None))
            return
        _selection, filters, zone = key
        if self.facts is not None and not self.facts.fits(self.block_slug, filters, zone):
            self.facts = None
        self._wanted = key
        self._compute(key, self.facts, self._previews.start())

    @work(thread=True, exclusive=True, group="csv-preview", exit_on_error=False)
    def _compute(self, key: PreviewKey, facts: BlockFacts | None, cancel: threading.Event) -> None:
        worker = get_current_worker()
        selection, filters, zone = key
        try:
            preview = preview_csv(
                self.database,
                self.block_slug,
                selection,
                PREVIEW_ROWS,
                cancel,
                filters=filters,
                time_zone=zone,
                facts=facts,
            )
        except ExportCancelled:
            return
        except MuscleTuiError as exc:
            message: Message = self.Failed(key, str(exc))
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            message = self.Failed(key, f"preview failed unexpectedly ({type(exc).__name__})")
        else:
            message = self.Ready(key, preview)
        if not (worker.is_cancelled or cancel.is_set()):
            self.post_message(message)

    def _is_current(self, key: PreviewKey) -> bool:
        return self._timer is None and key == self._key(False)

    @on(Ready)
    def _show(self, message: Ready) -> None:
        message.stop()
        if not self._is_current(message.key):
            return
        facts = message.preview.facts
        if facts is not None and facts.fits(self.block_slug, *message.key[1:]):
            self.facts = facts
        self.table.show(message.preview)
        self.show_status(self.table.description)
        self.post_message(self.Shown(message.preview, message.key[0]))

    @on(Failed)
    def _show_failure(self, message: Failed) -> None:
        message.stop()
        if not self._is_current(message.key):
            return
        self._wanted = None  # the next change tries again, whatever it is
        self.table.forget()
        self.show_status(escape_controls(f"Preview failed: {message.text}"))
        self.post_message(self.Shown(None, message.key[0]))

    def show_status(self, text: str) -> None:
        """Put `text` in the status line above the table (redrawn only when it changes)."""
        if text != self._status:
            self._status = text
            # One line of a fixed height: no layout of the whole form for it.
            self.query_one("#preview-status", Static).update(text, layout=False)

    def page(self, direction: int) -> None:
        """Show the next (1) or previous (-1) page of the preview's columns."""
        self.table.page(direction)
        self.show_status(self.table.description)
