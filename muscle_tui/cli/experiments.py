"""Exports of a whole experiment: one output per block, into a directory the export creates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from muscle_tui.cli.console import PREFIX, ExportProgressBar, say, say_error
from muscle_tui.cli.state import CliState
from muscle_tui.cli.stdout import print_written_path
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.experiment import DefaultName, WriteBlock, plan_experiment_export
from muscle_tui.export.files import resolve_output

__all__ = ["DefaultName", "WriteBlock", "export_experiment_blocks", "require_one_target", "run_export"]


def run_export(state: CliState, slug: str, unit: str, target: Path, write: WriteBlock) -> str:
    """Write one block to `target` with a progress bar and the stop signals; show its notices and
    return the written path."""
    with ExportProgressBar(slug, unit) as progress, state.stop.exporting() as cancel:
        result = write(slug, target, progress, cancel)
    for notice in result.notices:
        say(PREFIX + notice)
    return result.path


def export_experiment_blocks(
    state: CliState,
    db: MuscleDatabase,
    experiment_slug: str,
    output: str | None,
    *,
    unit: str,
    default_name: DefaultName,
    write: WriteBlock,
) -> None:
    """Export every block of the experiment into the directory `output` (created if missing; by
    default the configured export directory, else the current one), each under its default name
    with one time for the whole run, printing each path as it is written. An experiment without
    blocks is one line and writes nothing."""
    experiment = db.experiment(experiment_slug)
    blocks = db.blocks(experiment.id)
    if not blocks:
        say_error(f"experiment {experiment_slug!r} has no blocks; nothing was written")
        return
    folder = output if output is not None else state.default_export_directory(output)
    plan = plan_experiment_export([block.slug for block in blocks], folder, default_name)
    try:
        for target in plan.targets:
            print_written_path(run_export(state, target.slug, unit, target.path, write))
    except BaseException:
        plan.remove_if_unused()  # a folder this run created and wrote nothing into goes again
        raise


def export_block_or_experiment(
    state: CliState,
    db: MuscleDatabase,
    block: str | None,
    experiment: str | None,
    output: str | None,
    *,
    unit: str,
    default_name: DefaultName,
    write: WriteBlock,
) -> None:
    """Export the block (to `output`, by the output rule, printing the path written) or, with
    `experiment`, every block of it (`export_experiment_blocks`)."""
    if experiment is not None:
        export_experiment_blocks(
            state, db, experiment, output, unit=unit, default_name=default_name, write=write
        )
        return
    assert block is not None
    name = default_name(block, datetime.now(UTC))
    target = resolve_output(output, name, default_directory=state.default_export_directory(output))
    print_written_path(run_export(state, block, unit, target, write))


def require_one_target(block: str | None, experiment: str | None) -> None:
    """A usage error (status 2) unless exactly one of BLOCK_SLUG and --experiment is given."""
    if (block is None) == (experiment is None):
        raise click.UsageError("name a BLOCK_SLUG or --experiment SLUG (one of the two)")
