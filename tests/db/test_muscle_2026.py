"""The built-in template `muscle_2026`: MUSCLE 2026's own CSV (CSV-SPEC "MUSCLE 2026's own CSV").

The expectation is built independently of the engine: on the 2026 sample with plain SQL and Python's
csv module (`lineterminator="\\n"`, `str()` of the UTC datetimes and of the float scores), as MUSCLE
2026's `block_export_csv_results` writes it; on a tiny hand-written block, as literal text.
"""

from __future__ import annotations

import csv
import fnmatch
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import FilterError, SessionFilter
from muscle_tui.export.csv import CsvSelection, find_template, preview_csv, write_csv
from tests.support.csv_blocks import (
    NO_SONG,
    SCHEMA,
    BlockWriter,
    Profile,
    Result,
    Session,
    at,
    sqlite_database,
    sqlite_url,
)

HEADER = (
    "session__id,participant__id,participant__country_code,question_key,expected_response,"
    "given_response,created_at,score,section__song__name,section__song__artist,section__tag,section__group\n"
)
MUSCLE_2026 = find_template("muscle_2026").selection

RESULTS_SQL = """
SELECT r.session_id, s.participant_id, r.question_key, r.expected_response, r.given_response,
       r.created_at, r.score, so.name, so.artist, se.tag, se."group"
FROM result_result r
JOIN session_session s ON s.id = r.session_id
JOIN experiment_block b ON b.id = s.block_id
LEFT JOIN section_section se ON se.id = r.section_id
LEFT JOIN section_song so ON so.id = se.song_id
WHERE b.slug = :slug AND s.id = ANY(:sessions)
ORDER BY r.created_at, r.id
"""
PROFILES_SQL = """
SELECT r.participant_id, p.country_code, r.question_key, r.expected_response, r.given_response,
       r.created_at, r.score
FROM result_result r
JOIN participant_participant p ON p.id = r.participant_id
WHERE r.participant_id IN (SELECT participant_id FROM session_session WHERE id = ANY(:sessions))
ORDER BY r.created_at, r.id
"""
SESSIONS_SQL = """
SELECT s.id, s.started_at, s.finished_at, p.participant_id_url
FROM session_session s
JOIN experiment_block b ON b.id = s.block_id
LEFT JOIN participant_participant p ON p.id = s.participant_id
WHERE b.slug = :slug
"""


def muscle_cell(value: object) -> object:
    """What MUSCLE 2026's csv.writer gets: `str()` of the UTC datetime and of the float score."""
    if isinstance(value, datetime):
        return str(value.astimezone(UTC))
    if isinstance(value, float):
        return str(value)
    return value


def expected_csv(url, slug: str, kept=lambda started, finished, url_id: True) -> str:
    """MUSCLE 2026's CSV of the block, computed with plain SQL and Python's csv module."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            sessions = [
                row.id
                for row in conn.execute(text(SESSIONS_SQL), {"slug": slug})
                if kept(row.started_at, row.finished_at, row.participant_id_url)
            ]
            results = conn.execute(text(RESULTS_SQL), {"slug": slug, "sessions": sessions}).all()
            profiles = conn.execute(text(PROFILES_SQL), {"sessions": sessions}).all()
    finally:
        engine.dispose()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER.strip().split(","))
    for session, participant, *values, song, artist, tag, group in results:
        writer.writerow([session, participant, None, *map(muscle_cell, values), song, artist, tag, group])
    for participant, country, *values in profiles:
        writer.writerow([None, participant, country, *map(muscle_cell, values), None, None, None, None])
    return buffer.getvalue()


@pytest.fixture(scope="module")
def sample2026(sample2026_url):
    db = MuscleDatabase.open(sample2026_url, "sample2026")
    yield db
    db.close()


@pytest.mark.postgres
@pytest.mark.parametrize("slug", ["block-a", "block-b", "block-c-empty"])
def test_muscle_2026_equals_muscle_2026s_own_csv_on_the_sample(sample2026, sample2026_url, slug, tmp_path):
    path = tmp_path / "out.csv"
    result = write_csv(sample2026, slug, MUSCLE_2026, path)
    expected = expected_csv(sample2026_url, slug)
    assert path.read_bytes() == expected.encode("utf-8")
    assert result.count == expected.count("\n") - 1
    if slug == "block-a":
        assert result.count > 40 and "\r" not in expected and "+00:00" in expected


@pytest.mark.postgres
def test_muscle_2026_ignores_fields_options_and_excel_safe(sample2026, tmp_path):
    plain, busy = tmp_path / "plain.csv", tmp_path / "busy.csv"
    write_csv(sample2026, "block-a", MUSCLE_2026, plain)
    form = find_template("wide").selection
    write_csv(sample2026, "block-a", form.replace(layout="muscle_2026", excel_safe=True), busy)
    assert busy.read_bytes() == plain.read_bytes()


@pytest.mark.postgres
def test_muscle_2026_preview_shows_the_header_and_first_rows(sample2026, sample2026_url):
    preview = preview_csv(sample2026, "block-a", MUSCLE_2026, limit=5)
    rows = list(csv.reader(io.StringIO(expected_csv(sample2026_url, "block-a"))))
    assert preview.header == rows[0]
    assert preview.rows == rows[1:6]
    assert (preview.total_columns, preview.total_rows) == (12, len(rows) - 1)


@pytest.mark.postgres
def test_muscle_2026_applies_the_session_filters(sample2026, sample2026_url, tmp_path):
    filters = SessionFilter(
        finished_only=True, started_after="2025-03-01T11:00", exclude_participants=("pid00[12]",)
    )

    def kept(started, finished, url_id):
        excluded = url_id is not None and fnmatch.fnmatchcase(url_id, "pid00[12]")
        return finished is not None and started >= datetime(2025, 3, 1, 11, tzinfo=UTC) and not excluded

    path = tmp_path / "filtered.csv"
    result = write_csv(sample2026, "block-a", MUSCLE_2026, path, filters=filters)
    expected = expected_csv(sample2026_url, "block-a", kept)
    assert path.read_bytes() == expected.encode("utf-8")
    assert 0 < result.count < expected_csv(sample2026_url, "block-a").count("\n") - 1
    preview = preview_csv(sample2026, "block-a", MUSCLE_2026, limit=3, filters=filters)
    assert preview.total_rows == result.count
    assert preview.rows == list(csv.reader(io.StringIO(expected)))[1:4]


# ---------------------------------------------------------------------------------------------
# A tiny block, its CSV written out by hand.

SHARED = 100  # one participant, two sessions: its profile answers appear once
TINY = [
    Session(
        participant_id=SHARED,
        country_code="nl",
        finished_at=at(3600),
        profile=[
            Profile("age", "42", created_at=at(-60)),
            Profile("favourite", "x,y", score=2.0, created_at=at(1)),
            # MUSCLE 2026 exports every answer, unanswered ones too (the form's export skipped them).
            Profile("skipped", None, created_at=at(2)),
        ],
        results=[
            Result(at(10), "q1", expected_response="A", given_response="B", score=0.0, song="Song, one"),
            Result(at(5), "q2", score=None, song=NO_SONG),
        ],
    ),
    Session(
        participant_id=SHARED,
        started_at=at(1000),
        results=[Result(at(7.5), "q3", given_response='say "hi"', score=1.0, song=None)],
    ),
]
# Ids as BlockWriter gives them: profile answers 3 to 5, sessions 6 and 12, results 9, 11 and 13.
TINY_CSV = (
    HEADER + "6,100,,q2,,,2024-03-01 12:00:05+00:00,,,,,\n"
    '12,100,,q3,,"say ""hi""",2024-03-01 12:00:07.500000+00:00,1.0,,,,\n'
    '6,100,,q1,A,B,2024-03-01 12:00:10+00:00,0.0,"Song, one",a,,\n'
    ",100,nl,age,,42,2024-03-01 11:59:00+00:00,,,,,\n"
    ',100,nl,favourite,,"x,y",2024-03-01 12:00:01+00:00,2.0,,,,\n'
    ",100,nl,skipped,,,2024-03-01 12:00:02+00:00,,,,,\n"
)
TINY_FINISHED_CSV = (
    HEADER + "6,100,,q2,,,2024-03-01 12:00:05+00:00,,,,,\n"
    '6,100,,q1,A,B,2024-03-01 12:00:10+00:00,0.0,"Song, one",a,,\n'
    ",100,nl,age,,42,2024-03-01 11:59:00+00:00,,,,,\n"
    ',100,nl,favourite,,"x,y",2024-03-01 12:00:01+00:00,2.0,,,,\n'
    ",100,nl,skipped,,,2024-03-01 12:00:02+00:00,,,,,\n"
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def tiny(request, tmp_path):
    if request.param == "sqlite":
        url = sqlite_url(sqlite_database(tmp_path / "tiny.sqlite3"))
    else:
        pg = request.getfixturevalue("pg")
        url = pg.create("muscle_2026_tiny")
        pg.psql(url, "-f", str(SCHEMA / "postgres-2025-01.sql"))
    writer = BlockWriter(url)
    writer.write_block("tiny", TINY)
    writer.close()
    db = MuscleDatabase.open(url, "tiny")
    yield db
    db.close()


def test_muscle_2026_of_a_tiny_block_is_the_hand_written_csv(tiny, tmp_path):
    path = tmp_path / "tiny.csv"
    result = write_csv(tiny, "tiny", MUSCLE_2026, path)
    assert path.read_bytes() == TINY_CSV.encode("utf-8")
    assert result.count == 6 and result.bytes == len(TINY_CSV.encode("utf-8"))


def test_muscle_2026_of_a_tiny_block_filtered(tiny, tmp_path):
    path = tmp_path / "tiny.csv"
    write_csv(tiny, "tiny", MUSCLE_2026, path, filters=SessionFilter(finished_only=True))
    assert path.read_text(encoding="utf-8") == TINY_FINISHED_CSV
    before = SessionFilter(started_before="2024-03-01T13:10")  # read in the export's time zone
    write_csv(tiny, "tiny", MUSCLE_2026, path, filters=before, time_zone="Europe/Amsterdam", force=True)
    assert path.read_text(encoding="utf-8") == TINY_FINISHED_CSV
    write_csv(tiny, "tiny", MUSCLE_2026, path, filters=before, force=True)
    assert path.read_text(encoding="utf-8") == TINY_CSV
    write_csv(tiny, "tiny", MUSCLE_2026, path, filters=SessionFilter(started_before="2024-03-01"), force=True)
    assert path.read_text(encoding="utf-8") == HEADER


def test_muscle_2026_refuses_a_bad_time_zone(tiny, tmp_path):
    with pytest.raises(FilterError, match="unknown time zone 'Mars/Olympus'"):
        write_csv(tiny, "tiny", MUSCLE_2026, tmp_path / "x.csv", time_zone="Mars/Olympus")
    assert not (tmp_path / "x.csv").exists()


def test_layout_is_checked():
    assert CsvSelection().layout == "form"
    with pytest.raises(Exception, match="unknown layout 'muscle'"):
        CsvSelection(layout="muscle")


def test_the_builtin_has_no_fields_and_no_filters():
    template = find_template("muscle_2026")
    assert template.builtin and template.filters.is_empty()
    assert template.selection == CsvSelection(layout="muscle_2026")
    assert Path(template.source).name == "muscle_2026.toml"
