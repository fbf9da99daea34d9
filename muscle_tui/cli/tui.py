"""`muscle-tui` without a subcommand: the terminal UI. The only CLI module that imports Textual,
and only inside its functions, so the headless commands never load it."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import TYPE_CHECKING

from muscle_tui.cli.console import say
from muscle_tui.cli.signals import stopped_line
from muscle_tui.config import resolve_database
from muscle_tui.errors import MuscleTuiError

if TYPE_CHECKING:
    from muscle_tui.app import MuscleApp

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Signals that end the UI cleanly: Ctrl-C sent by kill, a shutdown."""
HANG_UP_WAIT_SECONDS = 60.0


def build_app(options: object) -> MuscleApp:
    """The app for the database `options` name (any object with optional `db`, `db_source` and
    `env_file` attributes, e.g. the CLI's state); an unusable choice (e.g. a malformed URL) gives an
    app showing only that error."""
    from muscle_tui.app import MuscleApp

    try:
        target = resolve_database(
            db=getattr(options, "db", None),
            env_file=getattr(options, "env_file", None),
            db_source=getattr(options, "db_source", "--db"),
        )
    except MuscleTuiError as exc:
        return MuscleApp(error=str(exc))
    return MuscleApp(target=target)


def _hang_up(app: MuscleApp, signum: int) -> None:
    """The terminal is gone (SSH dropped): stop the exports, wait for their cleanup, cancel what
    still runs on the server, and leave at once. Textual cannot shut down cleanly without its
    terminal (its output thread dies on EIO)."""
    app.cancel_exports()
    app.wait_for_exports(HANG_UP_WAIT_SECONDS)
    app.interrupt_queries()
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
        app.cancel_exports()
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


def run_tui(options: object) -> int:
    """Run the terminal UI for the database `options` name (see `build_app`); returns the exit
    status (1 when the database could not be opened, 128 + the signal when a signal ended it)."""
    app = build_app(options)
    signum = asyncio.run(run_until_stopped(app))
    if signum is not None:
        say(stopped_line(signum))
        return 128 + signum
    if app.error is not None:
        say(f"muscle-tui: {app.error}")
        return 1
    return app.return_code or 0
