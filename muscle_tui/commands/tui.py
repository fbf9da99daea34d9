"""`muscle-tui` without a subcommand: the terminal UI."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from muscle_tui.config import resolve_database
from muscle_tui.errors import MuscleTuiError

if TYPE_CHECKING:
    from muscle_tui.app import MuscleApp


def build_app(args: argparse.Namespace) -> MuscleApp:
    """The app for the database the options name; an unusable choice (e.g. a malformed URL) gives
    an app that shows only that error."""
    from muscle_tui.app import MuscleApp

    try:
        target = resolve_database(db=getattr(args, "db", None), env_file=getattr(args, "env_file", None))
    except MuscleTuiError as exc:
        return MuscleApp(error=str(exc))
    return MuscleApp(target=target)


def run_tui(args: argparse.Namespace) -> int:
    """Run the terminal UI; returns the exit status (1 when the database could not be opened)."""
    app = build_app(args)
    app.run()
    if app.error is not None:
        print(f"muscle-tui: {app.error}", file=sys.stderr)
        return 1
    return app.return_code or 0
