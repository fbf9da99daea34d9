"""The `muscle-tui` command: the TUI by default, and headless subcommands for scripts."""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import sys
from collections.abc import Iterator, Sequence

from muscle_tui import __version__
from muscle_tui.errors import MuscleTuiError
from muscle_tui.export.progress import CancelToken

_URL_PASSWORD = re.compile(r"(://[^/@\s:]*:)[^@\s]*@")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def redact_passwords(text: str) -> str:
    """`text` with the password of any database URL (or `password=...`) in it replaced by ***."""
    return _KEYWORD_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", text))


class ArgumentParser(argparse.ArgumentParser):
    """argparse, whose usage errors never echo a password (a URL typed in the wrong place)."""

    def error(self, message: str):
        super().error(redact_passwords(message))


def _add_database_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("database (first match wins)")
    group.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="SQLAlchemy URL: postgresql://user@host:5432/muscle or sqlite:///path.db",
    )
    group.add_argument(
        "--env-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="a MUSCLE .env file with SQL_DATABASE, SQL_USER, SQL_PASSWORD, SQL_HOST, SQL_PORT",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = ArgumentParser(
        prog="muscle-tui",
        description=(
            "Browse a MUSCLE database and export its blocks as MUSCLE's JSON bundle or as CSV. "
            "Without a subcommand, opens the terminal UI. The database comes from --db, then "
            "MUSCLE_TUI_DB, then --env-file or ./.env (MUSCLE's SQL_* settings), else the built-in demo."
        ),
    )
    parser.add_argument("--version", action="version", version=f"muscle-tui {__version__}")
    _add_database_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from muscle_tui.commands import demo, export_csv, export_json, listing, templates

    listing.register(sub, _add_database_options)
    export = sub.add_parser("export", help="export a block as the JSON bundle or as CSV")
    export_sub = export.add_subparsers(dest="format", metavar="FORMAT", required=True)
    export_json.register(export_sub, _add_database_options)
    export_csv.register(export_sub, _add_database_options)
    templates.register(sub, _add_database_options)
    demo.register(sub, _add_database_options)
    return parser


class Stopped(KeyboardInterrupt):
    """A stop signal (SIGINT, SIGTERM, SIGHUP), raised like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP (the SSH session dropped) while a command runs.

    During an export (`exporting()`), the first signal cancels it: the export stops at its next
    row and removes its temporary output, at a point where nothing is half-done. Otherwise, and
    at a second signal, `Stopped` is raised at once.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.token = CancelToken()
        self.signum: int | None = None
        self._exporting = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Handle the signals while the block runs; the previous handlers come back after."""
        previous = {signum: signal.signal(signum, self._handle) for signum in self.SIGNALS}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _handle(self, signum: int, _frame) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if first and self._exporting:
            self.token.cancel()
            return
        raise Stopped(signum)

    @contextlib.contextmanager
    def exporting(self) -> Iterator[CancelToken]:
        """While the block runs, a signal cancels through the token it yields."""
        if self.signum is not None:
            raise Stopped(self.signum)
        self._exporting = True
        try:
            yield self.token
        finally:
            self._exporting = False


def stopped_line(signum: int) -> str:
    """What muscle-tui says when a signal stopped it (an unfinished export has removed its files)."""
    reason = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    return f"muscle-tui: {reason}; no partial output was left behind"


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except OSError:
        pass  # the terminal is gone (SIGHUP): no one is left to tell


def main(argv: Sequence[str] | None = None) -> int:
    """Run muscle-tui; returns the process exit status (128 + the signal when one stopped it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.stop = StopSignals()
    try:
        with args.stop.installed():
            if args.command is None:
                from muscle_tui.commands.tui import run_tui

                return run_tui(args)
            return args.handler(args)
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
    except MuscleTuiError as exc:
        if args.stop.signum is None:
            _say(f"muscle-tui: {exc}")
            return 1
        signum = args.stop.signum  # the export's cancellation, or what a vanished terminal caused
    except BrokenPipeError:
        return 1
    except Exception:
        if args.stop.signum is None:
            raise
        signum = args.stop.signum  # a second signal stopped the export at once, mid-call
    _say(stopped_line(signum))
    return 128 + signum
