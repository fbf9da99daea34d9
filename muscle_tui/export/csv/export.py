"""The CSV engine's entry points: export a block into a file, preview it, name it.

Everything is read in one snapshot (`MuscleDatabase.snapshot`): the plan first (header and
counts), then the rows, streamed into a file that appears only when complete. The preview
(`CsvPreview`, `preview_csv`) lives in `muscle_tui.export.csv.preview`.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, SessionFilter, check_time_zone
from muscle_tui.db.stream import Snapshot
from muscle_tui.export.csv.columns import form_columns, muscle_2026_columns
from muscle_tui.export.csv.muscle2026 import LAYOUT as MUSCLE_2026
from muscle_tui.export.csv.muscle2026 import WrittenCallback, write_muscle_2026
from muscle_tui.export.csv.plan import plan_export
from muscle_tui.export.csv.preview import CsvPreview, preview_csv
from muscle_tui.export.csv.rows import export_rows, use_time_zone
from muscle_tui.export.csv.selection import CsvSelection
from muscle_tui.export.csv.writer import CsvLineWriter
from muscle_tui.export.datapackage import (
    HashingWriter,
    build_datapackage,
    check_datapackage_target,
    export_metadata,
    write_datapackage,
)
from muscle_tui.export.files import Notices, atomic_file, check_target, default_file_name
from muscle_tui.export.progress import ExportResult, ProgressCallback, ProgressReporter

PROGRESS_EVERY = 1000
PROGRESS_STAGE = "rows"


def default_csv_name(block_slug: str, template_name: str, now: datetime | None = None) -> str:
    """`<block slug>-<template>-<UTC timestamp>.csv`."""
    return default_file_name((block_slug, template_name), ".csv", now)


def write_csv(
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
    """Export the block as CSV into `output` (mode 0600, atomically); `count` is the data rows.

    `output` is the resolved target: OutputExists when it exists and `force` is False. Only the
    sessions that pass `filters` are exported; timestamps are written in `time_zone` (IANA name).
    With `datapackage`, its data dictionary `X.datapackage.json` is written beside it right after
    (the same rule for an existing file).
    """
    check_time_zone(time_zone)
    if datapackage:
        check_target(Path(output), force)
        check_datapackage_target(Path(output), force)
    if selection.layout == MUSCLE_2026:
        return write_muscle_2026(
            db,
            block_slug,
            output,
            filters=filters,
            time_zone=time_zone,
            force=force,
            progress=progress,
            cancel=cancel,
            written=_muscle_2026_package(Path(output), block_slug, selection, filters, time_zone, force)
            if datapackage
            else None,
        )
    started = time.monotonic()
    target = check_target(Path(output), force)
    reporter = ProgressReporter(progress, cancel)
    count = 0
    notices: Notices = []
    with db.snapshot(cancel) as snap:
        snapshot_time = datetime.now(UTC)
        use_time_zone(snap, time_zone)
        plan = plan_export(snap, block_slug, selection, filters, time_zone)
        columns = form_columns(snap, plan) if datapackage else []
        reporter.begin(PROGRESS_STAGE, plan.total_rows)
        with atomic_file(target, force, notices) as handle, export_rows(snap, plan) as pieces:
            hashed = HashingWriter(handle)
            writer = CsvLineWriter(cast(BinaryIO, hashed), len(plan.header), excel_safe=selection.excel_safe)
            writer.header(plan.header)
            next_report = PROGRESS_EVERY
            for head, tail in pieces:
                writer.row(head, tail)
                count += 1
                if count == next_report:
                    next_report += PROGRESS_EVERY
                    reporter.advance(PROGRESS_EVERY)
            if count % PROGRESS_EVERY:
                reporter.advance(count % PROGRESS_EVERY)
            else:
                reporter.check()
            writer.flush()
            size = handle.tell()
        if datapackage:
            metadata = export_metadata(snap, plan.block, selection, filters, time_zone, snapshot_time, count)
            package = build_datapackage(target, columns, hashed.size, hashed.sha256, metadata)
            write_datapackage(target, package, force, notices)
    reporter.finish()
    return ExportResult(
        path=str(target), bytes=size, count=count, seconds=time.monotonic() - started, notices=tuple(notices)
    )


def _muscle_2026_package(
    output: Path,
    block_slug: str,
    selection: CsvSelection,
    filters: SessionFilter,
    time_zone: str,
    force: bool,
) -> WrittenCallback:
    """Writes the data package of a MUSCLE 2026 layout export, from the export's own snapshot."""
    snapshot_time = datetime.now(UTC)

    def write(snap: Snapshot, count: int, size: int, sha256: str, notices: Notices) -> None:
        block = snap.block(block_slug)
        metadata = export_metadata(snap, block, selection, filters, time_zone, snapshot_time, count)
        target = check_target(Path(output), force=True)
        package = build_datapackage(
            target, muscle_2026_columns(), size, sha256, metadata, line_terminator="\n"
        )
        write_datapackage(target, package, force, notices)

    return write


__all__ = ["CsvPreview", "default_csv_name", "preview_csv", "write_csv"]
