"""What the CSV form remembers between runs: the last template and the last folder exported to.

The file is `<user state dir>/muscle-tui/state.json` (platformdirs: `~/.local/state/muscle-tui/state.json`
on Linux); the environment variable MUSCLE_TUI_STATE names another file instead (the tests use it).
It is a small JSON object written by muscle-tui after each export from the CSV form::

    {"csv_template": "long", "export_folder": "/home/researcher/exports"}

It is written atomically (a temporary file beside it, renamed into place) with mode 0600. It only
offers defaults, so a file that cannot be used never stops muscle-tui: a missing file gives no
memory; a malformed, unreadable or foreign one gives no memory and one warning line
(`UserState.warning`), and is replaced by the next export. A value that cannot be used is left out.

This module knows nothing of Textual or rich.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from muscle_tui.errors import MuscleTuiError
from muscle_tui.export.csv.templates import valid_template_name
from muscle_tui.user_files import UnusableFile, read_private_file, user_file_path

STATE_FILE_NAME = "state.json"
STATE_ENV_VARIABLE = "MUSCLE_TUI_STATE"
APP_NAME = "muscle-tui"
MAX_STATE_BYTES = 64 * 1024
"""The state is two short values; a larger file is not muscle-tui's and is ignored unread."""
PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
IGNORED = "ignored (the form starts from its defaults)"


class UserStateError(MuscleTuiError):
    """The state file could not be written (one line naming it)."""


@dataclass(frozen=True)
class UserState:
    """What the state file remembers (None where it remembers nothing usable), and `warning`, one
    line naming the file when it could not be used."""

    csv_template: str | None = None
    export_folder: Path | None = None
    warning: str | None = None


def state_path() -> Path:
    """The state file: MUSCLE_TUI_STATE when set (`~` expanded), else
    `<user state dir>/muscle-tui/state.json`. It may not exist."""
    return user_file_path(STATE_ENV_VARIABLE, platformdirs.user_state_path(APP_NAME) / STATE_FILE_NAME)


def _read(path: Path) -> bytes:
    """The file's bytes; FileNotFoundError when there is none, UnusableFile when it may not be used."""
    too_large = f"larger than {MAX_STATE_BYTES // 1024} KiB, so not muscle-tui's state"
    return read_private_file(path, MAX_STATE_BYTES, too_large)


def _parse(data: bytes) -> tuple[str | None, Path | None]:
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise UnusableFile("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise UnusableFile(f"not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(document, dict):
        raise UnusableFile("not a JSON object")
    template = document.get("csv_template")
    folder = document.get("export_folder")
    usable_template = template if isinstance(template, str) and valid_template_name(template) else None
    usable_folder = None
    if isinstance(folder, str) and folder and "\x00" not in folder and Path(folder).is_absolute():
        usable_folder = Path(folder)
    return usable_template, usable_folder


def load_user_state(path: Path | None = None) -> UserState:
    """The state file at `path` (default: `state_path()`). Never raises: a missing file remembers
    nothing; a file that cannot be used remembers nothing and gives one warning line."""
    file = state_path() if path is None else path
    try:
        template, folder = _parse(_read(file))
    except FileNotFoundError:
        return UserState()
    except UnusableFile as exc:
        return UserState(warning=f"{file}: {exc}; {IGNORED}")
    return UserState(template, folder)


def save_user_state(state: UserState, path: Path | None = None) -> Path:
    """Write `state` (its values, not its warning) to `path` (default: `state_path()`) atomically,
    mode 0600, creating its folder (0700) when missing; returns the file. UserStateError when it
    cannot be written."""
    file = state_path() if path is None else path
    document: dict[str, str] = {}
    if state.csv_template is not None:
        document["csv_template"] = state.csv_template
    if state.export_folder is not None:
        document["export_folder"] = str(state.export_folder)
    data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        file.parent.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".state-", suffix=".part", dir=file.parent)
    except OSError as exc:
        raise UserStateError(f"cannot remember the form's choices in {file}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), PRIVATE_FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, file)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise UserStateError(f"cannot remember the form's choices in {file}: {exc.strerror or exc}") from None
    return file


def remember_export(csv_template: str, export_folder: Path, path: Path | None = None) -> Path:
    """Remember the template and the folder of an export just written (UserStateError if it
    cannot be written)."""
    return save_user_state(UserState(csv_template, export_folder.absolute()), path)


_warned: set[str] = set()


def first_warning(state: UserState) -> str | None:
    """`state.warning` the first time this process sees it, else None (one notice per problem)."""
    if state.warning is None or state.warning in _warned:
        return None
    _warned.add(state.warning)
    return state.warning
