"""Temporary names of outputs being written, and removing what killed exports left behind.

An output is written under `.mtui-<host>-<pid>-<random>.part` beside its target: short whatever
the target's name, hidden, and naming the process that owns it. An export killed before it ended
(SIGKILL, power loss) leaves it there; the next export into that folder removes it, once no living
process on this host owns it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import socket
import stat
from collections.abc import Collection
from pathlib import Path

PART_SUFFIX = ".part"
OLD_SUFFIX = ".old"
TEMPORARY_PREFIX = ".mtui-"
_TEMPORARY_NAME = re.compile(
    rf"{re.escape(TEMPORARY_PREFIX)}(?P<host>[0-9a-f]{{6}})-(?P<pid>[1-9][0-9]{{0,9}})-[0-9a-f]{{12}}"
    r"(?P<suffix>\.part|\.old)"
)
_NAME_ATTEMPTS = 100

Notices = list[str]
"""One-line notes for the user that do not stop an export (front ends show them when it ends)."""


def _host_tag() -> str:
    # Home folders shared by several machines (NFS): a PID says nothing about another host's processes.
    return hashlib.blake2s(socket.gethostname().encode(), digest_size=3).hexdigest()


def temporary_name(suffix: str = PART_SUFFIX) -> str:
    """A fresh hidden name for a temporary output, `.mtui-<host>-<pid>-<random>.part`: short
    whatever the target's name, and naming the process that owns it. (`.old` names what a forced
    export moved aside while it puts its output in place.)"""
    return f"{TEMPORARY_PREFIX}{_host_tag()}-{os.getpid()}-{secrets.token_hex(6)}{suffix}"


def temporary_file(directory: Path) -> tuple[int, Path]:
    """Create a new private (0600) temporary file in `directory`: its descriptor and path."""
    for _ in range(_NAME_ATTEMPTS):
        candidate = directory / temporary_name()
        try:
            return os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), candidate
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(directory))


def temporary_directory(directory: Path) -> Path:
    """Create a new private (0700) temporary folder in `directory`."""
    for _ in range(_NAME_ATTEMPTS):
        candidate = directory / temporary_name()
        try:
            candidate.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(directory))


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    except (OverflowError, ValueError):
        return False
    return True


def _remove_leftover(path: Path, mode: int, names: Collection[str] | None) -> bool:
    """Remove one leftover: a file, or a folder holding only regular files (with `names` given,
    only files of those names). Anything else is left alone."""
    try:
        if not stat.S_ISDIR(mode):
            path.unlink()
            return True
        with os.scandir(path) as entries:
            children = list(entries)
        if any(
            not child.is_file(follow_symlinks=False) or (names is not None and child.name not in names)
            for child in children
        ):
            return False
        for child in children:
            os.unlink(child.path)
        path.rmdir()
    except OSError:
        return False
    return True


def remove_leftovers(directory: Path, replaceable: Collection[str] = ()) -> Notices:
    """Remove what exports killed before they ended left in `directory`: muscle-tui's exact
    temporary names, this user's, made on this host by a process no longer alive. A temporary
    output is removed when it is a file or a folder of files; what a forced export had moved aside
    (`.old`) only when it holds nothing but files named in `replaceable`. One notice line, or none."""
    removed: list[str] = []
    try:
        with os.scandir(directory) as scanned:
            entries = list(scanned)
    except OSError:
        return []
    host, user = _host_tag(), os.geteuid()
    for entry in entries:
        match = _TEMPORARY_NAME.fullmatch(entry.name)
        if match is None or match["host"] != host or _process_alive(int(match["pid"])):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        names = None if match["suffix"] == PART_SUFFIX else replaceable
        if info.st_uid == user and _remove_leftover(Path(entry.path), info.st_mode, names):
            removed.append(entry.name)
    if not removed:
        return []
    if len(removed) == 1:
        return [f"removed {directory / removed[0]}, left by an export that was interrupted"]
    return [f"removed {len(removed)} temporary files left in {directory} by exports that were interrupted"]
