"""Helpers for the statistics tests (no tests here): small blocks with the awkward cases of issue 13,
written into databases of either MUSCLE release, and the demo database copied into PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from muscle_tui.db.schema import Release, build_metadata
from muscle_tui.demo.builder import demo_rows
from tests.support.csv_blocks import EPOCH, BlockWriter, Profile, Result, Session, at

DEFAULTS = {
    "text": "''",
    "character varying": "''",
    "jsonb": "'{}'",
    "json": "'{}'",
    "boolean": "false",
    "integer": "0",
    "bigint": "0",
    "smallint": "0",
    "double precision": "0",
    "timestamp with time zone": "now()",
}


def default_not_null(url: URL, tables: list[str]) -> None:
    """Give every NOT NULL column of `tables` without a default one, so rows written with only the
    columns muscle-tui knows (a 2026 block has more) can be inserted."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            columns = conn.execute(
                text(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = ANY(:tables) AND is_nullable = 'NO' "
                    "AND column_default IS NULL AND is_identity = 'NO'"
                ),
                {"tables": tables},
            ).all()
            for table, column, kind in columns:
                conn.execute(
                    text(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET DEFAULT {DEFAULTS[kind]}')
                )
    finally:
        engine.dispose()


def decision(value: object) -> dict[str, object]:
    return {"decision_time": value}


def mixed_sessions() -> list[Session]:
    """A returning participant, unfinished sessions, a session at 23:30 UTC (the next day in
    Amsterdam), an empty country code, and every kind of decision time that is not a number."""
    first = [
        Result(json_data=decision(1.5)),
        Result(json_data=decision("1.5")),  # a string is not a number
        Result(json_data=None),  # SQL NULL
        Result(json_data=decision(None)),  # JSON null
        Result(json_data=[1, 2]),
        Result(json_data=decision(True)),
        Result(json_data=decision(2)),
        Result(json_data={"other": 1}),
        Result(json_data="not an object"),
    ]
    late = EPOCH + timedelta(hours=11, minutes=30)  # 2024-03-01 23:30 UTC
    return [
        Session(
            results=first,
            participant_id=901,
            started_at=at(0),
            finished_at=at(600.5),
            final_score=10.0,
            profile=[Profile("dgf_gender_identity", "x"), Profile("msi_01", "3", 3.0)],
        ),
        Session(
            results=[Result(json_data=decision(0.25)), Result(json_data=decision(10))],
            participant_id=901,
            started_at=at(3600),
            finished_at=at(3600 + 42.25),
            final_score=7.5,
        ),
        Session(participant_id=902, country_code="", started_at=at(7200)),
        Session(
            results=[Result(json_data=decision(3.75))],
            participant_id=903,
            country_code="be",
            started_at=late,
            finished_at=late + timedelta(seconds=90),
            final_score=3.0,
        ),
        Session(
            results=[Result(json_data=decision(0.5)), Result(json_data='{"decision_time": 9}')],
            participant_id=904,
            started_at=at(20 * 3600),
        ),
        Session(
            participant_id=905, country_code="NL", started_at=at(21 * 3600), finished_at=at(21 * 3600 + 1)
        ),
    ]


def unfinished_sessions() -> list[Session]:
    """Two sessions, neither finished, one with results."""
    return [
        Session(results=[Result(json_data=decision(4.0))], participant_id=911),
        Session(participant_id=912, started_at=at(60)),
    ]


def single_session() -> list[Session]:
    """One finished session with two trial results."""
    return [
        Session(
            results=[Result(json_data=decision(1.25)), Result(json_data=decision(2.5))],
            participant_id=921,
            finished_at=at(75),
            final_score=2.0,
        )
    ]


BLOCKS = {
    "mixed": mixed_sessions,
    "unfinished": unfinished_sessions,
    "single": single_session,
    "empty": list,
}
URL_IDS = {901: "prolific_1", 903: "test-3"}


def write_blocks(url: URL, release: Release = Release.JAN_2025) -> None:
    """The BLOCKS in an empty database of `release`, with the participants' URL ids of URL_IDS."""
    if release is Release.V2026 and url.get_backend_name() == "postgresql":
        default_not_null(url, ["experiment_block"])
    writer = BlockWriter(url)
    try:
        for slug, sessions in BLOCKS.items():
            writer.write_block(slug, sessions())
    finally:
        writer.close()
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for participant, url_id in URL_IDS.items():
                conn.execute(
                    text("UPDATE participant_participant SET participant_id_url = :u WHERE id = :i"),
                    {"u": url_id, "i": participant},
                )
    finally:
        engine.dispose()


def copy_demo(url: URL) -> None:
    """The demo database's rows into an empty PostgreSQL database with MUSCLE's 2026 schema."""
    rows = demo_rows()
    default_not_null(url, list(rows))
    metadata = build_metadata(Release.V2026)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET TIME ZONE 'UTC'"))  # the demo's times are naive UTC
            for name, table_rows in rows.items():
                if table_rows:
                    conn.execute(metadata.tables[name].insert(), table_rows)
    finally:
        engine.dispose()
