"""The user's own small files (the config file, the form's state): where they are and how they are
read. Each may be named by an environment variable, and is read only when it is a regular file that
no other user could have written (the rule user templates follow, `untrusted_reason`)."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from muscle_tui.export.csv.template_files import untrusted_reason


class UnusableFile(Exception):
    """Why a user file is not used (one line, without the file's name)."""


def user_file_path(env_variable: str, default: Path) -> Path:
    """The file `env_variable` names (`~` expanded) when it is set, else `default`."""
    given = os.environ.get(env_variable, "")
    if given.strip():
        with contextlib.suppress(RuntimeError):  # no home directory known: the path as given
            return Path(given).expanduser()
        return Path(given)
    return default


def read_private_file(path: Path, max_bytes: int, too_large: str) -> bytes:
    """The file's bytes; FileNotFoundError when there is none, UnusableFile when it may not be used
    (not a regular file, writable by others, unreadable, or over `max_bytes`: then `too_large`)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
        try:
            info = os.fstat(descriptor)  # of what was opened: a symlink's target, checked as read
            if not stat.S_ISREG(info.st_mode):
                raise UnusableFile("not a regular file")
            reason = untrusted_reason(info)
            if reason is not None:
                raise UnusableFile(reason)
        except BaseException:
            os.close(descriptor)
            raise
        with os.fdopen(descriptor, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except (FileNotFoundError, UnusableFile):
        raise
    except OSError as exc:
        raise UnusableFile(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise UnusableFile(too_large)
    return data
