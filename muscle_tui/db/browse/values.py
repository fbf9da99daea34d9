"""What the browse queries share: reading driver values back, the block of a slug, the text filter.

The queries hand over raw driver values (PostgreSQL: datetimes, floats; SQLite: whatever text the
file holds), so every value is converted here, never by SQLAlchemy. SQLite does not enforce types:
a timestamp is selected as its text and as `julianday()` of it, and is a time exactly when SQLite
reads it as one, so sorting (on `julianday`) and the rows shown always agree on which are missing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, String, Text, case, cast, func, literal, or_, select, type_coerce
from sqlalchemy.sql import FromClause

from muscle_tui.db.stream import Snapshot

JULIAN_UNIX_EPOCH = 2440587.5
"""The Julian day of 1970-01-01T00:00Z."""
LIKE_ESCAPE = "\\"

Reader = Callable[[Any], Any]


def utc_time(value: object) -> datetime | None:
    """A driver's timestamp as an aware UTC datetime: PostgreSQL's datetime, or ISO text (naive
    text is UTC, as Django writes it); None when it is missing or unreadable."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def julian_time(text: object, julian: object) -> datetime | None:
    """A SQLite timestamp: its text when Python reads it, else the instant of SQLite's `julianday`
    (None exactly when SQLite does not read it as a time)."""
    if julian is None:
        return None
    moment = utc_time(text) if isinstance(text, str) else None
    if moment is not None:
        return moment
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=float(str(julian)) - JULIAN_UNIX_EPOCH)
    except (ValueError, OverflowError):
        return None


def sqlite_time_text(moment: datetime) -> str:
    """An instant as the UTC text SQLite's `julianday()` reads (microseconds kept)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def number(value: object) -> float | None:
    """A driver's number as a float (None when missing or not a number)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def whole(value: object) -> int:
    """A count or key as an int (0 when missing)."""
    return 0 if value is None else int(value)  # type: ignore[call-overload]


def text_value(value: object) -> str:
    """Text, '' when missing."""
    return "" if value is None else str(value)


def optional_text(value: object) -> str | None:
    """Text, None when missing."""
    return None if value is None else str(value)


def parse_json(value: object) -> object:
    """A json_data value as Python: parsed when it is valid JSON, else its raw text (None for NULL)."""
    if value is None or not isinstance(value, (str, bytes)):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def is_finite(value: float | None) -> bool:
    """Whether `value` is a number that JSON can hold."""
    return value is not None and math.isfinite(value)


class Fields:
    """The columns of a select, each labelled, and how to read a row of them back into values.

    Rows may come from `Snapshot.rows` or, raw, from `Snapshot.batches`: both are sequences in the
    order of `columns`.
    """

    def __init__(self, snap: Snapshot) -> None:
        self.sqlite = not snap.postgres
        self.columns: list[ColumnElement[Any]] = []
        self.names: list[str] = []
        self._reads: list[tuple[str, int, Callable[[Sequence[Any], int], Any]]] = []

    def value(self, name: str, column: ColumnElement[Any], read: Reader | None = None) -> None:
        """A column read as `read(value)` (as it is without one)."""
        convert = read or (lambda v: v)
        self._reads.append((name, len(self.columns), lambda row, i: convert(row[i])))
        self._add(name, column)

    def time(self, name: str, column: ColumnElement[Any]) -> None:
        """A timestamp column, read as an aware UTC datetime (or None)."""
        index = len(self.columns)
        if self.sqlite:
            julian = func.julianday(column)
            text = type_coerce(case((julian.is_not(None), column)), String)
            self._add(name, text)
            self._add(f"{name}__julian", type_coerce(julian, Float))
            self._reads.append((name, index, lambda row, i: julian_time(row[i], row[i + 1])))
        else:
            self._add(name, column)
            self._reads.append((name, index, lambda row, i: utc_time(row[i])))

    def _add(self, name: str, column: ColumnElement[Any]) -> None:
        self.columns.append(column.label(name))
        self.names.append(name)

    def over(self, source: FromClause) -> list[ColumnElement[Any]]:
        """The same columns, selected from a subquery of a select of `columns`."""
        return [source.c[name] for name in self.names]

    def read(self, row: Sequence[Any]) -> dict[str, Any]:
        """The values of one row, by name."""
        return {name: read(row, index) for name, index, read in self._reads}


def time_sort_key(snap: Snapshot, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """What a timestamp sorts by: itself (PostgreSQL), or SQLite's reading of it as a time."""
    return column if snap.postgres else func.julianday(column)


def time_bound(snap: Snapshot, moment: datetime) -> ColumnElement[Any]:
    """An instant, comparable with `time_sort_key`."""
    if snap.postgres:
        return literal(moment)
    return func.julianday(literal(sqlite_time_text(moment), String))


def json_text(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A json_data column as its text (parsed by `parse_json`)."""
    return cast(column, Text)


def block_id_of(snap: Snapshot, slug: str) -> ColumnElement[Any]:
    """The id of the block with this slug, as a scalar subquery (the first of equal slugs, as
    `find_block_ref` takes it), so a page needs no query of its own to find its block."""
    b = snap.schema.table("experiment_block")
    return select(b.c.id).where(b.c.slug == slug).order_by(b.c.id).limit(1).scalar_subquery()


def require_block(snap: Snapshot, slug: str) -> None:
    """NotFoundError when there is no block with this slug (asked only when a query found nothing)."""
    snap.block(slug)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its `%`, `_` and escape character taken literally."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
    return "%" + escaped.replace("_", LIKE_ESCAPE + "_") + "%"


def participant_text_clause(
    participant_id: ColumnElement[Any], participant_url_id: ColumnElement[Any], text: str
) -> ColumnElement[bool] | None:
    """Case-insensitive substring of the participant's id (as text) or participant_id_url; None
    when `text` is empty (or only spaces). SQLite folds the case of ASCII letters only."""
    wanted = text.strip()
    if not wanted:
        return None
    pattern = like_pattern(wanted)
    return or_(
        cast(participant_id, String).ilike(pattern, escape=LIKE_ESCAPE),
        participant_url_id.ilike(pattern, escape=LIKE_ESCAPE),
    )
