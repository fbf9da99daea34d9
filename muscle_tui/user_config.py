"""The user's config file: choices made once, for the terminal UI and the headless commands alike.

The file is `<user config dir>/muscle-tui/config.toml` (platformdirs: `~/.config/muscle-tui/config.toml`
on Linux); the environment variable MUSCLE_TUI_CONFIG names another file instead. Every key is
optional and a missing file is no error::

    [export]
    directory = "~/muscle-exports"  # where exports go when no path is given (created 0700)
    csv_template = "long"           # the default CSV template (of the form, `export csv|parquet`)

A file that cannot be used never stops muscle-tui: each problem is one warning line naming the file
and the key (`UserConfig.warnings`), and the defaults apply to what it concerns. An unknown key is
such a warning too, never an error, so a newer muscle-tui's config file still works with this one.

The file decides where exports of personal data go and what they hold, so it is read under the rule
muscle-tui applies to user templates (`export/csv/template_files.py`), as OpenSSH and git treat their
configuration: it must be a regular file (a symbolic link is followed, and what it points to is
checked) of at most `MAX_CONFIG_BYTES` of UTF-8 text, belonging to this user (or root) and writable
by its owner only. Another user who could write it could send the next exports into a folder they
can read; such a file is refused, with one warning line, and the defaults apply.

This module knows nothing of Textual or rich: both front ends show its warnings their own way.
"""

from __future__ import annotations

import json
import os
import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from muscle_tui.errors import MuscleTuiError
from muscle_tui.export.csv.templates import DEFAULT_TEMPLATE, valid_template_name
from muscle_tui.user_files import UnusableFile, read_private_file, user_file_path

CONFIG_FILE_NAME = "config.toml"
CONFIG_ENV_VARIABLE = "MUSCLE_TUI_CONFIG"
APP_NAME = "muscle-tui"
MAX_CONFIG_BYTES = 1024 * 1024
"""A config file is a few lines; a larger one (1 MiB) is refused unread."""
PRIVATE_DIRECTORY_MODE = 0o700
EXPORT_TABLE = "export"
EXPORT_KEYS = ("directory", "csv_template")
USING_DEFAULTS = "using the defaults"

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_LOCATION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


class UserConfigError(MuscleTuiError):
    """A configured choice that cannot be used when it is needed (the export directory cannot be
    created, the configured template does not exist): one line naming the file and the key."""


@dataclass(frozen=True)
class UserConfig:
    """What the config file says; None where it says nothing (or nothing usable).

    `export_directory` is `[export] directory` with `~` expanded (`export_directory()` creates it
    when used); `csv_template` is `[export] csv_template`, a template name; `warnings` holds one
    line per problem found, each naming the file and the key; `path` is the file read.
    """

    export_directory: Path | None = None
    csv_template: str | None = None
    warnings: tuple[str, ...] = ()
    path: Path | None = None

    def key_problem(self, key: str, problem: str) -> str:
        """One line for a problem with `[export] <key>`: `<file>: [export] <key>: <problem>`."""
        return f"{self.path or config_path()}: [{EXPORT_TABLE}] {key}: {problem}"

    @property
    def csv_template_or_default(self) -> str:
        """The configured CSV template's name, else the built-in default (`wide`)."""
        return self.csv_template or DEFAULT_TEMPLATE


# --- where the file is and reading it ---------------------------------------------------------


def config_path() -> Path:
    """The config file: MUSCLE_TUI_CONFIG when set (`~` expanded), else
    `<user config dir>/muscle-tui/config.toml`. It may not exist."""
    return user_file_path(CONFIG_ENV_VARIABLE, platformdirs.user_config_path(APP_NAME) / CONFIG_FILE_NAME)


def _read_config(path: Path) -> str:
    """The file's text; FileNotFoundError when there is none, UnusableFile when it may not be used."""
    too_large = f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB, so not a config file"
    data = read_private_file(path, MAX_CONFIG_BYTES, too_large)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnusableFile(f"not UTF-8 text (line {line})") from None


def _toml_problem(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    located = _TOML_LOCATION.search(message)
    if located is None:
        return f"{path}: not valid TOML: {message}; {USING_DEFAULTS}"
    line, column = located.groups()
    return f"{path}:{line}: not valid TOML: {message[: located.start()]} (column {column}); {USING_DEFAULTS}"


def load_user_config(path: Path | None = None) -> UserConfig:
    """The config file at `path` (default: `config_path()`), checked. Never raises for what the
    file holds: a missing file gives the defaults; a file that cannot be used gives the defaults and
    one warning; a key that cannot be used gives its default and one warning naming the key."""
    file = config_path() if path is None else path
    try:
        source = _read_config(file)
    except FileNotFoundError:
        return UserConfig(path=file)
    except UnusableFile as exc:
        return UserConfig(path=file, warnings=(f"{file}: {exc}; {USING_DEFAULTS}",))
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        return UserConfig(path=file, warnings=(_toml_problem(file, exc),))
    return _parse(file, document)


# --- the keys ---------------------------------------------------------------------------------


def _key_name(key: str) -> str:
    """A key as TOML spells it: bare when it can be, else quoted (escapes visible)."""
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def _kind(value: object) -> str:
    """What a TOML value is, in words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, str):
        return "text"
    return "a date or time"


class _Parser:
    """Collects the values and the warnings of one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.warnings: list[str] = []

    def warn_key(self, key: str, problem: str, default: str) -> None:
        self.warnings.append(f"{self.path}: [{EXPORT_TABLE}] {key} {problem}; using the default ({default})")

    def directory(self, value: object) -> Path | None:
        default = "the current folder"
        if not isinstance(value, str):
            self.warn_key(
                "directory", f'must be text (a folder such as "~/exports"), not {_kind(value)}', default
            )
            return None
        if not value.strip():
            self.warn_key("directory", "is empty", default)
            return None
        if "\x00" in value:
            self.warn_key("directory", "holds a NUL character", default)
            return None
        try:
            expanded = Path(value).expanduser()
        except RuntimeError:
            head = value.split("/", 1)[0]
            self.warn_key("directory", f"starts with {head}, which names no user with a home folder", default)
            return None
        if not expanded.is_absolute():
            self.warn_key("directory", f"must be an absolute path or start with ~ (it is {value!r})", default)
            return None
        return expanded

    def csv_template(self, value: object) -> str | None:
        default = DEFAULT_TEMPLATE
        if not isinstance(value, str):
            self.warn_key(
                "csv_template", f'must be text (a template name such as "long"), not {_kind(value)}', default
            )
            return None
        if not valid_template_name(value):
            self.warn_key(
                "csv_template",
                f"is {value!r}, not a template name (letters, digits, _ and -; muscle-tui templates "
                "lists them)",
                default,
            )
            return None
        return value

    def parse(self, document: dict[str, object]) -> UserConfig:
        export: dict[str, object] = {}
        for key, value in document.items():
            if key == EXPORT_TABLE and isinstance(value, dict):
                export = value
            elif key == EXPORT_TABLE:
                problem = f"{EXPORT_TABLE} must be a table ([export]), not {_kind(value)}"
                self.warnings.append(f"{self.path}: {problem}; {USING_DEFAULTS}")
            else:
                shown = f"[{_key_name(key)}]" if isinstance(value, dict) else _key_name(key)
                self.warnings.append(f"{self.path}: unknown key {shown} ignored (muscle-tui knows [export])")
        for key in export:
            if key not in EXPORT_KEYS:
                self.warnings.append(
                    f"{self.path}: unknown key [{EXPORT_TABLE}] {_key_name(key)} ignored "
                    f"(muscle-tui knows {', '.join(EXPORT_KEYS)})"
                )
        directory = self.directory(export["directory"]) if "directory" in export else None
        template = self.csv_template(export["csv_template"]) if "csv_template" in export else None
        return UserConfig(directory, template, tuple(self.warnings), self.path)


def _parse(path: Path, document: dict[str, object]) -> UserConfig:
    return _Parser(path).parse(document)


# --- using it ---------------------------------------------------------------------------------


def _make_private_directories(directory: Path) -> None:
    """Create `directory` and each missing folder above it, each with mode 0700 (they will hold
    exports of personal data)."""
    missing: list[Path] = []
    current = directory
    while not os.path.lexists(current) and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIRECTORY_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise


def export_directory(config: UserConfig) -> Path | None:
    """The configured export directory, created (parents too, mode 0700) if missing; None when
    none is configured. UserConfigError (one line naming the file and the key) when it exists as
    something else than a directory or cannot be created."""
    directory = config.export_directory
    if directory is None:
        return None
    where = f"[{EXPORT_TABLE}] directory in {config.path or config_path()}"
    try:
        if directory.is_dir():
            return directory
        if os.path.lexists(directory):
            raise UserConfigError(f"the export directory {directory} ({where}) exists and is not a directory")
        _make_private_directories(directory)
    except OSError as exc:
        raise UserConfigError(
            f"cannot create the export directory {directory} ({where}): {exc.strerror or exc}"
        ) from None
    return directory


_cache_lock = threading.Lock()
_cached: tuple[Path, UserConfig] | None = None


def current_user_config(*, reload: bool = False) -> UserConfig:
    """The config file of this process, read once (again when `config_path()` changes, or with
    `reload`): for the terminal UI, which asks for it wherever it offers a default."""
    global _cached
    path = config_path()
    with _cache_lock:
        if reload or _cached is None or _cached[0] != path:
            _cached = (path, load_user_config(path))
        return _cached[1]


def suggested_export_directory() -> Path | None:
    """Where a front end's suggested path goes: the configured export directory (created 0700 if
    missing), or None (the current folder) when none is configured. When it cannot be created it
    is still suggested, so that writing there says why in the export's own error line."""
    config = current_user_config()
    try:
        return export_directory(config)
    except UserConfigError:
        return config.export_directory
