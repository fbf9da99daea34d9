"""The plan of one CSV export: its block, its header and how many rows it has.

The header is decided before any row is read, from aggregate queries (how many results the
largest session has, which profile questions and session json keys occur), so the rows can be
streamed without holding any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from muscle_tui.db.catalog import BlockRef
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from muscle_tui.db.stream import Snapshot
from muscle_tui.export.csv.selection import CsvSelection

PROFILE_PREFIX = "profile."
SESSION_DATA_PREFIX = "session_data."


@dataclass(frozen=True)
class CsvPlan:
    """The columns of an export and where each part of a row goes.

    `session_width` columns come from the session (fields, profile answers, session data), then
    `positions` groups of `result_keys` (one group in long format). `permutation`, when the
    columns are sorted, maps header positions to those of the unsorted row.
    """

    block: BlockRef
    selection: CsvSelection
    header: list[str]
    session_width: int
    result_keys: tuple[str, ...]
    positions: int
    profile_index: dict[str, int]
    json_index: dict[str, int]
    session_data_index: int | None
    permutation: list[int] | None
    sessions: int
    total_rows: int
    filters: SessionFilter = NO_FILTER
    time_zone: str = "UTC"


def result_keys(selection: CsvSelection) -> tuple[str, ...]:
    """The columns of one trial result's part of a row, unprefixed, in CSV-SPEC order."""
    keys = list(selection.result_fields)
    if selection.has("decision_time"):
        keys.append("decision_time")
    if selection.has("result_config"):
        keys.append("result_config" if selection.has("convert_result_json") else "result_data")
    return tuple(keys)


def wide_prefix(position: int) -> str:
    """The prefix of the `position`-th (1-based) result's columns in wide format: `001-`."""
    return str(position).zfill(3) + "-"


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


def _chosen(snap: Snapshot, query: str, block_id: int, filters: SessionFilter, time_zone: str) -> list[Any]:
    """The rows of a text query over `session_session s` of the block, `{chosen}` its filter."""
    condition, params = filters.sql("s", snap.dialect, time_zone)
    return snap.rows(query.replace("{chosen}", condition), {"block_id": block_id, **params})


def _profile_columns(snap: Snapshot, block_id: int, filters: SessionFilter, time_zone: str) -> list[str]:
    """Profile column keys in order of first appearance: each question, then its `_score`."""
    keys: list[str] = []
    for question_key, any_scored in _chosen(snap, _PROFILE_KEYS_SQL, block_id, filters, time_zone):
        keys.append(question_key)
        if any_scored:
            keys.append(f"{question_key}_score")
    return list(dict.fromkeys(keys))


def _session_json_keys(snap: Snapshot, block_id: int, filters: SessionFilter, time_zone: str) -> list[str]:
    """Top-level keys of the block's sessions' json_data objects, in order of first appearance."""
    query = _SESSION_KEYS_SQL[snap.dialect]
    return [row[0] for row in _chosen(snap, query, block_id, filters, time_zone)]


def _unclashed(name: str, prefix: str, taken: set[str]) -> str:
    while name in taken:
        name = prefix + name
    return name


def plan_export(
    snap: Snapshot,
    block_slug: str,
    selection: CsvSelection,
    filters: SessionFilter = NO_FILTER,
    time_zone: str = "UTC",
) -> CsvPlan:
    """The plan of exporting this block's sessions that pass `filters` with this selection
    (NotFoundError for an unknown block)."""
    block = snap.block(block_slug)
    sessions, with_results, results, most_results = _result_counts(snap, block.id, filters, time_zone)
    keys = result_keys(selection)
    if selection.wide:
        positions = most_results if keys else 0
        result_columns = [wide_prefix(p) + key for p in range(1, positions + 1) for key in keys]
        total_rows = sessions
    else:
        positions = 1 if keys and results else 0
        result_columns = list(keys) if positions else []
        total_rows = sessions - with_results + results

    session_columns = list(selection.session_fields)
    taken = set(session_columns) | set(result_columns)
    keep_json = selection.has("session_data") and not selection.has("convert_session_json")
    if keep_json and sessions:
        taken.add("session_data")

    profile_index: dict[str, int] = {}
    if selection.has("export_profile") and sessions:
        for key in _profile_columns(snap, block.id, filters, time_zone):
            column = _unclashed(key, PROFILE_PREFIX, taken)
            taken.add(column)
            profile_index[key] = len(session_columns)
            session_columns.append(column)

    json_index: dict[str, int] = {}
    session_data_index: int | None = None
    if selection.has("session_data") and sessions:
        if keep_json:
            session_data_index = len(session_columns)
            session_columns.append("session_data")
        else:
            for key in _session_json_keys(snap, block.id, filters, time_zone):
                column = _unclashed(key, SESSION_DATA_PREFIX, taken)
                taken.add(column)
                json_index[key] = len(session_columns)
                session_columns.append(column)

    header = session_columns + result_columns
    permutation = None
    if selection.sort_columns:
        permutation = sorted(range(len(header)), key=header.__getitem__)
        header = [header[i] for i in permutation]
    return CsvPlan(
        block=block,
        selection=selection,
        header=header,
        session_width=len(session_columns),
        result_keys=keys,
        positions=positions,
        profile_index=profile_index,
        json_index=json_index,
        session_data_index=session_data_index,
        permutation=permutation,
        sessions=sessions,
        total_rows=total_rows,
        filters=filters,
        time_zone=time_zone,
    )
