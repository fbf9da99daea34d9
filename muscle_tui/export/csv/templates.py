"""CSV export templates: TOML files, each a named and labelled `CsvSelection` with its session filters.

Built-in templates (MUSCLE's ten, and MUSCLE 2026's own CSV) ship inside this package (`builtin/`)
and are read with `importlib.resources`, from a source checkout and an installed wheel alike. User
templates live in `<user config dir>/muscle-tui/templates`, and any further file or directory can be
given. A later source overrides an earlier one with the same name (built-in < user < given paths),
and listings say so. A file that cannot be read is reported with its path, line and key; the rest
still load. User templates are read only when they, and their folder, are the user's alone, and no
file is read beyond 1 MiB (`template_files`).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import platformdirs
import tomli_w

from muscle_tui.db.filters import FILTER_KEYS, NO_FILTER, FilterError, SessionFilter
from muscle_tui.errors import NotFoundError, OutputError
from muscle_tui.export.csv.selection import LAYOUTS, OPTIONS, RESULT_FIELDS, SESSION_FIELDS, CsvSelection
from muscle_tui.export.csv.template_files import (
    TEMPLATE_SUFFIX,
    TemplateError,
    expand_user,
    read_template_source,
    template_files,
    template_files_or_error,
    untrusted_folder_reason,
)
from muscle_tui.export.files import atomic_file

BUILTIN_FOLDER = "builtin"
DEFAULT_TEMPLATE = "wide"
BUILTIN_ORDER = (
    "wide",
    "wide_json",
    "wide_results",
    "wide_results_json",
    "wide_profile",
    "long",
    "long_json",
    "long_results",
    "long_results_json",
    "long_profile",
    "muscle_2026",
)
REQUIRED_KEYS = ("name", "label", "session_fields", "result_fields", "options")
OPTIONAL_KEYS = ("sort_columns", "layout", "filters")
FIXED_LAYOUTS = ("muscle_2026",)
"""Layouts that ignore the fields and options, so a template of one may leave them out."""
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_LIST_KEYS = {
    "session_fields": (SESSION_FIELDS, "session field"),
    "result_fields": (RESULT_FIELDS, "result field"),
    "options": (OPTIONS, "option"),
}


@dataclass(frozen=True)
class CsvTemplate:
    """A named, labelled selection, its session filters, and where it came from (`source` None:
    built in memory)."""

    name: str
    label: str
    selection: CsvSelection
    source: Path | None = None
    builtin: bool = False
    overrides_builtin: bool = False
    filters: SessionFilter = NO_FILTER

    @property
    def origin(self) -> str:
        """`built-in`, or the file's path, with `(overrides built-in)` where it does."""
        if self.builtin:
            return "built-in"
        where = str(self.source) if self.source is not None else "(unsaved)"
        return f"{where} (overrides built-in)" if self.overrides_builtin else where


def builtin_templates() -> Traversable:
    """The package resource folder holding the built-in templates."""
    return resources.files(__package__).joinpath(BUILTIN_FOLDER)


def builtin_templates_dir() -> Path:
    """Where the built-in templates are on disk (inside the installed package)."""
    return Path(str(builtin_templates()))


def user_templates_dir() -> Path:
    """`<user config dir>/muscle-tui/templates` (it may not exist yet)."""
    return platformdirs.user_config_path("muscle-tui") / "templates"


def valid_template_name(name: str) -> bool:
    """Letters, digits, `_` and `-`, starting with a letter or digit, at most 64 characters."""
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


# ---------------------------------------------------------------------------------------------
# Reading.


def _line_of(source: str, pattern: str) -> int | None:
    regex = re.compile(pattern, re.MULTILINE)
    match = regex.search(source)
    return source.count("\n", 0, match.start()) + 1 if match else None


def _key_line(source: str, key: str) -> int | None:
    quoted = re.escape(key)
    return _line_of(source, rf"^[ \t]*(?:{quoted}|\"{quoted}\"|'{quoted}')[ \t]*=")


def _value_line(source: str, key: str, value: str) -> int | None:
    start = _key_line(source, key) or 1
    lines = source.splitlines()
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if f'"{value}"' in line or f"'{value}'" in line:
            return number
    return start if start > 1 else None


def _syntax_error(path: Path, source: str, exc: tomllib.TOMLDecodeError) -> TemplateError:
    text = str(exc)
    match = re.search(r"\(at line (\d+), column \d+\)", text)
    line = int(match.group(1)) if match else None
    if line is None and "(at end of document)" in text:
        line = len(source.splitlines()) or 1
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", text)
    message = message.replace("(at end of document)", "at end of document") or "malformed TOML"
    key = None
    if line is not None:
        lines = source.splitlines()
        if 0 < line <= len(lines):
            found = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", lines[line - 1])
            key = found.group(1) if found else None
    detail = f" (key {key!r})" if key else ""
    return TemplateError(f"not valid TOML: {message}{detail}", path, line, key)


def _table_key_line(source: str, table: str, key: str) -> int | None:
    """The line of `key` inside `[table]` (or of `table = {...}` when written inline)."""
    start = _line_of(source, rf"^[ \t]*\[[ \t]*{re.escape(table)}[ \t]*\]")
    if start is None:
        return _key_line(source, table)
    lines = source.splitlines()
    quoted = re.escape(key)
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        if re.match(r"^\s*\[", line):
            break
        if re.match(rf"^\s*(?:{quoted}|\"{quoted}\"|'{quoted}')\s*=", line):
            return number
    return start


def _parse_filters(value: object, source: str, shown: Path) -> SessionFilter:
    """The `[filters]` table as a SessionFilter; a TemplateError names the filter key at fault."""
    if not isinstance(value, dict):
        raise TemplateError("filters must be a table", shown, _key_line(source, "filters"), "filters")
    for key in value:
        try:
            if key not in FILTER_KEYS:
                raise FilterError(f"unknown filter {key!r} (known: {', '.join(FILTER_KEYS)})")
            SessionFilter.from_dict({key: value[key]})
        except FilterError as exc:
            raise TemplateError(
                f"filters.{key}: {exc}", shown, _table_key_line(source, "filters", key), f"filters.{key}"
            ) from None
    try:
        return SessionFilter.from_dict(value)
    except FilterError as exc:
        raise TemplateError(f"filters: {exc}", shown, _key_line(source, "filters"), "filters") from None


def parse_template(source: str, path: Path | None = None, *, builtin: bool = False) -> CsvTemplate:
    """A template from TOML text, or a TemplateError naming the file, line and key at fault."""
    shown = path if path is not None else Path("<template>")
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(shown, source, exc) from None
    except RecursionError:
        raise TemplateError("not valid TOML: nested too deeply to read", shown) from None

    for key in document:
        if key not in REQUIRED_KEYS and key not in OPTIONAL_KEYS:
            known = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)
            raise TemplateError(f"unknown key {key!r} (known: {known})", shown, _key_line(source, key), key)
    layout = document.get("layout", "form")
    if not isinstance(layout, str) or layout not in LAYOUTS:
        raise TemplateError(
            f"layout must be one of {', '.join(LAYOUTS)}", shown, _key_line(source, "layout"), "layout"
        )
    for key in REQUIRED_KEYS:
        if key not in document and (layout not in FIXED_LAYOUTS or key not in _LIST_KEYS):
            raise TemplateError(f"missing key {key!r}", shown, None, key)

    name = document["name"]
    if not valid_template_name(name):
        raise TemplateError(
            f"name {name!r} is not a template name (letters, digits, _ and -, at most 64)",
            shown,
            _key_line(source, "name"),
            "name",
        )
    label = document["label"]
    if not isinstance(label, str) or not label.strip():
        raise TemplateError("label must be a non-empty string", shown, _key_line(source, "label"), "label")

    lists: dict[str, tuple[str, ...]] = {}
    for key, (table, kind) in _LIST_KEYS.items():
        value = document.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise TemplateError(f"{key} must be a list of strings", shown, _key_line(source, key), key)
        for item in value:
            if item not in table:
                raise TemplateError(
                    f"unknown {kind} {item!r} in {key} (known: {', '.join(table)})",
                    shown,
                    _value_line(source, key, item),
                    key,
                )
        lists[key] = tuple(value)
    sort_columns = document.get("sort_columns", False)
    if not isinstance(sort_columns, bool):
        raise TemplateError(
            "sort_columns must be true or false", shown, _key_line(source, "sort_columns"), "sort_columns"
        )
    selection = CsvSelection(
        session_fields=lists["session_fields"],
        result_fields=lists["result_fields"],
        options=frozenset(lists["options"]),
        sort_columns=sort_columns,
        layout=layout,
    )
    filters = _parse_filters(document["filters"], source, shown) if "filters" in document else NO_FILTER
    return CsvTemplate(
        name=name, label=label, selection=selection, source=path, builtin=builtin, filters=filters
    )


def read_template(path: Path | Traversable, *, builtin: bool = False, users: bool = False) -> CsvTemplate:
    """The template in one TOML file (TemplateError when it cannot be read or used). `users`: a
    user template, refused when another user owns it or can write it."""
    source, shown = read_template_source(path, users)
    return parse_template(source, shown, builtin=builtin)


def _builtin_rank(name: str) -> tuple[int, str]:
    return (BUILTIN_ORDER.index(name), "") if name in BUILTIN_ORDER else (len(BUILTIN_ORDER), name)


def load_templates(
    extra_paths: Iterable[Path | str] = (),
    *,
    user_dir: Path | None = None,
    builtin_dir: Path | None = None,
) -> tuple[list[CsvTemplate], list[TemplateError]]:
    """Every template: built-in, then the user's, then those at `extra_paths` (files or directories).

    A later source replaces an earlier template of the same name (marked `overrides_builtin` when
    it replaces a built-in). Two files of one source with the same name: the second is an error.
    Errors are collected per file and returned beside the templates that did load.
    """
    builtins: Traversable = builtin_dir if builtin_dir is not None else builtin_templates()
    user_dir = user_dir if user_dir is not None else user_templates_dir()
    errors: list[TemplateError] = []
    levels: list[tuple[list[Traversable], bool, bool]] = [
        (template_files(builtins) if builtins.is_dir() else [], True, False),
        (template_files_or_error(user_dir, errors, users=True), False, True),
    ]
    extra_files: list[Traversable] = []
    for extra in extra_paths:
        try:
            extra_files.extend(template_files_or_error(expand_user(Path(extra)), errors))
        except TemplateError as exc:
            errors.append(exc)
    levels.append((extra_files, False, False))

    by_name: dict[str, CsvTemplate] = {}
    builtin_names: set[str] = set()
    for files, builtin, users in levels:
        seen_here: dict[str, Path | None] = {}
        for path in files:
            try:
                source, shown = read_template_source(path, users)
                template = parse_template(source, shown, builtin=builtin)
            except TemplateError as exc:
                errors.append(exc)
                continue
            if template.name in seen_here:
                errors.append(
                    TemplateError(
                        f"duplicate template name {template.name!r} (also in {seen_here[template.name]})",
                        template.source,
                        _key_line(source, "name"),
                        "name",
                    )
                )
                continue
            seen_here[template.name] = template.source
            if builtin:
                builtin_names.add(template.name)
            elif template.name in builtin_names:
                template = dataclasses.replace(template, builtin=False, overrides_builtin=True)
            by_name[template.name] = template

    templates = sorted(
        by_name.values(),
        key=lambda t: (0, *_builtin_rank(t.name)) if t.name in builtin_names else (1, 0, t.name),
    )
    return templates, errors


def looks_like_path(name_or_path: str) -> bool:
    """Whether a `--template` value names a file rather than a template."""
    return name_or_path.endswith(TEMPLATE_SUFFIX) or "/" in name_or_path or os.sep in name_or_path


def find_template(name_or_path: str, extra_paths: Iterable[Path | str] = ()) -> CsvTemplate:
    """The template with this name (user templates override built-ins), or the one in this file."""
    if looks_like_path(name_or_path):
        return read_template(Path(name_or_path))
    templates, errors = load_templates(extra_paths)
    for template in templates:
        if template.name == name_or_path:
            return template
    hint = f"; {len(errors)} template file(s) failed to load" if errors else ""
    raise NotFoundError(f"no template named {name_or_path!r} (muscle-tui templates lists them{hint})")


# ---------------------------------------------------------------------------------------------
# Writing.


def template_toml(name: str, label: str, selection: CsvSelection, filters: SessionFilter = NO_FILTER) -> str:
    """The TOML text of a template (fields and options in CSV-SPEC order; `layout` and a `[filters]`
    table when they are not the defaults)."""
    document: dict[str, object] = {"name": name, "label": label}
    if selection.layout != "form":
        document["layout"] = selection.layout
    document |= {
        "session_fields": list(selection.session_fields),
        "result_fields": list(selection.result_fields),
        "options": list(selection.ordered_options),
    }
    if selection.sort_columns:
        document["sort_columns"] = True
    if not filters.is_empty():
        document["filters"] = filters.to_dict()
    return tomli_w.dumps(document, indent=4)


def save_template(
    name: str,
    label: str,
    selection: CsvSelection,
    *,
    filters: SessionFilter = NO_FILTER,
    replace: bool = False,
    directory: Path | None = None,
) -> Path:
    """Write a user template `<name>.toml` (directory 0700, file 0600) and return its path.

    Never writes into the built-in templates; replacing an existing user template, or hiding a
    built-in one under its name, needs `replace=True`.
    """
    if not valid_template_name(name):
        raise TemplateError(
            f"{name!r} is not a template name: use letters, digits, _ and - (at most 64 characters)"
        )
    if not isinstance(label, str) or not label.strip():
        raise TemplateError("a template needs a label")
    directory = expand_user(Path(directory)) if directory is not None else user_templates_dir()
    builtin_dir = builtin_templates_dir()
    if directory.resolve() == builtin_dir.resolve():
        raise TemplateError(f"{directory} holds the built-in templates; they are never written to")
    path = directory / f"{name}{TEMPLATE_SUFFIX}"
    if not replace:
        if path.exists():
            raise TemplateError(f"a template named {name!r} already exists at {path}; replace it explicitly")
        if (builtin_dir / f"{name}{TEMPLATE_SUFFIX}").exists() or name in BUILTIN_ORDER:
            raise TemplateError(
                f"{name!r} is a built-in template; saving under that name overrides it, "
                "so replace it explicitly or choose another name"
            )
    try:
        if not directory.is_dir():
            directory.mkdir(mode=0o700, parents=True)
            os.chmod(directory, 0o700)
        reason = untrusted_folder_reason(directory)
    except OSError as exc:
        raise OutputError(f"cannot create {directory}: {exc.strerror or exc}") from None
    if reason is not None:
        raise TemplateError(f"not saving into it: {reason.removeprefix('refused: ')}", directory)
    content = template_toml(name, label, selection, filters).encode("utf-8")
    with atomic_file(path, force=replace) as handle:
        handle.write(content)
    return path
