"""The plan of one CSV export: its block, its header and how many rows it has.

The header is decided before any row is read, from aggregate queries (how many results the
largest session has, which profile questions and session json keys occur: the block's facts,
`muscle_tui.export.csv.facts`), so the rows can be streamed without holding any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from muscle_tui.db.catalog import BlockRef
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from muscle_tui.db.stream import Snapshot
from muscle_tui.export.csv.facts import (
    BlockFacts,
    known_facts,
    with_profile_columns,
    with_session_json_keys,
)
from muscle_tui.export.csv.selection import CsvSelection

PROFILE_PREFIX = "profile."
SESSION_DATA_PREFIX = "session_data."


@dataclass(frozen=True)
class CsvPlan:
    """The columns of an export and where each part of a row goes.

    `session_width` columns come from the session (fields, profile answers, session data), then
    `positions` groups of `result_keys` (one group in long format). `permutation`, when the
    columns are sorted, maps header positions to those of the unsorted row. `facts` are what
    the plan learned about the block that does not depend on the selection.
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
    facts: BlockFacts | None = None


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
    facts: BlockFacts | None = None,
) -> CsvPlan:
    """The plan of exporting this block's sessions that pass `filters` with this selection
    (NotFoundError for an unknown block).

    `facts` learned earlier for this block, filters and time zone (a preview's) are used rather
    than queried again; facts of another block, filters or time zone are ignored. The plan's
    `facts` hold what it used, with whatever it had to learn added.
    """
    facts = known_facts(snap, block_slug, filters, time_zone, facts)
    sessions = facts.sessions
    keys = result_keys(selection)
    if selection.wide:
        positions = facts.most_results if keys else 0
        result_columns = [wide_prefix(p) + key for p in range(1, positions + 1) for key in keys]
        total_rows = sessions
    else:
        positions = 1 if keys and facts.results else 0
        result_columns = list(keys) if positions else []
        total_rows = sessions - facts.sessions_with_results + facts.results

    session_columns = list(selection.session_fields)
    taken = set(session_columns) | set(result_columns)
    keep_json = selection.has("session_data") and not selection.has("convert_session_json")
    if keep_json and sessions:
        taken.add("session_data")

    profile_index: dict[str, int] = {}
    if selection.has("export_profile") and sessions:
        facts = with_profile_columns(snap, facts)
        for key in facts.profile_columns or ():
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
            facts = with_session_json_keys(snap, facts)
            for key in facts.session_json_keys or ():
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
        block=facts.block,
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
        facts=facts,
    )
