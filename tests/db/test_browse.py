"""Browsing a block (`muscle_tui.db.browse`) against SQL written here, on both schema releases and SQLite.

Databases: edge (January 2025) and sample2026 (2026) from MUSCLE's dumps, and a block of ties
written here (sessions sharing start times, scores, durations and result counts, unfinished ones,
participant ids with `%`, `_` and `\\`) on PostgreSQL and on SQLite. The expected orders come from
plain SQL on PostgreSQL and from Python over the raw rows on SQLite (whose timestamps are text).
"""

from __future__ import annotations

import fnmatch
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from muscle_tui.db.browse import (
    SESSION_SORTS,
    PageKey,
    SessionQuery,
    SessionRow,
    block_feedback,
    count_participants,
    count_sessions,
    iter_sessions,
    participant_page,
    session_detail,
    session_key,
    session_page,
)
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import FilterError, SessionFilter
from muscle_tui.errors import NotFoundError
from tests.support.csv_blocks import (
    SCHEMA,
    BlockWriter,
    Profile,
    Result,
    Session,
    at,
    sqlite_database,
    sqlite_url,
)

URLS = ["Pro_lific%1", "prolific_2", None, "ABC", "a\\b", "zz", "", "x_y", "100%", "Mixed_Case"]
PARTICIPANTS = [1000 + i for i in range(len(URLS))]


def tie_sessions() -> list[Session]:
    """Sessions with many ties: starts, scores, durations and result counts repeat; some unfinished."""
    rng = random.Random(12)
    sessions = []
    for i in range(17):
        start = rng.choice([0, 60, 60, 120, 3600, 3600.5])
        finished = None if i % 4 == 1 else at(start + rng.choice([300, 300, 420, 90]))
        results = [
            Result(
                created_at=at(start + 10 + k),
                question_key=f"q{k}",
                expected_response="A",
                given_response=rng.choice(["A", "B", None]),
                score=rng.choice([1.0, 0.0, None]),
                song=rng.choice([None, "Song One", "Song Two"]),
                json_data={"decision_time": 1.5 + k, "k": [i, k]} if k % 3 else None,
            )
            for k in range(rng.choice([0, 1, 2, 2, 3]))
        ]
        participant = PARTICIPANTS[i % len(PARTICIPANTS)]
        sessions.append(
            Session(
                results=results,
                json_data={"i": i, "nested": {"a": [1, 2]}} if i % 3 else None,
                profile=[Profile("age", str(20 + i), None, at(-100)), Profile("msi", None, 2.0, at(-50))],
                started_at=at(start),
                finished_at=finished,
                final_score=rng.choice([0.0, 1.0, 1.0, 2.5]),
                participant_id=participant,
            )
        )
    return sessions


def fill(url: URL) -> None:
    writer = BlockWriter(url)
    try:
        writer.write_block("ties", tie_sessions())
        writer.write_block("other", [Session(started_at=at(5)), Session(started_at=at(6))])
        writer.write_block("quiet", [])
    finally:
        writer.close()
    engine = create_engine(url)
    with engine.begin() as conn:
        for participant, value in zip(PARTICIPANTS, URLS, strict=True):
            conn.execute(
                text("UPDATE participant_participant SET participant_id_url = :u WHERE id = :id"),
                {"u": value, "id": participant},
            )
        # A session of no block, and the block's feedback.
        conn.execute(
            text(
                "UPDATE session_session SET block_id = NULL WHERE id = "
                "(SELECT MAX(id) FROM session_session WHERE block_id = "
                "(SELECT id FROM experiment_block WHERE slug = 'other'))"
            )
        )
        for i, body in enumerate(["Great!", "Line one\nline two\t[b]x[/b]", "\x1b[31mred"]):
            conn.execute(
                text(
                    "INSERT INTO experiment_feedback (id, text, block_id) "
                    "VALUES (:id, :t, (SELECT id FROM experiment_block WHERE slug = 'ties'))"
                ),
                {"id": 10 + i, "t": body},
            )
    engine.dispose()


@dataclass(frozen=True)
class Target:
    url: URL
    slug: str

    @property
    def sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


@pytest.fixture(scope="module")
def ties_pg(pg) -> URL:
    url = pg.create("browse_ties")
    pg.psql(url, "-f", str(SCHEMA / "postgres-2025-01.sql"))
    fill(url)
    return url


@pytest.fixture(scope="module")
def ties_sqlite(tmp_path_factory) -> URL:
    path = sqlite_database(tmp_path_factory.mktemp("browse") / "muscle.sqlite3")
    url = sqlite_url(path)
    fill(url)
    conn = sqlite3.connect(path)
    # As SQLite copies may hold them: a start written with an offset, and text that is not JSON.
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute(
        "UPDATE session_session SET started_at = '2024-03-01 13:00:00.500000+01:00' WHERE id = "
        "(SELECT MIN(id) FROM session_session)"
    )
    conn.execute(
        "UPDATE session_session SET json_data = 'not json {' WHERE id = (SELECT MAX(id) FROM session_session WHERE block_id = 1)"
    )
    conn.execute(
        "UPDATE result_result SET json_data = '{\"decision_time\": ' WHERE id = (SELECT MAX(id) FROM result_result WHERE session_id IS NOT NULL)"
    )
    conn.commit()
    conn.close()
    return url


TARGETS = {
    "ties_pg": ("ties_pg", "ties"),
    "ties_sqlite": ("ties_sqlite", "ties"),
    "edge_a": ("edge_url", "edge_a"),
    "edge_b": ("edge_url", "edge_b"),
    "block_a_2026": ("sample2026_url", "block-a"),
}


@pytest.fixture(params=list(TARGETS))
def target(request) -> Target:
    fixture, slug = TARGETS[request.param]
    return Target(request.getfixturevalue(fixture), slug)


_OPEN: dict[str, object] = {}
"""Databases and engines of this module, opened once (closed by `close_databases`)."""


@pytest.fixture(scope="module", autouse=True)
def close_databases() -> Iterator[None]:
    yield
    for opened in _OPEN.values():
        opened.close() if isinstance(opened, MuscleDatabase) else opened.dispose()  # type: ignore[attr-defined]
    _OPEN.clear()


def database(url: URL) -> MuscleDatabase:
    key = "db:" + url.render_as_string(hide_password=False)
    if key not in _OPEN:
        _OPEN[key] = MuscleDatabase.open(url, "browse")
    return _OPEN[key]  # type: ignore[return-value]


@pytest.fixture
def snap(target: Target) -> Iterator:
    with database(target.url).snapshot() as snapshot:
        yield snapshot


# ---------------------------------------------------------------------------------------------
# The expected sessions, independently of muscle-tui's code.

PG_SORTS = {
    "started_at": "s.started_at",
    "id": "s.id",
    "participant_id": "s.participant_id",
    "participant_url_id": "COALESCE(p.participant_id_url, '')",
    "finished_at": "s.finished_at",
    "duration_seconds": "EXTRACT(EPOCH FROM s.finished_at - s.started_at)",
    "final_score": "s.final_score",
    "results": "(SELECT count(*) FROM result_result r WHERE r.session_id = s.id)",
}


def query_rows(url: URL, sql: str, **params) -> list:
    key = "engine:" + url.render_as_string(hide_password=False)
    if key not in _OPEN:
        _OPEN[key] = create_engine(url)
    with _OPEN[key].connect() as conn:  # type: ignore[attr-defined]
        return list(conn.execute(text(sql), params))


def raw_sessions(target: Target, where: str = "TRUE") -> list[SessionRow]:
    """The block's sessions as plain SQL reads them; times parsed here on SQLite."""
    rows = query_rows(
        target.url,
        "SELECT s.id, s.participant_id, COALESCE(p.participant_id_url, ''), "
        f"CAST(s.started_at AS TEXT), CAST(s.finished_at AS TEXT), s.final_score, "
        "(SELECT count(*) FROM result_result r WHERE r.session_id = s.id) "
        "FROM session_session s JOIN experiment_block b ON b.id = s.block_id "
        "LEFT JOIN participant_participant p ON p.id = s.participant_id "
        f"WHERE b.slug = :slug AND ({where}) ORDER BY s.id",
        slug=target.slug,
    )
    out = []
    for sid, pid, url, started, finished, score, results in rows:
        start = parse_time(started)
        end = parse_time(finished)
        duration = None if end is None or start is None else (end - start).total_seconds()
        out.append(SessionRow(sid, pid, url, start, end, duration, score, results))
    return out


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    value = value.replace("+00", "+00:00") if value.endswith("+00") else value
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def expected_ids(target: Target, sort: str, descending: bool = False, where: str = "TRUE") -> list[int]:
    if target.sqlite:
        rows = raw_sessions(target, where)

        def key(row: SessionRow) -> tuple:
            value = getattr(row, sort)
            return (value is None, 0 if value is None else value, row.id)

        ordered = sorted(rows, key=key)
        ids = [r.id for r in ordered]
    else:
        ids = [
            row[0]
            for row in query_rows(
                target.url,
                "SELECT s.id FROM session_session s JOIN experiment_block b ON b.id = s.block_id "
                "LEFT JOIN participant_participant p ON p.id = s.participant_id "
                f"WHERE b.slug = :slug AND ({where}) ORDER BY {PG_SORTS[sort]} ASC NULLS LAST, s.id ASC",
                slug=target.slug,
            )
        ]
    return ids[::-1] if descending else ids


def walk_forward(snap, query: SessionQuery, limit: int) -> list[SessionRow]:
    rows = session_page(snap, query, limit=limit)
    seen = list(rows)
    for _ in range(1000):
        if not rows:
            return seen
        rows = session_page(snap, query, after=session_key(rows[-1], query.sort), limit=limit)
        seen.extend(rows)
    raise AssertionError("paging forward never ended")


def walk_backward(snap, query: SessionQuery, limit: int) -> list[SessionRow]:
    rows = session_page(snap, query, limit=limit, last=True)
    seen = list(rows)
    for _ in range(1000):
        if not rows:
            return seen
        rows = session_page(snap, query, before=session_key(rows[0], query.sort), limit=limit)
        seen[:0] = rows
    raise AssertionError("paging backward never ended")


# ---------------------------------------------------------------------------------------------
# Sessions


@pytest.mark.postgres
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", SESSION_SORTS)
def test_pages_cover_every_session_once_in_order(target, snap, sort, descending) -> None:
    query = SessionQuery(target.slug, sort=sort, descending=descending)
    want = expected_ids(target, sort, descending)
    assert len(want) > 3
    every = session_page(snap, query, limit=1000)
    assert [r.id for r in every] == want
    for limit in (1, 3):
        assert [r.id for r in walk_forward(snap, query, limit)] == want
        assert [r.id for r in walk_backward(snap, query, limit)] == want
    assert [r.id for r in session_page(snap, query, limit=2, last=True)] == want[-2:]
    # Between two keys: the rows strictly between them.
    first, last = every[1], every[-2]
    between = session_page(
        snap, query, after=session_key(first, sort), before=session_key(last, sort), limit=1000
    )
    assert [r.id for r in between] == want[2:-2]
    assert [r.id for r in iter_sessions(snap, query, batch=2)] == want
    assert count_sessions(snap, query) == len(want)


@pytest.mark.postgres
def test_rows_hold_what_sql_reads(target, snap) -> None:
    want = {row.id: row for row in raw_sessions(target)}
    got = {row.id: row for row in iter_sessions(snap, SessionQuery(target.slug))}
    assert got.keys() == want.keys()
    for sid, row in got.items():
        expected = want[sid]
        assert row.started_at == expected.started_at and row.started_at.tzinfo == UTC
        assert row.finished_at == expected.finished_at
        assert (row.participant_id, row.participant_url_id) == (
            expected.participant_id,
            expected.participant_url_id,
        )
        assert row.final_score == expected.final_score and row.results == expected.results
        if expected.duration_seconds is None:
            assert row.duration_seconds is None
        else:  # SQLite's julianday() counts milliseconds
            assert row.duration_seconds == pytest.approx(expected.duration_seconds, abs=0.001)


STATUS_SQL = {"all": "TRUE", "finished": "s.finished_at IS NOT NULL", "unfinished": "s.finished_at IS NULL"}


@pytest.mark.postgres
@pytest.mark.parametrize("status", list(STATUS_SQL))
def test_status_filter(target, snap, status) -> None:
    query = SessionQuery(target.slug, status=status, sort="finished_at", descending=True)
    want = expected_ids(target, "finished_at", True, STATUS_SQL[status])
    assert [r.id for r in walk_forward(snap, query, 2)] == want
    assert [r.id for r in walk_backward(snap, query, 2)] == want
    assert count_sessions(snap, query) == len(want)
    if status == "unfinished":
        assert want, "every database here has an unfinished session"


def text_matches(row: SessionRow, needle: str) -> bool:
    needle = needle.strip().lower()
    return needle in str(row.participant_id) or needle in row.participant_url_id.lower()


@pytest.mark.postgres
@pytest.mark.parametrize("needle", ["%", "_", "PRO", "lific_", "1", "\\", "100%", "  zz ", "no such", ""])
def test_participant_text_filter(target, snap, needle) -> None:
    query = SessionQuery(target.slug, participant_text=needle, sort="participant_url_id")
    rows = raw_sessions(target)
    chosen = {r.id for r in rows if text_matches(r, needle)}
    want = [i for i in expected_ids(target, "participant_url_id") if i in chosen]
    assert [r.id for r in walk_forward(snap, query, 2)] == want
    assert [r.id for r in walk_backward(snap, query, 3)] == want
    assert count_sessions(snap, query) == len(want)


def test_wildcards_in_the_text_are_literal(ties_pg, ties_sqlite) -> None:
    for url in (ties_pg, ties_sqlite):
        with database(url).snapshot() as snap:

            def urls(needle: str) -> set[str]:
                query = SessionQuery("ties", participant_text=needle)
                return {r.participant_url_id for r in iter_sessions(snap, query)}

            assert urls("%") == {"Pro_lific%1", "100%"}
            assert urls("_l") == {"Pro_lific%1"}
            assert urls("\\") == {"a\\b"}
            assert urls("mixed_case") == {"Mixed_Case"}


FILTERS = [
    SessionFilter(finished_only=True),
    SessionFilter(exclude_participants=("*l*", "A?C")),
    SessionFilter(started_after="2024-03-01T12:30"),
    SessionFilter(started_before="2024-03-02T04:00+01:00", exclude_participants=("[!p]*",)),
]


@pytest.mark.postgres
@pytest.mark.parametrize("filters", FILTERS)
def test_session_filters(target, snap, filters) -> None:
    query = SessionQuery(target.slug, filters=filters, status="finished", participant_text="1")
    after, before = filters.bounds("UTC")
    urls = dict(query_rows(target.url, "SELECT id, participant_id_url FROM participant_participant"))

    def chosen(row: SessionRow) -> bool:
        if row.finished_at is None or not text_matches(row, "1"):
            return False
        url = urls.get(row.participant_id)
        if url is not None and any(fnmatch.fnmatchcase(url, g) for g in filters.exclude_participants):
            return False
        if after is not None and row.started_at < after:
            return False
        return before is None or row.started_at < before

    rows = {r.id: r for r in raw_sessions(target)}
    want = [i for i in expected_ids(target, "started_at") if i in rows and chosen(rows[i])]
    assert [r.id for r in walk_forward(snap, query, 2)] == want
    assert count_sessions(snap, query) == len(want)


@pytest.mark.postgres
def test_filter_dates_are_read_in_the_time_zone(target, snap) -> None:
    rows = raw_sessions(target)
    middle = sorted(r.started_at for r in rows)[len(rows) // 2]
    local = middle.astimezone(ZoneInfo("Asia/Tokyo")).replace(tzinfo=None)
    filters = SessionFilter(started_after=local.isoformat())
    query = SessionQuery(target.slug, filters=filters, time_zone="Asia/Tokyo")
    assert [r.id for r in iter_sessions(snap, query)] == [
        i
        for i in expected_ids(target, "started_at")
        if next(r for r in rows if r.id == i).started_at >= middle
    ]


@pytest.mark.postgres
def test_unknown_block_is_not_found(snap) -> None:
    query = SessionQuery("no-such-block")
    for call in (
        lambda: count_sessions(snap, query),
        lambda: session_page(snap, query),
        lambda: list(iter_sessions(snap, query)),
        lambda: count_participants(snap, "no-such-block"),
        lambda: participant_page(snap, "no-such-block"),
        lambda: block_feedback(snap, "no-such-block"),
    ):
        with pytest.raises(NotFoundError, match="no-such-block"):
            call()


def test_an_empty_block_has_no_rows(ties_sqlite) -> None:
    with database(ties_sqlite).snapshot() as snap:
        query = SessionQuery("quiet")
        assert count_sessions(snap, query) == 0
        assert session_page(snap, query) == [] == session_page(snap, query, last=True)
        assert list(iter_sessions(snap, query)) == []
        assert participant_page(snap, "quiet") == [] and block_feedback(snap, "quiet") == []
        assert session_page(snap, SessionQuery("ties"), limit=0) == []


def test_bad_query_is_one_line() -> None:
    with pytest.raises(FilterError, match="unknown session sort 'colour'"):
        SessionQuery("x", sort="colour")
    with pytest.raises(FilterError, match="unknown session status"):
        SessionQuery("x", status="done")  # type: ignore[arg-type]
    with pytest.raises(FilterError, match="unknown time zone"):
        SessionQuery("x", time_zone="Mars/Olympus")
    row = SessionRow(1, 2, "", None, None, None, None, 0)
    assert session_key(row, "results") == PageKey(0, 1)
    with pytest.raises(FilterError):
        session_key(row, "colour")


# ---------------------------------------------------------------------------------------------
# Participants and feedback


def expected_participants(target: Target, where: str = "TRUE") -> list[tuple]:
    return [
        tuple(row)
        for row in query_rows(
            target.url,
            "SELECT p.id, COALESCE(p.participant_id_url, ''), p.unique_hash, p.country_code, "
            "COALESCE(p.access_info, ''), count(s.id), "
            "(SELECT count(*) FROM result_result r WHERE r.participant_id = p.id) "
            "FROM participant_participant p JOIN session_session s ON s.participant_id = p.id "
            "JOIN experiment_block b ON b.id = s.block_id "
            f"WHERE b.slug = :slug AND ({where}) GROUP BY p.id, p.participant_id_url, p.unique_hash, "
            "p.country_code, p.access_info ORDER BY p.id",
            slug=target.slug,
        )
    ]


def as_tuple(row) -> tuple:
    return (
        row.id,
        row.participant_url_id,
        row.unique_hash,
        row.country_code,
        row.access_info,
        row.sessions,
        row.profile_answers,
    )


@pytest.mark.postgres
@pytest.mark.parametrize("finished_only", [False, True])
def test_participants(target, snap, finished_only) -> None:
    filters = SessionFilter(finished_only=finished_only)
    want = expected_participants(target, "s.finished_at IS NOT NULL" if finished_only else "TRUE")
    assert count_participants(snap, target.slug, filters) == len(want)
    forward, rows = [], participant_page(snap, target.slug, filters=filters, limit=2)
    while rows:
        forward.extend(rows)
        rows = participant_page(snap, target.slug, filters=filters, after=rows[-1].id, limit=2)
    assert [as_tuple(r) for r in forward] == want
    backward, rows = [], participant_page(snap, target.slug, filters=filters, limit=3, last=True)
    while rows:
        backward[:0] = rows
        rows = participant_page(snap, target.slug, filters=filters, before=rows[0].id, limit=3)
    assert [as_tuple(r) for r in backward] == want
    if len(want) > 3:
        between = participant_page(snap, target.slug, filters=filters, after=want[0][0], before=want[-1][0])
        assert [as_tuple(r) for r in between] == want[1:-1]


@pytest.mark.postgres
@pytest.mark.parametrize("needle", ["%", "_", "pro", "1"])
def test_participant_text(target, snap, needle) -> None:
    want = [
        row
        for row in expected_participants(target)
        if needle in str(row[0]) or needle.lower() in row[1].lower()
    ]
    assert [as_tuple(r) for r in participant_page(snap, target.slug, text=needle)] == want
    assert count_participants(snap, target.slug, text=needle) == len(want)


@pytest.mark.postgres
@pytest.mark.parametrize("fixture", ["edge_url", "sample2026_url", "ties_pg", "ties_sqlite"])
def test_feedback_is_every_text_whole(request, fixture) -> None:
    url = request.getfixturevalue(fixture)
    with database(url).snapshot() as snap:
        for slug in [row[0] for row in query_rows(url, "SELECT slug FROM experiment_block")]:
            want = query_rows(
                url,
                "SELECT f.id, f.text FROM experiment_feedback f JOIN experiment_block b "
                "ON b.id = f.block_id WHERE b.slug = :slug ORDER BY f.id",
                slug=slug,
            )
            got = block_feedback(snap, slug)
            assert [(r.id, r.text) for r in got] == [tuple(row) for row in want]
            assert block_feedback(snap, slug, limit=1) == got[:1]


# ---------------------------------------------------------------------------------------------
# One session in full


def loads(value):
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


@pytest.mark.postgres
def test_session_detail(target, snap) -> None:
    listed = {row.id: row for row in iter_sessions(snap, SessionQuery(target.slug))}
    for sid, row in listed.items():
        detail = session_detail(snap, sid)
        assert detail.session == row and detail.block_slug == target.slug
        [(raw,)] = query_rows(
            target.url, "SELECT CAST(json_data AS TEXT) FROM session_session WHERE id = :i", i=sid
        )
        assert detail.json_data == loads(raw)
        results = query_rows(
            target.url,
            "SELECT r.id, r.question_key, r.section_id, COALESCE(x.tag, ''), COALESCE(g.name, ''), "
            "COALESCE(g.artist, ''), r.expected_response, r.given_response, r.score, "
            "CAST(r.created_at AS TEXT), CAST(r.json_data AS TEXT) FROM result_result r "
            "LEFT JOIN section_section x ON x.id = r.section_id LEFT JOIN section_song g ON g.id = x.song_id "
            "WHERE r.session_id = :i ORDER BY r.created_at, r.id",
            i=sid,
        )
        assert len(detail.results) == row.results == len(results)
        for position, (got, want) in enumerate(zip(detail.results, results, strict=True), start=1):
            data = loads(want[10])
            assert got.position == position
            assert (
                got.id,
                got.question_key,
                got.section_id,
                got.section_tag,
                got.song_name,
                got.song_artist,
            ) == tuple(want[:6])
            assert (got.expected_response, got.given_response, got.score) == tuple(want[6:9])
            assert got.created_at == parse_time(want[9])
            assert got.json_data == data
            assert got.decision_time == (data.get("decision_time") if isinstance(data, dict) else None)
        profile = query_rows(
            target.url,
            "SELECT id, question_key, given_response, score, CAST(created_at AS TEXT) FROM result_result "
            "WHERE participant_id = :p ORDER BY created_at, id",
            p=row.participant_id,
        )
        assert [(a.id, a.question_key, a.given_response, a.score, a.created_at) for a in detail.profile] == [
            (*want[:4], parse_time(want[4])) for want in profile
        ]


def test_session_detail_of_odd_sessions(ties_sqlite, ties_pg) -> None:
    for url in (ties_sqlite, ties_pg):
        with database(url).snapshot() as snap:
            [(orphan,)] = query_rows(url, "SELECT id FROM session_session WHERE block_id IS NULL")
            detail = session_detail(snap, orphan)
            assert detail.block_slug == "" and detail.results == [] and detail.json_data is None
            with pytest.raises(NotFoundError, match="no session with id 999999"):
                session_detail(snap, 999999)
            if url is ties_sqlite:
                [(broken,)] = query_rows(url, "SELECT MAX(id) FROM session_session WHERE block_id = 1")
                assert session_detail(snap, broken).json_data == "not json {"
                [(sid,)] = query_rows(
                    url, "SELECT session_id FROM result_result WHERE json_data = '{\"decision_time\": '"
                )
                bad = [r for r in session_detail(snap, sid).results if r.json_data == '{"decision_time": ']
                assert len(bad) == 1 and bad[0].decision_time is None
