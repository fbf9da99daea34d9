"""What a CSV export learns about a block before its rows, whatever the fields and options chosen.

The counts of the block's sessions and results, the profile questions its participants answered
and the keys of its sessions' json_data depend only on the block, the session filters and the
time zone the filters' dates are read in, never on the selection. On a large block they are most
of a preview's time (aggregates over every result), so a front end that previews one block under
several selections learns them once, as a `BlockFacts`, and passes them back; `write_csv` always
learns them anew in its own snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select

from muscle_tui.db.catalog import BlockRef
from muscle_tui.db.filters import SessionFilter
from muscle_tui.db.stream import Snapshot


@dataclass(frozen=True)
class BlockFacts:
    """The selection-independent part of an export's plan, for one block, filters and time zone.

    `sessions` pass the filters; `sessions_with_results` have at least one trial result; `results`
    is their trial results and `most_results` the most any one of them has. The key lists are None
    until learned (`with_profile_columns`, `with_session_json_keys`); so are the MUSCLE 2026
    layout's profile-row count and first rows (`muscle_tui.export.csv.preview`).
    """

    block_slug: str
    filters: SessionFilter
    time_zone: str
    block: BlockRef
    sessions: int
    sessions_with_results: int
    results: int
    most_results: int
    profile_columns: tuple[str, ...] | None = None
    session_json_keys: tuple[str, ...] | None = None
    muscle_2026_profile_rows: int | None = None
    muscle_2026_first_rows: tuple[tuple[str, ...], ...] | None = None

    def fits(self, block_slug: str, filters: SessionFilter, time_zone: str) -> bool:
        """Whether these are the facts of this block under these filters and time zone."""
        return (self.block_slug, self.filters, self.time_zone) == (block_slug, filters, time_zone)


def _result_counts(
    snap: Snapshot, block_id: int, filters: SessionFilter, time_zone: str
) -> tuple[int, int, int, int]:
    """Sessions, sessions with results, results, and the most results any session has."""
    s = snap.schema.table("session_session")
    r = snap.schema.table("result_result")
    chosen = filters.clause(snap.schema, snap.dialect, time_zone)
    sessions = snap.scalar(select(func.count()).where(s.c.block_id == block_id, chosen))
    per_session = (
        select(func.count().label("n"))
        .select_from(r.join(s, r.c.session_id == s.c.id))
        .where(s.c.block_id == block_id, chosen)
        .group_by(r.c.session_id)
        .subquery()
    )
    (row,) = snap.rows(
        select(
            func.count(),
            func.coalesce(func.sum(per_session.c.n), 0),
            func.coalesce(func.max(per_session.c.n), 0),
        )
    )
    return int(sessions), int(row[0]), int(row[1]), int(row[2])


_PROFILE_KEYS_SQL = """
WITH firsts AS (
    SELECT s.participant_id, MIN(s.id) AS first_session
    FROM session_session s WHERE s.block_id = :block_id{chosen} GROUP BY s.participant_id
), answers AS (
    SELECT r.question_key AS question_key,
           CASE WHEN r.score IS NOT NULL AND r.score <> 0 THEN 1 ELSE 0 END AS scored,
           f.first_session AS first_session, r.created_at AS created_at, r.id AS id
    FROM firsts f JOIN result_result r ON r.participant_id = f.participant_id
    WHERE r.given_response IS NOT NULL
), ranked AS (
    SELECT question_key, first_session, created_at, id,
           MAX(scored) OVER (PARTITION BY question_key) AS any_scored,
           ROW_NUMBER() OVER (PARTITION BY question_key ORDER BY first_session, created_at, id) AS rn
    FROM answers
)
SELECT question_key, any_scored FROM ranked WHERE rn = 1 ORDER BY first_session, created_at, id
"""

_SESSION_KEYS_SQL = {
    "postgresql": """
SELECT key FROM (
    SELECT k.key AS key, s.id AS sid, k.ord AS ord,
           ROW_NUMBER() OVER (PARTITION BY k.key ORDER BY s.id, k.ord) AS rn
    FROM session_session s
    CROSS JOIN LATERAL jsonb_object_keys(
        CASE WHEN jsonb_typeof(s.json_data::jsonb) = 'object' THEN s.json_data::jsonb ELSE '{}'::jsonb END
    ) WITH ORDINALITY AS k(key, ord)
    WHERE s.block_id = :block_id{chosen}
) keyed WHERE rn = 1 ORDER BY sid, ord
""",
    "sqlite": """
SELECT key FROM (
    SELECT j.key AS key, s.id AS sid, j.id AS ord,
           ROW_NUMBER() OVER (PARTITION BY j.key ORDER BY s.id, j.id) AS rn
    FROM session_session s,
         json_each(CASE WHEN NOT json_valid(s.json_data) THEN '{}'  -- SQLite holds any text
                        WHEN json_type(s.json_data) = 'object' THEN s.json_data ELSE '{}' END) AS j
    WHERE s.block_id = :block_id{chosen}
) keyed WHERE rn = 1 ORDER BY sid, ord
""",
}


def _chosen(snap: Snapshot, query: str, facts: BlockFacts) -> list[Any]:
    """The rows of a text query over `session_session s` of the block, `{chosen}` its filter."""
    condition, params = facts.filters.sql("s", snap.dialect, facts.time_zone)
    return snap.rows(query.replace("{chosen}", condition), {"block_id": facts.block.id, **params})


def block_facts(snap: Snapshot, block_slug: str, filters: SessionFilter, time_zone: str) -> BlockFacts:
    """The block (NotFoundError for an unknown slug) and its counts under `filters`; keys not yet learned."""
    block = snap.block(block_slug)
    sessions, with_results, results, most_results = _result_counts(snap, block.id, filters, time_zone)
    return BlockFacts(
        block_slug=block_slug,
        filters=filters,
        time_zone=time_zone,
        block=block,
        sessions=sessions,
        sessions_with_results=with_results,
        results=results,
        most_results=most_results,
    )


def known_facts(
    snap: Snapshot,
    block_slug: str,
    filters: SessionFilter,
    time_zone: str,
    facts: BlockFacts | None = None,
) -> BlockFacts:
    """`facts` when they are this block's under these filters and time zone, else learned anew."""
    if facts is not None and facts.fits(block_slug, filters, time_zone):
        return facts
    return block_facts(snap, block_slug, filters, time_zone)


def with_profile_columns(snap: Snapshot, facts: BlockFacts) -> BlockFacts:
    """`facts` with the profile column keys in order of first appearance: each question answered by a
    participant of the chosen sessions, then its `_score` when any of its answers is scored."""
    if facts.profile_columns is not None:
        return facts
    keys: list[str] = []
    if facts.sessions:
        for question_key, any_scored in _chosen(snap, _PROFILE_KEYS_SQL, facts):
            keys.append(question_key)
            if any_scored:
                keys.append(f"{question_key}_score")
    return replace(facts, profile_columns=tuple(dict.fromkeys(keys)))


def with_session_json_keys(snap: Snapshot, facts: BlockFacts) -> BlockFacts:
    """`facts` with the top-level keys of the chosen sessions' json_data objects, in order of first
    appearance."""
    if facts.session_json_keys is not None:
        return facts
    keys: tuple[str, ...] = ()
    if facts.sessions:
        keys = tuple(row[0] for row in _chosen(snap, _SESSION_KEYS_SQL[snap.dialect], facts))
    return replace(facts, session_json_keys=keys)


def complete_facts(snap: Snapshot, facts: BlockFacts) -> BlockFacts:
    """`facts` with everything the form's layouts may need learned: both key lists."""
    return with_session_json_keys(snap, with_profile_columns(snap, facts))
