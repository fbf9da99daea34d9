"""The `muscle-tui` command: the TUI by default, and headless subcommands for scripts."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from muscle_tui import __version__
from muscle_tui.errors import MuscleTuiError


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
    parser = argparse.ArgumentParser(
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


def _terminate(signum, _frame) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run muscle-tui; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.command is None:
            from muscle_tui.commands.tui import run_tui

            return run_tui(args)
        return args.handler(args)
    except MuscleTuiError as exc:
        print(f"muscle-tui: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("muscle-tui: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
