"""The figures on SQLite, which has no `percentile_cont`: counts, least and greatest values in SQL,
percentiles and histograms in Python from each column streamed in order (see `ordered`).

SQLite holds any value in any column, so only what it reads as a time counts as one (durations come
from `julianday`, which keeps milliseconds), and only numbers count as scores and decision times.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from muscle_tui.db.filters import check_time_zone
from muscle_tui.db.stats.common import CHOSEN, Chosen, SessionFigures, number, whole
from muscle_tui.db.stats.model import Bin, DayCount, Spread
from muscle_tui.db.stats.ordered import QUARTILES, histogram, summarise_sorted
from muscle_tui.db.stream import Snapshot

_FIGURES = f"""
WITH chosen AS ({CHOSEN}),
figures AS MATERIALIZED (
    SELECT c.participant_id, c.finished_at IS NOT NULL AS finished,
           (SELECT count(*) FROM result_result r WHERE r.session_id = c.id) AS results,
           CASE WHEN c.finished_at IS NOT NULL
                THEN round((julianday(c.finished_at) - julianday(c.started_at)) * 86400000.0) / 1000.0
           END AS duration,
           CASE WHEN c.finished_at IS NOT NULL AND typeof(c.final_score) IN ('integer', 'real')
                     AND abs(c.final_score) < 1e308
                THEN c.final_score END AS score
    FROM chosen c
)
"""

_SESSIONS = (
    _FIGURES
    + """
SELECT count(*) AS sessions, coalesce(sum(finished), 0) AS finished,
       count(DISTINCT participant_id) AS participants, coalesce(sum(results), 0) AS results,
       min(results) AS r_min, max(results) AS r_max,
       count(duration) AS d_count, min(duration) AS d_min, max(duration) AS d_max,
       count(score) AS s_count, avg(score) AS s_mean, min(score) AS s_min, max(score) AS s_max,
       (SELECT count(*) FROM (
            SELECT participant_id FROM figures GROUP BY participant_id HAVING count(*) > 1
        )) AS repeaters
FROM figures
"""
)

# A decision time is a JSON number (strings such as "1.5" are not); text that is not JSON is skipped.
_TIMES = f"""
WITH chosen AS ({CHOSEN}),
times AS (
    SELECT v FROM (
        SELECT CASE WHEN json_valid(r.json_data) THEN
                    CASE WHEN json_type(r.json_data, '$.decision_time') IN ('integer', 'real')
                         THEN json_extract(r.json_data, '$.decision_time') END
               END AS v
        FROM result_result r JOIN chosen c ON r.session_id = c.id
    ) WHERE v IS NOT NULL AND abs(v) < 1e308
)
"""

_DAYS = (
    "SELECT s.started_at, s.finished_at IS NOT NULL FROM session_session s "
    "WHERE s.block_id = :block_id{chosen}"
)


def _sorted_column(
    snap: Snapshot,
    chosen: Chosen,
    sql: str,
    count: int,
    fractions: tuple[float, ...],
    bounds: tuple[Any, Any] | None,
    bins: int,
) -> tuple[list[float | None], list[Bin]]:
    """Percentiles of the one-column query `sql` (ordered by it), and its histogram when `bounds`
    are given; the stream is closed as soon as it is no longer needed."""
    if count <= 0:
        return [None] * len(fractions), []
    query, params = chosen.query(snap, sql)
    batches = snap.batches(query, params)
    try:
        values: Iterator[float] = (row[0] for batch in batches for row in batch)
        low = number(bounds[0]) if bounds else None
        high = number(bounds[1]) if bounds else None
        box = (low, high) if low is not None and high is not None else None
        found, counts = summarise_sorted(values, count, fractions, box, bins if box else 0)
    finally:
        batches.close()
    return found, histogram(low, high, counts) if box else []


def session_figures(snap: Snapshot, chosen: Chosen, bins: int) -> SessionFigures:
    """The session group's figures: one aggregate statement, then the three columns in order."""
    (row,) = chosen.rows(snap, _SESSIONS)
    sessions, d_count, s_count = int(row.sessions), int(row.d_count), int(row.s_count)
    (r_median,), _ = _sorted_column(
        snap, chosen, _FIGURES + "SELECT results FROM figures ORDER BY results", sessions, (0.5,), None, 0
    )
    quartiles, duration_bins = _sorted_column(
        snap,
        chosen,
        _FIGURES + "SELECT duration FROM figures WHERE duration IS NOT NULL ORDER BY duration",
        d_count,
        QUARTILES,
        (row.d_min, row.d_max),
        bins,
    )
    (s_median,), score_bins = _sorted_column(
        snap,
        chosen,
        _FIGURES + "SELECT score FROM figures WHERE score IS NOT NULL ORDER BY score",
        s_count,
        (0.5,),
        (row.s_min, row.s_max),
        bins,
    )
    p25, median, p75 = quartiles
    return SessionFigures(
        sessions=sessions,
        finished=int(row.finished),
        participants=int(row.participants),
        returning_participants=int(row.repeaters),
        results=int(row.results),
        results_per_session=Spread(
            count=sessions, min=whole(row.r_min), median=r_median, max=whole(row.r_max)
        ),
        duration=Spread(
            count=d_count, min=number(row.d_min), p25=p25, median=median, p75=p75, max=number(row.d_max)
        ),
        final_score=Spread(
            count=s_count,
            mean=number(row.s_mean),
            min=number(row.s_min),
            median=s_median,
            max=number(row.s_max),
        ),
        duration_histogram=duration_bins,
        final_score_histogram=score_bins,
    )


def decision_figures(snap: Snapshot, chosen: Chosen, bins: int) -> tuple[Spread, list[Bin]]:
    """The decision times of the chosen sessions' trial results: their spread and histogram."""
    (row,) = chosen.rows(snap, _TIMES + "SELECT count(*) AS n, min(v) AS low, max(v) AS high FROM times")
    count = int(row.n)
    (p25, median, p75), bars = _sorted_column(
        snap, chosen, _TIMES + "SELECT v FROM times ORDER BY v", count, QUARTILES, (row.low, row.high), bins
    )
    spread = Spread(count=count, min=number(row.low), p25=p25, median=median, p75=p75, max=number(row.high))
    return spread, bars


def _instant(value: object) -> datetime | None:
    """A start time as SQLite holds it (text; naive means UTC), or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def sessions_per_day(snap: Snapshot, chosen: Chosen) -> list[DayCount]:
    """Sessions started and finished per day of `started_at` in the chosen time zone (SQLite knows
    no time zones: the start times are streamed and counted here; unreadable ones are left out)."""
    zone = check_time_zone(chosen.time_zone)
    started: Counter[date] = Counter()
    finished: Counter[date] = Counter()
    query, params = chosen.query(snap, _DAYS)
    for value, done in snap.stream(query, params):
        moment = _instant(value)
        if moment is None:
            continue
        try:
            day = moment.astimezone(zone).date()
        except (OverflowError, ValueError):  # the first or last day Python can hold, moved past it
            continue
        started[day] += 1
        if done:
            finished[day] += 1
    return [DayCount(day, started[day], finished[day]) for day in sorted(started)]
