"""How Django's JSON serializer writes each kind of value, and how each backend selects it.

Django's `serializers.serialize("json", …)` writes every object as
`json.dumps({"model": …, "pk": …, "fields": {…}}, cls=DjangoJSONEncoder, ensure_ascii=False)`.
The functions here give the same text for one value; `BackendFormats` says, for PostgreSQL and
SQLite, which SQL expression selects a value of each `Kind` and which function (if any) turns the
selected, non-null value into its JSON text.

SQLite does not enforce column types, so a SQLite value may not be what its column says: text
that is no timestamp, no number or no JSON is written as a JSON string of that text (as Django
does with invalid JSON and with text in a float field), so one malformed row never fails the
export nor makes its file invalid JSON. JSON nested deeper than Python can decode (its recursion
limit) is written as the database's text, as it is.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

Encoder = Callable[[Any], str]
"""A selected, non-null value -> its JSON text."""

encode_string: Callable[[str], str] = encode_basestring
"""A JSON string literal with only what JSON requires escaped (`ensure_ascii=False`)."""

_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}

_DIGITS = frozenset("0123456789")
_DIGIT_RUN = re.compile("[0-9]*")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


class Kind(enum.Enum):
    """How a model field's value is selected and written."""

    INTEGER = "integer"
    """A key, a foreign key or a count: written in decimal."""
    STRING = "string"
    FLOAT = "float"
    TIMESTAMP = "timestamp"
    JSON = "json"


def format_datetime(value: datetime) -> str:
    """A timestamp as DjangoJSONEncoder writes it: UTC, milliseconds truncated, `Z`.

    There is no fraction when the microseconds are 0 (500 µs still gives `.000`).
    A naive datetime is taken to be UTC already (Django stores UTC on SQLite).
    """
    if value.utcoffset():
        value = value.astimezone(UTC)
    text = value.isoformat()
    if value.microsecond:
        return text[:23] + "Z"
    return text[:19] + "Z"


def format_datetime_text(value: str) -> str:
    """`format_datetime` for a timestamp stored as text (SQLite: `2024-03-01 11:00:00.123456`)."""
    return format_datetime(datetime.fromisoformat(value))


def as_json_string(value: object) -> str:
    """A value of the wrong type for its column (SQLite), as a JSON string of its text."""
    if isinstance(value, (bytes, bytearray)):
        return encode_string(bytes(value).decode("utf-8", "backslashreplace"))
    return encode_string(value if isinstance(value, str) else str(value))


def sqlite_timestamp(value: object) -> str:
    """The JSON string of a timestamp SQLite stores as text (other text: that text, as a string)."""
    if isinstance(value, str):
        try:
            return f'"{format_datetime_text(value)}"'
        except ValueError:
            pass
    return as_json_string(value)


def format_float(value: float) -> str:
    """A float as Python's json module writes it: `repr`, and `NaN`/`Infinity`/`-Infinity`."""
    text = repr(value)
    return _NON_FINITE.get(text, text)


def sqlite_float(value: object) -> str:
    """`format_float` of a SQLite number; anything else stored in a float column, as a string."""
    if isinstance(value, (int, float)):
        return format_float(value)
    return as_json_string(value)


def sqlite_integer(text: str) -> str:
    """A SQLite integer selected as text, as it is; anything else the column holds that is not a
    JSON number, as a string."""
    if (text.isascii() and text.isdigit()) or _JSON_NUMBER.fullmatch(text):
        return text
    return as_json_string(text)


def sqlite_string(value: object) -> str:
    """`encode_string` of SQLite text; anything else stored in a text column, as a string."""
    return encode_string(value) if type(value) is str else as_json_string(value)


def dump_json_value(value: object) -> str:
    """A decoded JSON value, written as Django writes a JSONField's value."""
    return json.dumps(value, ensure_ascii=False)


def json_text_roundtrip(text: str | bytes | bytearray) -> str:
    """What Django writes for a JSONField stored as this text: `json.loads`, then `json.dumps`."""
    return json.dumps(json.loads(text), ensure_ascii=False)


def jsonb_text(text: str) -> str:
    """What Django writes for a PostgreSQL jsonb value, given the value's text output (`::text`).

    jsonb's text output already has Python's separators, key order and string escaping, and its
    integers read back unchanged; only numbers with a fraction can differ (`0.0000001` is `1e-07`
    to Python, `1.50` is `1.5`). The text is used as it is when every such number is already
    Python's repr of itself, and decoded and re-encoded otherwise.
    """
    # jsonb writes numbers without exponents, so a number with a fraction is digits, a dot and
    # digits, and every dot of a number is seen here. Dots inside strings are checked too, which
    # at worst sends a text the slow way.
    dot = text.find(".")
    while dot != -1:
        after = dot + 1
        if dot and text[dot - 1] in _DIGITS and after < len(text) and text[after] in _DIGITS:
            start = dot - 1
            while start and text[start - 1] in _DIGITS:
                start -= 1
            end = _DIGIT_RUN.match(text, after).end()  # type: ignore[union-attr]  # matches ""
            number = text[start:end]
            if repr(float(number)) != number:
                return _roundtrip_or_as_is(text)
            dot = text.find(".", end)
        else:
            dot = text.find(".", after)
    return text


def _roundtrip_or_as_is(text: str) -> str:
    """`json_text_roundtrip`, or the text as it is when it is nested too deep to decode."""
    try:
        return json_text_roundtrip(text)
    except RecursionError:
        return text


def sqlite_json_text(value: object) -> str:
    """What Django writes for a JSONField read from SQLite (text written with ensure_ascii=True).

    Text that is not JSON is written as a JSON string, as Django does; JSON nested too deep to
    decode is written as the database's text.
    """
    if isinstance(value, (str, bytes, bytearray)):
        try:
            return json_text_roundtrip(value)
        except RecursionError:
            return value if isinstance(value, str) else bytes(value).decode("utf-8", "backslashreplace")
        except ValueError:  # not JSON (JSONDecodeError), or bytes that are not UTF-8
            return as_json_string(value)
    return dump_json_value(value)


def postgres_timestamp_sql(column: str) -> str:
    """A PostgreSQL expression giving a timestamptz column's text as `format_datetime` writes it.

    `MS` truncates microseconds to milliseconds; a whole second has no fraction.
    """
    return (
        f"to_char({column} AT TIME ZONE 'UTC', CASE WHEN date_trunc('second', {column}) = {column} "
        """THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"' END)"""
    )


def postgres_timestamp_string_sql(column: str) -> str:
    """`postgres_timestamp_sql` as a JSON string: in double quotes (and null when null)."""
    return f"""('"' || {postgres_timestamp_sql(column)} || '"')"""


def postgres_json_sql(column: str) -> str:
    """A PostgreSQL expression giving a jsonb column's text output, for `jsonb_text`."""
    return f"{column}::text"


def _as_is(column: str) -> str:
    return column


@dataclass(frozen=True)
class BackendFormats:
    """How one database backend selects each kind of value and turns it into JSON text.

    `select_sql[kind]` turns a column into the expression to select; `encoders[kind]` turns the
    selected, non-null value into its JSON text, or is None when the selected value already is it.
    """

    name: str
    select_sql: Mapping[Kind, Callable[[str], str]]
    encoders: Mapping[Kind, Encoder | None]

    def select(self, kind: Kind, column: str) -> str:
        """The SQL expression that selects `column`, a value of this kind."""
        return self.select_sql[kind](column)

    def encoder(self, kind: Kind) -> Encoder | None:
        """The function from a selected value of this kind to its JSON text (None: as it is)."""
        return self.encoders[kind]


POSTGRES_FORMATS = BackendFormats(
    name="postgresql",
    select_sql={
        Kind.INTEGER: _as_is,
        Kind.STRING: _as_is,
        Kind.FLOAT: _as_is,
        Kind.TIMESTAMP: postgres_timestamp_string_sql,
        Kind.JSON: postgres_json_sql,
    },
    encoders={
        Kind.INTEGER: str,
        Kind.STRING: encode_string,
        Kind.FLOAT: format_float,
        Kind.TIMESTAMP: None,
        Kind.JSON: jsonb_text,
    },
)
SQLITE_FORMATS = BackendFormats(
    name="sqlite",
    select_sql={
        Kind.INTEGER: lambda column: f"CAST({column} AS TEXT)",
        Kind.STRING: _as_is,
        Kind.FLOAT: _as_is,
        Kind.TIMESTAMP: _as_is,
        Kind.JSON: _as_is,
    },
    encoders={
        Kind.INTEGER: sqlite_integer,
        Kind.STRING: sqlite_string,
        Kind.FLOAT: sqlite_float,
        Kind.TIMESTAMP: sqlite_timestamp,
        Kind.JSON: sqlite_json_text,
    },
)


def backend_formats(postgres: bool) -> BackendFormats:
    """PostgreSQL's formats, or SQLite's."""
    return POSTGRES_FORMATS if postgres else SQLITE_FORMATS
