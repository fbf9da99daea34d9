"""The exports of one block, as the Blocks screen and the Block screen offer them (`j` and `c`).

`j` asks for a path (and filters) in the path dialog, then runs the JSON bundle export through the
export flow; `c` opens the CSV export form. Both screens call these, so the two keys behave the
same wherever the block is chosen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual.app import App

from muscle_tui.db.catalog import BlockSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from muscle_tui.export.json import default_json_name, write_json_bundle
from muscle_tui.export.progress import ExportResult, ProgressCallback
from muscle_tui.screens.export_csv import ExportCsvScreen
from muscle_tui.screens.export_flow import ExportJob
from muscle_tui.screens.export_path import ExportPathDialog

JsonWriter = Callable[..., ExportResult]
"""`write_json_bundle`, or what stands in for it (the Blocks screen passes its own, which tests replace)."""


def json_export_job(
    database: MuscleDatabase,
    slug: str,
    filters: SessionFilter = NO_FILTER,
    *,
    write: JsonWriter = write_json_bundle,
    name: Callable[[str], str] = default_json_name,
) -> ExportJob:
    """The JSON bundle export of block `slug` (its sessions that pass `filters`), for the export flow."""

    def run(output: Path, force: bool, progress: ProgressCallback, cancel: threading.Event) -> ExportResult:
        engine = partial(write, filters=filters)
        return engine(database, slug, output, force=force, progress=progress, cancel=cancel)

    return ExportJob(
        default_name=name(slug),
        title=lambda output: f"Exporting {slug} to {output.name}",
        unit="objects",
        run=run,
        format="JSON bundle",
        block=slug,
    )


def export_block_json(
    app: App[object],
    database: MuscleDatabase,
    block: BlockSummary,
    *,
    write: JsonWriter = write_json_bundle,
    name: Callable[[str], str] = default_json_name,
) -> None:
    """Ask where to write `block` as MUSCLE's JSON bundle (with optional filters), then export it."""
    title = f"Export block {block.slug} as a JSON bundle"
    job = json_export_job(database, block.slug, write=write, name=name)
    filtered = partial(json_export_job, database, block.slug, write=write, name=name)
    app.push_screen(ExportPathDialog(title, job, filtered=filtered))


def export_block_csv(app: App[object], database: MuscleDatabase, block: BlockSummary) -> None:
    """Open the CSV export form of `block`."""
    app.push_screen(ExportCsvScreen(database, block))
