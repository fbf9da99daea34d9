"""What `export csv` and `export parquet` share: the selection flags, the output flags, and how
they become a selection, filters and a time zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from muscle_tui.cli.filter_flags import (
    checked_time_zone,
    filter_options,
    filters_from_flags,
    time_zone_option,
)
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from muscle_tui.errors import NotFoundError
from muscle_tui.export.csv import (
    DEFAULT_TEMPLATE,
    OPTIONS,
    RESULT_FIELDS,
    SESSION_FIELDS,
    CsvSelection,
    CsvTemplate,
    find_template,
    parse_key_list,
)
from muscle_tui.user_config import UserConfig, UserConfigError

F = TypeVar("F", bound=Callable[..., Any])

EPILOG = (
    "\b\n"
    f"session fields: {', '.join(SESSION_FIELDS)}\n"
    f"result fields: {', '.join(RESULT_FIELDS)}\n"
    f"options: {', '.join(OPTIONS)}\n"
    "`muscle-tui templates` lists the templates. An empty value (--result-fields '') selects none."
)


def selection_from_options(
    template: CsvTemplate,
    session_fields: str | None = None,
    result_fields: str | None = None,
    options: str | None = None,
    sort_columns: bool = False,
    excel_safe: bool = False,
) -> CsvSelection:
    """The template's selection with the command line's field and option lists in its place."""
    changes: dict[str, object] = {}
    if session_fields is not None:
        changes["session_fields"] = parse_key_list(session_fields, SESSION_FIELDS, "session field")
    if result_fields is not None:
        changes["result_fields"] = parse_key_list(result_fields, RESULT_FIELDS, "result field")
    if options is not None:
        changes["options"] = frozenset(parse_key_list(options, OPTIONS, "option"))
    if sort_columns:
        changes["sort_columns"] = True
    if excel_safe:
        changes["excel_safe"] = True
    return template.selection.replace(**changes)


def _apply(command: F, options: tuple[Callable[[F], F], ...]) -> F:
    for option in reversed(options):
        command = option(command)
    return command


def selection_options(file_kind: str) -> Callable[[F], F]:
    """Add [BLOCK_SLUG], --experiment, --template, the field and option lists and --sort-columns;
    `file_kind` ("CSV", "Parquet file") names what --experiment writes per block."""
    options: tuple[Callable[[F], F], ...] = (
        click.argument("block", required=False, metavar="[BLOCK_SLUG]"),
        click.option(
            "--experiment",
            metavar="SLUG",
            help=f"export every block of this experiment instead, one {file_kind} per block "
            "(into --output, a directory)",
        ),
        click.option(
            "--template",
            metavar="NAME|PATH",
            help="a template name or a template .toml file (default: config.toml's [export] "
            f"csv_template, else {DEFAULT_TEMPLATE})",
        ),
        click.option("--session-fields", metavar="a,b", help="session fields, replacing the template's"),
        click.option("--result-fields", metavar="x,y", help="result fields, replacing the template's"),
        click.option("--options", metavar="o,p", help="options, replacing the template's"),
        click.option("--sort-columns", is_flag=True, help="order the columns by name, as MUSCLE did"),
    )
    return lambda command: _apply(command, options)


def output_options(file_kind: str, suffix: str) -> Callable[[F], F]:
    """Add --output, --force and --no-datapackage, the session filter flags and --time-zone."""
    options: tuple[Callable[[F], F], ...] = (
        click.option(
            "-o",
            "--output",
            type=click.Path(readable=False),
            metavar="PATH",
            help=f"the {file_kind} (or a directory) to write (with --experiment: the directory for the "
            "files, created if missing)",
        ),
        click.option("--force", is_flag=True, help="replace the output file if it exists"),
        click.option(
            "--no-datapackage",
            is_flag=True,
            help="do not write the data dictionary X.datapackage.json (a Frictionless Data Package) "
            f"beside X{suffix}",
        ),
        filter_options,
        time_zone_option,
    )
    return lambda command: _apply(command, options)


@dataclass(frozen=True)
class ExportChoice:
    """What the flags of an export command chose: the template, the selection, filters, time zone."""

    template: CsvTemplate
    selection: CsvSelection
    filters: SessionFilter
    time_zone: str


def configured_template(template: str | None, config: UserConfig | None) -> CsvTemplate:
    """The template --template names, else the config's `[export] csv_template`, else `wide`. A
    configured name that names no template is one line naming the config file and the key."""
    if template is not None:
        return find_template(template)
    if config is None or config.csv_template is None:
        return find_template(DEFAULT_TEMPLATE)
    try:
        return find_template(config.csv_template)
    except NotFoundError as exc:
        raise UserConfigError(config.key_problem("csv_template", str(exc))) from None


def export_choice(
    template: str | None,
    session_fields: str | None,
    result_fields: str | None,
    options: str | None,
    sort_columns: bool,
    excel_safe: bool,
    finished_only: bool | None,
    started_after: str | None,
    started_before: str | None,
    exclude_participants: tuple[str, ...],
    time_zone: str,
    config: UserConfig | None = None,
) -> ExportChoice:
    """The template (found by name or path; None: the configured one, see `configured_template`)
    with the flags applied; bad input is one line."""
    chosen = configured_template(template, config)
    selection = selection_from_options(
        chosen, session_fields, result_fields, options, sort_columns, excel_safe
    )
    zone = checked_time_zone(time_zone)
    template_filters = getattr(chosen, "filters", NO_FILTER)
    filters = filters_from_flags(
        finished_only, started_after, started_before, exclude_participants, template_filters
    )
    return ExportChoice(chosen, selection, filters, zone)
