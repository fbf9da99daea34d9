"""The filter fields of the CSV form and the JSON dialog (CSV-SPEC "Additions beyond MUSCLE's form").

Finished sessions only, a start range (a date or an ISO date-time, read in the export's time zone),
participants to leave out (globs), and in the CSV form the time zone, with MUSCLE's `AML_TIME_ZONE`
offered on one key when the `.env` in use sets it (never applied silently).
"""

from __future__ import annotations

import re
from pathlib import Path

from dotenv import dotenv_values
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Static

from muscle_tui.db.filters import FilterError, SessionFilter, check_time_zone, parse_instant
from muscle_tui.screens.formatting import printable
from muscle_tui.text import escape_controls
from muscle_tui.widgets.selection_form import FormCheckbox

DEFAULT_TIME_ZONE = "UTC"
ENV_TIME_ZONE_KEY = "AML_TIME_ZONE"
DATE_PLACEHOLDER = "YYYY-MM-DD"
DATE_TOOLTIP = "a date (2025-03-01) or an ISO date-time (2025-03-01T09:00, +01:00 optional), in the time zone"
_GLOB_SEPARATORS = re.compile(r"[,\s]+")


def env_time_zone(env_file: Path | None) -> str | None:
    """MUSCLE's `AML_TIME_ZONE` in `env_file` (or `./.env`), or None when not set or unreadable."""
    for path in (env_file, Path(".env")):
        if path is None:
            continue
        try:
            if not path.is_file():
                continue
            value = dotenv_values(path).get(ENV_TIME_ZONE_KEY)
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        return value.strip() or None if value else None
    return None


def split_globs(text: str) -> tuple[str, ...]:
    """The globs of a comma- or space-separated list."""
    return tuple(part for part in _GLOB_SEPARATORS.split(text) if part)


class FilterFields(Vertical):
    """Filter inputs (`#filter-*`), optionally the time zone (`#time-zone`); posts `Changed`."""

    class Changed(Message):
        """A filter or the time zone was edited."""

    def __init__(
        self, initial: SessionFilter | None = None, *, time_zone: bool = False, id: str | None = None
    ) -> None:
        super().__init__(id=id, classes="filter-fields")
        self.initial = initial
        self.with_time_zone = time_zone
        self.env_zone: str | None = None

    def _offered_zone(self) -> str | None:
        """`AML_TIME_ZONE` of the .env the app's database came from (or of ./.env)."""
        target = getattr(self.app, "target", None)
        source = Path(target.source) if target is not None and not target.is_demo else None
        return env_time_zone(source)

    def compose(self) -> ComposeResult:
        self.env_zone = self._offered_zone() if self.with_time_zone else None
        with Horizontal(classes="form-row filter-row"):
            yield Label("Sessions", classes="form-label")
            yield FormCheckbox("Finished only", False, id="filter-finished")
            for edge in ("after", "before"):
                date = Input(placeholder=f"{edge} {DATE_PLACEHOLDER}", id=f"filter-{edge}")
                date.tooltip = (
                    f"Sessions started {'on or after' if edge == 'after' else 'before'} {DATE_TOOLTIP}"
                )
                yield date
        with Horizontal(classes="form-row filter-row"):
            yield Label("Leave out", classes="form-label")
            yield Input(placeholder="participant globs, comma- or space-separated", id="filter-exclude")
            if self.with_time_zone:
                yield Label("Time zone", classes="form-label filter-zone-label")
                yield Input(value=DEFAULT_TIME_ZONE, id="time-zone")
                if self.env_zone:
                    yield Button(printable(f"Use {ENV_TIME_ZONE_KEY} ({self.env_zone})"), id="use-env-zone")
        yield Static("", id="filter-error", classes="form-error", markup=False)

    def on_mount(self) -> None:
        if self.initial is not None and not self.initial.is_empty():
            self.apply(self.initial)

    @property
    def time_zone(self) -> str:
        """The time zone as typed (UTC when there is no time-zone field)."""
        if not self.with_time_zone:
            return DEFAULT_TIME_ZONE
        return self.query_one("#time-zone", Input).value.strip()

    def read(self) -> SessionFilter:
        """The filter the fields describe, with its dates checked in the time zone; FilterError if not."""
        zone = check_time_zone(self.time_zone)
        after = self.query_one("#filter-after", Input).value.strip() or None
        before = self.query_one("#filter-before", Input).value.strip() or None
        for value, what in ((after, "started after"), (before, "started before")):
            if value is not None:
                parse_instant(value, zone, what)
        return SessionFilter(
            finished_only=self.query_one("#filter-finished", Checkbox).value,
            started_after=after,
            started_before=before,
            exclude_participants=split_globs(self.query_one("#filter-exclude", Input).value),
        )

    def check_quietly(self) -> SessionFilter | None:
        """The filter the fields describe, or None when they cannot be used."""
        try:
            return self.read()
        except FilterError:
            return None

    def check(self) -> tuple[SessionFilter, str] | None:
        """The filter and time zone, or None after showing in one line why they cannot be used."""
        try:
            filters = self.read()
        except FilterError as exc:
            self.show_error(str(exc))
            return None
        self.show_error(None)
        return filters, self.time_zone

    def show_error(self, text: str | None) -> None:
        """Show `text` (one line) under the fields, or hide the error when None."""
        error = self.query_one("#filter-error", Static)
        error.update(escape_controls(" ".join((text or "").split())))
        error.display = text is not None

    def apply(self, filters: SessionFilter) -> None:
        """Set the fields to `filters` (a template's); the time zone stays as it is."""
        with self.prevent(Input.Changed, Checkbox.Changed):
            self.query_one("#filter-finished", Checkbox).value = filters.finished_only
            self.query_one("#filter-after", Input).value = filters.started_after or ""
            self.query_one("#filter-before", Input).value = filters.started_before or ""
            self.query_one("#filter-exclude", Input).value = ", ".join(filters.exclude_participants)
        self.post_message(self.Changed())

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _edited(self, event: Input.Changed | Checkbox.Changed) -> None:
        event.stop()
        self.post_message(self.Changed())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter in a filter field does not export; it only moves on."""
        event.stop()
        self.screen.focus_next()

    @on(Button.Pressed, "#use-env-zone")
    def use_env_zone(self, event: Button.Pressed | None = None) -> None:
        """Put `AML_TIME_ZONE` into the time-zone field."""
        if event is not None:
            event.stop()
        if self.env_zone:
            self.query_one("#time-zone", Input).value = self.env_zone
