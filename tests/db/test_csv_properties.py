"""Property tests of the CSV export (hypothesis), on real databases where the data matters.

- Long and wide format hold the same values for the same data.
- PostgreSQL and SQLite give the same cells for the same block.
- Every value survives Python's csv writer and reader exactly as CSV-SPEC formats it.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.csv import OPTIONS, RESULT_FIELDS, SESSION_FIELDS, CsvSelection, write_csv
from muscle_tui.export.csv.cells import json_cell
from muscle_tui.export.csv.plan import result_keys
from muscle_tui.export.csv.writer import CsvLineWriter, csv_line
from tests.support.csv_blocks import (
    EPOCH,
    NO_SONG,
    SCHEMA,
    BlockWriter,
    Profile,
    Result,
    Session,
    csv_round_trip,
    read_rows,
    sqlite_database,
    sqlite_url,
)

DB_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text PostgreSQL can store (no NUL) and UTF-8 can encode (no surrogates).
safe_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
finite_floats = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda x: not (x == 0 and math.copysign(1, x) < 0)  # jsonb has no negative zero
)
json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | finite_floats | safe_text
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(safe_text, children, max_size=3),
    max_leaves=6,
)
clashing_keys = st.sampled_from(
    [
        "block_id",
        "participant_id",
        "given_response",
        "decision_time",
        "q",
        "q_score",
        "session_data",
        "001-given_response",
    ]
)
json_keys = clashing_keys | safe_text
session_json = st.none() | st.dictionaries(json_keys, json_values, max_size=4) | json_values
short_text = st.none() | st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=10
)


@st.composite
def results(draw) -> Result:
    return Result(
        created_at=EPOCH + timedelta(microseconds=draw(st.integers(0, 10**9))),
        question_key=draw(st.text(max_size=5).filter(lambda s: "\x00" not in s)),
        expected_response=draw(short_text),
        given_response=draw(short_text),
        comment=draw(st.text(max_size=5).filter(lambda s: "\x00" not in s)),
        score=draw(st.none() | finite_floats),
        song=draw(st.sampled_from([None, NO_SONG, "song a", "song, b"])),
        json_data=draw(
            st.none()
            | st.fixed_dictionaries(
                {}, optional={"decision_time": json_values, "config": json_values, "other": json_values}
            )
            | json_values
        ),
    )


@st.composite
def sessions(draw) -> Session:
    return Session(
        results=draw(st.lists(results(), max_size=4)),
        json_data=draw(session_json),
        profile=[
            Profile(
                question_key=draw(clashing_keys | st.sampled_from(["age", "age_score"])),
                given_response=draw(short_text),
                score=draw(st.none() | st.sampled_from([0.0, 1.0, 2.5])),
                created_at=EPOCH + timedelta(seconds=draw(st.integers(0, 100))),
            )
            for _ in range(draw(st.integers(0, 3)))
        ],
        started_at=EPOCH + timedelta(microseconds=draw(st.integers(0, 10**12))),
        finished_at=draw(st.none() | st.just(EPOCH + timedelta(days=1))),
        final_score=draw(finite_floats),
        access_info=draw(short_text),
    )


selections = st.builds(
    CsvSelection,
    session_fields=st.lists(st.sampled_from(list(SESSION_FIELDS)), unique=True),
    result_fields=st.lists(st.sampled_from(list(RESULT_FIELDS)), unique=True),
    options=st.frozensets(st.sampled_from([o for o in OPTIONS if o != "wide_format"])),
)


@pytest.fixture(scope="module")
def pg_pair(pg):
    url = pg.create("csv_properties")
    pg.psql(url, "-f", str(SCHEMA / "postgres-2025-01.sql"))
    writer = BlockWriter(url)
    db = MuscleDatabase.open(url, "csv-properties")
    yield writer, db
    db.close()
    writer.close()


@pytest.fixture(scope="module")
def sqlite_pair(tmp_path_factory):
    path = sqlite_database(tmp_path_factory.mktemp("csv-properties") / "muscle.sqlite3")
    writer = BlockWriter(sqlite_url(path))
    db = MuscleDatabase.open(sqlite_url(path), "csv-properties")
    yield writer, db
    db.close()
    writer.close()


def export_rows(db: MuscleDatabase, selection: CsvSelection, directory: Path, name: str):
    path = directory / name
    write_csv(db, "block", selection, path, force=True)
    return read_rows(path)


def check_long_equals_wide(db, selection, data, directory):
    long_header, long_rows = export_rows(db, selection, directory, "long.csv")
    wide_selection = selection.replace(options=selection.options | {"wide_format"})
    wide_header, wide_rows = export_rows(db, wide_selection, directory, "wide.csv")
    keys = result_keys(selection)
    counts = [len(s.results) for s in data]
    width = len(keys)
    positions = max(counts, default=0) if width else 0
    session_width = len(wide_header) - positions * width
    assert session_width == len(long_header) - (width if width and sum(counts) else 0)

    assert len(wide_rows) == len(data)
    assert len(long_rows) == sum(max(1, n) for n in counts)
    long_iter = iter(long_rows)
    for wide_row, n in zip(wide_rows, counts):
        for position in range(max(1, n)):
            long_row = next(long_iter)
            assert long_row[:session_width] == wide_row[:session_width]
            result_part = long_row[session_width:]
            if n:
                start = session_width + position * width
                assert result_part == wide_row[start : start + width]
            else:
                assert all(cell == "" for cell in result_part)
        assert all(cell == "" for cell in wide_row[session_width + n * width :])


@pytest.mark.postgres
@DB_SETTINGS
@given(data=st.lists(sessions(), max_size=4), selection=selections)
def test_long_and_wide_hold_the_same_values_postgres(pg_pair, tmp_path_factory, data, selection):
    writer, db = pg_pair
    writer.clear()
    writer.write_block("block", data)
    check_long_equals_wide(db, selection, data, tmp_path_factory.mktemp("lw"))


@DB_SETTINGS
@given(data=st.lists(sessions(), max_size=4), selection=selections)
def test_long_and_wide_hold_the_same_values_sqlite(sqlite_pair, tmp_path_factory, data, selection):
    writer, db = sqlite_pair
    writer.clear()
    writer.write_block("block", data)
    check_long_equals_wide(db, selection, data, tmp_path_factory.mktemp("lw"))


def same_value(a: str, b: str) -> bool:
    """Equal cells, or the same JSON value (jsonb orders object keys its own way, and may give a
    float back as an integer of the same value)."""
    if a == b:
        return True
    try:
        return json.loads(a, parse_int=float) == json.loads(b, parse_int=float)
    except json.JSONDecodeError:
        return False


@pytest.mark.postgres
@DB_SETTINGS
@given(data=st.lists(sessions(), max_size=3), selection=selections, wide=st.booleans())
def test_postgres_and_sqlite_give_the_same_cells(
    pg_pair, sqlite_pair, tmp_path_factory, data, selection, wide
):
    if wide:
        selection = selection.replace(options=selection.options | {"wide_format"})
    directory = tmp_path_factory.mktemp("backends")
    exported = []
    for writer, db in (pg_pair, sqlite_pair):
        writer.clear()
        writer.write_block("block", data)
        exported.append(export_rows(db, selection, directory, f"{len(exported)}.csv"))
    (pg_header, pg_rows), (lite_header, lite_rows) = exported
    assert sorted(pg_header) == sorted(lite_header)
    assert len(pg_rows) == len(lite_rows)
    for pg_row, lite_row in zip(pg_rows, lite_rows):
        pg_cells, lite_cells = dict(zip(pg_header, pg_row)), dict(zip(lite_header, lite_row))
        for column in pg_header:
            assert same_value(pg_cells[column], lite_cells[column]), column


def expected_text(value: object) -> str:
    """CSV-SPEC's formatting of a value parsed from JSON."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@settings(max_examples=500)
@given(values=st.lists(json_values | st.text(), min_size=1, max_size=6))
def test_values_round_trip_through_the_csv_reader(values):
    assume(values != [""] and values != [None])  # a lone empty cell is written '""' (still read back)
    cells = [json_cell(value) for value in values]
    assert csv_round_trip(cells) == [expected_text(value) for value in values]
    for value, text in zip(values, csv_round_trip(cells)):
        if isinstance(value, (dict, list)):
            assert json.loads(text) == value


@pytest.mark.postgres
@DB_SETTINGS
@given(values=st.dictionaries(safe_text.filter(bool), json_values, min_size=1, max_size=5))
def test_session_json_values_round_trip_from_the_database(pg_pair, tmp_path_factory, values):
    writer, db = pg_pair
    writer.clear()
    writer.write_block("block", [Session(json_data=values)])
    selection = CsvSelection((), (), {"session_data", "convert_session_json"})
    header, rows = export_rows(db, selection, tmp_path_factory.mktemp("values"), "v.csv")
    assert rows
    cells = dict(zip(header, rows[0]))
    assert set(cells) == set(values)
    for key, value in values.items():
        assert same_parsed(cells[key], value), key


def same_parsed(cell: str, value: object) -> bool:
    """The cell is the value as CSV-SPEC writes it (numbers compared as numbers: jsonb may
    return 1e16 as 10000000000000000, and orders object keys its own way)."""
    if value is None:
        return cell == ""
    if isinstance(value, (str, bool)):
        return cell == str(value)
    if isinstance(value, (int, float)):
        return float(json.loads(cell)) == float(value)
    return json.loads(cell, parse_int=float) == json.loads(
        json.dumps(value), parse_int=float
    ) and cell == json.dumps(json.loads(cell), ensure_ascii=False)


cell_values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.sampled_from(['"', ",", "\r", "\n", " ", "a", "é", "🎵", "'", "\t", ";"]))
    | st.text()
)


def csv_writer_text(rows: list[list[object]]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


@settings(max_examples=1000)
@given(values=st.lists(cell_values, max_size=6))
def test_records_are_rendered_exactly_as_python_csv_writer_does(values):
    assert csv_line(values) + "\r\n" == csv_writer_text([values])


@st.composite
def sessions_of_records(draw):
    """Heads (session parts) of one width, each with tails (result parts) of another."""
    head_width = draw(st.integers(0, 3))
    tail_width = draw(st.integers(0, 2))
    cells = lambda n: st.lists(cell_values, min_size=n, max_size=n)  # noqa: E731
    heads = draw(st.lists(cells(head_width), min_size=1, max_size=3))
    return head_width + tail_width, [
        (head, draw(st.lists(cells(tail_width), min_size=1, max_size=3))) for head in heads
    ]


@settings(max_examples=500)
@given(records=sessions_of_records())
def test_line_writer_with_shared_heads_equals_csv_writer(records):
    """A head rendered once for several records gives the same bytes as csv.writer."""
    width, sessions_ = records
    handle = io.BytesIO()
    writer = CsvLineWriter(handle, width)
    rows = []
    for head, tails in sessions_:
        for tail in tails:
            writer.row(head, tail)
            rows.append([*head, *tail])
    writer.flush()
    assert handle.getvalue().decode("utf-8") == csv_writer_text(rows)
