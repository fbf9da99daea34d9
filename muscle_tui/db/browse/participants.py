"""A block's participants (those with a session in it that passes the filters), a page at a time by id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, func, literal, select
from sqlalchemy.sql import ColumnElement

from muscle_tui.db.browse.values import (
    Fields,
    block_id_of,
    participant_text_clause,
    require_block,
    text_value,
    whole,
)
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from muscle_tui.db.stream import Snapshot


@dataclass(frozen=True)
class ParticipantRow:
    """A participant of a block; `access_info` whole (the UI shortens it), '' when null."""

    id: int
    participant_url_id: str
    unique_hash: str
    country_code: str
    access_info: str
    sessions: int  # sessions in this block (that pass the filters)
    profile_answers: int  # profile results of the participant (result_result.participant_id)


def profile_count(snap: Snapshot, participant_id: ColumnElement[Any]) -> ColumnElement[Any]:
    """The number of profile results (answers) of the participant `participant_id`."""
    r = snap.schema.table("result_result")
    return select(func.count()).where(r.c.participant_id == participant_id).scalar_subquery()


def _participants(snap: Snapshot, block_slug: str, filters: SessionFilter, text: str, time_zone: str):
    """`participant_participant` joined to its count of the block's chosen sessions, and the
    conditions on it."""
    s = snap.schema.table("session_session")
    p = snap.schema.table("participant_participant")
    counts = (
        select(s.c.participant_id.label("participant_id"), func.count().label("sessions"))
        .where(
            s.c.block_id == block_id_of(snap, block_slug),
            filters.clause(snap.schema, snap.dialect, time_zone),
        )
        .group_by(s.c.participant_id)
        .subquery("block_sessions")
    )
    source = p.join(counts, counts.c.participant_id == p.c.id)
    conditions = []
    chosen = participant_text_clause(p.c.id, p.c.participant_id_url, text)
    if chosen is not None:
        conditions.append(chosen)
    return p, counts, source, conditions


def count_participants(
    snap: Snapshot,
    block_slug: str,
    filters: SessionFilter = NO_FILTER,
    text: str = "",
    time_zone: str = "UTC",
) -> int:
    """How many participants have a session in the block passing `filters` (and match `text`:
    a case-insensitive substring of their id or participant_id_url). NotFoundError for an unknown
    block."""
    _, _, source, conditions = _participants(snap, block_slug, filters, text, time_zone)
    count = int(snap.scalar(select(func.count()).select_from(source).where(*conditions)))
    if count == 0:
        require_block(snap, block_slug)
    return count


def participant_page(
    snap: Snapshot,
    block_slug: str,
    *,
    filters: SessionFilter = NO_FILTER,
    text: str = "",
    after: int | None = None,
    before: int | None = None,
    limit: int = 100,
    last: bool = False,
    time_zone: str = "UTC",
) -> list[ParticipantRow]:
    """Up to `limit` of the block's participants in id order: the first, those after id `after`,
    those just before id `before` (in id order), or the last (`last=True`). One query;
    NotFoundError for an unknown block."""
    if limit <= 0:
        return []
    p, counts, source, conditions = _participants(snap, block_slug, filters, text, time_zone)
    if after is not None:
        conditions.append(p.c.id > literal(int(after), Integer))
    if before is not None:
        conditions.append(p.c.id < literal(int(before), Integer))
    backwards = last or (before is not None and after is None)
    fields = Fields(snap)
    fields.value("id", p.c.id, whole)
    fields.value("participant_url_id", func.coalesce(p.c.participant_id_url, ""), text_value)
    fields.value("unique_hash", p.c.unique_hash, text_value)
    fields.value("country_code", p.c.country_code, text_value)
    fields.value("access_info", func.coalesce(p.c.access_info, ""), text_value)
    fields.value("sessions", counts.c.sessions, whole)
    page = (
        select(*fields.columns)
        .select_from(source)
        .where(*conditions)
        .order_by(p.c.id.desc() if backwards else p.c.id.asc())
        .limit(limit)
        .subquery("page")
    )
    statement = select(*fields.over(page), profile_count(snap, page.c.id)).order_by(page.c.id)
    rows = [
        ParticipantRow(profile_answers=whole(row[len(fields.columns)]), **fields.read(row))
        for row in snap.rows(statement)
    ]
    if not rows:
        require_block(snap, block_slug)
    return rows
