"""`muscle-tui demo [PATH]`: write the built-in demo database, or show where it lives."""

from __future__ import annotations

import click

from muscle_tui import demo
from muscle_tui.cli.stdout import print_written_path
from muscle_tui.export.files import check_target, resolve_output


@click.command(
    "demo",
    short_help="write the built-in demo database (SQLite, MUSCLE 2026 schema) to a file",
    help=(
        "Write the demo database muscle-tui opens when no database is configured: a SQLite file "
        "with MUSCLE's 2026 schema, two experiments and about 30,000 results. A directory (or a "
        "PATH ending in /) gets the built-in copy's file name inside. Without PATH, prints where "
        "the built-in copy lives (creating it if needed)."
    ),
)
@click.argument("path", required=False, metavar="[PATH]", type=click.Path(readable=False))
@click.option("--force", is_flag=True, help="replace PATH if it exists")
def write_demo(path: str | None, force: bool) -> None:
    built_in = demo.demo_database_path()
    if path is None:
        print_written_path(str(demo.ensure_demo_database(built_in)))
        return
    target = check_target(resolve_output(path, built_in.name), force)
    print_written_path(str(demo.write_demo_database(target, replace=force)))
