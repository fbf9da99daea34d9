"""A block's sessions, a page at a time (keyset paging) or streamed, in any column's order.

A page is one query: the sessions of the block that pass the filters, beyond a keyset position
(the sort value and id of a row), `limit` of them, then each one's count of trial results. Keyset
paging costs the same on the last page as on the first, so Home, End, PageUp and PageDown reach any
row of tens of thousands at once. The display order is the sort value then the id, ascending with
missing values last; descending is exactly its reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.sql import FromClause

from muscle_tui.db.browse.values import (
    Fields,
    block_id_of,
    number,
    participant_text_clause,
    require_block,
    text_value,
    time_bound,
    time_sort_key,
    whole,
)
from muscle_tui.db.filters import NO_FILTER, FilterError, SessionFilter, check_time_zone
from muscle_tui.db.stream import Snapshot

SessionStatus = Literal["all", "finished", "unfinished"]
SESSION_STATUSES: tuple[str, ...] = get_args(SessionStatus)
SESSION_SORTS = (
    "started_at",
    "id",
    "participant_id",
    "participant_url_id",
    "finished_at",
    "duration_seconds",
    "final_score",
    "results",
)


@dataclass(frozen=True)
class SessionRow:
    """One session as the browser lists it; times are aware UTC datetimes."""

    id: int
    participant_id: int
    participant_url_id: str  # participant.participant_id_url ("" when null)
    started_at: datetime | None
    finished_at: datetime | None  # None when unfinished
    duration_seconds: float | None  # finished_at - started_at; None when unfinished
    final_score: float | None
    results: int  # trial results of the session


@dataclass(frozen=True)
class SessionQuery:
    """Which of a block's sessions to list, and in which order."""

    block_slug: str
    filters: SessionFilter = NO_FILTER
    status: SessionStatus = "all"
    participant_text: str = ""  # case-insensitive substring of participant id or participant_id_url
    sort: str = "started_at"  # one of SESSION_SORTS
    descending: bool = False
    time_zone: str = "UTC"  # for the filters' dates

    def __post_init__(self) -> None:
        if self.sort not in SESSION_SORTS:
            raise FilterError(f"unknown session sort {self.sort!r}; known: {', '.join(SESSION_SORTS)}")
        if self.status not in SESSION_STATUSES:
            raise FilterError(f"unknown session status {self.status!r}; known: {', '.join(SESSION_STATUSES)}")
        check_time_zone(self.time_zone)


@dataclass(frozen=True)
class PageKey:
    """A keyset position: the sort value and id of a row (opaque to the UI)."""

    value: object
    id: int


def session_key(row: SessionRow, sort: str) -> PageKey:
    """The keyset position of `row` when sessions are sorted by `sort`."""
    if sort not in SESSION_SORTS:
        raise FilterError(f"unknown session sort {sort!r}; known: {', '.join(SESSION_SORTS)}")
    return PageKey(getattr(row, sort), row.id)


@dataclass(frozen=True)
class _Sort:
    """What a sort orders by, whether that may be NULL, and how to bind a key's value to compare."""

    key: ColumnElement[Any]
    nullable: bool
    bound: Callable[[Any], ColumnElement[Any]]


def results_count(snap: Snapshot, session_id: ColumnElement[Any]) -> ColumnElement[Any]:
    """The number of trial results of the session `session_id` (an index-only count per session)."""
    r = snap.schema.table("result_result")
    return select(func.count()).where(r.c.session_id == session_id).scalar_subquery()


def _tables(snap: Snapshot) -> tuple[Any, Any, FromClause]:
    s = snap.schema.table("session_session")
    p = snap.schema.table("participant_participant")
    return s, p, s.outerjoin(p, p.c.id == s.c.participant_id)


def _duration(snap: Snapshot, s: Any) -> ColumnElement[Any]:
    if snap.postgres:
        return cast(extract("epoch", s.c.finished_at - s.c.started_at), Float)
    seconds = (func.julianday(s.c.finished_at) - func.julianday(s.c.started_at)) * 86400.0
    return func.round(seconds, 3)  # SQLite's julianday() counts milliseconds


def session_fields(snap: Snapshot) -> Fields:
    """The columns of a session row but its results count, over `session_session` joined to its
    participant."""
    s, p, _ = _tables(snap)
    fields = Fields(snap)
    fields.value("id", s.c.id, whole)
    fields.value("participant_id", s.c.participant_id, whole)
    fields.value("participant_url_id", func.coalesce(p.c.participant_id_url, ""), text_value)
    fields.time("started_at", s.c.started_at)
    fields.time("finished_at", s.c.finished_at)
    fields.value("duration_seconds", _duration(snap, s), number)
    fields.value("final_score", s.c.final_score, number)
    return fields


def session_row(fields: Fields, row: Any) -> SessionRow:
    """A SessionRow from a row of `fields`' columns followed by the results count."""
    values = fields.read(row)
    return SessionRow(results=whole(row[len(fields.columns)]), **values)


def _sort(snap: Snapshot, sort: str) -> _Sort:
    s, p, _ = _tables(snap)
    plain: Callable[[Any], ColumnElement[Any]] = literal
    if sort in ("started_at", "finished_at"):
        # PostgreSQL's started_at is NOT NULL; SQLite may hold text it cannot read as a time.
        nullable = sort == "finished_at" or not snap.postgres
        return _Sort(time_sort_key(snap, s.c[sort]), nullable, lambda v: time_bound(snap, v))
    if sort == "participant_url_id":
        url = func.coalesce(p.c.participant_id_url, "")
        return _Sort(url, False, lambda v: literal(v, String))
    if sort == "duration_seconds":
        return _Sort(_duration(snap, s), True, lambda v: literal(v, Float))
    if sort == "final_score":
        return _Sort(s.c.final_score, not snap.postgres, lambda v: literal(v, Float))
    if sort == "results":
        return _Sort(results_count(snap, s.c.id), False, lambda v: literal(v, Integer))
    return _Sort(s.c[sort], False, plain)


def _conditions(snap: Snapshot, query: SessionQuery) -> list[ColumnElement[bool]]:
    s, p, _ = _tables(snap)
    conditions = [
        s.c.block_id == block_id_of(snap, query.block_slug),
        query.filters.clause(snap.schema, snap.dialect, query.time_zone),
    ]
    if query.status == "finished":
        conditions.append(s.c.finished_at.is_not(None))
    elif query.status == "unfinished":
        conditions.append(s.c.finished_at.is_(None))
    text = participant_text_clause(s.c.participant_id, p.c.participant_id_url, query.participant_text)
    if text is not None:
        conditions.append(text)
    return conditions


def _beyond(sort: _Sort, session_id: ColumnElement[Any], key: PageKey, later: bool) -> ColumnElement[bool]:
    """The rows strictly after (`later`) or before `key` in ascending order, missing values last."""
    expr = sort.key
    kid = literal(int(key.id), Integer)
    if key.value is None:
        if later:
            return and_(expr.is_(None), session_id > kid)
        return or_(expr.is_not(None), and_(expr.is_(None), session_id < kid))
    value = sort.bound(key.value)
    if not later:
        return tuple_(expr, session_id) < tuple_(value, kid)
    beyond = tuple_(expr, session_id) > tuple_(value, kid)
    return or_(beyond, expr.is_(None)) if sort.nullable else beyond


def _order(key: ColumnElement[Any], session_id: ColumnElement[Any], nullable: bool, ascending: bool) -> list:
    if ascending:
        return [key.asc().nulls_last() if nullable else key.asc(), session_id.asc()]
    return [key.desc().nulls_first() if nullable else key.desc(), session_id.desc()]


def count_sessions(snap: Snapshot, query: SessionQuery) -> int:
    """How many of the block's sessions the query lists (NotFoundError for an unknown block)."""
    _, _, source = _tables(snap)
    count = int(snap.scalar(select(func.count()).select_from(source).where(*_conditions(snap, query))))
    if count == 0:
        require_block(snap, query.block_slug)
    return count


def session_page(
    snap: Snapshot,
    query: SessionQuery,
    *,
    after: PageKey | None = None,
    before: PageKey | None = None,
    limit: int = 100,
    last: bool = False,
) -> list[SessionRow]:
    """Up to `limit` sessions in display order: the first ones (no key), those after `after`,
    those just before `before` (still in display order; with both keys, those between them), or
    the last ones (`last=True`). One query; NotFoundError for an unknown block."""
    if limit <= 0:
        return []
    s, _, source = _tables(snap)
    sort = _sort(snap, query.sort)
    conditions = _conditions(snap, query)
    if after is not None:
        conditions.append(_beyond(sort, s.c.id, after, later=not query.descending))
    if before is not None:
        conditions.append(_beyond(sort, s.c.id, before, later=query.descending))
    # Fetch from the end nearest the wanted rows: backwards for the last rows or those before a key.
    backwards = last or (before is not None and after is None)
    ascending = query.descending == backwards
    fields = session_fields(snap)
    sort_key = sort.key.label("sort_key")
    page = (
        select(*fields.columns, sort_key)
        .select_from(source)
        .where(*conditions)
        .order_by(*_order(sort.key, s.c.id, sort.nullable, ascending))
        .limit(limit)
        .subquery("page")
    )
    results = page.c.sort_key if query.sort == "results" else results_count(snap, page.c.id)
    statement = select(*fields.over(page), results).order_by(
        *_order(page.c.sort_key, page.c.id, sort.nullable, not query.descending)
    )
    rows = [session_row(fields, row) for row in snap.rows(statement)]
    if not rows:
        require_block(snap, query.block_slug)
    return rows


def sessions_statement(snap: Snapshot, query: SessionQuery) -> tuple[Fields, Select[Any]]:
    """Every session the query lists, in display order, with its results count (for streaming)."""
    s, _, source = _tables(snap)
    sort = _sort(snap, query.sort)
    fields = session_fields(snap)
    statement = (
        select(*fields.columns, results_count(snap, s.c.id))
        .select_from(source)
        .where(*_conditions(snap, query))
        .order_by(*_order(sort.key, s.c.id, sort.nullable, not query.descending))
    )
    return fields, statement


def iter_sessions(
    snap: Snapshot, query: SessionQuery, batch: int = 1000
) -> Generator[SessionRow, None, None]:
    """Every session the query lists, in display order, streamed from a server-side cursor
    `batch` rows at a time (memory stays flat whatever the block's size). NotFoundError for an
    unknown block. Close the iterator (or exhaust it) to release the cursor."""
    fields, statement = sessions_statement(snap, query)
    batches = snap.batches(statement, size=batch)
    seen = False
    try:
        for rows in batches:
            seen = True
            for row in rows:
                yield session_row(fields, row)
    finally:
        batches.close()
    if not seen:
        require_block(snap, query.block_slug)
