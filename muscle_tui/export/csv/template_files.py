"""Finding and reading template files safely: a size cap, regular files only, the user's own only.

A user template decides what an export writes, so, as OpenSSH and git treat their configuration,
a user template, or the user templates folder, that another user owns or that group or others can
write is refused (root's own files are trusted, as OpenSSH does). Any file is read only when it is
a regular file of at most `MAX_TEMPLATE_BYTES`, so a FIFO or an endless file cannot stall or fill
the loading of the others. Every failure is a `TemplateError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from importlib.resources.abc import Traversable
from pathlib import Path

from muscle_tui.errors import MuscleTuiError

TEMPLATE_SUFFIX = ".toml"
MAX_TEMPLATE_BYTES = 1024 * 1024
"""A template is a few hundred bytes; a file larger than this (1 MiB) is refused unread."""
_TRUSTED_OWNERS = (0,)
_WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH


class TemplateError(MuscleTuiError):
    """A template file that cannot be used, or a template that cannot be saved or found."""

    def __init__(
        self, message: str, path: Path | None = None, line: int | None = None, key: str | None = None
    ):
        self.message = message
        self.path = path
        self.line = line
        self.key = key
        super().__init__(self._text())

    def _text(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return where + self.message


def expand_user(path: Path) -> Path:
    """`path` with `~` or `~user` expanded (TemplateError when there is no such user)."""
    try:
        return path.expanduser()
    except RuntimeError:  # pathlib: "Could not determine home directory."
        head = str(path).split(os.sep, 1)[0]
        raise TemplateError(f"cannot expand {head}: there is no such user", path) from None


def untrusted_reason(info: os.stat_result) -> str | None:
    """Why a user template or templates folder with this status is refused, or None when it
    belongs to this user (or root) and only its owner can write it."""
    if not hasattr(os, "geteuid"):
        return None
    if info.st_uid != os.geteuid() and info.st_uid not in _TRUSTED_OWNERS:
        return f"refused: it belongs to another user (uid {info.st_uid}), who could change your exports"
    writable = info.st_mode & _WRITABLE_BY_OTHERS
    if writable:
        who = {stat.S_IWGRP: "its group", stat.S_IWOTH: "other users"}.get(writable, "group and others")
        mode = stat.S_IMODE(info.st_mode)
        return f"refused: {who} can write it (mode {mode:04o}; chmod go-w makes it yours alone)"
    return None


def untrusted_folder_reason(folder: Path) -> str | None:
    """Why the user templates folder is refused (another user owns it or can write it), or None."""
    return untrusted_reason(os.stat(folder))


def _too_large(path: Path) -> TemplateError:
    return TemplateError(f"larger than {MAX_TEMPLATE_BYTES // (1024 * 1024)} MiB, so not a template", path)


def _read_file(path: Path, users: bool) -> bytes:
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    with contextlib.closing(os.fdopen(os.open(path, flags), "rb")) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise TemplateError("not a regular file", path)
        reason = untrusted_reason(info) if users else None
        if reason is not None:
            raise TemplateError(reason, path)
        if info.st_size > MAX_TEMPLATE_BYTES:
            raise _too_large(path)
        return handle.read(MAX_TEMPLATE_BYTES + 1)


def read_template_source(path: Path | Traversable, users: bool = False) -> tuple[str, Path]:
    """A template file's text and the path to show for it. The file must be a regular file of
    at most MAX_TEMPLATE_BYTES of UTF-8 and, for a user template (`users`), this user's alone."""
    shown = path if isinstance(path, Path) else Path(str(path))
    try:
        if isinstance(path, Path):
            shown = expand_user(path)
            data = _read_file(shown, users)
        else:  # a package resource: a built-in template
            with path.open("rb") as handle:
                data = handle.read(MAX_TEMPLATE_BYTES + 1)
        if len(data) > MAX_TEMPLATE_BYTES:
            raise _too_large(shown)
        return data.decode("utf-8"), shown
    except UnicodeDecodeError:
        raise TemplateError("not UTF-8 text", shown) from None
    except OSError as exc:
        raise TemplateError(f"cannot read: {exc.strerror or exc}", shown) from None


def template_files(location: Traversable) -> list[Traversable]:
    """The `.toml` files in a folder, by name, or the file itself."""
    if location.is_dir():
        found = [p for p in location.iterdir() if p.name.endswith(TEMPLATE_SUFFIX) and p.is_file()]
        return sorted(found, key=lambda p: p.name)
    return [location]


def template_files_or_error(
    location: Path, errors: list[TemplateError], users: bool = False
) -> list[Traversable]:
    """The template files at `location`: a file or a folder given, or (`users`) the user templates
    folder, if there is one. A location that is missing or cannot be listed, or a user templates
    folder that is not the user's alone, adds its error to `errors` and gives no files."""
    try:
        if users:
            if not location.is_dir():
                return []
            reason = untrusted_folder_reason(location)
            if reason is not None:
                errors.append(TemplateError(f"{reason}; none of its templates were loaded", location))
                return []
        elif not location.exists():
            errors.append(TemplateError("no such file or directory", location))
            return []
        return template_files(location)
    except OSError as exc:
        errors.append(TemplateError(f"cannot read: {exc.strerror or exc}", location))
    return []
