"""Headless subcommands of the `muscle-tui` CLI; each module registers one."""

from __future__ import annotations

import argparse

from muscle_tui.config import resolve_database
from muscle_tui.db.database import MuscleDatabase


def open_database(args: argparse.Namespace) -> MuscleDatabase:
    """Open the database the command line, the environment or a .env file names (else the demo)."""
    target = resolve_database(db=getattr(args, "db", None), env_file=getattr(args, "env_file", None))
    return MuscleDatabase.open(target.url, target.label)
