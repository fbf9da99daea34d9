"""Catalog queries (experiments, blocks, names, counts) checked against plain SQL on both releases."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from muscle_tui.db.catalog import NO_EXPERIMENT
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.schema import Release
from muscle_tui.errors import NotFoundError, SchemaError

pytestmark = pytest.mark.postgres

EXPECTED_COUNTS_SQL = """
SELECT b.id, b.slug,
       (SELECT count(*) FROM session_session s WHERE s.block_id = b.id) AS sessions,
       (SELECT count(*) FROM session_session s WHERE s.block_id = b.id AND s.finished_at IS NOT NULL) AS finished,
       (SELECT count(DISTINCT participant_id) FROM session_session s WHERE s.block_id = b.id) AS participants,
       (SELECT count(*) FROM result_result r JOIN session_session s ON s.id = r.session_id
         WHERE s.block_id = b.id) AS results,
       (SELECT min(started_at) FROM session_session s WHERE s.block_id = b.id) AS first_session,
       (SELECT max(started_at) FROM session_session s WHERE s.block_id = b.id) AS last_session
FROM experiment_block b ORDER BY b.id
"""


def _expected(url: URL) -> dict[str, tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(EXPECTED_COUNTS_SQL)).all()
    engine.dispose()
    return {
        r.slug: (r.sessions, r.finished, r.participants, r.results, r.first_session, r.last_session)
        for r in rows
    }


def _open(url: URL) -> MuscleDatabase:
    return MuscleDatabase.open(url, "test")


@pytest.mark.parametrize(
    ("fixture", "release", "names"),
    [
        (
            "edge_url",
            Release.JAN_2025,
            {
                "edge_a": 'Edge block A, with comma & "quotes" 🎵',
                "edge_b": "Edge block B — Ünïcödé 中文",
                "edge_empty": "Edge block C (no sessions)",
            },
        ),
        (
            "sample2026_url",
            Release.V2026,
            {
                "block-a": "Block A: Beat ♪",
                "block-b": "Block B: Café Hooked",
                "block-c-empty": "Block C (no sessions)",
            },
        ),
    ],
)
def test_blocks_match_sql(request, fixture: str, release: Release, names: dict[str, str]) -> None:
    url = request.getfixturevalue(fixture)
    db = _open(url)
    try:
        assert db.schema.release is release
        blocks = db.blocks()
    finally:
        db.close()
    expected = _expected(url)
    assert [b.slug for b in blocks] == list(names)
    for block in blocks:
        assert block.name == names[block.slug]
        got = (
            block.sessions,
            block.finished_sessions,
            block.participants,
            block.results,
            block.first_session,
            block.last_session,
        )
        assert got == expected[block.slug], block.slug


@pytest.mark.parametrize(
    ("fixture", "slug", "name"),
    [
        ("edge_url", "edge_experiment", 'Edge Experiment — ünïcode, "quoted"'),
        ("sample2026_url", "lab-exp", "Lab Experiment – “Rhythm & Pitch”"),
    ],
)
def test_experiments_match_sql(request, fixture: str, slug: str, name: str) -> None:
    url = request.getfixturevalue(fixture)
    db = _open(url)
    try:
        experiments = db.experiments()
    finally:
        db.close()
    engine = create_engine(url)
    with engine.connect() as conn:
        sessions, participants, blocks = conn.execute(
            text(
                "SELECT count(s.id), count(DISTINCT s.participant_id), count(DISTINCT b.id) "
                "FROM experiment_block b JOIN experiment_phase p ON p.id = b.phase_id "
                "JOIN experiment_experiment e ON e.id = p.experiment_id "
                "LEFT JOIN session_session s ON s.block_id = b.id WHERE e.slug = :slug"
            ),
            {"slug": slug},
        ).one()
    engine.dispose()
    assert len(experiments) == 1
    (experiment,) = experiments
    assert (experiment.slug, experiment.name, experiment.active) == (slug, name, True)
    assert (experiment.blocks, experiment.sessions, experiment.participants) == (
        blocks,
        sessions,
        participants,
    )


@pytest.mark.parametrize("fixture", ["empty2025_url", "empty2026_url"])
def test_empty_schemas_of_both_releases_open(request, fixture: str) -> None:
    db = _open(request.getfixturevalue(fixture))
    try:
        assert db.experiments() == []
        assert db.blocks() == []
    finally:
        db.close()


@pytest.fixture(scope="module")
def reshaped_edge_url(pg) -> URL:
    """The edge sample with Dutch as the experiment's first language, a block without a phase,
    and an experiment without blocks."""
    url = pg.create("reshaped")
    pg.psql(url, "-f", "tests/reference/sample/2025-01/edge.sql")
    pg.psql(
        url,
        stdin="""
        UPDATE experiment_experimenttranslatedcontent SET index = 5 WHERE language = 'en';
        UPDATE experiment_block SET phase_id = NULL WHERE slug = 'edge_b';
        INSERT INTO experiment_experiment (id, active, slug) VALUES (2, false, 'lonely');
        """,
    )
    return url


def test_block_name_follows_experiments_first_language(reshaped_edge_url: URL) -> None:
    db = _open(reshaped_edge_url)
    try:
        blocks = {b.slug: b for b in db.blocks()}
        experiments = {e.slug: e for e in db.experiments()}
        orphans = db.blocks(None)
    finally:
        db.close()
    assert blocks["edge_a"].name == "Randblok A"
    # edge_empty has no Dutch name; edge_b has no experiment, hence no language.
    assert blocks["edge_empty"].name == ""
    assert blocks["edge_b"].name == ""
    assert blocks["edge_b"].experiment_id is None
    assert blocks["edge_b"].experiment_slug == NO_EXPERIMENT
    assert [b.slug for b in orphans] == ["edge_b"]
    assert experiments["edge_experiment"].name == "Randgeval experiment"
    assert experiments["edge_experiment"].blocks == 2
    assert experiments["lonely"].blocks == 0 and experiments["lonely"].name == ""
    assert experiments[NO_EXPERIMENT].id is None
    assert (experiments[NO_EXPERIMENT].blocks, experiments[NO_EXPERIMENT].sessions) == (1, 10)


def test_find_block_and_unknown_slug(edge_url: URL) -> None:
    db = _open(edge_url)
    try:
        assert db.block("edge_b").id == 2
        with pytest.raises(NotFoundError, match="no block with slug 'nope'"):
            db.block("nope")
        with pytest.raises(NotFoundError, match="no experiment"):
            db.experiment("nope")
        # Slugs are parameters, never SQL.
        with pytest.raises(NotFoundError):
            db.block("x'; drop table result_result; --")
        assert db.block("edge_a").results == 137
    finally:
        db.close()


def test_database_that_is_not_muscle(pg) -> None:
    url = pg.admin
    with pytest.raises(SchemaError, match="no MUSCLE tables"):
        _open(url)


@pytest.fixture(scope="module")
def damaged_url(pg) -> URL:
    url = pg.create("damaged")
    pg.psql(url, "-f", "tests/reference/schema/postgres-2026.sql")
    pg.psql(url, stdin="ALTER TABLE result_result DROP COLUMN json_data; DROP TABLE section_song CASCADE;")
    return url


def test_missing_column_and_table_are_named(damaged_url: URL) -> None:
    with pytest.raises(SchemaError) as info:
        _open(damaged_url)
    message = str(info.value)
    assert "column result_result.json_data" in message
    assert "table section_song" in message
    assert "\n" not in message


def test_sqlite_2025_schema_opens(sqlite2025_path) -> None:
    db = MuscleDatabase.open(URL.create("sqlite", database=str(sqlite2025_path)), "sqlite")
    try:
        assert db.schema.release is Release.JAN_2025
        assert db.blocks() == []
    finally:
        db.close()
