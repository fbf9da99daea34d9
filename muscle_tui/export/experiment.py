"""Exports of a whole experiment: one output per block, in one folder, under one time for the run.

`plan_experiment_export` names each block's output (its default name, with the run's one time) in
the folder, which it creates when missing; `write_experiment` writes the blocks one after the other
with a single-block writer. Both front ends use them: the CLI (`export json|csv|parquet
--experiment`) and the terminal UI (`j` on the Experiments screen).

Each block's output follows the single-block rules (it appears only when complete, nothing
replaced unless forced). The blocks are independent: a cancel or a failure stops the run at the
block being written, whose temporary output is removed, while the blocks written before it stay.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from muscle_tui.errors import raise_if_cancelled
from muscle_tui.export.files import (
    default_file_name,
    expand_user,
    resolve_output,
    resolve_output_directory,
    target_exists,
)
from muscle_tui.export.progress import ExportProgress, ExportResult, ProgressCallback

WriteBlock = Callable[[str, Path, ProgressCallback | None, threading.Event], ExportResult]
"""Writes one block (slug, resolved target, progress callback, cancel event) as a single-block export does."""
DefaultName = Callable[[str, datetime], str]
"""The default file name of a block's output (slug, the run's one time)."""
BlockProgress = Callable[[int, "BlockTarget", ExportProgress], None]
"""Called with each progress report of the block being written (its index in the plan, the block)."""
BlockWritten = Callable[[int, "BlockTarget", ExportResult], None]
"""Called when a block's output is complete (its index in the plan, the block, what was written)."""


@dataclass(frozen=True)
class BlockTarget:
    """One block of the run and the file (or bundle directory) its output goes to."""

    slug: str
    path: Path


@dataclass(frozen=True)
class ExperimentExport:
    """Where the run writes: the folder, each block's target in it (in the experiment's block
    order), and whether planning created the folder."""

    directory: Path
    targets: tuple[BlockTarget, ...]
    created: bool = False

    def existing(self) -> list[Path]:
        """The targets that exist already (writing them needs `force`)."""
        return [target.path for target in self.targets if target_exists(target.path)]

    def remove_if_unused(self) -> None:
        """Remove the folder again when planning created it and nothing was written into it."""
        if self.created:
            with contextlib.suppress(OSError):
                self.directory.rmdir()  # only an empty folder goes


def default_experiment_folder(experiment_slug: str, now: datetime | None = None) -> str:
    """`<experiment slug>-<UTC timestamp>`, the folder a front end offers for a whole experiment."""
    return default_file_name((experiment_slug,), "", now)


def plan_experiment_export(
    block_slugs: Sequence[str],
    output: str | os.PathLike[str] | None,
    default_name: DefaultName,
    *,
    now: datetime | None = None,
) -> ExperimentExport:
    """The targets of the blocks `block_slugs` in the folder `output` (the current one when None),
    created (0700) if missing, each under `default_name` with one time (`now`) for the whole run."""
    chosen = expand_user(output).absolute() if output is not None else None
    existed = chosen is None or target_exists(chosen)
    directory = resolve_output_directory(output)
    moment = now or datetime.now(UTC)
    targets = tuple(
        BlockTarget(slug, resolve_output(None, default_name(slug, moment), directory)) for slug in block_slugs
    )
    return ExperimentExport(directory, targets, created=not existed)


def write_experiment(
    plan: ExperimentExport,
    write: WriteBlock,
    *,
    cancel: threading.Event,
    progress: BlockProgress | None = None,
    written: BlockWritten | None = None,
) -> list[ExportResult]:
    """Write every block of `plan` in turn with `write`; what each wrote, in plan order.

    A cancel (ExportCancelled) or a failure stops the run at the block being written, which leaves
    nothing behind; the blocks written before it stay (`written` has been told about each).
    """
    results: list[ExportResult] = []
    for index, target in enumerate(plan.targets):
        raise_if_cancelled(cancel)
        report = None if progress is None else partial(progress, index, target)
        result = write(target.slug, target.path, report, cancel)
        results.append(result)
        if written is not None:
            written(index, target, result)
    return results
