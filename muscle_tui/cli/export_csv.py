"""`muscle-tui export csv`: a block as CSV, from a template and/or explicit fields and options."""

from __future__ import annotations

from pathlib import Path
from threading import Event

import click

from muscle_tui.cli.experiments import export_block_or_experiment, require_one_target
from muscle_tui.cli.export_options import (
    EPILOG,
    export_choice,
    output_options,
    selection_options,
)
from muscle_tui.cli.state import CliState, pass_state
from muscle_tui.export.csv import default_csv_name, write_csv
from muscle_tui.export.progress import ExportResult, ProgressCallback


@click.command(
    "csv",
    short_help="export a block as CSV, as MUSCLE's export form does",
    help=(
        "Export one block as CSV. The template (default: config.toml's [export] csv_template, else "
        "wide) gives the session fields, result fields and options; the field flags replace the "
        "template's lists. Writes <block>-<template>-<UTC time>.csv in the export directory "
        "(config.toml's [export] directory, else the current one) unless --output says otherwise "
        "(an existing directory, or a path ending in /, gets that name inside; a relative path is "
        "relative to the current directory), and prints the path written. With --experiment SLUG "
        "instead of BLOCK_SLUG, writes one such file per block of the experiment into the directory "
        "--output names (created if missing; default: the export directory), printing each path."
    ),
    epilog=EPILOG,
)
@selection_options("CSV")
@click.option(
    "--excel-safe",
    is_flag=True,
    help="prefix ' to cells (and column names) starting with = + - @ tab or CR, except plain "
    "numbers, so spreadsheets do not run them as formulas; off by default because it changes values",
)
@output_options("CSV file", ".csv")
@pass_state
def export_csv(
    state: CliState,
    block: str | None,
    experiment: str | None,
    template: str | None,
    session_fields: str | None,
    result_fields: str | None,
    options: str | None,
    sort_columns: bool,
    excel_safe: bool,
    output: str | None,
    force: bool,
    no_datapackage: bool,
    finished_only: bool | None,
    started_after: str | None,
    started_before: str | None,
    exclude_participants: tuple[str, ...],
    time_zone: str,
) -> None:
    require_one_target(block, experiment)
    choice = export_choice(
        template,
        session_fields,
        result_fields,
        options,
        sort_columns,
        excel_safe,
        finished_only,
        started_after,
        started_before,
        exclude_participants,
        time_zone,
        config=state.user_config if template is None else None,
    )
    chosen, selection, filters, zone = choice.template, choice.selection, choice.filters, choice.time_zone
    db = state.database_with_block(block) if block is not None else state.database()

    def write(slug: str, target: Path, progress: ProgressCallback | None, cancel: Event) -> ExportResult:
        return write_csv(
            db,
            slug,
            selection,
            target,
            filters=filters,
            time_zone=zone,
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
        default_name=lambda slug, now: default_csv_name(slug, chosen.name, now),
        write=write,
    )
