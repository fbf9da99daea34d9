"""pyarrow, imported only when a Parquet export runs, and cells as typed Arrow columns.

pyarrow is an optional extra: nothing here imports it at module level, so muscle-tui imports and
runs without it, and a Parquet export without it is one line (`ParquetUnavailable`).

Each column's Arrow type comes from its Table Schema type (`ColumnSpec.type`, decided from the
exported data before any row is written): integer → int64, number → float64, datetime →
timestamp[us] in the export's time zone, boolean → bool, anything else → string, holding the
CSV cell's text (nested values as JSON text). A value that does not fit its column's type (an
integer beyond 64 bits; in SQLite, a timestamp column holding other text) is a `ColumnMisfit`,
after which the export writes that column as text (`as_text`), so no value is lost or changed.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from muscle_tui.errors import MuscleTuiError
from muscle_tui.export.csv.columns import ColumnSpec

PARQUET_EXTRA_MESSAGE = "Parquet export needs pyarrow: pip install 'muscle-tui[parquet]'"
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
JEMALLOC_DEFINE = "#define ARROW_JEMALLOC"
SHOWN_VALUE_CHARS = 60
TYPE_NAMES = {
    "integer": "a 64-bit integer",
    "number": "a number",
    "datetime": "a timestamp with an offset",
    "boolean": "true or false",
}


class ParquetUnavailable(MuscleTuiError):
    """pyarrow, which Parquet exports need, cannot be imported."""

    def __init__(self, message: str = PARQUET_EXTRA_MESSAGE) -> None:
        super().__init__(message)


class ParquetValueError(MuscleTuiError):
    """What was selected cannot be written as Parquet."""


class ColumnMisfit(ParquetValueError):
    """A value does not fit the type of its column (`column`, its name); `reason` says which."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"column {column!r}: {reason}")
        self.column = column
        self.reason = reason


def as_text(column: ColumnSpec, reason: str) -> ColumnSpec:
    """The column written as text instead, its description saying why."""
    return ColumnSpec(column.name, "string", f"{column.description} (written as text: {reason})")


def pyarrow_modules() -> tuple[Any, Any]:
    """`pyarrow` and `pyarrow.parquet`, or ParquetUnavailable when they cannot be imported.

    Imported here first, Arrow allocates from jemalloc (else the system's allocator) unless the
    environment names a pool (`ARROW_DEFAULT_MEMORY_POOL`). At 10,000 sessions x 100 results, a
    wide export peaked some 30 MB higher with Arrow's default, mimalloc, which keeps the memory of
    written row groups, and some 15 MB higher with the system's heap, shared with Python's objects.
    """
    if "pyarrow" not in sys.modules:
        os.environ.setdefault(POOL_VARIABLE, _preferred_pool())
    try:
        return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise ParquetUnavailable() from None


def _preferred_pool() -> str:
    """`jemalloc` when the installed pyarrow was built with it (its `config.h` says so), else
    `system`: naming a pool Arrow lacks would print a warning."""
    spec = importlib.util.find_spec("pyarrow")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        with contextlib.suppress(OSError):
            if JEMALLOC_DEFINE in (Path(folder) / "include/arrow/util/config.h").read_text().splitlines():
                return "jemalloc"
    return "system"


def parquet_available() -> bool:
    """Whether pyarrow is installed, so Parquet exports can run: found without importing it (which
    takes a while), so a front end may ask at any time. Should importing it fail all the same, the
    export says ParquetUnavailable."""
    if "pyarrow" in sys.modules:
        return sys.modules["pyarrow"] is not None
    try:
        return importlib.util.find_spec("pyarrow") is not None
    except (ImportError, ValueError):
        return False


def arrow_type(kind: str, time_zone: str) -> Any:
    """The Arrow type of a column of this Table Schema type."""
    pa, _ = pyarrow_modules()
    if kind == "integer":
        return pa.int64()
    if kind == "number":
        return pa.float64()
    if kind == "datetime":
        return pa.timestamp("us", tz=time_zone)
    if kind == "boolean":
        return pa.bool_()
    return pa.string()


def arrow_schema(columns: Sequence[ColumnSpec], time_zone: str) -> Any:
    """The Arrow schema of these columns, each field described (as in the data package)."""
    pa, _ = pyarrow_modules()
    return pa.schema(
        [
            pa.field(c.name, arrow_type(c.type, time_zone), metadata={"description": c.description})
            for c in columns
        ]
    )


class ColumnConverter:
    """Turns the cells of one column (a batch's worth) into an Arrow array of its type."""

    def __init__(self, column: ColumnSpec, time_zone: str) -> None:
        self.pa, _ = pyarrow_modules()
        self.column = column
        self.type = arrow_type(column.type, time_zone)
        self._failures = (self.pa.ArrowInvalid, self.pa.ArrowTypeError, OverflowError, TypeError, ValueError)
        kinds = {"integer": self._exact, "boolean": self._exact, "number": self._number}
        self.convert = kinds.get(column.type, self._timestamps if column.type == "datetime" else self._text)

    def __call__(self, values: Sequence[object]) -> Any:
        """The Arrow array of `values` (None is null); ColumnMisfit for a value that does not fit."""
        try:
            return self.convert(values)
        except self._failures:
            raise self._misfit(values) from None

    def _exact(self, values: Sequence[object]) -> Any:
        return self.pa.array(values, type=self.type)

    def _number(self, values: Sequence[object]) -> Any:
        try:
            return self.pa.array(values, type=self.type)
        except (self.pa.ArrowInvalid, self.pa.ArrowTypeError):  # e.g. an integer beyond 64 bits
            return self.pa.array([_number(v) for v in values], type=self.type)

    def _text(self, values: Sequence[object]) -> Any:
        try:
            return self.pa.array(values, type=self.type)
        except (self.pa.ArrowInvalid, self.pa.ArrowTypeError):  # scalars in a mixed column: their text
            return self.pa.array([_text(v) for v in values], type=self.type)

    def _timestamps(self, values: Sequence[object]) -> Any:
        # Python reads the texts (offsets with seconds included) faster than Arrow's cast, which
        # would also load Arrow's compute kernels: some 10 MB.
        # The cells always carry their offset (`timestamp_cell`, PostgreSQL's `to_char`): one
        # without would be read as UTC, so a change of that form is caught on the first value.
        parse = datetime.fromisoformat
        instants = [None if v is None else parse(v) for v in values]  # type: ignore[arg-type]
        first = next((instant for instant in instants if instant is not None), None)
        if first is not None and first.tzinfo is None:
            raise ValueError("a timestamp without its offset")
        return self.pa.array(instants, type=self.type)

    def _misfit(self, values: Sequence[object]) -> ColumnMisfit:
        """The error naming the first value of `values` that does not convert on its own."""
        wanted = TYPE_NAMES.get(self.column.type, "text")
        for value in values:
            try:
                self.convert([value])
            except self._failures:
                shown = repr(value)
                if len(shown) > SHOWN_VALUE_CHARS:
                    shown = shown[: SHOWN_VALUE_CHARS - 1] + "…"
                return ColumnMisfit(self.column.name, f"{shown} is not {wanted}")
        return ColumnMisfit(self.column.name, f"a value is not {wanted}")


def _number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool | str | bytes):
        raise ValueError(value)
    return float(value)  # type: ignore[arg-type]  # int, float or Decimal


def _text(value: object) -> str | None:
    """A cell as the CSV file holds it (`str()`, like the CSV writer)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)
