"""The Parquet export of one block: the CSV export's rows, typed, written in row groups as they stream.

Everything is read in one snapshot, as for CSV: the plan and the column types first, then the rows
(`export_rows`, or MUSCLE 2026's layout), turned into typed Arrow columns a batch of cells at a time
and gathered into row groups of about `ROW_GROUP_BYTES`, each written as soon as it is full. Memory
is therefore bounded by one row group and one batch, plus the file's footer, which Parquet keeps
until the end (under a kilobyte per column per row group). The file appears only when complete
(`atomic_file`); its data package `X.datapackage.json` comes right after.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, SessionFilter, check_time_zone
from muscle_tui.db.stream import Snapshot
from muscle_tui.export.csv import CsvSelection
from muscle_tui.export.csv.cells import Cell
from muscle_tui.export.csv.columns import ColumnSpec, form_columns, muscle_2026_columns
from muscle_tui.export.csv.muscle2026 import LAYOUT as MUSCLE_2026
from muscle_tui.export.csv.muscle2026 import muscle_2026_count, muscle_2026_rows
from muscle_tui.export.csv.plan import plan_export
from muscle_tui.export.csv.rows import Piece, export_rows, use_time_zone
from muscle_tui.export.datapackage import (
    HashingWriter,
    build_datapackage,
    check_datapackage_target,
    export_metadata,
    write_datapackage,
)
from muscle_tui.export.files import Notices, atomic_file, check_target, default_file_name
from muscle_tui.export.parquet.arrow import (
    ColumnConverter,
    ColumnMisfit,
    ParquetValueError,
    arrow_schema,
    as_text,
    pyarrow_modules,
)
from muscle_tui.export.progress import ExportResult, ProgressCallback, ProgressReporter

SUFFIX = ".parquet"
PROGRESS_EVERY = 1000
PROGRESS_STAGE = "rows"
BATCH_CELLS = 1 << 16
"""Cells turned into Arrow arrays at a time (fewer rows when the rows are wide)."""
ROW_GROUP_BYTES = 16 << 20
"""A row group holds about this much Arrow data: with one batch of cells, memory's bound."""
MAX_ROW_GROUP_ROWS = 1 << 20
COMPRESSION = "snappy"
JSON_TYPES = frozenset({"object", "array", "any"})
_EMPTY: tuple[Cell, ...] = ()


def default_parquet_name(block_slug: str, template_name: str, now: datetime | None = None) -> str:
    """`<block slug>-<template>-<UTC timestamp>.parquet`."""
    return default_file_name((block_slug, template_name), SUFFIX, now)


class ParquetSink(HashingWriter):
    """The export's file as pyarrow writes it: hashed and counted, and left open when pyarrow is done."""

    closed = False

    def writable(self) -> bool:
        """Always: the file is open for writing."""
        return True

    def close(self) -> None:
        """Nothing: the file is closed (and put in place) by `atomic_file`."""


def write_parquet(
    db: MuscleDatabase,
    block_slug: str,
    selection: CsvSelection,
    output: Path,
    *,
    filters: SessionFilter = NO_FILTER,
    time_zone: str = "UTC",
    force: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    datapackage: bool = True,
) -> ExportResult:
    """Export the block as Parquet into `output` (mode 0600, atomically); `count` is the data rows.

    The same rules as `write_csv`: the same rows and columns for the same selection, `filters` and
    `time_zone` (the zone of the timestamp columns' type), OutputExists when `output` (or, with
    `datapackage`, `X.datapackage.json` beside it) exists and `force` is False. Excel-safe does not
    apply: values are typed, so no spreadsheet runs them as formulas. ParquetUnavailable when
    pyarrow is missing. A column holding a value that does not fit its type is written as text:
    the export starts again (in the same snapshot) with that column's type changed.
    """
    pyarrow_modules()
    check_time_zone(time_zone)
    selection = selection.replace(excel_safe=False)
    started = time.monotonic()
    target = check_target(Path(output), force)
    if datapackage:
        check_datapackage_target(target, force, SUFFIX)
    notices: Notices = []
    with db.snapshot(cancel) as snap:
        snapshot_time = datetime.now(UTC)
        rows: Callable[[], contextlib.AbstractContextManager[Iterator[Piece]]]
        if selection.layout == MUSCLE_2026:
            block = snap.block(block_slug)
            columns = parquet_muscle_2026_columns()
            total = muscle_2026_count(snap, block_slug, filters, time_zone)
            rows = functools.partial(_muscle_2026_pieces, snap, block_slug, filters, time_zone)
        else:
            use_time_zone(snap, time_zone)
            plan = plan_export(snap, block_slug, selection, filters, time_zone)
            block = plan.block
            columns = form_columns(snap, plan)
            total = plan.total_rows
            rows = functools.partial(export_rows, snap, plan)
        if not columns:
            raise ParquetValueError("the selection has no columns; a Parquet file needs one (choose a field)")
        for _attempt in range(len(columns) + 1):
            reporter = ProgressReporter(progress, cancel)
            reporter.begin(PROGRESS_STAGE, total)
            try:
                with atomic_file(target, force, notices) as handle, rows() as pieces:
                    sink = ParquetSink(handle)
                    count = write_row_groups(sink, columns, time_zone, pieces, reporter)
                break
            except ColumnMisfit as misfit:
                index = [column.name for column in columns].index(misfit.column)
                if columns[index].type == "string":
                    raise
                columns[index] = as_text(columns[index], misfit.reason)
        if datapackage:
            metadata = export_metadata(snap, block, selection, filters, time_zone, snapshot_time, count)
            package = build_datapackage(
                target, columns, sink.size, sink.sha256, metadata, file_format="parquet"
            )
            write_datapackage(target, package, force, notices, SUFFIX)
    reporter.finish()
    return ExportResult(
        path=str(target),
        bytes=sink.size,
        count=count,
        seconds=time.monotonic() - started,
        notices=tuple(notices),
    )


def batch_rows(width: int) -> int:
    """How many rows of this many columns are converted to Arrow at a time."""
    return max(1, BATCH_CELLS // max(1, width))


class RowGroupWriter:
    """Writes Arrow record batches into a Parquet file, gathered into row groups of about
    `ROW_GROUP_BYTES` of Arrow data (at most `MAX_ROW_GROUP_ROWS` rows).

    Columns of JSON text get no statistics (their minimum and maximum mean nothing, and every row
    group would carry them in the file's footer, which the writer holds in memory)."""

    def __init__(self, sink: ParquetSink, columns: Sequence[ColumnSpec], schema: Any) -> None:
        self.pa, pq = pyarrow_modules()
        self.schema = schema
        self.writer = pq.ParquetWriter(
            self.pa.PythonFile(sink, mode="w"),
            schema,
            compression=COMPRESSION,
            write_statistics=[c.name for c in columns if c.type not in JSON_TYPES],
        )
        self.batches: list[Any] = []
        self.rows = 0
        self.bytes = 0

    def add(self, batch: Any) -> None:
        """Add a batch to the row group, writing the group once it is full."""
        self.batches.append(batch)
        self.rows += batch.num_rows
        self.bytes += batch.nbytes
        if self.bytes >= ROW_GROUP_BYTES or self.rows >= MAX_ROW_GROUP_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write what was added as one row group."""
        if self.batches:
            table = self.pa.Table.from_batches(self.batches, schema=self.schema)
            self.batches.clear()
            self.writer.write_table(table, row_group_size=max(1, table.num_rows))
            self.rows = self.bytes = 0

    def close(self) -> None:
        """Write the last row group and the file's footer."""
        self.flush()
        self.writer.close()

    def abandon(self) -> None:
        """Close the writer after a failure, now while its file is open (not when collected)."""
        self.batches.clear()
        with contextlib.suppress(self.pa.ArrowException, OSError, ValueError):
            self.writer.close()


def write_row_groups(
    sink: ParquetSink,
    columns: Sequence[ColumnSpec],
    time_zone: str,
    pieces: Iterable[Piece],
    reporter: ProgressReporter,
) -> int:
    """Write the rows (head, tail) as a Parquet file of these columns into `sink`; the row count.

    Rows are gathered `batch_rows` at a time and turned into typed columns by `zip` (the head of a
    long export's rows is one object per session, so its cells are not copied); every
    `PROGRESS_EVERY` rows the reporter counts them and checks for cancellation.
    """
    pa, _ = pyarrow_modules()
    schema = arrow_schema(columns, time_zone)
    converters = [ColumnConverter(column, time_zone) for column in columns]
    size = batch_rows(len(columns))
    groups = RowGroupWriter(sink, columns, schema)
    heads: list[Sequence[Cell]] = []
    tails: list[Sequence[Cell]] = []
    count = 0
    next_report = PROGRESS_EVERY

    def convert() -> None:
        cells = [*zip(*heads), *zip(*tails)]
        heads.clear()
        tails.clear()
        arrays = [to_array(values) for to_array, values in zip(converters, cells, strict=True)]
        del cells
        groups.add(pa.RecordBatch.from_arrays(arrays, schema=schema))

    try:
        for head, tail in pieces:
            heads.append(head)
            tails.append(tail)
            count += 1
            if count == next_report:
                next_report += PROGRESS_EVERY
                reporter.advance(PROGRESS_EVERY)
            if len(heads) == size:
                convert()
        if heads:
            convert()
        if count % PROGRESS_EVERY:
            reporter.advance(count % PROGRESS_EVERY)
        else:
            reporter.check()
        groups.close()
    except BaseException:
        groups.abandon()
        raise
    return count


def parquet_muscle_2026_columns() -> list[ColumnSpec]:
    """MUSCLE 2026's fixed columns, `created_at` a timestamp (its CSV writes Python's str() of it)."""
    return [
        ColumnSpec(c.name, "datetime", "when the answer was given") if c.name == "created_at" else c
        for c in muscle_2026_columns()
    ]


_2026_NUMBERS = {0: int, 1: int, 7: float}
_2026_CREATED_AT = 6


def _muscle_2026_typed(cells: list[str]) -> list[Any]:
    """A MUSCLE 2026 row's cell texts with its ids and score as numbers (empty: null); a text that
    is no number stays text, for the column's converter to name."""
    typed: list[Any] = list(cells)
    for index, kind in _2026_NUMBERS.items():
        text = cells[index]
        if not text:
            typed[index] = None
            continue
        with contextlib.suppress(ValueError):
            typed[index] = kind(text)
    if not cells[_2026_CREATED_AT]:
        typed[_2026_CREATED_AT] = None
    return typed


@contextlib.contextmanager
def _muscle_2026_pieces(
    snap: Snapshot, block_slug: str, filters: SessionFilter, time_zone: str
) -> Iterator[Iterator[Piece]]:
    """MUSCLE 2026's rows as (head, tail) pieces; leaving the block closes their streams."""
    rows = muscle_2026_rows(snap, block_slug, filters, time_zone)
    try:
        yield ((_EMPTY, _muscle_2026_typed(cells)) for cells in rows)
    finally:
        rows.close()
