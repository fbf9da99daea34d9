"""`muscle-tui export csv`: a block as CSV, from a template and/or explicit fields and options."""

from __future__ import annotations

import click

from muscle_tui.cli.console import PREFIX, ExportProgressBar, say
from muscle_tui.cli.state import CliState, pass_state
from muscle_tui.cli.stdout import print_written_path
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
        "written."
    ),
    epilog=EPILOG,
)
@click.argument("block", metavar="BLOCK_SLUG")
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
    help="the CSV file (or a directory) to write",
)
@click.option("--force", is_flag=True, help="replace the output file if it exists")
@pass_state
def export_csv(
    state: CliState,
    block: str,
    template: str,
    session_fields: str | None,
    result_fields: str | None,
    options: str | None,
    sort_columns: bool,
    excel_safe: bool,
    output: str | None,
    force: bool,
) -> None:
    chosen = find_template(template)
    selection = selection_from_options(
        chosen, session_fields, result_fields, options, sort_columns, excel_safe
    )
    db = state.database_with_block(block)
    target = resolve_output(output, default_csv_name(block, chosen.name))
    with ExportProgressBar(block, "rows") as progress, state.stop.exporting() as cancel:
        result = write_csv(db, block, selection, target, force=force, progress=progress, cancel=cancel)
    for notice in result.notices:
        say(PREFIX + notice)
    print_written_path(result.path)
