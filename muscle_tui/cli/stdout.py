"""Everything the CLI writes to stdout, for scripts: tables and the paths an export wrote.

stdout may be a file on a full disk, a pipe whose reader has gone (`| head`), or closed. A broken
pipe is the reader's choice: a listing stops quietly with status 1, as Unix tools do. Any other
failure is one line on stderr (`StdoutError`, status 1). An export has written its file by then, so
when its path cannot be printed, for whatever cause, one line on stderr names the file it wrote.

A path holding control or bidirectional characters is printed escaped, as one line (`\\n`,
`\\u202e`), with a note on stderr saying so; every other path is printed exactly as it is.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TextIO

import click

from muscle_tui.cli.console import say_error
from muscle_tui.errors import MuscleTuiError
from muscle_tui.text import escape_controls

BROKEN_PIPE = "broken pipe (its reader has gone)"


class StdoutError(MuscleTuiError):
    """stdout cannot be written: closed, or a write to it failed (`reason` says why)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _discard_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so what is still buffered for stdout is dropped
    when Python exits instead of failing again (a second error, or a traceback)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        descriptor = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(descriptor, sys.stdout.fileno())
        finally:
            os.close(descriptor)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return "it is closed"


@contextlib.contextmanager
def writing_stdout() -> Iterator[TextIO]:
    """stdout to write to, flushed at the end. A broken pipe is raised as BrokenPipeError (quiet:
    `main` exits 1); any other failure, or a closed stdout, as `StdoutError`."""
    stream = sys.stdout
    if stream is None:
        raise StdoutError("cannot write to stdout: it is closed", "it is closed")
    try:
        yield stream
        stream.flush()
    except BrokenPipeError:
        _discard_stdout()
        raise
    except (OSError, ValueError) as exc:
        _discard_stdout()
        reason = _reason(exc)
        raise StdoutError(f"cannot write to stdout: {reason}", reason) from None


def stdout_failure(error: OSError) -> StdoutError | None:
    """A StdoutError when `error` was raised while click wrote to stdout (its help or version on
    a full disk); else None."""
    frame = error.__traceback__
    while frame is not None and frame.tb_frame.f_code is not click.echo.__code__:
        frame = frame.tb_next
    if frame is None:
        return None
    _discard_stdout()
    reason = _reason(error)
    return StdoutError(f"cannot write to stdout: {reason}", reason)


def write_stdout(text: str) -> None:
    """Write `text` to stdout and flush it (see `writing_stdout` for how it fails)."""
    with writing_stdout() as stream:
        stream.write(text)


def print_written_path(path: str) -> None:
    """Print the path an export wrote, one line, for scripts.

    A path with control or bidirectional characters is printed escaped, and a note on stderr
    says so. When stdout fails (full, closed, a broken pipe) the export has still succeeded: one
    line on stderr names the written file and says why its path was not printed (StdoutError).
    """
    shown = escape_controls(path)
    try:
        write_stdout(shown + "\n")
    except BrokenPipeError:
        reason = BROKEN_PIPE
    except StdoutError as error:
        reason = error.reason
    else:
        if shown != path:
            say_error(
                "note: the path written holds control or bidirectional characters; stdout shows "
                "them escaped (\\n, \\x1b, \\u202e), so it differs from the file's real name"
            )
        return
    raise StdoutError(f"wrote {path}, but cannot print its path on stdout: {reason}", reason)
