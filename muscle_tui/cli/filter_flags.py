"""The session filter flags `export csv` and `export json` share, and `--time-zone`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from muscle_tui.db.filters import NO_FILTER, SessionFilter, check_time_zone

F = TypeVar("F", bound=Callable[..., Any])

FILTER_FLAGS = ("finished_only", "started_after", "started_before", "exclude_participants")
DATE_HELP = "YYYY-MM-DD (midnight) or an ISO date-time; an offset in it wins over the time zone"


def filter_options(command: F) -> F:
    """Add --finished-only, --started-after, --started-before and --exclude-participants."""
    options = (
        click.option("--finished-only", is_flag=True, default=None, help="only sessions that finished"),
        click.option(
            "--started-after", metavar="DATE", help=f"only sessions started at or after DATE ({DATE_HELP})"
        ),
        click.option("--started-before", metavar="DATE", help="only sessions started before DATE"),
        click.option(
            "--exclude-participants",
            metavar="GLOB",
            multiple=True,
            help="leave out sessions of participants whose participant_id_url matches GLOB "
            "(fnmatch, case-sensitive: * ? [seq] [!seq]); repeatable",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def time_zone_option(command: F) -> F:
    """Add --time-zone (IANA name, default UTC)."""
    return click.option(
        "--time-zone",
        metavar="NAME",
        default="UTC",
        show_default=True,
        help="IANA time zone for timestamps and for filter dates without an offset (Europe/Amsterdam)",
    )(command)


def filters_from_flags(
    finished_only: bool | None,
    started_after: str | None,
    started_before: str | None,
    exclude_participants: tuple[str, ...],
    default: SessionFilter = NO_FILTER,
) -> SessionFilter:
    """The command line's filter, or `default` (a template's) when it gives no filter flag at all.

    A bad date or glob raises FilterError (one line, exit 1).
    """
    if not finished_only and started_after is None and started_before is None and not exclude_participants:
        return default
    return SessionFilter(
        finished_only=bool(finished_only),
        started_after=started_after,
        started_before=started_before,
        exclude_participants=tuple(exclude_participants),
    )


def checked_time_zone(name: str) -> str:
    """`name` when it is a known IANA time zone; else FilterError (one line, exit 1)."""
    check_time_zone(name)
    return name
