"""`muscle-tui export json`: MUSCLE's 7-file JSON bundle of a block, or of every block of an experiment."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from muscle_tui.cli.console import PREFIX, ExportProgressBar, say, say_error
from muscle_tui.cli.state import CliState, pass_state
from muscle_tui.cli.stdout import print_written_path
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.files import resolve_output, resolve_output_directory
from muscle_tui.export.json import default_json_name, write_json_bundle

OUTPUT_TYPE = click.Path(readable=False)


def export_block(state: CliState, db: MuscleDatabase, slug: str, output: str | None, force: bool) -> str:
    """Export one block's bundle to `output` (resolved by the output rule); the written path."""
    target = resolve_output(output, default_json_name(slug))
    with ExportProgressBar(slug, "objects") as progress, state.stop.exporting() as cancel:
        result = write_json_bundle(db, slug, target, force=force, progress=progress, cancel=cancel)
    for notice in result.notices:
        say(PREFIX + notice)
    return result.path


def export_experiment(
    state: CliState, db: MuscleDatabase, slug: str, output: str | None, force: bool
) -> None:
    """Export a zip per block of the experiment into the directory `output` (created if missing),
    printing each path as it is written."""
    experiment = db.experiment(slug)
    blocks = db.blocks(experiment.id)
    if not blocks:
        say_error(f"experiment {slug!r} has no blocks; nothing was written")
        return
    directory = resolve_output_directory(output)
    now = datetime.now(UTC)
    for block in blocks:
        target = resolve_output(None, default_json_name(block.slug, now), directory)
        with ExportProgressBar(block.slug, "objects") as progress, state.stop.exporting() as cancel:
            result = write_json_bundle(db, block.slug, target, force=force, progress=progress, cancel=cancel)
        for notice in result.notices:
            say(PREFIX + notice)
        print_written_path(result.path)


@click.command(
    "json",
    short_help="export a block as MUSCLE's JSON bundle (sessions, participants, profiles, results, ...)",
    help=(
        "Write a block's seven JSON files, as MUSCLE's own 'Export JSON' does, from one consistent "
        "snapshot. The output is a zip when its path ends in .zip, else a directory of the seven "
        "files; an existing directory, or a path ending in /, gets the default name "
        "<block slug>-<UTC time>.zip inside (the default is that name in the current directory). "
        "Prints the written path."
    ),
)
@click.argument("block", required=False, metavar="[BLOCK_SLUG]")
@click.option(
    "--experiment", metavar="SLUG", help="export every block of this experiment instead, one zip per block"
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
@pass_state
def export_json(
    state: CliState, block: str | None, experiment: str | None, output: str | None, force: bool
) -> None:
    if block is not None and experiment is None:
        db = state.database_with_block(block)
        print_written_path(export_block(state, db, block, output, force))
    elif experiment is not None and block is None:
        export_experiment(state, state.database(), experiment, output, force)
    else:
        raise click.UsageError("name a BLOCK_SLUG or --experiment SLUG (one of the two)")
