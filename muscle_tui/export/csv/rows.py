"""The rows of a CSV export: three ordered streams of one snapshot, merged session by session.

Sessions (with their participants), trial results and profile answers each come in session order
from the snapshot's streams, which hand over raw driver rows: timestamps and JSON are therefore
selected as text (or as the driver's datetime) and converted here, never by SQLAlchemy. Memory is
bounded by one row (in wide format, one session's row) and a few fetched batches, whatever the
size of the block.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Text, and_, cast, func, literal, select
from sqlalchemy.sql import ColumnElement, Select

from muscle_tui.db.filters import NO_FILTER, SessionFilter, check_time_zone
from muscle_tui.db.stream import Snapshot
from muscle_tui.export.csv.cells import (
    CachedJsonCells,
    Cell,
    json_cell,
    json_document_cell,
    json_member_cells,
    json_text_cell,
    json_value_cell,
    parse_json,
    timestamp_cell,
)
from muscle_tui.export.csv.plan import CsvPlan
from muscle_tui.export.csv.selection import CsvSelection

Row = Sequence[Any]
Piece = tuple[Sequence[Cell], Sequence[Cell]]
Transform = Callable[[Any], Cell]

_EMPTY: tuple[Cell, ...] = ()
SESSION_BATCH = 250  # sessions, or profile answers, per fetch
_T = TypeVar("_T")

RESULT_FIELD_COLUMNS = {
    "result_score": "score",
    "result_comment": "comment",
    "expected_response": "expected_response",
    "given_response": "given_response",
    "question_key": "question_key",
}


SQL_TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM'


def _sql_timestamp(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A PostgreSQL timestamp as text in CSV-SPEC's one form, in the transaction's time zone
    (`use_time_zone`): `2024-07-22T12:26:50.911000+02:00`."""
    return func.to_char(column, literal(SQL_TIMESTAMP_FORMAT))


def use_time_zone(snap: Snapshot, time_zone: str) -> None:
    """On PostgreSQL, write the snapshot's timestamps in `time_zone` (for its transaction only)."""
    check_time_zone(time_zone)
    if snap.postgres:
        snap.scalar("SELECT set_config('TimeZone', :zone, true)", {"zone": time_zone})


class ResultRows:
    """The block's trial results in (session, created_at, pk) order, as (session id, result part).

    On PostgreSQL the server extracts the JSON parts and formats the timestamps; on SQLite the
    whole json_data is parsed here.
    """

    def __init__(
        self,
        snap: Snapshot,
        selection: CsvSelection,
        filters: SessionFilter = NO_FILTER,
        time_zone: str = "UTC",
    ) -> None:
        self.snap = snap
        self.selection = selection
        self.filters = filters
        self.time_zone = time_zone
        wanted = {
            "decision_time": selection.has("decision_time"),
            "config": selection.has("result_config") and selection.has("convert_result_json"),
            "data": selection.has("result_config") and not selection.has("convert_result_json"),
        }
        self.json_parts = [part for part, wants in wanted.items() if wants]

    def query(self, block_id: int) -> tuple[Select[Any], list[tuple[int, Transform]]]:
        """The SELECT of the results' columns, and the conversion of each raw cell that needs one."""
        schema = self.snap.schema
        postgres = self.snap.postgres
        s = schema.table("session_session")
        r = schema.table("result_result")
        sel = self.selection
        columns: list[ColumnElement[Any]] = [r.c.session_id]
        source = r.join(s, r.c.session_id == s.c.id)
        transforms: list[tuple[int, Transform]] = []
        for key in sel.result_fields:
            if key == "result_id":
                columns.append(r.c.id)
            elif key == "section_name":
                section = schema.table("section_section")
                song = schema.table("section_song")
                source = source.outerjoin(section, section.c.id == r.c.section_id).outerjoin(
                    song, song.c.id == section.c.song_id
                )
                columns.append(song.c.name)
            elif key == "result_created_at":
                if postgres:
                    columns.append(_sql_timestamp(r.c.created_at))
                else:
                    zone = check_time_zone(self.time_zone)
                    transforms.append((len(columns) - 1, functools.partial(timestamp_cell, zone=zone)))
                    columns.append(r.c.created_at)
            else:
                columns.append(r.c[RESULT_FIELD_COLUMNS[key]])
        if postgres:
            # Python parses only the parts; configurations repeat, so theirs are cached.
            for part in self.json_parts:
                index = len(columns) - 1
                if part == "decision_time":
                    transforms.append((index, json_text_cell))
                    columns.append(cast(r.c.json_data["decision_time"], Text))
                elif part == "config":
                    transforms.append((index, CachedJsonCells()))
                    columns.append(cast(r.c.json_data["config"], Text))
                else:
                    transforms.append((index, json_document_cell))
                    columns.append(cast(r.c.json_data, Text))
        elif self.json_parts:
            columns.append(cast(r.c.json_data, Text))
        query = (
            select(*columns)
            .select_from(source)
            .where(s.c.block_id == block_id, self.filters.clause(schema, self.snap.dialect, self.time_zone))
            .order_by(r.c.session_id, r.c.created_at, r.c.id)
        )
        return query, transforms

    def rows(self, block_id: int) -> Iterator[tuple[int, list[Cell]]]:
        """(session id, result part) for each trial result of the block, in order."""
        query, transforms = self.query(block_id)
        parts = [] if self.snap.postgres else self.json_parts
        with contextlib.ExitStack() as stream_closer:
            for row in _closed_on_exit(stream_closer, self.snap.stream(query)):
                cells = list(row)
                session_id = cells.pop(0)
                if parts:
                    self._spread_json(cells, parts)
                for index, transform in transforms:
                    cells[index] = transform(cells[index])
                yield session_id, cells

    @staticmethod
    def _spread_json(cells: list[Cell], parts: list[str]) -> None:
        raw = cells.pop()
        try:
            data = parse_json(raw)
            obj = data if isinstance(data, dict) else {}
            spread = [json_cell(data) if part == "data" else json_cell(obj.get(part)) for part in parts]
        except (RecursionError, ValueError):  # too deep for Python, or not JSON: what can be read
            members = json_member_cells(raw)
            spread = [json_value_cell(raw) if part == "data" else members.get(part) for part in parts]
        cells.extend(spread)


def _sessions_query(snap: Snapshot, block_id: int, chosen: ColumnElement[bool]) -> Select[Any]:
    s = snap.schema.table("session_session")
    p = snap.schema.table("participant_participant")
    return (
        select(
            s.c.id,
            s.c.participant_id,
            p.c.country_code,
            p.c.access_info,
            s.c.started_at,
            s.c.finished_at,
            s.c.final_score,
            cast(s.c.json_data, Text),
        )
        .select_from(s.outerjoin(p, p.c.id == s.c.participant_id))
        .where(s.c.block_id == block_id, chosen)
        .order_by(s.c.id)
    )


def _profiles_query(snap: Snapshot, block_id: int, chosen: ColumnElement[bool]) -> Select[Any]:
    s = snap.schema.table("session_session")
    r = snap.schema.table("result_result")
    return (
        select(s.c.id, r.c.question_key, r.c.given_response, r.c.score)
        .select_from(s.join(r, r.c.participant_id == s.c.participant_id))
        .where(and_(s.c.block_id == block_id, r.c.given_response.is_not(None), chosen))
        .order_by(s.c.id, r.c.created_at, r.c.id)
    )


def session_cells(plan: CsvPlan) -> Callable[[Row, list[Row]], list[Cell]]:
    """A function from a session row and its profile answers to the session part of its rows."""
    block = plan.block
    zone = check_time_zone(plan.time_zone)
    getters: dict[str, Callable[[Row], Cell]] = {
        "session_id": lambda row: row[0],
        "block_id": lambda row: block.id,
        "block_name": lambda row: block.name,
        "participant_id": lambda row: row[1],
        "participant_country": lambda row: row[2],
        "participant_access_info": lambda row: row[3],
        "session_start": lambda row: timestamp_cell(row[4], zone),
        "session_end": lambda row: timestamp_cell(row[5], zone),
        "final_score": lambda row: row[6],
    }
    fields = [getters[key] for key in plan.selection.session_fields]
    width = plan.session_width
    profile_index = plan.profile_index
    json_index = plan.json_index
    data_index = plan.session_data_index
    spread = bool(json_index)

    def cells(row: Row, answers: list[Row]) -> list[Cell]:
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
            values[data_index] = json_value_cell(row[7])
        elif spread:
            for key, cell in json_member_cells(row[7]).items():
                index = json_index.get(key)
                if index is not None:
                    values[index] = cell
        return values

    return cells


@contextlib.contextmanager
def export_rows(snap: Snapshot, plan: CsvPlan) -> Iterator[Iterator[Piece]]:
    """Every data row of the export as (head, tail), head + tail being the row.

    In long format without sorted columns the head is the session part, the same object for
    all the rows of one session (so a writer renders it once); otherwise it is empty. Leaving
    the block closes the three streams (and their cursors).
    """
    if plan.sessions == 0:
        yield iter(())
        return
    block_id = plan.block.id
    chosen = plan.filters.clause(snap.schema, snap.dialect, plan.time_zone)
    with contextlib.ExitStack() as streams:
        profile_rows: Iterator[Row] = iter(())
        if plan.profile_index:
            profile_rows = _closed_on_exit(streams, _stream(snap, _profiles_query(snap, block_id, chosen)))
        results = ResultRows(snap, plan.selection, plan.filters, plan.time_zone)
        result_rows = _closed_on_exit(streams, results.rows(block_id))
        sessions = _closed_on_exit(streams, _stream(snap, _sessions_query(snap, block_id, chosen)))
        yield _closed_on_exit(streams, _merge(plan, sessions, result_rows, profile_rows))


def _stream(snap: Snapshot, query: Select[Any]) -> Iterator[Row]:
    """Rows fetched `SESSION_BATCH` at a time. Sessions and profile answers are used slowly (a
    session's results come between two of them): smaller batches keep their read-ahead small."""
    batches = snap.batches(query, size=SESSION_BATCH)
    try:
        for batch in batches:
            yield from batch
    finally:
        batches.close()


def _closed_on_exit(streams: contextlib.ExitStack, rows: Iterator[_T]) -> Iterator[_T]:
    """`rows`, closed (its cursor released) when `streams` exits; streams close last-in first-out."""
    close = getattr(rows, "close", None)
    if close is not None:
        streams.callback(close)
    return rows


def _merge(
    plan: CsvPlan,
    sessions: Iterator[Row],
    result_rows: Iterator[tuple[int, list[Cell]]],
    profile_rows: Iterator[Row],
) -> Iterator[Piece]:
    cells_of = session_cells(plan)
    result_width = len(plan.result_keys) if plan.positions else 0
    padding: list[Cell] = [None] * (result_width * plan.positions)
    permutation = plan.permutation
    wide = plan.selection.wide

    next_answer = next(profile_rows, None)
    next_result = next(result_rows, None)
    for session in sessions:
        session_id = session[0]
        answers: list[Row] = []
        while next_answer is not None and next_answer[0] <= session_id:
            if next_answer[0] == session_id:
                answers.append(next_answer)
            next_answer = next(profile_rows, None)
        while next_result is not None and next_result[0] < session_id:
            next_result = next(result_rows, None)
        head = cells_of(session, answers)

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
