"""`muscle-tui` without a subcommand: the terminal UI."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from typing import TYPE_CHECKING

from muscle_tui.config import resolve_database
from muscle_tui.errors import MuscleTuiError

if TYPE_CHECKING:
    from muscle_tui.app import MuscleApp

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Signals that end the UI cleanly: Ctrl-C sent by kill, a shutdown."""
HANG_UP_WAIT_SECONDS = 60.0


def build_app(args: argparse.Namespace) -> MuscleApp:
    """The app for the database the options name; an unusable choice (e.g. a malformed URL) gives
    an app that shows only that error."""
    from muscle_tui.app import MuscleApp

    try:
        target = resolve_database(db=getattr(args, "db", None), env_file=getattr(args, "env_file", None))
    except MuscleTuiError as exc:
        return MuscleApp(error=str(exc))
    return MuscleApp(target=target)


def _export_screens(app: MuscleApp) -> list:
    from muscle_tui.screens.export_progress import ExportProgressScreen

    return [screen for screen in app.screen_stack if isinstance(screen, ExportProgressScreen)]


def cancel_exports(app: MuscleApp) -> None:
    """Ask every running export to stop; each removes its temporary output as it stops."""
    for screen in _export_screens(app):
        screen.cancel_token.cancel()


def _hang_up(app: MuscleApp, signum: int) -> None:
    """The terminal is gone (SSH dropped): stop the exports, wait for their cleanup, and leave at
    once. Textual cannot shut down cleanly without its terminal (its output thread dies on EIO)."""
    for screen in _export_screens(app):
        screen.stop_and_wait(HANG_UP_WAIT_SECONDS)
    os._exit(128 + signum)


async def run_until_stopped(app: MuscleApp) -> int | None:
    """Run the app; a stop signal cancels any export and ends it. Returns that signal, if any.

    Returning waits for the app's worker threads, so an interrupted export has cleaned up.
    """
    received: list[int] = []
    loop = asyncio.get_running_loop()

    def stop(signum: int) -> None:
        if not received:
            received.append(signum)
        cancel_exports(app)
        app.exit(return_code=128 + signum)

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop, signum)
    # Not through the event loop: the loop may be stuck writing to the vanished terminal.
    previous_hang_up = signal.signal(signal.SIGHUP, lambda signum, _frame: _hang_up(app, signum))
    try:
        await app.run_async()
    finally:
        signal.signal(signal.SIGHUP, previous_hang_up)
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
    return received[0] if received else None


def _tell(line: str) -> None:
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        pass  # the terminal went away: there is no one left to tell


def run_tui(args: argparse.Namespace) -> int:
    """Run the terminal UI; returns the exit status (1 when the database could not be opened,
    128 + the signal when a signal ended it)."""
    app = build_app(args)
    signum = asyncio.run(run_until_stopped(app))
    if signum is not None:
        from muscle_tui.cli import stopped_line

        _tell(stopped_line(signum))
        return 128 + signum
    if app.error is not None:
        _tell(f"muscle-tui: {app.error}")
        return 1
    return app.return_code or 0
