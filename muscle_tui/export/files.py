"""Where an export goes and how it gets there: the one output rule every front end uses.

`resolve_output` says what a path the user gave means; `check_target` says whether it may be
written; `atomic_file` and `atomic_directory` write under a temporary name beside the target and
rename into place when complete. An export therefore never leaves a half-written file under its
final name, never replaces anything unless asked (`force`), and creates its files with mode 0600
(they hold personal data).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from muscle_tui.errors import OutputError

PART_SUFFIX = ".part"
PRIVATE_DIRECTORY_MODE = 0o700


class OutputExists(OutputError):
    """The target exists and replacing it was not asked for; front ends may ask, then force."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists; use --force to replace it")
        self.path = path


def default_file_name(parts: tuple[str, ...], suffix: str, now: datetime | None = None) -> str:
    """`<part>-<part>-<UTC timestamp><suffix>`, each part made filename-safe.

    The timestamp looks like `20261125T124501Z`.
    """
    moment = now or datetime.now(UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    safe = [re.sub(r"[^A-Za-z0-9._-]", "_", part).lstrip(".") or "export" for part in parts]
    return f"{'-'.join(safe)}-{moment:%Y%m%dT%H%M%SZ}{suffix}"


def _names_a_directory(text: str) -> bool:
    return text.endswith("/") or text.endswith(os.sep)


def _make_directory(path: Path) -> None:
    try:
        path.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"cannot create directory {path}: a file of that name exists") from None
    except OSError as exc:
        raise OutputError(f"cannot create directory {path}: {exc.strerror or exc}") from None


def resolve_output(
    path: str | os.PathLike[str] | None, default_name: str, directory: Path | None = None
) -> Path:
    """The absolute file (or bundle directory) an export writes, from what the user gave.

    Nothing given: `default_name` in `directory` (the current directory by default). `~` is
    expanded. An existing directory, or a path ending in `/`, gets `default_name` inside; such a
    directory is created (0700) when it does not exist yet.
    """
    if path is None or not str(path).strip():
        base = Path(directory).expanduser() if directory is not None else Path.cwd()
        return (base / default_name).absolute()
    text = os.fspath(path)
    chosen = Path(text).expanduser()
    if _names_a_directory(text) or chosen.is_dir():
        if not chosen.is_dir():
            _make_directory(chosen)
        return (chosen / default_name).absolute()
    return chosen.absolute()


def resolve_output_directory(path: str | os.PathLike[str] | None, directory: Path | None = None) -> Path:
    """The absolute directory an export of many blocks writes into, created (0700) if missing."""
    chosen = Path(path).expanduser() if path is not None else (directory or Path.cwd())
    chosen = chosen.absolute()
    if chosen.exists() and not chosen.is_dir():
        raise OutputError(f"{chosen} is not a directory (an export of many blocks writes into one)")
    if not chosen.is_dir():
        _make_directory(chosen)
    return chosen


def target_exists(path: Path) -> bool:
    """Whether writing `path` would replace something (a dangling symlink counts)."""
    return path.exists() or path.is_symlink()


def check_target(path: Path, force: bool) -> Path:
    """The absolute target, refused when it exists (unless forced) or its directory is missing."""
    path = Path(path).expanduser().absolute()
    if target_exists(path) and not force:
        raise OutputExists(path)
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: directory {path.parent} does not exist")
    return path


def describe_os_error(exc: OSError, path: Path) -> str:
    """One line for a failed write, naming the cause a user can fix."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"disk full while writing {path}; nothing was written"
    if exc.errno == errno.EFBIG:
        return f"file size limit reached while writing {path}; nothing was written"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write to {path.parent}: permission denied"
    if exc.errno == errno.ENOENT:
        return f"cannot write {path}: directory {path.parent} does not exist"
    return f"cannot write {path}: {exc.strerror or exc}"


def _publish(tmp: Path, path: Path, force: bool) -> None:
    if force:
        os.replace(tmp, path)
        return
    # link() fails if the target appeared meanwhile, so nothing is ever overwritten unasked.
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputExists(path) from None
    except OSError:
        if target_exists(path):
            raise OutputExists(path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


@contextlib.contextmanager
def atomic_file(path: Path, force: bool = False) -> Iterator[BinaryIO]:
    """A binary file that appears at `path` (mode 0600) only when the block exits cleanly."""
    path = check_target(path, force)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PART_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, path)) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _publish(tmp, path, force)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(describe_os_error(exc, path)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _replace_directory(tmp: Path, path: Path) -> None:
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    os.rmdir(old)
    os.replace(path, old)
    os.replace(tmp, path)
    if old.is_dir():
        shutil.rmtree(old)
    else:
        old.unlink()


@contextlib.contextmanager
def atomic_directory(path: Path, force: bool = False) -> Iterator[Path]:
    """A directory (mode 0700) that appears at `path` only when the block exits cleanly.

    Files written inside it should be created with `private_file`.
    """
    path = check_target(path, force)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=PART_SUFFIX, dir=path.parent))
    except OSError as exc:
        raise OutputError(describe_os_error(exc, path)) from None
    try:
        yield tmp
        if target_exists(path):
            if not force:
                raise OutputExists(path)
            _replace_directory(tmp, path)
        else:
            os.replace(tmp, path)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(describe_os_error(exc, path)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def private_file(path: Path) -> BinaryIO:
    """Create a new file readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")
