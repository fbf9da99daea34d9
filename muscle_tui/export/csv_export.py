"""CSV export of one block, exactly as CSV-SPEC defines it, streamed.

The header is decided first, from aggregate queries (how many results the largest session has,
which profile questions and session json keys occur), so no row is held: sessions, their trial
results and their participants' profile answers come from three ordered server-side cursors in
one read-only snapshot, and are merged session by session. Memory is bounded by one row (in wide
format, one session's row) whatever the size of the block.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import (
    BigInteger,
    String,
    Text,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import Connection

from muscle_tui.db.catalog import BlockRef, find_block_ref
from muscle_tui.db.connect import error_line, snapshot, translate_errors
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.schema import MuscleSchema
from muscle_tui.errors import DatabaseError
from muscle_tui.export.csv_selection import CsvSelection
from muscle_tui.export.output import atomic_file, check_target, default_output_path
from muscle_tui.export.progress import CancelToken, ExportProgress, ExportResult, ProgressCallback
from muscle_tui.export.streaming import prefetched_batches

PROGRESS_EVERY = 1000
STREAM_BATCH = 2000
PREFETCH_BATCHES = 3
WRITE_BUFFER_CHARS = 1 << 20
CSV_LINE_END = "\r\n"
PROFILE_PREFIX = "profile."
SESSION_DATA_PREFIX = "session_data."
_CONFIG_CACHE_LIMIT = 4096

Cell = str | int | float | None


@dataclass(frozen=True)
class CsvPreview:
    """The first rows of an export, as strings, and the size the whole export would have."""

    header: list[str]
    rows: list[list[str]]
    total_columns: int
    total_rows: int


def default_csv_output(
    block_slug: str, template_name: str, directory: Path | None = None, now: datetime | None = None
) -> Path:
    """`<block slug>-<template>-<UTC timestamp>.csv` in `directory` (the current one by default)."""
    return default_output_path((block_slug, template_name), ".csv", directory, now)


# ---------------------------------------------------------------------------------------------
# Values (CSV-SPEC "Columns and values"). Cells keep None, numbers and booleans as they are
# (`csv_field` writes them: '' and str()), so only nested values and timestamps are converted.


def json_cell(value: object) -> Cell:
    """A value parsed from JSON as its CSV cell: nested objects and lists as JSON text."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value  # type: ignore[return-value]


def timestamp_cell(value: datetime | str | None) -> str | None:
    """A timestamp in UTC as `datetime.isoformat()` writes it; naive (SQLite) values are UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    return value.astimezone(UTC).isoformat()


def cell_text(value: Cell) -> str:
    """A cell as the CSV file holds it."""
    return "" if value is None else str(value)


def _parse_json(raw: str | bytes | None) -> object:
    if raw is None:
        return None
    if not isinstance(raw, (str, bytes)):
        return raw
    return json.loads(raw)


# ---------------------------------------------------------------------------------------------
# The plan: the block, the columns, and how many rows.


@dataclass
class _Plan:
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


def _result_counts(conn: Connection, schema: MuscleSchema, block_id: int) -> tuple[int, int, int, int]:
    """Sessions, sessions with results, results, and the most results any session has."""
    s = schema.table("session_session")
    r = schema.table("result_result")
    sessions = conn.execute(select(func.count()).where(s.c.block_id == block_id)).scalar_one()
    per_session = (
        select(func.count().label("n"))
        .select_from(r.join(s, r.c.session_id == s.c.id))
        .where(s.c.block_id == block_id)
        .group_by(r.c.session_id)
        .subquery()
    )
    row = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(per_session.c.n), 0),
            func.coalesce(func.max(per_session.c.n), 0),
        )
    ).one()
    return int(sessions), int(row[0]), int(row[1]), int(row[2])


_PROFILE_KEYS_SQL = """
WITH firsts AS (
    SELECT participant_id, MIN(id) AS first_session
    FROM session_session WHERE block_id = :block_id GROUP BY participant_id
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
    WHERE s.block_id = :block_id
) keyed WHERE rn = 1 ORDER BY sid, ord
""",
    "sqlite": """
SELECT key FROM (
    SELECT j.key AS key, s.id AS sid, j.id AS ord,
           ROW_NUMBER() OVER (PARTITION BY j.key ORDER BY s.id, j.id) AS rn
    FROM session_session s,
         json_each(CASE WHEN json_type(s.json_data) = 'object' THEN s.json_data ELSE '{}' END) AS j
    WHERE s.block_id = :block_id
) keyed WHERE rn = 1 ORDER BY sid, ord
""",
}


def _profile_columns(conn: Connection, block_id: int) -> list[str]:
    """Profile column keys in order of first appearance: each question, then its `_score`."""
    keys: list[str] = []
    for question_key, any_scored in conn.execute(text(_PROFILE_KEYS_SQL), {"block_id": block_id}):
        keys.append(question_key)
        if any_scored:
            keys.append(f"{question_key}_score")
    return list(dict.fromkeys(keys))


def _session_json_keys(conn: Connection, block_id: int) -> list[str]:
    """Top-level keys of the block's sessions' json_data objects, in order of first appearance."""
    sql = _SESSION_KEYS_SQL[conn.dialect.name]
    return [row[0] for row in conn.execute(text(sql), {"block_id": block_id})]


def _unclashed(name: str, prefix: str, taken: set[str]) -> str:
    while name in taken:
        name = prefix + name
    return name


def _plan(conn: Connection, schema: MuscleSchema, slug: str, selection: CsvSelection) -> _Plan:
    block = find_block_ref(conn, schema, slug)
    sessions, with_results, results, most_results = _result_counts(conn, schema, block.id)
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
        for key in _profile_columns(conn, block.id):
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
            for key in _session_json_keys(conn, block.id):
                column = _unclashed(key, SESSION_DATA_PREFIX, taken)
                taken.add(column)
                json_index[key] = len(session_columns)
                session_columns.append(column)

    header = session_columns + result_columns
    permutation = None
    if selection.sort_columns:
        permutation = sorted(range(len(header)), key=header.__getitem__)
        header = [header[i] for i in permutation]
    return _Plan(
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
    )


# ---------------------------------------------------------------------------------------------
# Rows: three ordered streams merged per session.

_EMPTY: tuple[Cell, ...] = ()


def _stream(conn: Connection, query) -> Iterator[Sequence]:
    return iter(conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(query))


class _Prefetcher:
    """Rows of a PostgreSQL server-side cursor, fetched batch by batch in a background thread.

    The server computes the next batch while Python formats the current one.
    """

    def __init__(self, conn: Connection, query, url) -> None:
        compiled = query.compile(dialect=conn.dialect)
        self._url = url
        self._cursor = conn.connection.dbapi_connection.cursor(name=f"muscle_tui_{uuid.uuid4().hex}")
        try:
            self._cursor.execute(str(compiled), compiled.params)
        except conn.dialect.dbapi.Error as exc:
            raise DatabaseError(f"error reading the database: {error_line(exc, url)}") from None
        self._batches = prefetched_batches(lambda: self._cursor.fetchmany(STREAM_BATCH), PREFETCH_BATCHES)

    def __iter__(self) -> Iterator[tuple]:
        try:
            for batch in self._batches:
                yield from batch
        except Exception as exc:  # noqa: BLE001 - the fetch thread's failure, as one line
            raise DatabaseError(f"error reading the database: {error_line(exc, self._url)}") from None

    def close(self) -> None:
        self._batches.close()
        with contextlib.suppress(Exception):
            self._cursor.close()


def _sql_timestamp(column):
    """A PostgreSQL timestamp as text exactly as Python's isoformat() writes it in UTC."""
    utc = column.op("AT TIME ZONE")(literal("UTC"))
    fraction = case(
        (func.mod(cast(extract("microseconds", column), BigInteger), 1000000) != 0, func.to_char(utc, ".US")),
        else_=literal(""),
    )
    return func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS').concat(fraction).concat(literal("+00:00"))


def json_text_cell(raw: str | None) -> Cell:
    """The cell of a JSON text (numbers, the common case, without the JSON parser)."""
    if raw is None:
        return None
    if raw[0] in "-0123456789":
        if "." in raw or "e" in raw or "E" in raw:
            return float(raw)
        return int(raw)
    return json_cell(json.loads(raw))


class _ResultSource:
    """The block's trial results in (session, created_at, pk) order, as (session id, result part)."""

    def __init__(self, conn: Connection, schema: MuscleSchema, selection: CsvSelection, url) -> None:
        self.conn = conn
        self.schema = schema
        self.selection = selection
        self.url = url
        self.postgres = conn.dialect.name == "postgresql"
        self._config_cache: dict[str, Cell] = {}
        self._closers: list[Callable[[], None]] = []

    def _query(self, block_id: int):
        s = self.schema.table("session_session")
        r = self.schema.table("result_result")
        sel = self.selection
        columns: list = [r.c.session_id]
        source = r.join(s, r.c.session_id == s.c.id)
        transforms: list[tuple[int, Callable[[object], Cell]]] = []
        for key in sel.result_fields:
            if key == "section_name":
                section = self.schema.table("section_section")
                song = self.schema.table("section_song")
                source = source.outerjoin(section, section.c.id == r.c.section_id).outerjoin(
                    song, song.c.id == section.c.song_id
                )
                columns.append(song.c.name)
            elif key == "result_created_at":
                if self.postgres:
                    columns.append(_sql_timestamp(r.c.created_at))
                else:
                    transforms.append((len(columns) - 1, timestamp_cell))
                    columns.append(type_coerce(r.c.created_at, String))
            else:
                columns.append(r.c[_RESULT_FIELD_COLUMNS[key]])
        wants = {
            "decision_time": sel.has("decision_time"),
            "config": sel.has("result_config") and sel.has("convert_result_json"),
            "data": sel.has("result_config") and not sel.has("convert_result_json"),
        }
        self._json_parts = [part for part, wanted in wants.items() if wanted]
        if self.postgres:
            # PostgreSQL extracts the parts; Python parses only those (configs repeat: cached).
            for part in self._json_parts:
                index = len(columns) - 1
                if part == "decision_time":
                    transforms.append((index, json_text_cell))
                    columns.append(cast(r.c.json_data["decision_time"], Text))
                elif part == "config":
                    transforms.append((index, self._config_cell))
                    columns.append(cast(r.c.json_data["config"], Text))
                else:
                    transforms.append((index, _json_document_cell))
                    columns.append(cast(r.c.json_data, Text))
        elif self._json_parts:
            columns.append(cast(r.c.json_data, Text))
        self._transforms = transforms
        return (
            select(*columns)
            .select_from(source)
            .where(s.c.block_id == block_id)
            .order_by(r.c.session_id, r.c.created_at, r.c.id)
        )

    def _config_cell(self, raw: str | None) -> Cell:
        if raw is None:
            return None
        cache = self._config_cache
        try:
            return cache[raw]
        except KeyError:
            if len(cache) >= _CONFIG_CACHE_LIMIT:
                cache.clear()
            value = cache[raw] = json_cell(json.loads(raw))
            return value

    def rows(self, block_id: int) -> Iterator[tuple[int, list[Cell]]]:
        """(session id, result part) for each trial result of the block, in order."""
        query = self._query(block_id)
        transforms = self._transforms
        if self.postgres:
            prefetcher = _Prefetcher(self.conn, query, self.url)
            self._closers.append(prefetcher.close)
            for row in prefetcher:
                cells = list(row)
                session_id = cells.pop(0)
                for index, transform in transforms:
                    cells[index] = transform(cells[index])
                yield session_id, cells
            return
        parts = self._json_parts
        for row in _stream(self.conn, query):
            cells = list(row)
            session_id = cells.pop(0)
            if parts:
                data = _parse_json(cells.pop())
                obj = data if isinstance(data, dict) else {}
                for part in parts:
                    if part == "decision_time":
                        cells.append(json_cell(obj.get("decision_time")))
                    elif part == "config":
                        cells.append(json_cell(obj.get("config")))
                    else:
                        cells.append(json_cell(data))
            for index, transform in transforms:
                cells[index] = transform(cells[index])
            yield session_id, cells

    def close(self) -> None:
        for close in self._closers:
            close()


def _json_document_cell(raw: str | None) -> Cell:
    return None if raw is None else json_cell(json.loads(raw))


def _sessions_query(conn: Connection, schema: MuscleSchema, block_id: int):
    s = schema.table("session_session")
    p = schema.table("participant_participant")
    timestamp = (lambda c: type_coerce(c, String)) if conn.dialect.name == "sqlite" else (lambda c: c)
    return (
        select(
            s.c.id,
            s.c.participant_id,
            p.c.country_code,
            p.c.access_info,
            timestamp(s.c.started_at),
            timestamp(s.c.finished_at),
            s.c.final_score,
            cast(s.c.json_data, Text),
        )
        .select_from(s.outerjoin(p, p.c.id == s.c.participant_id))
        .where(s.c.block_id == block_id)
        .order_by(s.c.id)
    )


def _profiles_query(schema: MuscleSchema, block_id: int):
    s = schema.table("session_session")
    r = schema.table("result_result")
    return (
        select(s.c.id, r.c.question_key, r.c.given_response, r.c.score)
        .select_from(s.join(r, r.c.participant_id == s.c.participant_id))
        .where(and_(s.c.block_id == block_id, r.c.given_response.is_not(None)))
        .order_by(s.c.id, r.c.created_at, r.c.id)
    )


_RESULT_FIELD_COLUMNS = {
    "result_score": "score",
    "result_comment": "comment",
    "expected_response": "expected_response",
    "given_response": "given_response",
    "question_key": "question_key",
}


def _session_cells(plan: _Plan) -> Callable[[Sequence, list[Sequence]], list[Cell]]:
    """A function from a session row and its profile answers to the session part of its rows."""
    block = plan.block
    getters: dict[str, Callable[[Sequence], Cell]] = {
        "block_id": lambda row: block.id,
        "block_name": lambda row: block.name,
        "participant_id": lambda row: row[1],
        "participant_country": lambda row: row[2],
        "participant_access_info": lambda row: row[3],
        "session_start": lambda row: timestamp_cell(row[4]),
        "session_end": lambda row: timestamp_cell(row[5]),
        "final_score": lambda row: row[6],
    }
    fields = [getters[key] for key in plan.selection.session_fields]
    width = plan.session_width
    profile_index = plan.profile_index
    json_index = plan.json_index
    data_index = plan.session_data_index
    spread = bool(json_index)

    def cells(row: Sequence, answers: list[Sequence]) -> list[Cell]:
        values: list[Cell] = [None] * width
        for i, get in enumerate(fields):
            values[i] = get(row)
        for _session_id, question_key, response, score in answers:
            index = profile_index.get(question_key)
            if index is not None:
                values[index] = response
            if score:
                index = profile_index.get(f"{question_key}_score")
                if index is not None:
                    values[index] = score
        if data_index is not None:
            values[data_index] = json_cell(_parse_json(row[7]))
        elif spread:
            data = _parse_json(row[7])
            if isinstance(data, dict):
                for key, value in data.items():
                    index = json_index.get(key)
                    if index is not None:
                        values[index] = json_cell(value)
        return values

    return cells


@contextlib.contextmanager
def _pieces(
    conn: Connection, schema: MuscleSchema, plan: _Plan, url
) -> Iterator[Iterator[tuple[Sequence[Cell], Sequence[Cell]]]]:
    """Every data row of the export as (head, tail), head + tail being the row.

    In long format without sorted columns the head is the session part, the same object for
    all the rows of one session (so a writer renders it once); otherwise it is empty.
    """
    results = _ResultSource(conn, schema, plan.selection, url)
    merged = _merge(conn, schema, plan, results)
    try:
        yield merged
    finally:
        merged.close()
        results.close()


def _merge(conn: Connection, schema: MuscleSchema, plan: _Plan, results: _ResultSource):
    if plan.sessions == 0:
        return
    sel = plan.selection
    block_id = plan.block.id
    session_cells = _session_cells(plan)
    profile_rows: Iterator[Sequence] = iter(())
    if plan.profile_index:
        profile_rows = _stream(conn, _profiles_query(schema, block_id))
    result_rows = results.rows(block_id)
    result_width = len(plan.result_keys) if plan.positions else 0
    padding: list[Cell] = [None] * (result_width * plan.positions)
    permutation = plan.permutation
    wide = sel.wide

    next_answer = next(profile_rows, None)
    next_result = next(result_rows, None)
    for session in _stream(conn, _sessions_query(conn, schema, block_id)):
        session_id = session[0]
        answers: list[Sequence] = []
        while next_answer is not None and next_answer[0] <= session_id:
            if next_answer[0] == session_id:
                answers.append(next_answer)
            next_answer = next(profile_rows, None)
        while next_result is not None and next_result[0] < session_id:
            next_result = next(result_rows, None)
        head = session_cells(session, answers)

        if wide:
            count = 0
            while next_result is not None and next_result[0] == session_id:
                if result_width:
                    head.extend(next_result[1])
                count += 1
                next_result = next(result_rows, None)
            head.extend(padding[: len(padding) - count * result_width])
            yield _EMPTY, (head if permutation is None else [head[i] for i in permutation])
            continue

        if next_result is None or next_result[0] != session_id:
            if permutation is None:
                yield head, padding
            else:
                row = head + padding
                yield _EMPTY, [row[i] for i in permutation]
            continue
        while next_result is not None and next_result[0] == session_id:
            tail = next_result[1] if result_width else _EMPTY
            if permutation is None:
                yield head, tail
            else:
                row = [*head, *tail]
                yield _EMPTY, [row[i] for i in permutation]
            next_result = next(result_rows, None)


# ---------------------------------------------------------------------------------------------
# CSV text: RFC 4180, comma, quotes only where needed, CRLF, exactly as Python's csv.writer
# (QUOTE_MINIMAL) writes it. Rendering the fields here lets a long export render the session
# part of its rows once per session.


def csv_field(value: Cell) -> str:
    """One field as csv.writer writes it: quoted (quotes doubled) if it holds `"`, `,`, CR or LF."""
    if value is None:
        return ""
    if type(value) is str:
        if '"' in value:
            return '"' + value.replace('"', '""') + '"'
        if "," in value or "\n" in value or "\r" in value:
            return '"' + value + '"'
        return value
    if type(value) is float:
        return repr(value)
    return csv_field(str(value))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def neutralise_formula(value: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula, with a leading `'`; others unchanged.

    Text starting with `=`, `+`, `-`, `@`, tab or carriage return gets the `'`, unless it is a
    plain number such as `-12` or `+3.5e2`. Numbers and empty cells are never changed.
    """
    if type(value) is str and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def excel_safe_field(value: Cell) -> str:
    """`csv_field` of the value with any formula neutralised."""
    return csv_field(neutralise_formula(value))


def csv_line(values: Sequence[Cell], field: Callable[[Cell], str] = csv_field) -> str:
    """A record without its line end, as csv.writer writes it (a lone empty field is `""`)."""
    line = ",".join([field(value) for value in values])
    if not line and len(values) == 1:
        return '""'
    return line


class CsvLineWriter:
    """Buffers CSV records and writes them, UTF-8 encoded, to a binary file.

    A record comes as (head, tail): head + tail is the row. A head that is the same object as
    the previous record's is rendered once (the session part of a long export's rows). With
    `excel_safe`, every cell, header included, goes through `neutralise_formula`.
    """

    def __init__(self, handle: BinaryIO, width: int, excel_safe: bool = False) -> None:
        self._handle = handle
        self._lines: list[str] = []
        self._pending = 0
        self._width = width
        self._field = excel_safe_field if excel_safe else csv_field
        self._head: Sequence[Cell] | None = None
        self._head_text = ""

    def header(self, names: Sequence[str]) -> None:
        """The header record."""
        self._append(csv_line(names, self._field))

    def row(self, head: Sequence[Cell], tail: Sequence[Cell]) -> None:
        """The record head + tail; `width` (the header's) tells a lone empty field from none."""
        field = self._field
        if not head:
            self._append(csv_line(tail, field))
            return
        if head is not self._head:
            self._head = head
            self._head_text = ",".join([field(value) for value in head])
        if tail:
            line = self._head_text + "," + ",".join([field(value) for value in tail])
        else:
            line = self._head_text
        if not line and self._width == 1:
            line = '""'
        self._append(line)

    def _append(self, line: str) -> None:
        self._lines.append(line)
        self._pending += len(line)
        if self._pending >= WRITE_BUFFER_CHARS:
            self.flush()

    def flush(self) -> None:
        """Write out the buffered records."""
        if self._lines:
            self._lines.append("")
            self._handle.write(CSV_LINE_END.join(self._lines).encode("utf-8"))
            self._lines.clear()
            self._pending = 0


# ---------------------------------------------------------------------------------------------
# Public entry points.


def write_csv(
    db: MuscleDatabase,
    block_slug: str,
    selection: CsvSelection,
    output: Path,
    *,
    force: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Export the block as CSV into `output` (mode 0600, atomically); `count` is the data rows."""
    started = time.monotonic()
    target = check_target(Path(output), force)
    count = 0
    with snapshot(db.engine) as conn, translate_errors(db.url):
        plan = _plan(conn, db.schema, block_slug, selection)
        if progress is not None:
            progress(ExportProgress(stage="rows", done=0, total=plan.total_rows))
        if cancel is not None:
            cancel.raise_if_cancelled()
        with atomic_file(target, force) as handle, _pieces(conn, db.schema, plan, db.url) as pieces:
            writer = CsvLineWriter(handle, len(plan.header), excel_safe=selection.excel_safe)
            writer.header(plan.header)
            next_report = PROGRESS_EVERY
            for head, tail in pieces:
                writer.row(head, tail)
                count += 1
                if count >= next_report:
                    next_report += PROGRESS_EVERY
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    if progress is not None:
                        progress(ExportProgress(stage="rows", done=count, total=plan.total_rows))
            if cancel is not None:
                cancel.raise_if_cancelled()
            writer.flush()
            size = handle.tell()
    if progress is not None:
        progress(ExportProgress(stage="rows", done=count, total=plan.total_rows))
    return ExportResult(path=str(target), bytes=size, count=count, seconds=time.monotonic() - started)


def preview_csv(db: MuscleDatabase, block_slug: str, selection: CsvSelection, limit: int = 20) -> CsvPreview:
    """The header and first `limit` rows of the export as the file will hold them (Excel-safe
    included), and how many rows the whole export has."""
    rows: list[list[str]] = []
    shown = neutralise_formula if selection.excel_safe else _unchanged
    with snapshot(db.engine) as conn, translate_errors(db.url):
        plan = _plan(conn, db.schema, block_slug, selection)
        if limit > 0:
            with _pieces(conn, db.schema, plan, db.url) as pieces:
                for head, tail in pieces:
                    rows.append([cell_text(shown(value)) for value in (*head, *tail)])
                    if len(rows) >= limit:
                        break
    return CsvPreview(
        header=[cell_text(shown(name)) for name in plan.header],
        rows=rows,
        total_columns=len(plan.header),
        total_rows=plan.total_rows,
    )


def _unchanged(value: Cell) -> Cell:
    return value
