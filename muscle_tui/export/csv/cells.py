"""Values as CSV cells (CSV-SPEC "Columns and values"), and the opt-in Excel-safe rule.

Cells keep None, numbers and booleans as they are (the writer renders them: '' and str()), so only
nested JSON values and timestamps are converted here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

Cell = str | int | float | None

CACHED_JSON_TEXTS = 4096
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def json_cell(value: object) -> Cell:
    """A value parsed from JSON as its CSV cell: nested objects and lists as JSON text."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value  # type: ignore[return-value]


def parse_json(raw: object) -> object:
    """A JSON text parsed (None stays None; an already parsed value is returned as it is)."""
    if raw is None:
        return None
    if not isinstance(raw, (str, bytes)):
        return raw
    return json.loads(raw)


def json_document_cell(raw: str | None) -> Cell:
    """The cell of a whole JSON document given as text."""
    return None if raw is None else json_cell(json.loads(raw))


def json_text_cell(raw: str | None) -> Cell:
    """The cell of a JSON text (numbers, the common case, without the JSON parser)."""
    if raw is None:
        return None
    if raw[0] in "-0123456789":
        if "." in raw or "e" in raw or "E" in raw:
            return float(raw)
        return int(raw)
    return json_cell(json.loads(raw))


class CachedJsonCells:
    """`json_document_cell` for texts that repeat (result configurations), with a bounded cache."""

    def __init__(self, limit: int = CACHED_JSON_TEXTS) -> None:
        self._limit = limit
        self._cells: dict[str, Cell] = {}

    def __call__(self, raw: str | None) -> Cell:
        if raw is None:
            return None
        cells = self._cells
        try:
            return cells[raw]
        except KeyError:
            if len(cells) >= self._limit:
                cells.clear()
            value = cells[raw] = json_cell(json.loads(raw))
            return value


def timestamp_cell(value: datetime | str | None) -> str | None:
    """A timestamp in UTC as `datetime.isoformat()` writes it; naive (SQLite) values are UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    return value.astimezone(UTC).isoformat()


def cell_text(value: Cell) -> str:
    """A cell as the CSV file holds it."""
    return "" if value is None else str(value)


def neutralise_formula(value: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula, with a leading `'`; others unchanged.

    Text starting with `=`, `+`, `-`, `@`, tab or carriage return gets the `'`, unless it is a
    plain number such as `-12` or `+3.5e2`. Numbers and empty cells are never changed.
    """
    if type(value) is str and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unchanged(value: Cell) -> Cell:
    """The cell as it is (the counterpart of `neutralise_formula` when Excel-safe is off)."""
    return value
