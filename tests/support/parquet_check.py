"""Helpers for the Parquet tests (no tests here): a Parquet file read back against the CSV of the
same selection, value for value, after typing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from muscle_tui.export.datapackage import datapackage_path
from tests.support.csv_blocks import read_rows

ARROW_TYPES = {"integer": "int64", "number": "double", "boolean": "bool", "datetime": "timestamp"}


def parquet_package(path: Path) -> dict:
    """The data package written beside a Parquet file."""
    return json.loads(datapackage_path(path, ".parquet").read_text(encoding="utf-8"))


def _same_instant(cell: str, value: object, exact_text: bool) -> bool:
    if cell == "":
        return value is None
    assert isinstance(value, datetime) and value.tzinfo is not None
    written = datetime.fromisoformat(cell)
    if exact_text:  # the form layout writes timestamps in the export's zone, like the Arrow type
        return value.isoformat(timespec="microseconds") == cell and value == written
    return value == written


def _same(field: pa.Field, cell: str, value: object, exact_text: bool) -> bool:
    kind = field.type
    if pa.types.is_int64(kind):
        return value == (None if cell == "" else int(cell))
    if pa.types.is_float64(kind):
        return value == (None if cell == "" else float(cell))
    if pa.types.is_boolean(kind):
        return ("" if value is None else str(value)) == cell
    if pa.types.is_timestamp(kind):
        return _same_instant(cell, value, exact_text)
    assert pa.types.is_string(kind), f"{field.name}: unexpected type {kind}"
    return value == cell or (value is None and cell == "")


def assert_parquet_matches_csv(
    parquet: Path, csv: Path, time_zone: str, exact_timestamps: bool = True
) -> pa.Table:
    """The Parquet file holds the CSV's header and rows, each value equal once typed; timestamps are
    `timestamp[us, time_zone]`, and the data package's types are the Arrow types. The table read."""
    table = pq.read_table(parquet)
    header, rows = read_rows(csv)
    assert table.column_names == header
    assert table.num_rows == len(rows)
    fields = parquet_package(parquet)["resources"][0]["schema"]["fields"]
    assert [f["name"] for f in fields] == header
    for index, (declared, field) in enumerate(zip(fields, table.schema, strict=True)):
        wanted = ARROW_TYPES.get(declared["type"], "string")
        assert str(field.type).startswith(wanted), f"{field.name}: {field.type} for {declared['type']}"
        if pa.types.is_timestamp(field.type):
            assert field.type.unit == "us" and field.type.tz == time_zone
        values = table.column(field.name).to_pylist()
        for number, (row, value) in enumerate(zip(rows, values, strict=True)):
            cell = row[index]
            assert _same(field, cell, value, exact_timestamps), (
                f"{field.name} row {number}: Parquet {value!r}, CSV {cell!r}"
            )
            if declared["type"] in ("object", "array") and value is not None:
                json.loads(value)  # nested values are JSON text
    return table
