"""`muscle-tui export csv`: a block as CSV, from a template and/or explicit fields and options."""

from __future__ import annotations

from pathlib import Path
from threading import Event

import click

from muscle_tui.cli.experiments import export_experiment_blocks, require_one_target, run_export
from muscle_tui.cli.filter_flags import (
    checked_time_zone,
    filter_options,
    filters_from_flags,
    time_zone_option,
)
from muscle_tui.cli.state import CliState, pass_state
from muscle_tui.cli.stdout import print_written_path
from muscle_tui.db.filters import NO_FILTER
from muscle_tui.export.csv import (
    DEFAULT_TEMPLATE,
    OPTIONS,
    RESULT_FIELDS,
    SESSION_FIELDS,
    CsvSelection,
    CsvTemplate,
    default_csv_name,
    find_template,
    parse_key_list,
    write_csv,
)
from muscle_tui.export.files import resolve_output
from muscle_tui.export.progress import ExportResult, ProgressCallback

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


@click.command(
    "csv",
    short_help="export a block as CSV, as MUSCLE's export form does",
    help=(
        "Export one block as CSV. The template (default: wide) gives the session fields, result "
        "fields and options; the field flags replace the template's lists. Writes "
        "<block>-<template>-<UTC time>.csv in the current directory unless --output says otherwise "
        "(an existing directory, or a path ending in /, gets that name inside), and prints the path "
        "written. With --experiment SLUG instead of BLOCK_SLUG, writes one such file per block of the "
        "experiment into the directory --output names (created if missing; default: the current one), "
        "printing each path."
    ),
    epilog=EPILOG,
)
@click.argument("block", required=False, metavar="[BLOCK_SLUG]")
@click.option(
    "--experiment",
    metavar="SLUG",
    help="export every block of this experiment instead, one CSV per block (into --output, a directory)",
)
@click.option(
    "--template",
    metavar="NAME|PATH",
    default=DEFAULT_TEMPLATE,
    help=f"a template name or a template .toml file (default: {DEFAULT_TEMPLATE})",
)
@click.option("--session-fields", metavar="a,b", help="session fields, replacing the template's")
@click.option("--result-fields", metavar="x,y", help="result fields, replacing the template's")
@click.option("--options", metavar="o,p", help="options, replacing the template's")
@click.option("--sort-columns", is_flag=True, help="order the columns by name, as MUSCLE did")
@click.option(
    "--excel-safe",
    is_flag=True,
    help="prefix ' to cells (and column names) starting with = + - @ tab or CR, except plain "
    "numbers, so spreadsheets do not run them as formulas; off by default because it changes values",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(readable=False),
    metavar="PATH",
    help="the CSV file (or a directory) to write (with --experiment: the directory for the files, "
    "created if missing)",
)
@click.option("--force", is_flag=True, help="replace the output file if it exists")
@click.option(
    "--no-datapackage",
    is_flag=True,
    help="do not write the data dictionary X.datapackage.json (a Frictionless Data Package) beside X.csv",
)
@filter_options
@time_zone_option
@pass_state
def export_csv(
    state: CliState,
    block: str | None,
    experiment: str | None,
    template: str,
    session_fields: str | None,
    result_fields: str | None,
    options: str | None,
    sort_columns: bool,
    excel_safe: bool,
    output: str | None,
    force: bool,
    no_datapackage: bool,
    finished_only: bool | None,
    started_after: str | None,
    started_before: str | None,
    exclude_participants: tuple[str, ...],
    time_zone: str,
) -> None:
    require_one_target(block, experiment)
    chosen = find_template(template)
    selection = selection_from_options(
        chosen, session_fields, result_fields, options, sort_columns, excel_safe
    )
    zone = checked_time_zone(time_zone)
    template_filters = getattr(chosen, "filters", NO_FILTER)
    filters = filters_from_flags(
        finished_only, started_after, started_before, exclude_participants, template_filters
    )
    db = state.database_with_block(block) if block is not None else state.database()

    def write(slug: str, target: Path, progress: ProgressCallback | None, cancel: Event) -> ExportResult:
        return write_csv(
            db,
            slug,
            selection,
            target,
            filters=filters,
            time_zone=zone,
            force=force,
            progress=progress,
            cancel=cancel,
            datapackage=not no_datapackage,
        )

    if experiment is not None:
        export_experiment_blocks(
            state,
            db,
            experiment,
            output,
            unit="rows",
            default_name=lambda slug, now: default_csv_name(slug, chosen.name, now),
            write=write,
        )
        return
    assert block is not None
    target = resolve_output(output, default_csv_name(block, chosen.name))
    print_written_path(run_export(state, block, "rows", target, write))
