"""Statistics of a block (issue 13): `block_stats(...).as_json()` against SQL written here.

PostgreSQL is checked against plain SQL (tests/support/stats_reference.py) on both schema releases:
MUSCLE's samples (edge: January 2025; sample: 2026) and small written blocks with the awkward cases
(no sessions, none finished, one session, null json_data, string decision times, empty and NULL
country codes), with each filter and a time zone that moves a session across midnight. SQLite is
checked against PostgreSQL on the same rows: the written blocks, and the demo database.
"""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import create_engine, text

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, FilterError, SessionFilter
from muscle_tui.db.schema import Release
from muscle_tui.db.stats import JSON_KEYS, BlockStats, block_stats
from muscle_tui.db.stats.ordered import QUARTILES, percentile_cont, summarise_sorted
from muscle_tui.errors import NotFoundError
from tests.conftest import DUMPS, SCHEMA
from tests.support.csv_blocks import sqlite_database, sqlite_url
from tests.support.stats_blocks import BLOCKS, copy_demo, write_blocks
from tests.support.stats_reference import assert_same, expected_stats

AMSTERDAM = "Europe/Amsterdam"


def stats_of(
    db: MuscleDatabase, slug: str, filters=NO_FILTER, zone: str = "UTC", bins: int = 20
) -> BlockStats:
    with db.snapshot() as snap:
        return block_stats(snap, slug, filters, zone, bins)


def check_bars(stats: BlockStats, bins: int = 20) -> None:
    """Each histogram has `bins` bars (one when every value is the same) from least to greatest."""
    for bars in (stats.final_score_histogram, stats.decision_time_histogram, stats.duration_histogram):
        if bars:
            assert len(bars) in (1, bins)
            assert all(start <= end for start, end, _ in bars)
            assert all(bars[i][1] == bars[i + 1][0] for i in range(len(bars) - 1))
    # The finished sessions' durations and scores are all binned (none of these is absurd).
    assert sum(n for *_, n in stats.final_score_histogram) == stats.finished


@pytest.fixture(scope="module")
def open_db():
    """Opens a database once per URL (and closes them all at the end of the module)."""
    opened: dict[str, MuscleDatabase] = {}

    def open_url(url, label: str = "stats") -> MuscleDatabase:
        key = url.render_as_string(hide_password=False)
        if key not in opened:
            opened[key] = MuscleDatabase.open(url, label)
        return opened[key]

    yield open_url
    for db in opened.values():
        db.close()


# ---------------------------------------------------------------------------------------------
# MUSCLE's sample databases, both releases


EDGE_CASES = [
    (NO_FILTER, "TRUE"),
    (SessionFilter(finished_only=True), "s.finished_at IS NOT NULL"),
    (SessionFilter(started_after="2024-03-01T20:00:00"), "s.started_at >= TIMESTAMPTZ '2024-03-01 20:00+00'"),
    (SessionFilter(started_before="2024-03-02"), "s.started_at < TIMESTAMPTZ '2024-03-02 00:00+00'"),
    (
        SessionFilter(exclude_participants=("prolific_000*",)),
        "NOT (p.participant_id_url IS NOT NULL AND p.participant_id_url LIKE 'prolific\\_000%')",
    ),
]
SAMPLE2026_CASES = [
    (NO_FILTER, "TRUE", "UTC"),
    (NO_FILTER, "TRUE", "Asia/Kathmandu"),
    (SessionFilter(finished_only=True), "s.finished_at IS NOT NULL", "UTC"),
    (
        SessionFilter(started_after="2025-03-01T12:00"),
        "s.started_at >= TIMESTAMPTZ '2025-03-01 12:00+00'",
        "UTC",
    ),
    (  # a date without offset is read in the time zone (+05:45)
        SessionFilter(started_after="2025-03-01T17:45"),
        "s.started_at >= TIMESTAMPTZ '2025-03-01 12:00+00'",
        "Asia/Kathmandu",
    ),
    (
        SessionFilter(exclude_participants=("pid00[1-4]",)),
        "NOT (p.participant_id_url IS NOT NULL AND p.participant_id_url ~ '^pid00[1-4]$')",
        "UTC",
    ),
]


@pytest.mark.postgres
@pytest.mark.parametrize("dump", ["edge", "edge_variant"])
@pytest.mark.parametrize("slug", ["edge_a", "edge_b", "edge_empty"])
@pytest.mark.parametrize(("filters", "condition"), EDGE_CASES)
def test_january_2025_samples_match_sql(pg, open_db, dump, slug, filters, condition):
    url = pg.load(dump)
    db = open_db(url)
    assert db.schema.release is Release.JAN_2025
    stats = stats_of(db, slug, filters)
    assert_same(stats.as_json(), expected_stats(url, slug, condition))
    check_bars(stats)


@pytest.mark.postgres
@pytest.mark.parametrize("slug", ["block-a", "block-b", "block-c-empty"])
@pytest.mark.parametrize(("filters", "condition", "zone"), SAMPLE2026_CASES)
def test_2026_sample_matches_sql(sample2026_url, open_db, slug, filters, condition, zone):
    db = open_db(sample2026_url)
    assert db.schema.release is Release.V2026
    stats = stats_of(db, slug, filters, zone)
    assert_same(stats.as_json(), expected_stats(sample2026_url, slug, condition, zone))
    check_bars(stats)


# ---------------------------------------------------------------------------------------------
# Written blocks: the awkward cases, on both releases and on SQLite


@pytest.fixture(scope="module", params=[Release.JAN_2025, Release.V2026], ids=["2025-01", "2026"])
def written_url(request, pg):
    release = request.param
    url = pg.create(f"stats_{release.name.lower()}")
    pg.psql(url, "-f", str(SCHEMA / f"postgres-{release.value}.sql"))
    write_blocks(url, release)
    return url


@pytest.fixture(scope="module")
def written_sqlite(tmp_path_factory):
    url = sqlite_url(sqlite_database(tmp_path_factory.mktemp("stats") / "muscle.sqlite3"))
    write_blocks(url)
    return url


CASES = [
    (NO_FILTER, "TRUE", "UTC"),
    (NO_FILTER, "TRUE", AMSTERDAM),  # the session at 23:30 UTC is on the next day in Amsterdam
    (SessionFilter(finished_only=True), "s.finished_at IS NOT NULL", "UTC"),
    (
        SessionFilter(started_after="2024-03-01T13:00"),
        "s.started_at >= TIMESTAMPTZ '2024-03-01 13:00+00'",
        "UTC",
    ),
    (
        SessionFilter(started_before="2024-03-02"),  # midnight in Amsterdam: 23:00 UTC
        "s.started_at < TIMESTAMPTZ '2024-03-01 23:00+00'",
        AMSTERDAM,
    ),
    (
        SessionFilter(exclude_participants=("prolific_*", "test-?")),
        "p.participant_id_url IS NULL OR p.participant_id_url NOT IN ('prolific_1', 'test-3')",
        "UTC",
    ),
]


@pytest.mark.postgres
@pytest.mark.parametrize("slug", list(BLOCKS))
@pytest.mark.parametrize(("filters", "condition", "zone"), CASES)
def test_written_blocks_match_sql(written_url, open_db, slug, filters, condition, zone):
    db = open_db(written_url)
    stats = stats_of(db, slug, filters, zone)
    assert_same(stats.as_json(), expected_stats(written_url, slug, condition, zone))
    check_bars(stats)


@pytest.mark.postgres
@pytest.mark.parametrize("slug", list(BLOCKS))
@pytest.mark.parametrize(("filters", "condition", "zone"), CASES)
def test_sqlite_equals_postgresql(written_url, written_sqlite, open_db, slug, filters, condition, zone):
    on_pg = stats_of(open_db(written_url), slug, filters, zone)
    on_sqlite = stats_of(open_db(written_sqlite), slug, filters, zone)
    assert_same(on_sqlite.as_json(), on_pg.as_json())
    for name in ("final_score_histogram", "decision_time_histogram", "duration_histogram"):
        assert getattr(on_sqlite, name) == getattr(on_pg, name), name


@pytest.mark.postgres
def test_the_mixed_block_in_figures(written_url, open_db):
    """The figures worked out by hand: only JSON numbers are decision times, profile answers are no
    results, the returning participant counts once, the empty country code is ""."""
    utc = stats_of(open_db(written_url), "mixed")
    figures = utc.as_json()
    assert (figures["sessions"], figures["finished"], figures["participants"]) == (6, 4, 5)
    assert (figures["returning_participants"], figures["results"]) == (1, 14)
    assert figures["results_per_session"] == {"min": 0, "median": 1.5, "max": 9}
    # 0.25, 0.5, 1.5, 2, 3.75, 10: not "1.5", null, true, an array, a string holding JSON.
    assert figures["decision_time"] == {"p25": 0.75, "median": 1.75, "p75": 3.3125}
    assert figures["duration_seconds"] == {"p25": 31.9375, "median": 66.125, "p75": 217.625}
    assert figures["final_score"] == {"mean": 5.125, "median": 5.25, "min": 0.0, "max": 10.0}
    assert figures["countries"] == [
        {"country": "nl", "participants": 2},
        {"country": "", "participants": 1},
        {"country": "NL", "participants": 1},
        {"country": "be", "participants": 1},
    ]
    assert [day["date"] for day in figures["sessions_per_day"]] == ["2024-03-01", "2024-03-02"]
    amsterdam = stats_of(open_db(written_url), "mixed", zone=AMSTERDAM).as_json()["sessions_per_day"]
    assert [(d["date"], d["started"], d["finished"]) for d in amsterdam] == [
        ("2024-03-01", 3, 2),
        ("2024-03-02", 3, 2),
    ]
    assert [n for *_, n in utc.decision_time_histogram] == [2, 0, 1, 1, 0, 0, 0, 1] + [0] * 11 + [1]
    assert utc.decision_time_histogram[0][0] == 0.25 and utc.decision_time_histogram[-1][1] == 10.0


@pytest.mark.postgres
def test_empty_block_has_nulls_and_no_bars(written_url, open_db):
    stats = stats_of(open_db(written_url), "empty")
    figures = stats.as_json()
    assert list(figures) == list(JSON_KEYS)
    assert figures["completion_rate"] is None and figures["sessions_per_day"] == figures["countries"] == []
    for key in ("results_per_session", "duration_seconds", "final_score", "decision_time"):
        assert set(figures[key].values()) == {None}, key  # type: ignore[union-attr]
    assert stats.final_score_histogram == stats.decision_time_histogram == stats.duration_histogram == []


@pytest.mark.postgres
def test_null_country_code_counts_as_empty(pg, open_db):
    url = pg.create("stats_null_country")
    pg.psql(url, "-f", str(SCHEMA / "postgres-2025-01.sql"))
    write_blocks(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE participant_participant ALTER COLUMN country_code DROP NOT NULL"))
        conn.execute(text("UPDATE participant_participant SET country_code = NULL WHERE id IN (903, 905)"))
    engine.dispose()
    figures = stats_of(open_db(url), "mixed").as_json()
    assert figures["countries"] == [{"country": "", "participants": 3}, {"country": "nl", "participants": 2}]
    assert_same(figures, expected_stats(url, "mixed"))


# ---------------------------------------------------------------------------------------------
# The demo database (SQLite) equals the same rows in PostgreSQL


@pytest.fixture(scope="module")
def demo_pg_url(pg):
    url = pg.create("stats_demo")
    pg.psql(url, "-f", str(DUMPS["empty2026"]))
    copy_demo(url)
    return url


@pytest.mark.postgres
@pytest.mark.parametrize("zone", ["UTC", AMSTERDAM])
def test_demo_on_sqlite_equals_postgresql(demo_database, demo_pg_url, open_db, zone):
    on_pg = open_db(demo_pg_url)
    slugs = [block.slug for block in demo_database.blocks()]
    assert slugs == [block.slug for block in on_pg.blocks()] and len(slugs) >= 5
    for slug in slugs:
        pg_stats = stats_of(on_pg, slug, zone=zone)
        lite_stats = stats_of(demo_database, slug, zone=zone)
        # SQLite's julianday keeps milliseconds: durations agree to the millisecond.
        assert_same(lite_stats.as_json(), pg_stats.as_json(), slug, rel=1e-12, abs_=1e-3)
        assert_same(pg_stats.as_json(), expected_stats(demo_pg_url, slug, zone=zone), slug)
        for name in ("final_score_histogram", "decision_time_histogram"):
            assert getattr(lite_stats, name) == getattr(pg_stats, name), (slug, name)
        lite_bars, pg_bars = lite_stats.duration_histogram, pg_stats.duration_histogram
        assert [n for *_, n in lite_bars] == [n for *_, n in pg_bars], slug
    filtered = SessionFilter(finished_only=True, started_after="2025-10-01")
    assert_same(
        stats_of(demo_database, slugs[0], filtered, zone).as_json(),
        stats_of(on_pg, slugs[0], filtered, zone).as_json(),
        abs_=1e-3,
    )


# ---------------------------------------------------------------------------------------------
# Values PostgreSQL or SQLite cannot hold as numbers are left out, never an error


@pytest.mark.postgres
def test_absurd_values_on_postgresql_are_left_out(pg, open_db):
    url = pg.create("stats_absurd")
    pg.psql(url, "-f", str(SCHEMA / "postgres-2025-01.sql"))
    write_blocks(url)
    before = stats_of(open_db(url), "single")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            session = conn.execute(
                text(
                    "SELECT s.id FROM session_session s JOIN experiment_block b ON b.id = s.block_id "
                    "WHERE b.slug = 'single'"
                )
            ).scalar_one()
            for document in ('{"decision_time": 1e400}', '{"decision_time": -1e-400}'):
                conn.execute(
                    text(
                        "INSERT INTO result_result (id, created_at, question_key, comment, scoring_rule, "
                        "session_id, json_data) VALUES ((SELECT max(id) + 1 FROM result_result), now(), "
                        "'q', '', '', :s, CAST(:j AS jsonb))"
                    ),
                    {"s": session, "j": document},
                )
        after = stats_of(open_db(url), "single")
        assert after.decision_time == before.decision_time
        assert after.results == before.results + 2
        for score in ("NaN", "Infinity", "-Infinity"):
            with engine.begin() as conn:
                conn.execute(
                    text("UPDATE session_session SET final_score = CAST(:v AS float8) WHERE id = :s"),
                    {"v": score, "s": session},
                )
            weird = stats_of(open_db(url), "single")
            assert set(weird.final_score.values()) == {None} and weird.final_score_histogram == []
            json.dumps(weird.as_json(), allow_nan=False)
    finally:
        engine.dispose()


def test_bad_rows_on_sqlite_are_left_out(tmp_path, open_db):
    path = sqlite_database(tmp_path / "bad.sqlite3")
    url = sqlite_url(path)
    write_blocks(url)
    before = stats_of(open_db(url), "mixed")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("PRAGMA ignore_check_constraints = ON"))  # MUSCLE's schema checks JSON_VALID
        conn.execute(text("UPDATE result_result SET json_data = 'not json {' WHERE json_data LIKE '%1.5%'"))
        conn.execute(
            text(
                "UPDATE result_result SET json_data = '{\"decision_time\": 1e999}' "
                "WHERE json_data LIKE '%: 10}'"
            )
        )
        conn.execute(text("UPDATE session_session SET started_at = 'yesterday' WHERE participant_id = 904"))
        conn.execute(text("UPDATE session_session SET final_score = 'lots' WHERE participant_id = 903"))
    engine.dispose()
    after = stats_of(open_db(url), "mixed")
    figures = after.as_json()
    json.dumps(figures, allow_nan=False)
    assert figures["decision_time"]["median"] == 1.25  # 0.25 0.5 1.5 2 3.75 10 -> 0.25 0.5 2 3.75
    assert sum(day.started for day in after.sessions_per_day) == before.sessions - 1
    assert figures["final_score"]["min"] == 0.0 and after.finished == before.finished


# ---------------------------------------------------------------------------------------------
# Unknown blocks and time zones; the Python percentiles and bars are PostgreSQL's


def test_unknown_block_and_time_zone_are_one_line(demo_database):
    with pytest.raises(NotFoundError, match="no block with slug 'nope'"):
        stats_of(demo_database, "nope")
    with pytest.raises(FilterError, match="unknown time zone 'Mars/Olympus'"):
        stats_of(demo_database, "hooked-eurovision", zone="Mars/Olympus")


@pytest.mark.postgres
def test_python_percentiles_and_bars_equal_postgresql(pg):
    rng = random.Random(13)
    engine = create_engine(pg.admin)
    try:
        with engine.connect() as conn:
            for size in (1, 2, 3, 4, 7, 10, 101, 1000):
                values = sorted(
                    rng.choice([rng.uniform(-5, 50), rng.expovariate(0.3), 3.0]) for _ in range(size)
                )
                fractions = [0.25, 0.5, 0.75, 0.1, 0.9, 0.0, 1.0, 1 / 3]
                want = conn.execute(
                    text(
                        "SELECT percentile_cont(CAST(:f AS float8[])) WITHIN GROUP (ORDER BY v) "
                        "FROM unnest(CAST(:v AS float8[])) v"
                    ),
                    {"f": fractions, "v": values},
                ).scalar_one()
                assert [percentile_cont(values, f) for f in fractions] == want
                got, counts = summarise_sorted(iter(values), size, QUARTILES, (values[0], values[-1]), 20)
                assert got == want[:3]
                if values[0] < values[-1]:
                    buckets = conn.execute(
                        text(
                            "SELECT least(width_bucket(v, :lo, :hi, 20), 20), count(*) "
                            "FROM unnest(CAST(:v AS float8[])) v GROUP BY 1"
                        ),
                        {"lo": values[0], "hi": values[-1], "v": values},
                    ).all()
                    want_counts = [0] * 20
                    for bucket, n in buckets:
                        want_counts[bucket - 1] = n
                    assert counts == want_counts
    finally:
        engine.dispose()
