"""One session in full: its fields and json_data, its trial results, and its participant's profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, func, literal, select

from muscle_tui.db.browse.sessions import SessionRow, results_count, session_fields, session_row
from muscle_tui.db.browse.values import (
    Fields,
    json_text,
    number,
    optional_text,
    parse_json,
    text_value,
    whole,
)
from muscle_tui.db.stream import Snapshot
from muscle_tui.errors import NotFoundError


@dataclass(frozen=True)
class TrialResult:
    """A trial result of a session; `position` counts from 1 in (created_at, id) order, as the CSV
    export numbers its wide columns. Section and song fields are '' when there is none."""

    id: int
    position: int
    question_key: str
    section_id: int | None
    section_tag: str
    song_name: str
    song_artist: str
    expected_response: str | None
    given_response: str | None
    score: float | None
    decision_time: object  # json_data's `decision_time` (None when absent)
    created_at: datetime | None
    json_data: object  # parsed JSON, or the raw text when it is not JSON


@dataclass(frozen=True)
class ProfileAnswer:
    """A profile result of the session's participant."""

    id: int
    question_key: str
    given_response: str | None
    score: float | None
    created_at: datetime | None


@dataclass(frozen=True)
class SessionDetail:
    """A session, its block's slug ('' when it has none), its json_data, results and profile."""

    session: SessionRow
    block_slug: str
    json_data: object  # parsed JSON (dict/list/...) or the raw text
    results: list[TrialResult]
    profile: list[ProfileAnswer]


def _session(snap: Snapshot, session_id: int) -> tuple[SessionRow, str, object]:
    s = snap.schema.table("session_session")
    p = snap.schema.table("participant_participant")
    b = snap.schema.table("experiment_block")
    fields = session_fields(snap)
    statement = (
        select(*fields.columns, results_count(snap, s.c.id), b.c.slug, json_text(s.c.json_data))
        .select_from(s.outerjoin(p, p.c.id == s.c.participant_id).outerjoin(b, b.c.id == s.c.block_id))
        .where(s.c.id == literal(session_id, Integer))
    )
    rows = snap.rows(statement)
    if not rows:
        raise NotFoundError(f"no session with id {session_id} in this database")
    row = rows[0]
    width = len(fields.columns)
    return session_row(fields, row), text_value(row[width + 1]), parse_json(row[width + 2])


def _results(snap: Snapshot, session_id: int) -> list[TrialResult]:
    r = snap.schema.table("result_result")
    x = snap.schema.table("section_section")
    g = snap.schema.table("section_song")
    fields = Fields(snap)
    fields.value("id", r.c.id, whole)
    fields.value("question_key", r.c.question_key, text_value)
    fields.value("section_id", r.c.section_id, lambda v: None if v is None else int(v))
    fields.value("section_tag", func.coalesce(x.c.tag, ""), text_value)
    fields.value("song_name", func.coalesce(g.c.name, ""), text_value)
    fields.value("song_artist", func.coalesce(g.c.artist, ""), text_value)
    fields.value("expected_response", r.c.expected_response, optional_text)
    fields.value("given_response", r.c.given_response, optional_text)
    fields.value("score", r.c.score, number)
    fields.time("created_at", r.c.created_at)
    fields.value("json_data", json_text(r.c.json_data), parse_json)
    statement = (
        select(*fields.columns)
        .select_from(r.outerjoin(x, x.c.id == r.c.section_id).outerjoin(g, g.c.id == x.c.song_id))
        .where(r.c.session_id == literal(session_id, Integer))
        .order_by(r.c.created_at, r.c.id)
    )
    results = []
    for position, row in enumerate(snap.rows(statement), start=1):
        values = fields.read(row)
        data = values["json_data"]
        decision_time = data.get("decision_time") if isinstance(data, dict) else None
        results.append(TrialResult(position=position, decision_time=decision_time, **values))
    return results


def _profile(snap: Snapshot, participant_id: int) -> list[ProfileAnswer]:
    r = snap.schema.table("result_result")
    fields = Fields(snap)
    fields.value("id", r.c.id, whole)
    fields.value("question_key", r.c.question_key, text_value)
    fields.value("given_response", r.c.given_response, optional_text)
    fields.value("score", r.c.score, number)
    fields.time("created_at", r.c.created_at)
    statement = (
        select(*fields.columns)
        .where(r.c.participant_id == literal(participant_id, Integer))
        .order_by(r.c.created_at, r.c.id)
    )
    return [ProfileAnswer(**fields.read(row)) for row in snap.rows(statement)]


def session_detail(snap: Snapshot, session_id: int) -> SessionDetail:
    """The session with this id, whatever its block (NotFoundError when there is none): its
    fields and json_data, its trial results and its participant's profile answers."""
    session, block_slug, json_data = _session(snap, int(session_id))
    return SessionDetail(
        session=session,
        block_slug=block_slug,
        json_data=json_data,
        results=_results(snap, session.id),
        profile=_profile(snap, session.participant_id),
    )
