"""`muscle-tui export csv`: a block as CSV, from a template and/or explicit fields and options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from muscle_tui.commands import open_database
from muscle_tui.export.csv_export import default_csv_output, write_csv
from muscle_tui.export.csv_selection import (
    OPTIONS,
    RESULT_FIELDS,
    SESSION_FIELDS,
    CsvSelection,
    parse_key_list,
)
from muscle_tui.export.progress import ExportProgress
from muscle_tui.export.templates import DEFAULT_TEMPLATE, CsvTemplate, find_template

EPILOG = (
    f"session fields: {', '.join(SESSION_FIELDS)}\n"
    f"result fields: {', '.join(RESULT_FIELDS)}\n"
    f"options: {', '.join(OPTIONS)}\n"
    "`muscle-tui templates` lists the templates. An empty value (--result-fields '') selects none."
)


def register(sub, add_database_options) -> None:
    parser = sub.add_parser(
        "csv",
        help="export a block as CSV, as MUSCLE's export form does",
        description=(
            "Export one block as CSV. The template (default: wide) gives the session fields, result "
            "fields and options; the field flags replace the template's lists. Writes "
            "<block>-<template>-<UTC time>.csv in the current directory unless --output says otherwise, "
            "and prints the path written."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "block", metavar="BLOCK_SLUG", help="the block to export (muscle-tui list shows them)"
    )
    parser.add_argument(
        "--template",
        metavar="NAME|PATH",
        default=DEFAULT_TEMPLATE,
        help=f"a template name or a template .toml file (default: {DEFAULT_TEMPLATE})",
    )
    parser.add_argument("--session-fields", metavar="a,b", help="session fields, replacing the template's")
    parser.add_argument("--result-fields", metavar="x,y", help="result fields, replacing the template's")
    parser.add_argument("--options", metavar="o,p", help="options, replacing the template's")
    parser.add_argument(
        "--sort-columns", action="store_true", help="order the columns by name, as MUSCLE did"
    )
    parser.add_argument(
        "--excel-safe",
        action="store_true",
        help="prefix ' to cells (and column names) starting with = + - @ tab or CR, except plain "
        "numbers, so spreadsheets do not run them as formulas; off by default because it changes values",
    )
    parser.add_argument(
        "--output", "-o", metavar="PATH", type=Path, help="the CSV file (or a directory) to write"
    )
    parser.add_argument("--force", action="store_true", help="replace the output file if it exists")
    add_database_options(parser)
    parser.set_defaults(handler=run)


def selection_from_args(template: CsvTemplate, args: argparse.Namespace) -> CsvSelection:
    """The template's selection with the command line's field and option lists in its place."""
    changes: dict[str, object] = {}
    if args.session_fields is not None:
        changes["session_fields"] = parse_key_list(args.session_fields, SESSION_FIELDS, "session field")
    if args.result_fields is not None:
        changes["result_fields"] = parse_key_list(args.result_fields, RESULT_FIELDS, "result field")
    if args.options is not None:
        changes["options"] = frozenset(parse_key_list(args.options, OPTIONS, "option"))
    if args.sort_columns:
        changes["sort_columns"] = True
    if args.excel_safe:
        changes["excel_safe"] = True
    return template.selection.replace(**changes)


def _progress_line(report: ExportProgress) -> None:
    total = f"/{report.total:,}" if report.total is not None else ""
    _to_terminal(f"\r{report.stage}: {report.done:,}{total}")


def _to_terminal(text: str) -> None:
    try:
        print(text, end="", file=sys.stderr, flush=True)
    except OSError:
        pass  # the terminal is gone (SIGHUP): the export goes on, or stops cleanly


def run(args: argparse.Namespace) -> int:
    template = find_template(args.template)
    selection = selection_from_args(template, args)
    output = args.output
    if output is None:
        output = default_csv_output(args.block, template.name)
    elif output.is_dir():
        output = default_csv_output(args.block, template.name, output)
    show_progress = sys.stderr.isatty()
    db = open_database(args)
    try:
        with args.stop.exporting() as cancel:
            result = write_csv(
                db,
                args.block,
                selection,
                output,
                force=args.force,
                progress=_progress_line if show_progress else None,
                cancel=cancel,
            )
    finally:
        if show_progress:
            _to_terminal("\n")
        db.close()
    print(result.path)
    return 0
