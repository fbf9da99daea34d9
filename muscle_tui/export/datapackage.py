"""The data dictionary written beside a CSV or Parquet export: a Frictionless Data Package.

`X.csv` (or `X.parquet`) gets `X.datapackage.json`: one tabular resource (the file) with its Table
Schema (each column's name, type and description), the file's size and sha256, and under
`muscle_tui` what was exported: block, experiment, selection, filters, time zone, snapshot time,
rows and version.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from muscle_tui import __version__
from muscle_tui.db.catalog import BlockRef, experiment_name_expr
from muscle_tui.db.filters import SessionFilter
from muscle_tui.db.stream import Snapshot
from muscle_tui.export.csv.columns import ColumnSpec
from muscle_tui.export.csv.selection import CsvSelection
from muscle_tui.export.files import Notices, atomic_file, check_target

SUFFIX = ".datapackage.json"
BOOLEAN_TEXT = {"trueValues": ["True"], "falseValues": ["False"]}
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"


class HashingWriter:
    """A binary output handle that counts and hashes (sha256) what is written through it."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self._sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        """Write `data` to the wrapped handle, hashing it."""
        self._sha256.update(data)
        self.size += len(data)
        return int(self._handle.write(data))

    def tell(self) -> int:
        """The wrapped handle's position."""
        return int(self._handle.tell())

    def flush(self) -> None:
        """Flush the wrapped handle."""
        self._handle.flush()

    @property
    def sha256(self) -> str:
        """The hex sha256 of what was written."""
        return self._sha256.hexdigest()


def _stem(path: Path, suffix: str) -> str:
    """The file's name without `suffix` (any case), or its whole name when it has another."""
    return path.name[: -len(suffix)] if path.name.lower().endswith(suffix) else path.name


def datapackage_path(csv_path: Path, suffix: str = ".csv") -> Path:
    """`X.datapackage.json` beside `X.csv` (`X.parquet` with that `suffix`; beside any other name,
    appended)."""
    return csv_path.with_name(_stem(csv_path, suffix) + SUFFIX)


def check_datapackage_target(csv_path: Path, force: bool, suffix: str = ".csv") -> Path:
    """The data package's absolute path, refused (OutputExists) when it exists and not `force`."""
    return check_target(datapackage_path(Path(csv_path).expanduser().absolute(), suffix), force)


def _resource_name(stem: str) -> str:
    name = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-")
    return name or "export"


def block_metadata(snap: Snapshot, block: BlockRef) -> dict[str, Any]:
    """The block (slug, name, id) and its experiment (slug, name, id; null when it has none)."""
    b = snap.schema.table("experiment_block")
    p = snap.schema.table("experiment_phase")
    e = snap.schema.table("experiment_experiment")
    query = (
        select(e.c.id, e.c.slug, experiment_name_expr(snap.schema))
        .select_from(b.join(p, p.c.id == b.c.phase_id).join(e, e.c.id == p.c.experiment_id))
        .where(b.c.id == block.id)
    )
    rows = snap.rows(query)
    experiment = {"id": rows[0][0], "slug": rows[0][1], "name": rows[0][2] or ""} if rows else None
    return {"block": {"slug": block.slug, "name": block.name, "id": block.id}, "experiment": experiment}


def selection_metadata(selection: CsvSelection, template: str | None = None) -> dict[str, Any]:
    """The selection as plain data."""
    out: dict[str, Any] = {
        "layout": selection.layout,
        "session_fields": list(selection.session_fields),
        "result_fields": list(selection.result_fields),
        "options": list(selection.ordered_options),
        "sort_columns": selection.sort_columns,
        "excel_safe": selection.excel_safe,
    }
    if template is not None:
        out["template"] = template
    return out


def export_metadata(
    snap: Snapshot,
    block: BlockRef,
    selection: CsvSelection,
    filters: SessionFilter,
    time_zone: str,
    snapshot_time: datetime,
    rows: int,
) -> dict[str, Any]:
    """The `muscle_tui` part of the data package: what was exported, from where, when."""
    return {
        **block_metadata(snap, block),
        "selection": selection_metadata(selection),
        "filters": filters.to_dict(),
        "time_zone": time_zone,
        "snapshot_time": snapshot_time.astimezone(UTC).isoformat(),
        "rows": rows,
        "muscle_tui_version": __version__,
    }


def field_descriptor(column: ColumnSpec, text: bool = True) -> dict[str, Any]:
    """One Table Schema field (`text`: of a CSV file, whose booleans are written True/False)."""
    field: dict[str, Any] = {"name": column.name, "type": column.type, "description": column.description}
    if column.type == "boolean" and text:
        field.update(BOOLEAN_TEXT)
    return field


def build_datapackage(
    csv_path: Path,
    columns: Sequence[ColumnSpec],
    size: int,
    sha256: str,
    metadata: dict[str, Any],
    line_terminator: str = "\r\n",
    file_format: str = "csv",
) -> dict[str, Any]:
    """The Data Package descriptor of the CSV (or, with `file_format` "parquet", the Parquet file) at
    `csv_path` (its path is relative: the file name)."""
    stem = _stem(csv_path, "." + file_format)
    if file_format == "parquet":
        return _package(stem, _parquet_resource(csv_path, stem, columns, size, sha256), metadata)
    resource = {
        "name": _resource_name(stem),
        "path": csv_path.name,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": size,
        "hash": f"sha256:{sha256}",
        "dialect": {
            "delimiter": ",",
            "lineTerminator": line_terminator,
            "quoteChar": '"',
            "doubleQuote": True,
            "header": True,
        },
        "schema": {"fields": [field_descriptor(column) for column in columns], "missingValues": [""]},
    }
    return _package(stem, resource, metadata)


def _parquet_resource(
    path: Path, stem: str, columns: Sequence[ColumnSpec], size: int, sha256: str
) -> dict[str, Any]:
    """The resource of a Parquet file: typed columns, so no dialect, encoding or missing values."""
    return {
        "name": _resource_name(stem),
        "path": path.name,
        "profile": "tabular-data-resource",
        "format": "parquet",
        "mediatype": PARQUET_MEDIATYPE,
        "bytes": size,
        "hash": f"sha256:{sha256}",
        "schema": {"fields": [field_descriptor(column, text=False) for column in columns]},
    }


def _package(stem: str, resource: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "profile": "tabular-data-package",
        "name": _resource_name(stem),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "resources": [resource],
        "muscle_tui": metadata,
    }


def write_datapackage(
    csv_path: Path,
    package: dict[str, Any],
    force: bool = False,
    notices: Notices | None = None,
    suffix: str = ".csv",
) -> Path:
    """Write `package` atomically (0600) as `X.datapackage.json` beside `csv_path` (`X` its name
    without `suffix`); its path."""
    target = datapackage_path(Path(csv_path).expanduser().absolute(), suffix)
    text = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    with atomic_file(target, force, notices) as handle:
        handle.write(text.encode("utf-8"))
    return target
