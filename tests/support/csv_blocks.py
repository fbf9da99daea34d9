"""Helpers for the CSV tests (no tests here): write small MUSCLE blocks into real databases.

`BlockWriter` fills an empty January 2025 schema, on PostgreSQL or SQLite, with sessions,
participants (with profile answers), trial results, sections and songs, as MUSCLE stores them.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

SCHEMA = Path(__file__).resolve().parent.parent / "reference" / "schema"
NO_SONG = object()  # a section whose song is null
EPOCH = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Profile:
    question_key: str
    given_response: str | None
    score: float | None = None
    created_at: datetime = EPOCH


@dataclass
class Result:
    created_at: datetime = EPOCH
    question_key: str = "choice"
    expected_response: str | None = None
    given_response: str | None = None
    comment: str = ""
    score: float | None = None
    song: object = None  # None: no section; NO_SONG: a section without song; str: the song's name
    json_data: object = None  # None: SQL NULL


@dataclass
class Session:
    results: list[Result] = field(default_factory=list)
    json_data: object = None
    profile: list[Profile] = field(default_factory=list)
    started_at: datetime = EPOCH
    finished_at: datetime | None = None
    final_score: float = 0.0
    country_code: str = "nl"
    access_info: str | None = "Mozilla/5.0"
    id: int | None = None
    participant_id: int | None = None  # share a participant between sessions by giving its id


def sqlite_database(path: Path) -> Path:
    """An empty SQLite database with MUSCLE's January 2025 schema."""
    script = "\n".join(
        line
        for line in (SCHEMA / "sqlite-2025-01.sql").read_text().splitlines()
        if not line.startswith("CREATE TABLE sqlite_sequence")
    )
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.close()
    return path


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


class BlockWriter:
    """Writes blocks into a database with MUSCLE's January 2025 schema (and empties it again).

    Primary keys count up from 1 after each `clear()`, so two writers given the same blocks
    give them the same keys.
    """

    TABLES = (
        "result_result",
        "session_session",
        "participant_participant",
        "section_section",
        "section_song",
        "section_playlist",
        "experiment_block",
    )

    def __init__(self, url: URL) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sqlite = url.get_backend_name() == "sqlite"
        self._ids = itertools.count(1)

    def close(self) -> None:
        self.engine.dispose()

    def clear(self) -> None:
        with self.engine.begin() as conn:
            for table in self.TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
        self._ids = itertools.count(1)

    def _json(self, value: object) -> str | None:
        return None if value is None else json.dumps(value)

    def _time(self, value: datetime | None):
        if value is None or not self.sqlite:
            return value
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")

    def write_block(self, slug: str, sessions: list[Session]) -> None:
        """One block (without experiment, so its name is empty) holding these sessions."""
        json_param = "CAST(:json AS jsonb)" if not self.sqlite else ":json"
        next_id = self._ids.__next__
        with self.engine.begin() as conn:
            block_id = next_id()
            conn.execute(
                text(
                    'INSERT INTO experiment_block (id, slug, rounds, bonus_points, rules, "index") '
                    "VALUES (:id, :slug, 10, 0, 'RHYTHM', 0)"
                ),
                {"id": block_id, "slug": slug},
            )
            playlist_id = next_id()
            conn.execute(
                text(
                    "INSERT INTO section_playlist (id, name, process_csv, csv, url_prefix) "
                    "VALUES (:id, 'p', false, '', '')"
                ),
                {"id": playlist_id},
            )
            sections: dict[object, int | None] = {None: None}
            participants: dict[int, int] = {}
            for session in sessions:
                if session.participant_id is not None and session.participant_id in participants:
                    participant_id = session.participant_id
                else:
                    participant_id = session.participant_id or next_id()
                    participants[participant_id] = participant_id
                    conn.execute(
                        text(
                            "INSERT INTO participant_participant (id, unique_hash, country_code, "
                            "access_info) VALUES (:id, :hash, :country, :access)"
                        ),
                        {
                            "id": participant_id,
                            "hash": f"hash-{participant_id}",
                            "country": session.country_code,
                            "access": session.access_info,
                        },
                    )
                    for answer in session.profile:
                        conn.execute(
                            text(
                                "INSERT INTO result_result (id, created_at, question_key, given_response, "
                                "comment, score, scoring_rule, participant_id, json_data) VALUES (:id, "
                                f":created, :key, :response, '', :score, '', :participant, {json_param})"
                            ),
                            {
                                "id": next_id(),
                                "created": self._time(answer.created_at),
                                "key": answer.question_key,
                                "response": answer.given_response,
                                "score": answer.score,
                                "participant": participant_id,
                                "json": None,
                            },
                        )
                session_id = session.id or next_id()
                conn.execute(
                    text(
                        "INSERT INTO session_session (id, started_at, finished_at, final_score, block_id, "
                        f"participant_id, json_data) VALUES (:id, :started, :finished, :score, :block, "
                        f":participant, {json_param})"
                    ),
                    {
                        "id": session_id,
                        "started": self._time(session.started_at),
                        "finished": self._time(session.finished_at),
                        "score": session.final_score,
                        "block": block_id,
                        "participant": participant_id,
                        "json": self._json(session.json_data),
                    },
                )
                for result in session.results:
                    song = result.song
                    if song not in sections:
                        song_id = None
                        if song is not NO_SONG:
                            song_id = next_id()
                            conn.execute(
                                text("INSERT INTO section_song (id, artist, name) VALUES (:id, 'a', :name)"),
                                {"id": song_id, "name": song},
                            )
                        sections[song] = next_id()
                        conn.execute(
                            text(
                                "INSERT INTO section_section (id, start_time, duration, filename, "
                                'play_count, tag, "group", playlist_id, song_id) VALUES '
                                "(:id, 0, 1, 'f.wav', 0, '', '', :playlist, :song)"
                            ),
                            {"id": sections[song], "playlist": playlist_id, "song": song_id},
                        )
                    conn.execute(
                        text(
                            "INSERT INTO result_result (id, created_at, question_key, expected_response, "
                            "given_response, comment, score, scoring_rule, section_id, session_id, "
                            "json_data) VALUES (:id, :created, :key, :expected, :given, :comment, :score, "
                            f"'', :section, :session, {json_param})"
                        ),
                        {
                            "id": next_id(),
                            "created": self._time(result.created_at),
                            "key": result.question_key,
                            "expected": result.expected_response,
                            "given": result.given_response,
                            "comment": result.comment,
                            "score": result.score,
                            "section": sections[song],
                            "session": session_id,
                            "json": self._json(result.json_data),
                        },
                    )


def at(seconds: float) -> datetime:
    """A timestamp `seconds` after the fixed epoch of these tests."""
    return EPOCH + timedelta(seconds=seconds)


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of a CSV file, read with Python's csv module."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return (rows[0], rows[1:]) if rows else ([], [])


def read_dicts(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    header, rows = read_rows(path)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def csv_round_trip(cells: list[object]) -> list[str]:
    """Cells written by csv.writer the way the export writes them, and read back."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return next(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
