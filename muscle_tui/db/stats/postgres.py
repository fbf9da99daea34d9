"""The figures on PostgreSQL: aggregates in the database, one statement per group of figures.

Each statement reads its rows once: the per-session values (or the decision times) are
materialised in a CTE, aggregated (`percentile_cont`, `min`, `max`, ...) and binned
(`width_bucket`) from there, so only a few numbers per figure come back to Python.
"""

from __future__ import annotations

from typing import Any

from muscle_tui.db.stats.common import CHOSEN, Chosen, SessionFigures, number, whole
from muscle_tui.db.stats.model import Bin, DayCount, Spread
from muscle_tui.db.stats.ordered import counts_from_buckets, histogram
from muscle_tui.db.stream import Snapshot


def _buckets(value: str, low: str, high: str, source: str) -> str:
    """(bucket, count) pairs of `value` over `source`, from `low` to `high`, as one array."""
    return f"""(
        SELECT array_agg(ARRAY[b, n] ORDER BY b) FROM (
            SELECT CASE WHEN {high} > {low} THEN least(width_bucket({value}, {low}, {high}, :bins), :bins)
                        ELSE 1 END AS b,
                   count(*) AS n
            FROM {source} WHERE {value} IS NOT NULL GROUP BY 1
        ) buckets
    )"""


_SESSIONS = f"""
WITH chosen AS ({CHOSEN}),
figures AS MATERIALIZED (
    SELECT c.participant_id, c.finished_at IS NOT NULL AS finished,
           (SELECT count(*) FROM result_result r WHERE r.session_id = c.id) AS results,
           CASE WHEN c.finished_at IS NOT NULL AND isfinite(c.started_at) AND isfinite(c.finished_at)
                THEN extract(epoch FROM c.finished_at - c.started_at)::float8 END AS duration,
           CASE WHEN c.finished_at IS NOT NULL AND abs(c.final_score) < 1e308::float8
                THEN c.final_score END AS score
    FROM chosen c
),
agg AS (
    SELECT count(*) AS sessions, count(*) FILTER (WHERE finished) AS finished,
           count(DISTINCT participant_id) AS participants, coalesce(sum(results), 0) AS results,
           min(results) AS r_min, percentile_cont(0.5) WITHIN GROUP (ORDER BY results) AS r_median,
           max(results) AS r_max,
           count(duration) AS d_count,
           percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY duration) AS d_quartiles,
           min(duration) AS d_min, max(duration) AS d_max,
           count(score) AS s_count, avg(score) AS s_mean,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS s_median,
           min(score) AS s_min, max(score) AS s_max
    FROM figures
)
SELECT agg.*,
       (SELECT count(*) FROM (
            SELECT participant_id FROM figures GROUP BY participant_id HAVING count(*) > 1
        ) repeated) AS repeaters,
       {_buckets("duration", "agg.d_min", "agg.d_max", "figures")} AS d_buckets,
       {_buckets("score", "agg.s_min", "agg.s_max", "figures")} AS s_buckets
FROM agg
"""

# A decision time is a JSON number (strings such as "1.5" are not) that float8 can hold: its text is
# read as float8 at once when it is short (no number of 300 characters or fewer is out of float8's
# range), else only when it lies within ±1e308 and is 0 or beyond ±1e-307.
_DECISION_TIMES = f"""
WITH chosen AS ({CHOSEN}),
times AS MATERIALIZED (
    SELECT CASE WHEN octet_length(t) <= 300 THEN t::float8
                WHEN t::numeric = 0 OR abs(t::numeric) BETWEEN 1e-307 AND 1e308 THEN t::float8
           END AS v
    FROM (
        SELECT j::text AS t FROM (
            SELECT r.json_data::jsonb -> 'decision_time' AS j
            FROM result_result r JOIN chosen c ON r.session_id = c.id
            OFFSET 0
        ) extracted
        WHERE jsonb_typeof(j) = 'number'
        OFFSET 0
    ) numbers
),
agg AS (
    SELECT count(v) AS t_count,
           percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY v) AS t_quartiles,
           min(v) AS t_min, max(v) AS t_max
    FROM times
)
SELECT agg.*, {_buckets("v", "agg.t_min", "agg.t_max", "times")} AS t_buckets
FROM agg
"""

_DAYS = """
SELECT (s.started_at AT TIME ZONE :zone)::date AS day, count(*) AS started, count(s.finished_at) AS finished
FROM session_session s WHERE s.block_id = :block_id{chosen} AND isfinite(s.started_at)
GROUP BY 1 ORDER BY 1
"""


def _quartiles(count: int, values: list[float] | None, low: object, high: object) -> Spread:
    p25, median, p75 = values if values else (None, None, None)
    return Spread(
        count=count,
        min=number(low),
        p25=number(p25),
        median=number(median),
        p75=number(p75),
        max=number(high),
    )


def _histogram(low: object, high: object, buckets: Any, bins: int) -> list[Bin]:
    return histogram(number(low), number(high), counts_from_buckets(buckets, bins))


def session_figures(snap: Snapshot, chosen: Chosen, bins: int) -> SessionFigures:
    """The session group's figures in one statement."""
    (row,) = chosen.rows(snap, _SESSIONS, bins=bins)
    return SessionFigures(
        sessions=int(row.sessions),
        finished=int(row.finished),
        participants=int(row.participants),
        returning_participants=int(row.repeaters),
        results=int(row.results),
        results_per_session=Spread(
            count=int(row.sessions), min=whole(row.r_min), median=number(row.r_median), max=whole(row.r_max)
        ),
        duration=_quartiles(int(row.d_count), row.d_quartiles, row.d_min, row.d_max),
        final_score=Spread(
            count=int(row.s_count),
            mean=number(row.s_mean),
            min=number(row.s_min),
            median=number(row.s_median),
            max=number(row.s_max),
        ),
        duration_histogram=_histogram(row.d_min, row.d_max, row.d_buckets, bins),
        final_score_histogram=_histogram(row.s_min, row.s_max, row.s_buckets, bins),
    )


def decision_figures(snap: Snapshot, chosen: Chosen, bins: int) -> tuple[Spread, list[Bin]]:
    """The decision times of the chosen sessions' trial results: their spread and histogram."""
    (row,) = chosen.rows(snap, _DECISION_TIMES, bins=bins)
    spread = _quartiles(int(row.t_count), row.t_quartiles, row.t_min, row.t_max)
    return spread, _histogram(row.t_min, row.t_max, row.t_buckets, bins)


def sessions_per_day(snap: Snapshot, chosen: Chosen) -> list[DayCount]:
    """Sessions started and finished per day of `started_at` in the chosen time zone."""
    rows = chosen.rows(snap, _DAYS, zone=chosen.time_zone)
    return [DayCount(row.day, int(row.started), int(row.finished)) for row in rows]
