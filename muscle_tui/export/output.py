"""Safe output: write under a temporary name beside the target, then rename into place.

An export never leaves a half-written file under its final name, never overwrites without
`force`, and creates its files with mode 0600 (they hold personal data).
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


def default_output_path(
    parts: tuple[str, ...], suffix: str, directory: Path | None, now: datetime | None
) -> Path:
    """`<directory>/<part>-<part>-<UTC timestamp><suffix>`, each part made filename-safe.

    The timestamp looks like `20261125T124501Z`; the directory defaults to the current one.
    """
    moment = now or datetime.now(UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    safe = [re.sub(r"[^A-Za-z0-9._-]", "_", part).lstrip(".") or "export" for part in parts]
    return (
        Path(directory if directory is not None else Path.cwd())
        / f"{'-'.join(safe)}-{moment:%Y%m%dT%H%M%SZ}{suffix}"
    )


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


def check_target(path: Path, force: bool) -> Path:
    """Refuse a target that exists (unless forced) or whose directory is missing."""
    path = Path(path).expanduser().absolute()
    if path.exists() and not force:
        raise OutputError(f"{path} already exists; use --force to replace it")
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: directory {path.parent} does not exist")
    return path


def _publish(tmp: Path, path: Path, force: bool) -> None:
    if force:
        os.replace(tmp, path)
        return
    # link() fails if the target appeared meanwhile, so nothing is ever overwritten unasked.
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputError(f"{path} already exists; use --force to replace it") from None
    except OSError:
        if path.exists():
            raise OutputError(f"{path} already exists; use --force to replace it") from None
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
        if path.exists():
            if not force:
                raise OutputError(f"{path} already exists; use --force to replace it")
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.rmdir(old)
            os.replace(path, old)
            os.replace(tmp, path)
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
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
