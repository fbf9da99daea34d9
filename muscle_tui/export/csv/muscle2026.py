"""MUSCLE 2026's own CSV (CSV-SPEC "MUSCLE 2026's own CSV"), value for value, streamed.

MUSCLE's 2026 release replaced the export form with one fixed layout: the block's trial results,
then the profile answers of its participants, in twelve fixed columns, written by Python's csv
module with LF line ends. Timestamps keep MUSCLE's own form (`str()` of the UTC datetime); the
field selection, options and formats do not apply; session filters do.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.sql import ColumnElement, Select

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, SessionFilter, check_time_zone
from muscle_tui.db.stream import Snapshot
from muscle_tui.export.files import Notices, atomic_file, check_target
from muscle_tui.export.progress import ExportResult, ProgressCallback, ProgressReporter

WrittenCallback = Callable[[Snapshot, int, int, str, Notices], None]
"""Told (snapshot, rows, bytes, sha256, notices) once the file is in place."""

LAYOUT = "muscle_2026"
HEADER = (
    "session__id",
    "participant__id",
    "participant__country_code",
    "question_key",
    "expected_response",
    "given_response",
    "created_at",
    "score",
    "section__song__name",
    "section__song__artist",
    "section__tag",
    "section__group",
)
PROGRESS_EVERY = 1000
PROGRESS_STAGE = "rows"
FLUSH_BYTES = 1 << 16


def muscle_2026_text(value: Any) -> str:
    """A cell as MUSCLE 2026 writes it: empty for null, `str()` of a UTC datetime or a float."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return str(aware.astimezone(UTC))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _timestamp_text(value: Any) -> str:
    """A created_at cell: SQLite hands over text, read as UTC when it has no offset."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value
    return muscle_2026_text(value)


def _score_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int | str):
        try:
            return str(float(value))
        except ValueError:
            return str(value)
    return muscle_2026_text(value)


def session_clause(snap: Snapshot, filters: SessionFilter, time_zone: str) -> ColumnElement[bool] | None:
    """The filters as a clause over `session_session` (None when there are none)."""
    if filters.is_empty():
        return None
    return filters.clause(snap.schema, snap.dialect, time_zone)


def results_query(snap: Snapshot, block_id: int, kept: ColumnElement[bool] | None) -> Select[Any]:
    """The block's trial results (of the `kept` sessions) with their section and song, in export order."""
    schema = snap.schema
    s = schema.table("session_session")
    r = schema.table("result_result")
    section = schema.table("section_section")
    song = schema.table("section_song")
    source = (
        r.join(s, r.c.session_id == s.c.id)
        .outerjoin(section, section.c.id == r.c.section_id)
        .outerjoin(song, song.c.id == section.c.song_id)
    )
    where = s.c.block_id == block_id if kept is None else and_(s.c.block_id == block_id, kept)
    return (
        select(
            r.c.session_id,
            s.c.participant_id,
            r.c.question_key,
            r.c.expected_response,
            r.c.given_response,
            r.c.created_at,
            r.c.score,
            song.c.name,
            song.c.artist,
            section.c.tag,
            section.c["group"],
        )
        .select_from(source)
        .where(where)
        .order_by(r.c.created_at, r.c.id)
    )


def profiles_query(snap: Snapshot, block_id: int, kept: ColumnElement[bool] | None) -> Select[Any]:
    """Every result of a participant with a (kept) session in the block, each once."""
    schema = snap.schema
    s = schema.table("session_session")
    r = schema.table("result_result")
    p = schema.table("participant_participant")
    where = s.c.block_id == block_id if kept is None else and_(s.c.block_id == block_id, kept)
    participants = select(s.c.participant_id).where(where).where(s.c.participant_id.is_not(None))
    return (
        select(
            r.c.participant_id,
            p.c.country_code,
            r.c.question_key,
            r.c.expected_response,
            r.c.given_response,
            r.c.created_at,
            r.c.score,
        )
        .select_from(r.join(p, p.c.id == r.c.participant_id))
        .where(r.c.participant_id.in_(participants))
        .order_by(r.c.created_at, r.c.id)
    )


def count_rows(snap: Snapshot, query: Select[Any]) -> int:
    """How many rows `query` gives."""
    return int(snap.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def _close(rows: Iterator[Any]) -> None:
    """Release a stream's cursor even when it was left before its end."""
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def result_cells(row: Sequence[Any]) -> list[str]:
    """A row of `results_query` as the cells of a trial result row."""
    session, participant, key, expected, given, created, score, name, artist, tag, group = row
    return [
        muscle_2026_text(session),
        muscle_2026_text(participant),
        "",
        muscle_2026_text(key),
        muscle_2026_text(expected),
        muscle_2026_text(given),
        _timestamp_text(created),
        _score_text(score),
        muscle_2026_text(name),
        muscle_2026_text(artist),
        muscle_2026_text(tag),
        muscle_2026_text(group),
    ]


def profile_cells(row: Sequence[Any]) -> list[str]:
    """A row of `profiles_query` as the cells of a profile answer row."""
    participant, country, key, expected, given, created, score = row
    return [
        "",
        muscle_2026_text(participant),
        muscle_2026_text(country),
        muscle_2026_text(key),
        muscle_2026_text(expected),
        muscle_2026_text(given),
        _timestamp_text(created),
        _score_text(score),
        "",
        "",
        "",
        "",
    ]


def muscle_2026_rows(
    snap: Snapshot, block_slug: str, filters: SessionFilter = NO_FILTER, time_zone: str = "UTC"
) -> Generator[list[str], None, None]:
    """The data rows, as the file's cell texts: trial results, then profile answers."""
    block_id = snap.block(block_slug).id
    kept = session_clause(snap, filters, time_zone)
    results = snap.stream(results_query(snap, block_id, kept))
    try:
        for row in results:
            yield result_cells(row)
    finally:
        _close(results)
    profiles = snap.stream(profiles_query(snap, block_id, kept))
    try:
        for row in profiles:
            yield profile_cells(row)
    finally:
        _close(profiles)


def muscle_2026_count(
    snap: Snapshot, block_slug: str, filters: SessionFilter = NO_FILTER, time_zone: str = "UTC"
) -> int:
    """How many data rows the export has."""
    block_id = snap.block(block_slug).id
    kept = session_clause(snap, filters, time_zone)
    return count_rows(snap, results_query(snap, block_id, kept)) + count_rows(
        snap, profiles_query(snap, block_id, kept)
    )


def write_muscle_2026(
    db: MuscleDatabase,
    block_slug: str,
    output: Path,
    *,
    filters: SessionFilter = NO_FILTER,
    time_zone: str = "UTC",
    force: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    written: WrittenCallback | None = None,
) -> ExportResult:
    """Export the block in MUSCLE 2026's layout into `output` (0600, atomically); `count` is the rows.

    `written`, when given, is called inside the export's snapshot once the file is in place, with
    the snapshot, the row count, the size and the sha256 of what was written (for a data package).
    """
    started = time.monotonic()
    check_time_zone(time_zone)
    target = check_target(Path(output), force)
    reporter = ProgressReporter(progress, cancel)
    notices: Notices = []
    count = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    digest = hashlib.sha256()
    with db.snapshot(cancel) as snap:
        reporter.begin(PROGRESS_STAGE, muscle_2026_count(snap, block_slug, filters, time_zone))
        with atomic_file(target, force, notices) as handle:
            writer.writerow(HEADER)
            rows = muscle_2026_rows(snap, block_slug, filters, time_zone)
            try:
                for cells in rows:
                    writer.writerow(cells)
                    count += 1
                    if count % PROGRESS_EVERY == 0:
                        reporter.advance(PROGRESS_EVERY)
                    if buffer.tell() >= FLUSH_BYTES:
                        data = buffer.getvalue().encode("utf-8")
                        digest.update(data)
                        handle.write(data)
                        buffer.seek(0)
                        buffer.truncate()
            finally:
                rows.close()
            if count % PROGRESS_EVERY:
                reporter.advance(count % PROGRESS_EVERY)
            else:
                reporter.check()
            data = buffer.getvalue().encode("utf-8")
            digest.update(data)
            handle.write(data)
            size = handle.tell()
        if written is not None:
            written(snap, count, size, digest.hexdigest(), notices)
    reporter.finish()
    return ExportResult(
        path=str(target), bytes=size, count=count, seconds=time.monotonic() - started, notices=tuple(notices)
    )
