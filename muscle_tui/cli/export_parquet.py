"""`muscle-tui export parquet`: a block as a typed Parquet file, with the flags of `export csv`."""

from __future__ import annotations

from pathlib import Path
from threading import Event

import click

from muscle_tui.cli.experiments import export_block_or_experiment, require_one_target
from muscle_tui.cli.export_options import EPILOG, export_choice, output_options, selection_options
from muscle_tui.cli.state import CliState, pass_state
from muscle_tui.export.parquet import (
    ParquetUnavailable,
    default_parquet_name,
    parquet_available,
    write_parquet,
)
from muscle_tui.export.progress import ExportResult, ProgressCallback


@click.command(
    "parquet",
    short_help="export a block as a typed Parquet file (needs the parquet extra)",
    help=(
        "Export one block as Parquet: the rows and columns `export csv` writes with the same flags, "
        "typed (int64 ids, double scores, timestamps in --time-zone, booleans, text; nested JSON "
        "values as JSON text). Excel-safe does not apply. The template defaults to config.toml's "
        "[export] csv_template, else wide. Writes <block>-<template>-<UTC time>.parquet in the export "
        "directory (config.toml's [export] directory, else the current one) unless --output says "
        "otherwise (an existing directory, or a path ending in /, gets that name inside; a relative "
        "path is relative to the current directory), and prints the path written. With --experiment "
        "SLUG instead of BLOCK_SLUG, writes one such file per block of the experiment into the "
        "directory --output names (created if missing; default: the export directory), printing each "
        "path. Needs pyarrow: pip install 'muscle-tui[parquet]'."
    ),
    epilog=EPILOG,
)
@selection_options("Parquet file")
@output_options("Parquet file", ".parquet")
@pass_state
def export_parquet(
    state: CliState,
    block: str | None,
    experiment: str | None,
    template: str | None,
    session_fields: str | None,
    result_fields: str | None,
    options: str | None,
    sort_columns: bool,
    output: str | None,
    force: bool,
    no_datapackage: bool,
    finished_only: bool | None,
    started_after: str | None,
    started_before: str | None,
    exclude_participants: tuple[str, ...],
    time_zone: str,
) -> None:
    if not parquet_available():
        raise ParquetUnavailable()
    require_one_target(block, experiment)
    choice = export_choice(
        template,
        session_fields,
        result_fields,
        options,
        sort_columns,
        False,
        finished_only,
        started_after,
        started_before,
        exclude_participants,
        time_zone,
        config=state.user_config if template is None else None,
    )
    db = state.database_with_block(block) if block is not None else state.database()

    def write(slug: str, target: Path, progress: ProgressCallback | None, cancel: Event) -> ExportResult:
        return write_parquet(
            db,
            slug,
            choice.selection,
            target,
            filters=choice.filters,
            time_zone=choice.time_zone,
            force=force,
            progress=progress,
            cancel=cancel,
            datapackage=not no_datapackage,
        )

    export_block_or_experiment(
        state,
        db,
        block,
        experiment,
        output,
        unit="rows",
        default_name=lambda slug, now: default_parquet_name(slug, choice.template.name, now),
        write=write,
    )
