"""`muscle-tui templates`: every CSV export template, its label and where it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from muscle_tui.cli.console import say_error
from muscle_tui.cli.tables import JSON, Columns, format_option, plain_table, print_json, print_table
from muscle_tui.export.csv import OPTIONS, CsvTemplate, load_templates, user_templates_dir

COLUMNS = Columns(("name", "label", "origin"), shrinks=1)


def template_rows(templates: list[CsvTemplate]) -> list[tuple[str, ...]]:
    """One row of cells per template, in the order of COLUMNS."""
    return [(t.name, t.label, t.origin) for t in templates]


def format_templates(templates: list[CsvTemplate]) -> str:
    """Templates as aligned columns: name, label, origin."""
    return plain_table(COLUMNS, template_rows(templates))


def template_record(template: CsvTemplate) -> dict[str, Any]:
    """A template as a record for scripts: what it is, where it came from, and what it selects."""
    selection = template.selection
    record: dict[str, Any] = {
        "name": template.name,
        "label": template.label,
        "origin": template.origin,
        "builtin": template.builtin,
        "path": str(template.source) if template.source is not None else None,
        "layout": getattr(selection, "layout", "form"),
        "session_fields": list(selection.session_fields),
        "result_fields": list(selection.result_fields),
        "options": [option for option in OPTIONS if option in selection.options],
        "sort_columns": selection.sort_columns,
    }
    filters = getattr(template, "filters", None)
    if filters is not None:
        record["filters"] = filters.to_dict()
    return record


@click.command(
    "templates",
    short_help="list the CSV export templates (built-in and the user's)",
    help=(
        "List the CSV export templates: MUSCLE's built-in ones, the user's in "
        f"{user_templates_dir()}, and any further files or directories given. A user "
        "template with a built-in's name overrides it. Files that cannot be read are reported "
        "on stderr (exit status 1); the others are still listed. User templates, and their "
        "folder, that another user owns or that group or others can write are refused and "
        "reported, as ssh and git treat their configuration.\n\n"
        '--format json prints one object: {"templates": [...], "errors": [...]}. Each template '
        "has name, label, origin, builtin (true/false), path (its file, or null), layout, "
        "session_fields, result_fields and options (lists, in CSV-SPEC's order), sort_columns and, "
        'when it has them, filters; each error is a string "file:line: message" (also on stderr).'
    ),
)
@format_option(JSON)
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(readable=False, path_type=Path))
def list_templates(paths: tuple[Path, ...], output_format: str) -> None:
    templates, errors = load_templates(list(paths))
    if output_format == JSON:
        print_json({"templates": [template_record(t) for t in templates], "errors": [str(e) for e in errors]})
    else:
        print_table(COLUMNS, template_rows(templates))
    for error in errors:
        say_error(str(error))
    if errors:
        click.get_current_context().exit(1)
