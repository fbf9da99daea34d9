"""`muscle-tui stats BLOCK`: a block's figures, as a compact summary or issue 13's JSON object."""

from __future__ import annotations

import math

import click

from muscle_tui.cli.filter_flags import (
    checked_time_zone,
    filter_options,
    filters_from_flags,
    time_zone_option,
)
from muscle_tui.cli.state import CliState, pass_state
from muscle_tui.cli.stdout import write_stdout
from muscle_tui.cli.tables import JSON, Columns, format_option, print_json, print_table
from muscle_tui.db.stats import JSON_KEYS, BlockStats, block_stats

NONE = "–"
"""A figure without data, in the table."""
NO_COUNTRY = "(none)"
"""A participant without a country code, in the table."""

FIGURE_COLUMNS = Columns(("figure", "value"), shrinks=1)
DAY_COLUMNS = Columns(("date", "started", "finished"), right_from=1)
COUNTRY_COLUMNS = Columns(("country", "participants"), right_from=1, shrinks=0)

HELP = (
    "Show the figures of a block's sessions: how many started and finished, participants (and how "
    "many of them have more than one of the sessions), trial results, results per session, session "
    "duration and "
    "final score (finished sessions), decision times (trial results whose json_data decision_time "
    "is a JSON number), sessions per day and participants per country. The filter flags choose the "
    "sessions, as in the exports; participants and countries are those of the chosen sessions. "
    "Days are those of started_at in --time-zone (UTC by default). Countries are sorted by "
    'participants, most first, then by code; a missing or empty code is "". '
    "Percentiles interpolate linearly (PostgreSQL's percentile_cont). "
    "--format json prints one JSON object with exactly the keys "
    f"{', '.join(JSON_KEYS)}; a figure without data is null, counts are integers and nothing is "
    "rounded (the table rounds for display)."
)


def shown(value: float | None) -> str:
    """A figure for people: whole numbers as they are, others rounded for display, NONE without data."""
    if value is None or not math.isfinite(value):
        return NONE
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def _spread(figures: dict[str, float | None]) -> str:
    """`min 0 · median 55 · max 55`: a spread's figures in the order JSON gives them."""
    return " · ".join(f"{key} {shown(value)}" for key, value in figures.items())


def figure_rows(stats: BlockStats) -> list[tuple[str, str]]:
    """The figures of `as_json` but the lists, one row each, labelled for people."""
    rate = NONE if stats.completion_rate is None else f"{stats.completion_rate * 100:.1f} %"
    return [
        ("sessions", f"{stats.sessions:,}"),
        ("finished", f"{stats.finished:,}"),
        ("completion rate", rate),
        ("participants", f"{stats.participants:,}"),
        ("returning participants", f"{stats.returning_participants:,}"),
        ("trial results", f"{stats.results:,}"),
        ("results per session", _spread(stats.results_per_session)),
        ("duration (s), finished", _spread(stats.duration_seconds)),
        ("final score, finished", _spread(stats.final_score)),
        ("decision time (s)", _spread(stats.decision_time)),
    ]


def print_summary(stats: BlockStats) -> None:
    """The figures, then sessions per day, then countries: tables with a blank line between them."""
    print_table(FIGURE_COLUMNS, figure_rows(stats))
    if stats.sessions_per_day:
        write_stdout("\n")
        days = [(d.date.isoformat(), f"{d.started:,}", f"{d.finished:,}") for d in stats.sessions_per_day]
        print_table(DAY_COLUMNS, days)
    if stats.countries:
        write_stdout("\n")
        countries = [(c.country or NO_COUNTRY, f"{c.participants:,}") for c in stats.countries]
        print_table(COUNTRY_COLUMNS, countries)


@click.command(
    "stats", short_help="show a block's figures: sessions, durations, scores, decision times", help=HELP
)
@click.argument("block", metavar="BLOCK_SLUG")
@format_option(JSON)
@filter_options
@time_zone_option
@pass_state
def block_statistics(
    state: CliState,
    block: str,
    output_format: str,
    finished_only: bool | None,
    started_after: str | None,
    started_before: str | None,
    exclude_participants: tuple[str, ...],
    time_zone: str,
) -> None:
    zone = checked_time_zone(time_zone)
    filters = filters_from_flags(finished_only, started_after, started_before, exclude_participants)
    database = state.database()
    with state.stop.exporting() as cancel, database.snapshot(cancel) as snap:
        stats = block_stats(snap, block, filters, zone)
    if output_format == JSON:
        print_json(stats.as_json())
    else:
        print_summary(stats)
