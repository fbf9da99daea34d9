"""`muscle-tui export json`: MUSCLE's 7-file JSON bundle of a block, or of every block of an experiment."""

from __future__ import annotations

from pathlib import Path
from threading import Event

import click

from muscle_tui.cli.experiments import WriteBlock, export_experiment_blocks, run_export
from muscle_tui.cli.filter_flags import filter_options, filters_from_flags
from muscle_tui.cli.state import CliState, pass_state
from muscle_tui.cli.stdout import print_written_path
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from muscle_tui.export.files import resolve_output
from muscle_tui.export.json import default_json_name, write_json_bundle
from muscle_tui.export.progress import ExportResult, ProgressCallback

OUTPUT_TYPE = click.Path(readable=False)


def block_writer(db: MuscleDatabase, force: bool, filters: SessionFilter = NO_FILTER) -> WriteBlock:
    """How one block's bundle is written, for a single block and for each block of an experiment."""

    def write(slug: str, target: Path, progress: ProgressCallback | None, cancel: Event) -> ExportResult:
        return write_json_bundle(
            db, slug, target, filters=filters, force=force, progress=progress, cancel=cancel
        )

    return write


def export_block(
    state: CliState,
    db: MuscleDatabase,
    slug: str,
    output: str | None,
    force: bool,
    filters: SessionFilter = NO_FILTER,
) -> str:
    """Export one block's bundle to `output` (resolved by the output rule; none given: into the
    configured export directory, else the current one); the written path."""
    directory = state.default_export_directory(output)
    target = resolve_output(output, default_json_name(slug), default_directory=directory)
    return run_export(state, slug, "objects", target, block_writer(db, force, filters))


def export_experiment(
    state: CliState,
    db: MuscleDatabase,
    slug: str,
    output: str | None,
    force: bool,
    filters: SessionFilter = NO_FILTER,
) -> None:
    """Export a zip per block of the experiment into the directory `output` (created if missing;
    none given: the configured export directory, else the current one), printing each path as it
    is written."""
    export_experiment_blocks(
        state,
        db,
        slug,
        output,
        unit="objects",
        default_name=default_json_name,
        write=block_writer(db, force, filters),
    )


@click.command(
    "json",
    short_help="export a block as MUSCLE's JSON bundle (sessions, participants, profiles, results, ...)",
    help=(
        "Write a block's seven JSON files, as MUSCLE's own 'Export JSON' does, from one consistent "
        "snapshot. The output is a zip when its path ends in .zip, else a directory of the seven "
        "files; an existing directory, or a path ending in /, gets the default name "
        "<block slug>-<UTC time>.zip inside (the default is that name in the export directory: "
        "config.toml's [export] directory, else the current one). "
        "Prints the written path. The filter flags keep only some sessions (with their results, "
        "participants and profile answers); sections, songs and feedback are the block's."
    ),
)
@click.argument("block", required=False, metavar="[BLOCK_SLUG]")
@click.option(
    "--experiment",
    metavar="SLUG",
    help="export every block of this experiment instead, one zip per block (into --output, else the "
    "export directory)",
)
@click.option(
    "-o",
    "--output",
    type=OUTPUT_TYPE,
    metavar="PATH",
    help="where to write: a .zip file or a directory (with --experiment: the directory for the zips, "
    "created if missing)",
)
@click.option("--force", is_flag=True, help="replace an existing output")
@filter_options
@pass_state
def export_json(
    state: CliState,
    block: str | None,
    experiment: str | None,
    output: str | None,
    force: bool,
    finished_only: bool | None,
    started_after: str | None,
    started_before: str | None,
    exclude_participants: tuple[str, ...],
) -> None:
    filters = filters_from_flags(finished_only, started_after, started_before, exclude_participants)
    if block is not None and experiment is None:
        db = state.database_with_block(block)
        print_written_path(export_block(state, db, block, output, force, filters))
    elif experiment is not None and block is None:
        export_experiment(state, state.database(), experiment, output, force, filters)
    else:
        raise click.UsageError("name a BLOCK_SLUG or --experiment SLUG (one of the two)")
