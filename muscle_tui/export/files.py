"""Where an export goes and how it gets there: the one output rule every front end uses.

`resolve_output` says what a path the user gave means; `check_target` says whether it may be
written; `atomic_file` and `atomic_directory` write under a temporary name beside the target and
rename into place when complete. An export therefore never leaves a half-written file under its
final name, never replaces anything unless asked (`force`), and creates its files with mode 0600
(they hold personal data).

Replacing (`force`) acts on the name only: a symbolic link at the target is replaced as a link,
never followed, and a folder is replaced only when it holds nothing but regular files the export
writes (checked again at the moment of the swap). The temporary name is short whatever the target's
(`.mtui-<host>-<pid>-<random>.part`), so it names the process that owns it: the next export into a
folder removes what killed exports left there, and says so in a notice.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from muscle_tui.errors import OutputError
from muscle_tui.export.temporary import (
    OLD_SUFFIX,
    Notices,
    remove_leftovers,
    temporary_directory,
    temporary_file,
    temporary_name,
)
from muscle_tui.export.temporary import PART_SUFFIX as PART_SUFFIX

PRIVATE_DIRECTORY_MODE = 0o700
DEFAULT_NAME_MAX = 255


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


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return DEFAULT_NAME_MAX


def check_name_length(path: Path) -> None:
    """Refuse (one line) a file name longer than its file system allows."""
    size = len(os.fsencode(path.name))
    limit = _name_max(path.parent)
    if size > limit:
        raise OutputError(
            f"cannot write {path}: its name is {size} bytes long, the file system allows {limit}"
        )


def expand_user(path: str | os.PathLike[str]) -> Path:
    """`path` with a leading `~` or `~user` expanded; an OutputError when there is no such user."""
    try:
        return Path(path).expanduser()
    except RuntimeError:  # pathlib: "Could not determine home directory."
        text = os.fspath(path)
        head = text.split(os.sep, 1)[0]
        missing = "no home directory is known" if head == "~" else f"there is no user {head[1:]!r}"
        raise OutputError(f"cannot expand {head} in {text}: {missing}") from None


def resolve_output(
    path: str | os.PathLike[str] | None, default_name: str, default_directory: Path | None = None
) -> Path:
    """The absolute file (or bundle directory) an export writes, from what the user gave.

    Nothing given: `default_name` in `default_directory` (the configured export directory, say),
    else in the current directory; `default_directory` is used for nothing else, so a relative
    path given stays relative to the current directory. `~` is expanded. An existing directory, or
    a path ending in `/`, gets `default_name` inside; such a directory is created (0700) when it
    does not exist yet. A name too long is one clear line.
    """
    if path is None or not str(path).strip():
        base = expand_user(default_directory) if default_directory is not None else Path.cwd()
        return (base / default_name).absolute()
    text = os.fspath(path)
    chosen = expand_user(text)
    try:
        if _names_a_directory(text):
            _make_directory(chosen)
            return (chosen / default_name).absolute()
        check_name_length(chosen.absolute())
        if chosen.is_dir():
            return (chosen / default_name).absolute()
    except OSError as exc:
        raise OutputError(describe_os_error(exc, chosen.absolute())) from None
    return chosen.absolute()


def resolve_output_directory(
    path: str | os.PathLike[str] | None, default_directory: Path | None = None
) -> Path:
    """The absolute directory an export of many blocks writes into, created (0700) if missing:
    `path`, else `default_directory` (used only when no path is given), else the current one."""
    if path is not None:
        chosen = expand_user(path)
    else:
        chosen = expand_user(default_directory) if default_directory is not None else Path.cwd()
    chosen = chosen.absolute()
    try:
        if chosen.exists() and not chosen.is_dir():
            raise OutputError(f"{chosen} is not a directory (an export of many blocks writes into one)")
        if not chosen.is_dir():
            _make_directory(chosen)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, chosen)) from None
    return chosen


def target_exists(path: Path) -> bool:
    """Whether writing `path` would replace something (a symlink counts, dangling or not)."""
    return os.path.lexists(path)


def check_target(path: Path, force: bool) -> Path:
    """The absolute target, refused when it exists (unless forced), its directory is missing or its
    name is too long."""
    path = Path(path).expanduser().absolute()
    check_name_length(path)
    try:
        if target_exists(path) and not force:
            raise OutputExists(path)
        if not path.parent.is_dir():
            raise OutputError(f"cannot write {path}: directory {path.parent} does not exist")
    except OSError as exc:
        raise OutputError(describe_os_error(exc, path)) from None
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
    if exc.errno == errno.ENAMETOOLONG:
        return f"cannot write {path}: a name in it is longer than the file system allows"
    return f"cannot write {path}: {exc.strerror or exc}"


# --- writing ----------------------------------------------------------------------------------


def _publish(tmp: Path, path: Path, force: bool, notices: Notices) -> None:
    if force:
        os.replace(tmp, path)  # acts on the name: a symlink there is replaced, never followed
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
    try:
        os.unlink(tmp)
    except OSError as exc:
        notices.append(f"wrote {path}, but could not remove its temporary copy {tmp}: {exc.strerror or exc}")


def _refuse_directory(path: Path) -> None:
    with contextlib.suppress(OSError):
        if stat.S_ISDIR(os.lstat(path).st_mode):
            raise OutputError(f"{path} is a folder; not replacing it with a file (name a file)")


@contextlib.contextmanager
def atomic_file(path: Path, force: bool = False, notices: Notices | None = None) -> Iterator[BinaryIO]:
    """A binary file that appears at `path` (mode 0600) only when the block exits cleanly.

    Leftovers of killed exports in its folder are removed first; `notices` gets the lines to show.
    """
    path = check_target(path, force)
    notes = notices if notices is not None else []
    if force:
        _refuse_directory(path)
    notes.extend(remove_leftovers(path.parent))
    try:
        fd, tmp = temporary_file(path.parent)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _publish(tmp, path, force, notes)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(describe_os_error(exc, path)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _foreign_entry(folder: Path, replaceable: Collection[str]) -> str | None:
    """The first thing in `folder` a replacement must not remove: a name the export does not write,
    or anything but a regular file (a sub-folder, a symlink) even under such a name."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name not in replaceable or not entry.is_file(follow_symlinks=False):
                return entry.name
    return None


def _refuse_foreign_folder(path: Path, replaceable: Collection[str]) -> None:
    """Refuse to replace `path` when it is a folder holding anything but what the export writes."""
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return
        foreign = _foreign_entry(path, replaceable)
    except FileNotFoundError:
        return
    if foreign is not None:
        raise OutputError(
            f"{path} is a folder holding other files than an earlier export ({foreign!r}); not "
            "replacing it (name a new folder, or a .zip file)"
        )


def _replace_directory(tmp: Path, path: Path, replaceable: Collection[str], notices: Notices) -> None:
    """Put `tmp` at `path`, moving what is there aside first: a folder only when it holds nothing
    but what the export writes, checked once more after it was moved (nobody can add to it then)."""
    _refuse_foreign_folder(path, replaceable)
    old = path.parent / temporary_name(OLD_SUFFIX)
    os.rename(path, old)  # acts on the name: a symlink moves as a link
    try:
        _refuse_foreign_folder(old, replaceable)
        os.rename(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rename(old, path)
        raise
    # The output is in place: nothing from here on fails the export.
    try:
        if stat.S_ISDIR(os.lstat(old).st_mode):
            for name in replaceable:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(old / name)
            old.rmdir()
        else:
            old.unlink()
    except OSError as exc:
        notices.append(f"wrote {path}, but what it replaced is still at {old}: {exc.strerror or exc}")


@contextlib.contextmanager
def atomic_directory(
    path: Path, force: bool = False, replaceable: Collection[str] = (), notices: Notices | None = None
) -> Iterator[Path]:
    """A directory (mode 0700) that appears at `path` only when the block exits cleanly.

    With `force` it replaces what is at `path`: a file or symlink (as a name, never followed), or a
    folder holding only regular files named in `replaceable` (anything else is refused, before the
    export and again at the swap). Files written inside should be created with `private_file`.
    Leftovers of killed exports in its folder are removed first; `notices` gets the lines to show.
    """
    path = check_target(path, force)
    notes = notices if notices is not None else []
    if force:
        _refuse_foreign_folder(path, replaceable)
    notes.extend(remove_leftovers(path.parent, replaceable))
    try:
        tmp = temporary_directory(path.parent)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, path)) from None
    try:
        yield tmp
        if force and target_exists(path):
            _replace_directory(tmp, path, replaceable, notes)
        else:
            _rename_new(tmp, path)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(describe_os_error(exc, path)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _rename_new(tmp: Path, path: Path) -> None:
    if target_exists(path):
        raise OutputExists(path)
    try:
        os.rename(tmp, path)
    except OSError:
        if target_exists(path):
            raise OutputExists(path) from None
        raise


def private_file(path: Path) -> BinaryIO:
    """Create a new file readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")
