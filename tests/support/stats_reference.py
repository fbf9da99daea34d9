"""Helpers for the statistics tests (no tests here): issue 13's figures by plain PostgreSQL, written
without muscle-tui's code, and a comparison that tells integers from floats.

`expected_stats` chooses the sessions with a SQL condition over `session_session s` and
`participant_participant p` (as tests/db/test_csv_filters.py does) and computes every figure with
its own query: `percentile_cont` for percentiles, correlated subqueries for per-session counts,
`extract(epoch ...)` differences for durations, `to_char` for days.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

CHOSEN = """
WITH chosen AS (
    SELECT s.* FROM session_session s
    JOIN experiment_block b ON b.id = s.block_id
    LEFT JOIN participant_participant p ON p.id = s.participant_id
    WHERE b.slug = :slug AND ({condition})
)
"""

QUERIES = {
    "counts": "SELECT count(*), count(finished_at), count(DISTINCT participant_id) FROM chosen",
    "returning": "SELECT count(*) FROM (SELECT participant_id FROM chosen GROUP BY participant_id "
    "HAVING count(*) >= 2) twice",
    "results": "SELECT count(*) FROM result_result r WHERE r.session_id IN (SELECT id FROM chosen)",
    "per_session": "SELECT min(n), percentile_cont(0.5) WITHIN GROUP (ORDER BY n), max(n) FROM "
    "(SELECT (SELECT count(*) FROM result_result r WHERE r.session_id = c.id) AS n FROM chosen c) x",
    "duration": "SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY d), "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.75) WITHIN GROUP (ORDER BY d) "
    "FROM (SELECT (extract(epoch FROM finished_at) - extract(epoch FROM started_at))::float8 AS d "
    "FROM chosen WHERE finished_at IS NOT NULL) x",
    "score": "SELECT avg(final_score), percentile_cont(0.5) WITHIN GROUP (ORDER BY final_score), "
    "min(final_score), max(final_score) FROM chosen WHERE finished_at IS NOT NULL",
    "decision": "SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY t), "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY t), percentile_cont(0.75) WITHIN GROUP (ORDER BY t) "
    "FROM (SELECT (r.json_data ->> 'decision_time')::float8 AS t FROM result_result r "
    "JOIN chosen c ON c.id = r.session_id "
    "WHERE jsonb_typeof(r.json_data -> 'decision_time') = 'number') x",
    "days": "SELECT to_char(started_at AT TIME ZONE :zone, 'YYYY-MM-DD'), count(*), count(finished_at) "
    "FROM chosen GROUP BY 1 ORDER BY 1",
    "countries": "SELECT coalesce(pp.country_code, ''), count(*) FROM "
    "(SELECT DISTINCT participant_id FROM chosen) c "
    "LEFT JOIN participant_participant pp ON pp.id = c.participant_id "
    "GROUP BY 1 ORDER BY 2 DESC, coalesce(pp.country_code, '') COLLATE \"C\"",
}


def expected_stats(url: URL, slug: str, condition: str = "TRUE", zone: str = "UTC") -> dict[str, Any]:
    """Issue 13's JSON object for the block's sessions meeting `condition`, by plain SQL."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:

            def rows(name: str) -> list[Any]:
                query = text(CHOSEN.format(condition=condition) + QUERIES[name])
                return list(conn.execute(query, {"slug": slug, "zone": zone}))

            sessions, finished, participants = rows("counts")[0]
            low, median, high = rows("per_session")[0]
            p25, d_median, p75 = rows("duration")[0]
            mean, s_median, s_min, s_max = rows("score")[0]
            t25, t_median, t75 = rows("decision")[0]
            return {
                "sessions": sessions,
                "finished": finished,
                "completion_rate": finished / sessions if sessions else None,
                "participants": participants,
                "returning_participants": rows("returning")[0][0],
                "results": rows("results")[0][0],
                "results_per_session": {"min": low, "median": median, "max": high},
                "duration_seconds": {"p25": p25, "median": d_median, "p75": p75},
                "final_score": {"mean": mean, "median": s_median, "min": s_min, "max": s_max},
                "decision_time": {"p25": t25, "median": t_median, "p75": t75},
                "sessions_per_day": [
                    {"date": day, "started": started, "finished": done} for day, started, done in rows("days")
                ],
                "countries": [{"country": code, "participants": n} for code, n in rows("countries")],
            }
    finally:
        engine.dispose()


def assert_same(got: Any, want: Any, where: str = "", rel: float = 1e-12, abs_: float = 0.0) -> None:
    """`got` equals `want`: same keys and lengths, integers exactly (and as ints), floats as floats
    within `rel` (a mean may be summed in another order) or `abs_`, None where `want` is None."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), f"{where}: keys {list(got)} != {list(want)}"
        for key in want:
            assert_same(got[key], want[key], f"{where}.{key}", rel, abs_)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: {got!r} != {want!r}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{where}[{i}]", rel, abs_)
    elif want is None or isinstance(want, (str, bool)):
        assert got == want, f"{where}: {got!r} != {want!r}"
    elif isinstance(want, int):
        assert type(got) is int and got == want, f"{where}: {got!r} != {want!r}"
    else:
        assert type(got) is float, f"{where}: {got!r} is not a float"
        assert math.isclose(got, float(want), rel_tol=rel, abs_tol=abs_), f"{where}: {got!r} != {want!r}"
