"""The `muscle-tui` command: the TUI by default, and headless subcommands for scripts.

`main` runs the click group and turns every way a command can end into an exit status: 0, 1 with
one `muscle-tui: ...` line for a `MuscleTuiError`, 2 for a usage error (its text with any password
masked), and 128 + the signal when SIGINT, SIGTERM or SIGHUP stopped it. Any other exception is
a bug: one `muscle-tui: unexpected error (...)` line, status 1; `--debug` adds its traceback.
"""

from __future__ import annotations

import io
import signal
import threading
import traceback
from collections.abc import Sequence

import click
from click.core import ParameterSource

from muscle_tui import __version__
from muscle_tui.cli.console import redact_passwords, say, say_error, write_raw
from muscle_tui.cli.demo import write_demo
from muscle_tui.cli.export_csv import export_csv
from muscle_tui.cli.export_json import export_json
from muscle_tui.cli.export_parquet import export_parquet
from muscle_tui.cli.listing import list_blocks
from muscle_tui.cli.sessions import list_sessions
from muscle_tui.cli.signals import Stopped, StopSignals, stopped_line
from muscle_tui.cli.state import CliState
from muscle_tui.cli.stats import block_statistics
from muscle_tui.cli.stdout import stdout_failure
from muscle_tui.cli.templates import list_templates
from muscle_tui.config import ENV_VARIABLE
from muscle_tui.errors import MuscleTuiError

__all__ = ["cli", "main", "redact_passwords"]

GROUP_OPTIONS = {"--db": "URL", "--env-file": "PATH", "--debug": ""}
"""The group's options, which a command does not take: a usage error tells where they go."""
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
BUG_MESSAGE_LENGTH = 300
STOP_GRACE_SECONDS = 5.0
"""How long a stopped command may take to remove its temporary output before the process ends."""
"""At most this much of an unexpected error's message is shown (--debug shows all of it)."""


@click.group(
    "muscle-tui",
    invoke_without_command=True,
    context_settings=CONTEXT_SETTINGS,
    help=(
        "Browse a MUSCLE database and export its blocks as MUSCLE's JSON bundle or as CSV. "
        "Without a command, opens the terminal UI. The database comes from --db, then "
        f"{ENV_VARIABLE}, then --env-file or ./.env (MUSCLE's SQL_* settings), else the built-in demo."
    ),
)
@click.version_option(__version__, "--version", prog_name="muscle-tui", message="%(prog)s %(version)s")
@click.option(
    "--db",
    metavar="URL",
    envvar=ENV_VARIABLE,
    show_envvar=True,
    help="SQLAlchemy URL: postgresql://user@host:5432/muscle or sqlite:///path.db",
)
@click.option(
    "--env-file",
    type=click.Path(readable=False),
    metavar="PATH",
    help="a MUSCLE .env file with SQL_DATABASE, SQL_USER, SQL_PASSWORD, SQL_HOST, SQL_PORT",
)
@click.option("--debug", is_flag=True, help="on an error, also show its traceback (for bug reports)")
@click.pass_context
def cli(ctx: click.Context, db: str | None, env_file: str | None, debug: bool) -> None:
    state = ctx.ensure_object(CliState)
    state.debug = debug
    state.db = db
    if ctx.get_parameter_source("db") is ParameterSource.ENVIRONMENT:
        state.db_source = ENV_VARIABLE
    state.env_file = env_file
    ctx.call_on_close(state.close)
    if ctx.invoked_subcommand is None:
        state.tui_requested = True  # the TUI needs the main thread: `main` runs it after parsing


@cli.group("export", context_settings=CONTEXT_SETTINGS)
def export() -> None:
    """Export a block as the JSON bundle, as CSV or as typed Parquet."""


export.add_command(export_json)
export.add_command(export_csv)
export.add_command(export_parquet)
cli.add_command(list_blocks)
cli.add_command(block_statistics)
cli.add_command(list_sessions)
cli.add_command(list_templates)
cli.add_command(write_demo)


def _show_usage_error(error: click.ClickException) -> None:
    shown = io.StringIO()
    error.show(file=shown)
    text = shown.getvalue()
    if isinstance(error, click.NoSuchOption) and error.option_name in GROUP_OPTIONS:
        name, command = error.option_name, error.ctx.command_path if error.ctx else "muscle-tui COMMAND"
        example = command.replace("muscle-tui", f"muscle-tui {name} {GROUP_OPTIONS[name]}".rstrip(), 1)
        text = f"{text.rstrip()} It goes before the command: {example} ...\n"
    write_raw(text)


def _show_traceback(error: BaseException) -> None:
    """The traceback of `error` on stderr, for a bug report: no local variables, passwords masked."""
    write_raw("".join(traceback.format_exception(error)))


def _report_bug(error: Exception, debug: bool) -> None:
    """One line for an exception no one expected (a bug), with its traceback under --debug; an
    OSError that came from a failing stdout (click's help on a full disk) is no bug."""
    failure = stdout_failure(error) if isinstance(error, OSError) else None
    if failure is not None:
        say_error(str(failure))
        return
    message = " ".join(str(error).split())
    if len(message) > BUG_MESSAGE_LENGTH:
        message = message[: BUG_MESSAGE_LENGTH - 1] + "…"
    detail = f"{type(error).__name__}: {message}" if message else type(error).__name__
    if debug:
        _show_traceback(error)
        say_error(f"unexpected error ({detail})")
    else:
        say_error(f"unexpected error ({detail}); run with --debug for details")


def _run_command(state: CliState, argv: Sequence[str] | None) -> object:
    """Run the command in a worker thread while this (the main) thread waits for it.

    The main thread then stays free to run the signal handlers at once, even while the command
    waits on the database inside the driver: the first signal during an export sets its cancel
    event (its statement is cancelled on the server), any other raises `Stopped` here, which
    cancels the running statements and gives the command a moment to remove its temporary output.
    """
    outcome: dict[str, object] = {}

    def work() -> None:
        # The stop signals go to the main thread alone (the threads the command starts inherit
        # this mask): a signal taken by another thread would wait for the command to finish.
        signal.pthread_sigmask(signal.SIG_BLOCK, StopSignals.SIGNALS)
        try:
            outcome["status"] = cli.main(args=argv, prog_name="muscle-tui", standalone_mode=False, obj=state)
        except BaseException as error:  # noqa: BLE001 - handed over to the main thread
            outcome["error"] = error

    worker = threading.Thread(target=work, name="muscle-tui-command", daemon=True)
    worker.start()
    try:
        worker.join()  # a signal handler runs during this wait, and may raise Stopped
    except Stopped:
        state.interrupt()
        worker.join(STOP_GRACE_SECONDS)
        raise
    error = outcome.get("error")
    if isinstance(error, BaseException):
        raise error
    return outcome.get("status")


def main(argv: Sequence[str] | None = None) -> int:
    """Run muscle-tui; returns the process exit status (128 + the signal when one stopped it)."""
    state = CliState()
    try:
        with state.stop.installed():
            status = _run_command(state, argv)
    except Stopped as stopped:
        signum = stopped.signum
    except click.Abort:
        signum = state.stop.signum or signal.SIGINT
    except click.ClickException as error:
        _show_usage_error(error)
        return error.exit_code
    except MuscleTuiError as error:
        if state.stop.signum is None:
            if state.debug:
                _show_traceback(error)
            say_error(str(error))
            return 1
        signum = state.stop.signum  # the export's cancellation, or what a vanished terminal caused
    except BrokenPipeError:
        return 1
    except SystemExit as exit_:  # click's own way out of a broken stdout pipe
        return exit_.code if isinstance(exit_.code, int) else 1
    except Exception as error:  # noqa: BLE001 - a bug: one line, its traceback under --debug
        if state.stop.signum is None:
            _report_bug(error, state.debug)
            return 1
        signum = state.stop.signum  # a second signal stopped the export at once, mid-call
    else:
        if state.tui_requested:
            from muscle_tui.cli.tui import run_tui

            return run_tui(state)
        return status if isinstance(status, int) else 0  # an int when a command exited with a status
    say(stopped_line(signum, state.printing))
    return 128 + signum
