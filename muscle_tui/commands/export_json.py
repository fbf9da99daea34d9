"""`muscle-tui export json`: MUSCLE's 7-file JSON bundle of a block, or of every block of an experiment."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from muscle_tui.commands import open_database
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import OutputError
from muscle_tui.export.json_bundle import default_json_output, write_json_bundle
from muscle_tui.export.progress import ExportProgress

if TYPE_CHECKING:
    from muscle_tui.cli import StopSignals


def register(sub, add_database_options) -> None:
    parser = sub.add_parser(
        "json",
        help="export a block as MUSCLE's JSON bundle (sessions, participants, profiles, results, ...)",
        description=(
            "Write a block's seven JSON files, as MUSCLE's own 'Export JSON' does, from one consistent "
            "snapshot. The output is a zip when its path ends in .zip (the default is "
            "<block slug>-<UTC time>.zip in the current directory), else a directory of the seven files. "
            "Prints the written path."
        ),
    )
    parser.add_argument(
        "block", nargs="?", metavar="BLOCK_SLUG", help="the block to export (muscle-tui list shows them)"
    )
    parser.add_argument(
        "--experiment",
        metavar="SLUG",
        help="export every block of this experiment instead, one zip per block",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        type=Path,
        help="where to write: a .zip file or a directory (with --experiment: the directory for the zips)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    add_database_options(parser)
    parser.set_defaults(handler=lambda args: run(args, parser))


class TerminalProgress:
    """Progress on one rewritten line of a terminal; silent when the stream is not a terminal."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.enabled = stream.isatty()
        self._shown = False

    def __call__(self, progress: ExportProgress) -> None:
        if not self.enabled:
            return
        if progress.total:
            share = f"{progress.done:,}/{progress.total:,} objects ({100 * progress.done // progress.total}%)"
        else:
            share = f"{progress.done:,} objects"
        self._write(f"\r{self.label}: {progress.stage} {share}\x1b[K")
        self._shown = True

    def end(self) -> None:
        """Clear the progress line so what follows starts on a clean line."""
        if self._shown:
            self._write("\r\x1b[K")
            self._shown = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except OSError:
            self.enabled = False  # the terminal is gone (SIGHUP); the export goes on or stops cleanly


def _export_block(db: MuscleDatabase, slug: str, output: Path, force: bool, stop: StopSignals) -> str:
    progress = TerminalProgress(sys.stderr, slug)
    try:
        with stop.exporting() as cancel:
            result = write_json_bundle(db, slug, output, force=force, progress=progress, cancel=cancel)
    finally:
        progress.end()
    return result.path


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if (args.block is None) == (args.experiment is None):
        parser.error("name a BLOCK_SLUG or --experiment SLUG (one of the two)")
    db = open_database(args)
    try:
        if args.experiment is None:
            output = args.output or default_json_output(args.block)
            print(_export_block(db, args.block, output, args.force, args.stop), flush=True)
            return 0
        return _export_experiment(db, args.experiment, args.output, args.force, args.stop)
    finally:
        db.close()


def _export_experiment(
    db: MuscleDatabase, slug: str, directory: Path | None, force: bool, stop: StopSignals
) -> int:
    experiment = db.experiment(slug)
    if directory is not None and not directory.expanduser().is_dir():
        raise OutputError(
            f"--output {directory} is not a directory (with --experiment it names where the zips go)"
        )
    blocks = db.blocks(experiment.id)
    if not blocks:
        print(f"muscle-tui: experiment {slug!r} has no blocks; nothing was written", file=sys.stderr)
        return 0
    now = datetime.now(UTC)
    for block in blocks:
        output = default_json_output(block.slug, directory.expanduser() if directory else None, now)
        print(_export_block(db, block.slug, output, force, stop), flush=True)
    return 0
