"""What is in the database: experiments and their blocks, with counts from grouped queries.

SQLite does not enforce column types: a session's `started_at` may hold any text. The first and
last session of a block are therefore taken over the values SQLite can read as times, and read
as text here, so one malformed row never fails the listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, String, and_, case, func, select, type_coerce
from sqlalchemy.engine import Connection

from muscle_tui.db.schema import MuscleSchema, Release
from muscle_tui.errors import NotFoundError

NO_EXPERIMENT = "(no experiment)"


@dataclass(frozen=True)
class ExperimentSummary:
    """An experiment with the size of what it holds. `id` is None for blocks without an experiment."""

    id: int | None
    slug: str
    name: str
    active: bool
    blocks: int
    sessions: int
    participants: int


@dataclass(frozen=True)
class BlockRef:
    """A block as an export needs it: its key, slug and name (no counts)."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class BlockSummary:
    """A block, where it sits in its experiment, and how much data it holds."""

    id: int
    slug: str
    name: str
    rules: str
    experiment_id: int | None
    experiment_slug: str
    phase_index: int | None
    index: int
    sessions: int
    finished_sessions: int
    participants: int
    results: int
    first_session: datetime | None
    last_session: datetime | None


def experiment_name_expr(schema: MuscleSchema) -> ColumnElement:
    """The name of `experiment_experiment`'s row: `name` (2026) or its first translated name (2025)."""
    e = schema.table("experiment_experiment")
    if schema.release is Release.V2026:
        return e.c.name
    experiment_id = e.c.id
    etc = schema.table("experiment_experimenttranslatedcontent")
    return (
        select(etc.c.name)
        .where(etc.c.experiment_id == experiment_id)
        .order_by(etc.c.index, etc.c.id)
        .limit(1)
        .scalar_subquery()
    )


def block_name_expr(schema: MuscleSchema, experiment_id: ColumnElement) -> ColumnElement:
    """The name of `experiment_block`'s row as CSV-SPEC "Names" defines it ('' when there is none).

    `experiment_id` is the block's experiment (through its phase) in the enclosing query.
    """
    b = schema.table("experiment_block")
    block_id = b.c.id
    if schema.release is Release.V2026:
        return func.coalesce(b.c.name, "")
    btc = schema.table("experiment_blocktranslatedcontent")
    etc = schema.table("experiment_experimenttranslatedcontent")
    first_language = (
        select(etc.c.language)
        .where(etc.c.experiment_id == experiment_id)
        .order_by(etc.c.index, etc.c.id)
        .limit(1)
        .scalar_subquery()
    )
    name = (
        select(btc.c.name)
        .where(and_(btc.c.block_id == block_id, btc.c.language == first_language))
        .order_by(btc.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(name, "")


def _session_counts(schema: MuscleSchema, sqlite: bool):
    s = schema.table("session_session")
    started: ColumnElement = s.c.started_at
    if sqlite:  # only the values SQLite reads as times, selected as text (parsed by `_time`)
        started = type_coerce(case((func.julianday(s.c.started_at).is_not(None), s.c.started_at)), String)
    return (
        select(
            s.c.block_id.label("block_id"),
            func.count().label("sessions"),
            func.count(s.c.finished_at).label("finished"),
            func.count(func.distinct(s.c.participant_id)).label("participants"),
            func.min(started).label("first_session"),
            func.max(started).label("last_session"),
        )
        .group_by(s.c.block_id)
        .subquery("session_counts")
    )


def _result_counts(schema: MuscleSchema):
    s = schema.table("session_session")
    r = schema.table("result_result")
    return (
        select(s.c.block_id.label("block_id"), func.count().label("results"))
        .select_from(r.join(s, r.c.session_id == s.c.id))
        .group_by(s.c.block_id)
        .subquery("result_counts")
    )


def _blocks_query(schema: MuscleSchema, sqlite: bool) -> Select:
    b = schema.table("experiment_block")
    p = schema.table("experiment_phase")
    e = schema.table("experiment_experiment")
    sc = _session_counts(schema, sqlite)
    rc = _result_counts(schema)
    return (
        select(
            b.c.id,
            b.c.slug,
            block_name_expr(schema, p.c.experiment_id).label("name"),
            b.c.rules,
            e.c.id.label("experiment_id"),
            e.c.slug.label("experiment_slug"),
            p.c.index.label("phase_index"),
            b.c.index,
            func.coalesce(sc.c.sessions, 0).label("sessions"),
            func.coalesce(sc.c.finished, 0).label("finished_sessions"),
            func.coalesce(sc.c.participants, 0).label("participants"),
            func.coalesce(rc.c.results, 0).label("results"),
            sc.c.first_session,
            sc.c.last_session,
        )
        .select_from(
            b.outerjoin(p, p.c.id == b.c.phase_id)
            .outerjoin(e, e.c.id == p.c.experiment_id)
            .outerjoin(sc, sc.c.block_id == b.c.id)
            .outerjoin(rc, rc.c.block_id == b.c.id)
        )
        .order_by(e.c.id.is_(None), e.c.id, p.c.index, p.c.id, b.c.index, b.c.id)
    )


def _time(value: object) -> datetime | None:
    """A first or last session time: the driver's datetime, or SQLite's text (None if unreadable)."""
    if isinstance(value, datetime) or value is None:
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _block(row) -> BlockSummary:
    return BlockSummary(
        id=row.id,
        slug=row.slug,
        name=row.name or "",
        rules=row.rules,
        experiment_id=row.experiment_id,
        experiment_slug=row.experiment_slug or (NO_EXPERIMENT if row.experiment_id is None else ""),
        phase_index=row.phase_index,
        index=row.index,
        sessions=row.sessions,
        finished_sessions=row.finished_sessions,
        participants=row.participants,
        results=row.results,
        first_session=_time(row.first_session),
        last_session=_time(row.last_session),
    )


ALL_EXPERIMENTS = object()
"""`list_blocks` of every experiment (None asks for the blocks without one)."""


def list_blocks(
    conn: Connection, schema: MuscleSchema, experiment_id: int | object | None = ALL_EXPERIMENTS
) -> list[BlockSummary]:
    """Blocks with their counts: all of them, those of one experiment, or (None) those without one."""
    query = _blocks_query(schema, _is_sqlite(conn))
    e = schema.table("experiment_experiment")
    if experiment_id is None:
        query = query.where(e.c.id.is_(None))
    elif experiment_id is not ALL_EXPERIMENTS:
        query = query.where(e.c.id == experiment_id)
    return [_block(row) for row in conn.execute(query)]


def _not_found(slug: str) -> NotFoundError:
    return NotFoundError(f"no block with slug {slug!r} in this database (muscle-tui list shows them)")


def find_block_ref(conn: Connection, schema: MuscleSchema, slug: str) -> BlockRef:
    """The block with this slug, without its counts (cheap at any size), or a NotFoundError."""
    b = schema.table("experiment_block")
    p = schema.table("experiment_phase")
    query = (
        select(b.c.id, b.c.slug, block_name_expr(schema, p.c.experiment_id).label("name"))
        .select_from(b.outerjoin(p, p.c.id == b.c.phase_id))
        .where(b.c.slug == slug)
        .order_by(b.c.id)
    )
    row = conn.execute(query).first()
    if row is None:
        raise _not_found(slug)
    return BlockRef(row.id, row.slug, row.name or "")


def find_block(conn: Connection, schema: MuscleSchema, slug: str) -> BlockSummary:
    """The block with this slug, or a NotFoundError naming it."""
    b = schema.table("experiment_block")
    rows = conn.execute(_blocks_query(schema, _is_sqlite(conn)).where(b.c.slug == slug)).all()
    if not rows:
        raise _not_found(slug)
    return _block(rows[0])


def list_experiments(conn: Connection, schema: MuscleSchema) -> list[ExperimentSummary]:
    """Every experiment with its block, session and participant counts, and the blocks without one."""
    b = schema.table("experiment_block")
    p = schema.table("experiment_phase")
    e = schema.table("experiment_experiment")
    s = schema.table("session_session")
    counts_query = (
        select(
            e.c.id.label("experiment_id"),
            func.count(func.distinct(b.c.id)).label("blocks"),
            func.count(s.c.id).label("sessions"),
            func.count(func.distinct(s.c.participant_id)).label("participants"),
        )
        .select_from(
            b.outerjoin(p, p.c.id == b.c.phase_id)
            .outerjoin(e, e.c.id == p.c.experiment_id)
            .outerjoin(s, s.c.block_id == b.c.id)
        )
        .group_by(e.c.id)
    )
    counts = {row.experiment_id: row for row in conn.execute(counts_query)}
    experiments_query = select(
        e.c.id, e.c.slug, e.c.active, experiment_name_expr(schema).label("name")
    ).order_by(e.c.id)
    summaries = []
    for row in conn.execute(experiments_query):
        c = counts.get(row.id)
        summaries.append(
            ExperimentSummary(
                id=row.id,
                slug=row.slug or "",
                name=row.name or "",
                active=bool(row.active),
                blocks=c.blocks if c else 0,
                sessions=c.sessions if c else 0,
                participants=c.participants if c else 0,
            )
        )
    orphans = counts.get(None)
    if orphans is not None and orphans.blocks:
        summaries.append(
            ExperimentSummary(
                id=None,
                slug=NO_EXPERIMENT,
                name=NO_EXPERIMENT,
                active=False,
                blocks=orphans.blocks,
                sessions=orphans.sessions,
                participants=orphans.participants,
            )
        )
    return summaries


def find_experiment(conn: Connection, schema: MuscleSchema, slug: str) -> ExperimentSummary:
    """The experiment with this slug, or a NotFoundError naming it."""
    for experiment in list_experiments(conn, schema):
        if experiment.slug == slug and experiment.id is not None:
            return experiment
    raise NotFoundError(f"no experiment with slug {slug!r} in this database (muscle-tui list shows them)")
