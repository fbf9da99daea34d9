"""Values as CSV cells (CSV-SPEC "Columns and values"), and the opt-in Excel-safe rule.

Cells keep None, numbers and booleans as they are (the writer renders them: '' and str()), so only
nested JSON values and timestamps are converted here.

A value Python cannot decode is written as the database's text, never failing the export: JSON
nested deeper than Python's recursion limit (the members of such an object are found without
decoding them, `top_level_members`), text that is not JSON (SQLite does not check), and a
timestamp column holding text that is no timestamp.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo

Cell = str | int | float | None

CACHED_JSON_TEXTS = 4096
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_SPACE = re.compile(r"[ \t\n\r]*")
_STRUCTURE = re.compile(r'["\[\]{}]')
_SCALAR = re.compile(r"[^,\]}\s]*")
scanstring = json.decoder.scanstring  # type: ignore[attr-defined]  # (text, index after the quote)


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


def as_text(raw: str | bytes) -> str:
    """Database text as a cell (bytes read as UTF-8)."""
    return raw if isinstance(raw, str) else raw.decode("utf-8", "backslashreplace")


def json_document_cell(raw: str | bytes | None) -> Cell:
    """The cell of a whole JSON document given as text; the text itself when Python cannot
    decode it (nested too deep, or not JSON)."""
    if raw is None:
        return None
    try:
        return json_cell(json.loads(raw))
    except (RecursionError, ValueError):
        return as_text(raw)


def json_value_cell(raw: object) -> Cell:
    """`json_document_cell` of JSON text, or the cell of a value the driver already decoded."""
    if isinstance(raw, (str, bytes)):
        return json_document_cell(raw)
    return json_cell(raw)


def json_text_cell(raw: str | None) -> Cell:
    """The cell of a JSON text (numbers, the common case, without the JSON parser)."""
    if raw is None:
        return None
    if raw[0] in "-0123456789":
        if "." in raw or "e" in raw or "E" in raw:
            return float(raw)
        return int(raw)
    return json_document_cell(raw)


def json_member_cells(raw: object) -> dict[str, Cell]:
    """The cell of each top-level member of a JSON object (given as text, or decoded by the
    driver); nothing for anything else. A member nested too deep for Python is its own text."""
    try:
        data = parse_json(raw)
        if not isinstance(data, dict):
            return {}
        return {key: json_cell(value) for key, value in data.items()}
    except RecursionError:
        members = top_level_members(as_text(raw)) if isinstance(raw, (str, bytes)) else None
        return {key: json_document_cell(text) for key, text in (members or {}).items()}
    except ValueError:  # not JSON: SQLite does not check
        return {}


def _skip_space(text: str, index: int) -> int:
    return _SPACE.match(text, index).end()  # type: ignore[union-attr]  # matches ""


def _value_end(text: str, start: int) -> int | None:
    """Where the JSON value starting at `start` ends, found by counting brackets (at any depth)."""
    if start >= len(text):
        return None
    if text[start] == '"':
        return scanstring(text, start + 1)[1]
    if text[start] not in "[{":
        end = _SCALAR.match(text, start).end()  # type: ignore[union-attr]  # matches ""
        return end if end > start else None
    depth = 0
    index = start
    while (found := _STRUCTURE.search(text, index)) is not None:
        character = found.group()
        if character == '"':
            index = scanstring(text, found.end())[1]
            continue
        depth += 1 if character in "[{" else -1
        index = found.end()
        if depth == 0:
            return index
    return None


def top_level_members(text: str) -> dict[str, str] | None:
    """The text of each top-level member of a JSON object, by key, found without decoding the
    members (so at any depth); None when the text is not an object, or not well-formed."""
    try:
        index = _skip_space(text, 0)
        if not text.startswith("{", index):
            return None
        members: dict[str, str] = {}
        index = _skip_space(text, index + 1)
        if text.startswith("}", index):
            return members if _skip_space(text, index + 1) == len(text) else None
        while text.startswith('"', index):
            key, index = scanstring(text, index + 1)
            index = _skip_space(text, index)
            if not text.startswith(":", index):
                return None
            start = _skip_space(text, index + 1)
            end = _value_end(text, start)
            if end is None:
                return None
            members[key] = text[start:end]
            index = _skip_space(text, end)
            if text.startswith(",", index):
                index = _skip_space(text, index + 1)
            elif text.startswith("}", index):
                return members if _skip_space(text, index + 1) == len(text) else None
            else:
                return None
    except ValueError:  # a malformed string
        return None
    return None


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
            value = cells[raw] = json_document_cell(raw)
            return value


def timestamp_cell(value: datetime | str | None, zone: tzinfo = UTC) -> str | None:
    """A timestamp in CSV-SPEC's one form, `2024-07-22T10:26:50.911000+00:00`, in `zone` with its
    offset; naive (SQLite) values are UTC. Anything else SQLite holds in a timestamp column is
    written as its text."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return text
    if not isinstance(value, datetime):
        return as_text(value) if isinstance(value, bytes) else str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone).isoformat(timespec="microseconds")


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
