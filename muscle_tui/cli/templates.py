"""`muscle-tui templates`: every CSV export template, its label and where it came from."""

from __future__ import annotations

from pathlib import Path

import click

from muscle_tui.cli.console import say_error
from muscle_tui.cli.tables import Columns, plain_table, print_table
from muscle_tui.export.csv import CsvTemplate, load_templates, user_templates_dir

COLUMNS = Columns(("name", "label", "origin"), shrinks=1)


def template_rows(templates: list[CsvTemplate]) -> list[tuple[str, ...]]:
    """One row of cells per template, in the order of COLUMNS."""
    return [(t.name, t.label, t.origin) for t in templates]


def format_templates(templates: list[CsvTemplate]) -> str:
    """Templates as aligned columns: name, label, origin."""
    return plain_table(COLUMNS, template_rows(templates))


@click.command(
    "templates",
    short_help="list the CSV export templates (built-in and the user's)",
    help=(
        "List the CSV export templates: MUSCLE's built-in ten, the user's in "
        f"{user_templates_dir()}, and any further files or directories given. A user "
        "template with a built-in's name overrides it. Files that cannot be read are reported "
        "on stderr (exit status 1); the others are still listed. User templates, and their "
        "folder, that another user owns or that group or others can write are refused and "
        "reported, as ssh and git treat their configuration."
    ),
)
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(readable=False, path_type=Path))
def list_templates(paths: tuple[Path, ...]) -> None:
    templates, errors = load_templates(list(paths))
    print_table(COLUMNS, template_rows(templates))
    for error in errors:
        say_error(str(error))
    if errors:
        click.get_current_context().exit(1)
