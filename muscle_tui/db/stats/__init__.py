"""The statistics of a block (issue 13): counts, spreads, sessions per day and countries.

The filters (`SessionFilter`) choose the block's sessions; every figure is of those sessions, their
trial results (`result_result` rows of the sessions; profile answers have no session) and their
participants. "Finished" means `finished_at` is set. On PostgreSQL every figure is aggregated in
the database, one statement per group of figures; on SQLite, which has no `percentile_cont`,
percentiles and histograms are computed in Python from each column streamed in order.
"""

from __future__ import annotations

from muscle_tui.db.filters import NO_FILTER, SessionFilter, check_time_zone
from muscle_tui.db.stats import postgres, sqlite
from muscle_tui.db.stats.common import Chosen, countries
from muscle_tui.db.stats.model import (
    DECISION_TIME_KEYS,
    DURATION_KEYS,
    FINAL_SCORE_KEYS,
    JSON_KEYS,
    RESULTS_PER_SESSION_KEYS,
    Bin,
    BlockStats,
    CountryCount,
    DayCount,
    Spread,
)
from muscle_tui.db.stream import Snapshot

__all__ = [
    "JSON_KEYS",
    "Bin",
    "BlockStats",
    "CountryCount",
    "DayCount",
    "Spread",
    "block_stats",
]


def block_stats(
    snap: Snapshot,
    block_slug: str,
    filters: SessionFilter = NO_FILTER,
    time_zone: str = "UTC",
    bins: int = 20,
) -> BlockStats:
    """The statistics of the block's sessions that pass `filters`, days counted in `time_zone`
    (an IANA name), histograms of at most `bins` bars. NotFoundError for an unknown block,
    FilterError for a bad filter or time zone."""
    if bins < 1:
        raise ValueError(f"a histogram needs at least one bar, not {bins}")
    check_time_zone(time_zone)
    block = snap.block(block_slug)
    chosen = Chosen(block.id, filters, time_zone)
    backend = postgres if snap.postgres else sqlite
    group = backend.session_figures(snap, chosen, bins)
    decision, decision_bars = backend.decision_figures(snap, chosen, bins)
    return BlockStats(
        sessions=group.sessions,
        finished=group.finished,
        completion_rate=group.finished / group.sessions if group.sessions else None,
        participants=group.participants,
        returning_participants=group.returning_participants,
        results=group.results,
        results_per_session=group.results_per_session.pick(RESULTS_PER_SESSION_KEYS),
        duration_seconds=group.duration.pick(DURATION_KEYS),
        final_score=group.final_score.pick(FINAL_SCORE_KEYS),
        decision_time=decision.pick(DECISION_TIME_KEYS),
        sessions_per_day=backend.sessions_per_day(snap, chosen),
        countries=countries(snap, chosen),
        final_score_histogram=group.final_score_histogram,
        decision_time_histogram=decision_bars,
        duration_histogram=group.duration_histogram,
    )
