"""Session filters (CSV-SPEC "Additions beyond MUSCLE's form") against plain SQL written here.

Each filter is checked on both schema releases on PostgreSQL (edge: January 2025, sample2026: 2026)
and on SQLite, for the CSV rows (sessions and results, row count, preview, progress total) and for
the JSON bundle's files. The expected sessions come from SQL that does not use muscle-tui's code.
"""

from __future__ import annotations

import fnmatch
import json
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, FilterError, SessionFilter, glob_to_sqlite
from muscle_tui.export.csv import CsvSelection, preview_csv, write_csv
from muscle_tui.export.json import count_json_objects, write_json_bundle
from tests.support.csv_blocks import Profile, Result, Session, read_dicts, sqlite_database, sqlite_url

IDS = CsvSelection(("session_id", "participant_id"), ("result_id",), frozenset({"export_profile"}))
MIDNIGHT_UTC = "+00"

# (filter, the plain SQL condition over session_session s and participant_participant p, per backend)
EDGE_CASES = [
    (SessionFilter(finished_only=True), "s.finished_at IS NOT NULL"),
    (
        SessionFilter(started_after="2024-03-01T20:00:00"),
        "s.started_at >= TIMESTAMPTZ '2024-03-01 20:00:00+00'",
    ),
    (SessionFilter(started_before="2024-03-02"), "s.started_at < TIMESTAMPTZ '2024-03-02 00:00:00+00'"),
    (
        SessionFilter(started_after="2024-03-01T23:00:00+02:00", started_before="2024-03-02T10:00:00+00:00"),
        "s.started_at >= TIMESTAMPTZ '2024-03-01 21:00:00+00' AND s.started_at < TIMESTAMPTZ '2024-03-02 10:00+00'",
    ),
    (
        SessionFilter(exclude_participants=("prolific_000*",)),
        "NOT (p.participant_id_url IS NOT NULL AND p.participant_id_url LIKE 'prolific\\_000%')",
    ),
    (
        SessionFilter(exclude_participants=("*[!0-2]", "prolific_001?")),
        "NOT (p.participant_id_url IS NOT NULL AND (p.participant_id_url ~ '[^0-2]$' "
        "OR p.participant_id_url LIKE 'prolific\\_001_'))",
    ),
    (
        SessionFilter(
            finished_only=True, started_before="2024-03-02T02:00", exclude_participants=("PROLIFIC*",)
        ),
        "s.finished_at IS NOT NULL AND s.started_at < TIMESTAMPTZ '2024-03-02 02:00+00'",
    ),
]
SAMPLE2026_CASES = [
    (SessionFilter(finished_only=True), "s.finished_at IS NOT NULL"),
    (SessionFilter(started_after="2025-03-01T12:00"), "s.started_at >= TIMESTAMPTZ '2025-03-01 12:00+00'"),
    (SessionFilter(started_before="2025-03-01T17:00Z"), "s.started_at < TIMESTAMPTZ '2025-03-01 17:00+00'"),
    (
        SessionFilter(exclude_participants=("pid00[1-4]",)),
        "NOT (p.participant_id_url IS NOT NULL AND p.participant_id_url ~ '^pid00[1-4]$')",
    ),
]


def expected_sessions(db_url, slug: str, condition: str) -> list[int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT s.id FROM session_session s "
                        "JOIN experiment_block b ON b.id = s.block_id "
                        "LEFT JOIN participant_participant p ON p.id = s.participant_id "
                        f"WHERE b.slug = :slug AND ({condition}) ORDER BY s.id"
                    ),
                    {"slug": slug},
                ).scalars()
            )
    finally:
        engine.dispose()


def related(db_url, sessions: list[int]) -> dict[str, set[int]]:
    """Results, participants and profile answers of these sessions, by plain SQL."""
    engine = create_engine(db_url)
    ids = ",".join(str(i) for i in sessions) or "NULL"
    try:
        with engine.connect() as conn:

            def ids_of(query: str) -> set[int]:
                return set(conn.execute(text(query)).scalars())

            participants = ids_of(f"SELECT participant_id FROM session_session WHERE id IN ({ids})")
            people = ",".join(str(i) for i in participants) or "NULL"
            return {
                "results": ids_of(f"SELECT id FROM result_result WHERE session_id IN ({ids})"),
                "participants": participants,
                "profiles": ids_of(f"SELECT id FROM result_result WHERE participant_id IN ({people})"),
            }
    finally:
        engine.dispose()


def check_csv(
    db: MuscleDatabase, db_url, slug: str, filters: SessionFilter, sessions: list[int], tmp_path: Path
):
    path = tmp_path / "filtered.csv"
    reports = []
    result = write_csv(db, slug, IDS, path, filters=filters, force=True, progress=reports.append)
    header, rows = read_dicts(path)
    assert header[:2] == ["session_id", "participant_id"]
    assert (header[-1] == "result_id") == bool(related(db_url, sessions)["results"])
    got = list(dict.fromkeys(int(row["session_id"]) for row in rows))
    assert got == sessions
    want = related(db_url, sessions)
    assert {int(row["result_id"]) for row in rows if row.get("result_id")} == want["results"]
    assert {int(row["participant_id"]) for row in rows if row["participant_id"]} <= want["participants"]
    assert result.count == len(rows)
    if reports:
        assert reports[-1].total == len(rows)
    preview = preview_csv(db, slug, IDS, limit=5, filters=filters)
    assert preview.total_rows == len(rows)
    assert preview.header == header
    assert [r[0] for r in preview.rows] == [row["session_id"] for row in rows[:5]]
    # The profile columns are those of the chosen sessions' participants only.
    wide = IDS.replace(options={"export_profile", "wide_format"})
    write_csv(db, slug, wide, path, filters=filters, force=True)
    wide_header, wide_rows = read_dicts(path)
    assert [int(row["session_id"]) for row in wide_rows] == sessions
    for column in wide_header[2:]:
        if not column.startswith("0"):
            assert any(row[column] for row in wide_rows), f"profile column {column} of no chosen session"


def check_bundle(
    db: MuscleDatabase, db_url, slug: str, filters: SessionFilter, sessions: list[int], tmp_path: Path
):
    want = related(db_url, sessions)
    full = tmp_path / "full"
    part = tmp_path / "part"
    write_json_bundle(db, slug, full, force=True)
    result = write_json_bundle(db, slug, part, filters=filters, force=True)

    def pks(directory: Path, name: str) -> list[int]:
        return [obj["pk"] for obj in json.loads((directory / name).read_text())]

    assert pks(part, "sessions.json") == sessions
    assert set(pks(part, "results.json")) == want["results"]
    assert set(pks(part, "participants.json")) == want["participants"]
    assert set(pks(part, "profiles.json")) == want["profiles"]
    for name in ("sections.json", "songs.json", "feedback.json"):
        assert (part / name).read_bytes() == (full / name).read_bytes()
    total = sum(
        len(pks(part, name))
        for name in (
            "sessions.json",
            "results.json",
            "participants.json",
            "profiles.json",
            "sections.json",
            "songs.json",
            "feedback.json",
        )
    )
    assert result.count == total == count_json_objects(db, slug, filters)


@pytest.fixture(scope="module")
def edge_db(edge_url):
    db = MuscleDatabase.open(edge_url, "edge")
    yield db
    db.close()


@pytest.fixture(scope="module")
def sample2026_db(sample2026_url):
    db = MuscleDatabase.open(sample2026_url, "sample2026")
    yield db
    db.close()


@pytest.mark.postgres
@pytest.mark.parametrize("slug", ["edge_a", "edge_b"])
@pytest.mark.parametrize(("filters", "condition"), EDGE_CASES)
def test_filters_on_january_2025(edge_db, edge_url, slug, filters, condition, tmp_path):
    sessions = expected_sessions(edge_url, slug, condition)
    everything = expected_sessions(edge_url, slug, "TRUE")
    assert sessions != everything or slug == "edge_b", "the case must leave some sessions out"
    check_csv(edge_db, edge_url, slug, filters, sessions, tmp_path)
    check_bundle(edge_db, edge_url, slug, filters, sessions, tmp_path)


@pytest.mark.postgres
@pytest.mark.parametrize("slug", ["block-a", "block-b"])
@pytest.mark.parametrize(("filters", "condition"), SAMPLE2026_CASES)
def test_filters_on_2026(sample2026_db, sample2026_url, slug, filters, condition, tmp_path):
    sessions = expected_sessions(sample2026_url, slug, condition)
    check_csv(sample2026_db, sample2026_url, slug, filters, sessions, tmp_path)
    check_bundle(sample2026_db, sample2026_url, slug, filters, sessions, tmp_path)


# ---------------------------------------------------------------------------------------------
# SQLite: timestamps are text, compared as instants; globs become GLOB patterns.


def at(day: int, hour: int, minute: int = 0, micro: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, 0, micro, tzinfo=UTC)


URLS = [None, "prolific_1", "prolific_2", "Prolific_3", "test-run", "", "a*b", "[x]"]


@pytest.fixture(scope="module")
def sqlite_block(tmp_path_factory):
    from tests.support.csv_blocks import BlockWriter

    path = sqlite_database(tmp_path_factory.mktemp("filters") / "muscle.sqlite3")
    writer = BlockWriter(sqlite_url(path))
    sessions = [
        Session(
            started_at=at(1 + i // 3, (i * 5) % 24, i, 999999 if i % 2 else 0),
            finished_at=at(5, 0) if i % 3 else None,
            profile=[Profile(f"q{i}", "yes")],
            results=[Result(created_at=at(6, i)) for _ in range(i % 3)],
        )
        for i in range(len(URLS))
    ]
    writer.write_block("lite", sessions)
    writer.close()
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT id FROM participant_participant ORDER BY id").fetchall()
    for (participant,), url in zip(rows, URLS, strict=True):
        conn.execute(
            "UPDATE participant_participant SET participant_id_url = ? WHERE id = ?", (url, participant)
        )
    # One start stored with an offset, as some SQLite copies hold them.
    conn.execute(
        "UPDATE session_session SET started_at = '2024-03-02 01:30:00+01:00' WHERE id = "
        "(SELECT MAX(id) FROM session_session)"
    )
    conn.commit()
    conn.close()
    return path


SQLITE_CASES = [
    (SessionFilter(finished_only=True), "s.finished_at IS NOT NULL"),
    (SessionFilter(started_after="2024-03-02"), "s.started_at >= '2024-03-02'"),
    (SessionFilter(started_before="2024-03-02T00:30:00.999999+00:00"), None),
    (SessionFilter(started_after="2024-03-01T05:01"), None),
    (SessionFilter(exclude_participants=("prolific_*",)), None),
    (SessionFilter(exclude_participants=("[!p]*", "a[*]b")), None),
    (SessionFilter(exclude_participants=("[[]x]",)), None),
]


def sqlite_expected(path: Path, filters: SessionFilter) -> list[int]:
    """The chosen sessions by SQL over the raw rows, dates and globs checked here in Python."""
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT s.id, s.started_at, s.finished_at, p.participant_id_url FROM session_session s "
        "LEFT JOIN participant_participant p ON p.id = s.participant_id ORDER BY s.id"
    ).fetchall()
    conn.close()
    chosen = []
    for session, started, finished, url in rows:
        start = datetime.fromisoformat(started)
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        if filters.finished_only and finished is None:
            continue
        after, before = filters.bounds("UTC")
        if (after is not None and start < after) or (before is not None and start >= before):
            continue
        if url is not None and any(fnmatch.fnmatchcase(url, g) for g in filters.exclude_participants):
            continue
        chosen.append(session)
    return chosen


@pytest.mark.parametrize(("filters", "condition"), SQLITE_CASES)
def test_filters_on_sqlite(sqlite_block, filters, condition, tmp_path):
    url = sqlite_url(sqlite_block)
    sessions = sqlite_expected(sqlite_block, filters)
    if condition is not None:
        assert sessions == expected_sessions(url, "lite", condition)
    assert 0 < len(sessions) < len(URLS)
    db = MuscleDatabase.open(url, "lite")
    try:
        check_csv(db, url, "lite", filters, sessions, tmp_path)
        check_bundle(db, url, "lite", filters, sessions, tmp_path)
    finally:
        db.close()


def test_no_filter_is_every_session(sqlite_block, tmp_path):
    url = sqlite_url(sqlite_block)
    db = MuscleDatabase.open(url, "lite")
    try:
        check_csv(db, url, "lite", NO_FILTER, sqlite_expected(sqlite_block, NO_FILTER), tmp_path)
    finally:
        db.close()


def test_sqlite_glob_matches_fnmatch():
    conn = sqlite3.connect(":memory:")
    rng = random.Random(11)
    for _ in range(2000):
        pattern = "".join(rng.choice("ab*?[]!^-.") for _ in range(rng.randint(1, 6)))
        for _ in range(4):
            name = "".join(rng.choice("ab*?[]!^-.") for _ in range(rng.randint(0, 5)))
            (matched,) = conn.execute("SELECT ? GLOB ?", (name, glob_to_sqlite(pattern))).fetchone()
            assert bool(matched) == fnmatch.fnmatchcase(name, pattern), (pattern, name)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"started_after": "yesterday"}, "'yesterday' is not a date"),
        ({"started_before": "2024-13-01"}, "is not a date"),
        ({"exclude_participants": "x*"}, "must be a list"),
        ({"finished_only": "yes"}, "true or false"),
        ({"colour": "red"}, "unknown filter 'colour'"),
    ],
)
def test_bad_filters_are_one_line(data, message):
    with pytest.raises(FilterError, match=message) as caught:
        SessionFilter.from_dict(data)
    assert "\n" not in str(caught.value)


def test_to_dict_and_back():
    filters = SessionFilter(True, "2024-03-01", None, ("test-*",))
    assert filters.to_dict() == {
        "finished_only": True,
        "started_after": "2024-03-01",
        "exclude_participants": ["test-*"],
    }
    assert SessionFilter.from_dict(filters.to_dict()) == filters
    assert NO_FILTER.is_empty() and not filters.is_empty()
