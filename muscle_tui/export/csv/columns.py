"""What each column of a CSV export holds: its name, Table Schema type and description.

Fixed fields have fixed types; columns taken from `json_data` are typed from the JSON types
actually present in the exported sessions and results, found by aggregate queries
(`jsonb_typeof` on PostgreSQL, `json_type` on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from muscle_tui.db.stream import Snapshot
from muscle_tui.export.csv.cells import neutralise_formula
from muscle_tui.export.csv.muscle2026 import HEADER as MUSCLE_2026_HEADER
from muscle_tui.export.csv.plan import CsvPlan, wide_prefix
from muscle_tui.export.csv.selection import OPTIONS, RESULT_FIELDS, SESSION_FIELDS


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an export: its name as written in the header, its type and description."""

    name: str
    type: str
    description: str


FIELD_TYPES: dict[str, str] = {
    "session_id": "integer",
    "block_id": "integer",
    "participant_id": "integer",
    "session_start": "datetime",
    "session_end": "datetime",
    "final_score": "number",
    "result_id": "integer",
    "result_created_at": "datetime",
    "result_score": "number",
}

MUSCLE_2026_COLUMNS: dict[str, tuple[str, str]] = {
    "session__id": ("integer", "the trial result's session (empty on a profile answer)"),
    "participant__id": ("integer", "the participant"),
    "participant__country_code": ("string", "the participant's country code (profile answers only)"),
    "question_key": ("string", "the question key"),
    "expected_response": ("string", "the expected response"),
    "given_response": ("string", "the given response"),
    "created_at": ("string", "when the answer was given, as MUSCLE 2026 writes it (Python's str())"),
    "score": ("number", "the score"),
    "section__song__name": ("string", "the name of the song of the result's section"),
    "section__song__artist": ("string", "the artist of the song of the result's section"),
    "section__tag": ("string", "the tag of the result's section"),
    "section__group": ("string", "the group of the result's section"),
}

_PG_KIND = (
    "CASE jsonb_typeof({v}) WHEN 'number' THEN "
    "CASE WHEN ({v} #>> '{{}}') ~ '^-?[0-9]+$' THEN 'integer' ELSE 'number' END "
    "ELSE jsonb_typeof({v}) END"
)
_PG_OBJECT = "CASE WHEN jsonb_typeof({d}::jsonb) = 'object' THEN {d}::jsonb ELSE '{{}}'::jsonb END"
_SQLITE_KINDS = {"true": "boolean", "false": "boolean", "real": "number", "text": "string"}

_SESSION_KEY_KINDS = {
    "postgresql": f"""
SELECT DISTINCT k.key, {_PG_KIND.format(v="k.value")}
FROM session_session s CROSS JOIN LATERAL jsonb_each({_PG_OBJECT.format(d="s.json_data")}) AS k(key, value)
WHERE s.block_id = :block_id{{chosen}}
""",
    "sqlite": """
SELECT DISTINCT j.key, j.type
FROM session_session s,
     json_each(CASE WHEN NOT json_valid(s.json_data) THEN '{}'
                    WHEN json_type(s.json_data) = 'object' THEN s.json_data ELSE '{}' END) AS j
WHERE s.block_id = :block_id{chosen}
""",
}

_SESSION_DATA_KINDS = {
    "postgresql": f"SELECT DISTINCT {_PG_KIND.format(v='s.json_data::jsonb')} "
    "FROM session_session s WHERE s.block_id = :block_id{chosen}",
    "sqlite": "SELECT DISTINCT CASE WHEN NOT json_valid(s.json_data) THEN 'text' "
    "ELSE json_type(s.json_data) END FROM session_session s "
    "WHERE s.block_id = :block_id{chosen} AND s.json_data IS NOT NULL",
}

_RESULT_FROM = (
    "FROM result_result r JOIN session_session s ON r.session_id = s.id WHERE s.block_id = :block_id{chosen}"
)


def _result_kinds_query(dialect: str, member: str | None) -> str:
    """The distinct JSON kinds of `json_data` (or its top-level `member`) of the exported results."""
    if dialect == "postgresql":
        value = (
            "r.json_data::jsonb"
            if member is None
            else f"({_PG_OBJECT.format(d='r.json_data')} -> '{member}')"
        )
        return f"SELECT DISTINCT {_PG_KIND.format(v=value)} {_RESULT_FROM}"
    if member is None:
        kind = "CASE WHEN NOT json_valid(r.json_data) THEN 'text' ELSE json_type(r.json_data) END"
    else:
        kind = f"CASE WHEN json_valid(r.json_data) THEN json_type(r.json_data, '$.{member}') END"
    return f"SELECT DISTINCT {kind} {_RESULT_FROM} AND r.json_data IS NOT NULL"


def table_schema_type(kinds: Iterable[str | None]) -> str:
    """The Table Schema type of a column whose values have these JSON kinds (nulls ignored):
    `integer` when every number is integral, `string` for mixed scalars, `any` for scalars mixed
    with nested values (or two kinds of nested value)."""
    found = {_SQLITE_KINDS.get(kind, kind) for kind in kinds if kind is not None and kind != "null"}
    if found == {"integer", "number"}:
        return "number"
    if len(found) == 1:
        return found.pop()
    if not found:
        return "string"
    if found & {"object", "array"}:
        return "any"
    return "string"


def _kinds(snap: Snapshot, query: str, plan: CsvPlan) -> list[tuple[str | None, ...]]:
    condition, params = plan.filters.sql("s", snap.dialect, plan.time_zone)
    return [
        tuple(row)
        for row in snap.rows(query.replace("{chosen}", condition), {"block_id": plan.block.id, **params})
    ]


def _session_key_types(snap: Snapshot, plan: CsvPlan) -> dict[str, str]:
    kinds: dict[str, list[str | None]] = {}
    for key, kind in _kinds(snap, _SESSION_KEY_KINDS[snap.dialect], plan):
        kinds.setdefault(str(key), []).append(kind)
    return {key: table_schema_type(found) for key, found in kinds.items()}


def _result_part_types(snap: Snapshot, plan: CsvPlan) -> dict[str, tuple[str, str]]:
    """Type and description of each key of a result's part of a row."""
    parts: dict[str, tuple[str, str]] = {}
    for key in plan.result_keys:
        if key in RESULT_FIELDS:
            parts[key] = (FIELD_TYPES.get(key, "string"), RESULT_FIELDS[key])
            continue
        member = {"decision_time": "decision_time", "result_config": "config"}.get(key)
        found = [row[0] for row in _kinds(snap, _result_kinds_query(snap.dialect, member), plan)]
        label = {
            "decision_time": OPTIONS["decision_time"],
            "result_config": "result json `config`",
            "result_data": "result json_data",
        }[key]
        parts[key] = (table_schema_type(found), label)
    return parts


def form_columns(snap: Snapshot, plan: CsvPlan) -> list[ColumnSpec]:
    """The columns of a form-layout export in header order, typed from the data of `plan`."""
    session_names = plan.header if plan.permutation is None else _unsorted(plan)
    specs: list[ColumnSpec] = []
    for index, key in enumerate(plan.selection.session_fields):
        specs.append(ColumnSpec(session_names[index], FIELD_TYPES.get(key, "string"), SESSION_FIELDS[key]))
    by_index = {index: key for key, index in plan.profile_index.items()}
    for index, key in by_index.items():
        if key.endswith("_score") and key[: -len("_score")] in plan.profile_index:
            specs.append(ColumnSpec(session_names[index], "number", f"profile question `{key[:-6]}` score"))
        else:
            specs.append(ColumnSpec(session_names[index], "string", f"profile question `{key}`"))
    if plan.session_data_index is not None:
        found = [row[0] for row in _kinds(snap, _SESSION_DATA_KINDS[snap.dialect], plan)]
        specs.append(ColumnSpec("session_data", table_schema_type(found), OPTIONS["session_data"]))
    if plan.json_index:
        types = _session_key_types(snap, plan)
        for key, index in plan.json_index.items():
            specs.append(
                ColumnSpec(session_names[index], types.get(key, "string"), f"session json key `{key}`")
            )
    parts = _result_part_types(snap, plan) if plan.positions else {}
    for position in range(1, plan.positions + 1):
        for key in plan.result_keys:
            kind, label = parts[key]
            if plan.selection.wide:
                name = wide_prefix(position) + key
                specs.append(ColumnSpec(name, kind, f"result {position:03d} `{key}`: {label}"))
            else:
                specs.append(ColumnSpec(key, kind, label))
    if plan.permutation is not None:
        specs = [specs[i] for i in plan.permutation]
    if plan.selection.excel_safe:
        specs = [ColumnSpec(str(neutralise_formula(s.name)), s.type, s.description) for s in specs]
    return specs


def _unsorted(plan: CsvPlan) -> list[str]:
    names = [""] * len(plan.header)
    assert plan.permutation is not None
    for position, original in enumerate(plan.permutation):
        names[original] = plan.header[position]
    return names


def muscle_2026_columns() -> list[ColumnSpec]:
    """The fixed columns of MUSCLE 2026's own CSV."""
    return [ColumnSpec(name, *MUSCLE_2026_COLUMNS[name]) for name in MUSCLE_2026_HEADER]
