"""The Parquet export (issue 11 item 6): the CSV export's rows and columns, typed, in row groups.

Every check reads the Parquet file back with pyarrow and compares it with the CSV of the same
selection (`assert_parquet_matches_csv`): the same header and rows, each value equal once typed,
int64 ids, double scores, timestamps as the same instants in a `timestamp[us, <zone>]` column,
booleans, and text kept as text (`0042`), nested values as JSON text.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import muscle_tui.export.parquet.export as parquet_export
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import SessionFilter
from muscle_tui.errors import ExportCancelled
from muscle_tui.export.csv import BUILTIN_ORDER, CsvSelection, find_template, write_csv
from muscle_tui.export.datapackage import PARQUET_MEDIATYPE, datapackage_path
from muscle_tui.export.files import OutputExists
from muscle_tui.export.parquet import (
    PARQUET_EXTRA_MESSAGE,
    ParquetValueError,
    default_parquet_name,
    parquet_available,
    write_parquet,
)
from tests.conftest import SCHEMA
from tests.support.csv_blocks import BlockWriter, Profile, Result, Session, at, sqlite_database, sqlite_url
from tests.support.json_reference import BLOCKS_2026, EDGE_BLOCKS
from tests.support.parquet_check import assert_parquet_matches_csv, parquet_package

ROOT = Path(__file__).resolve().parents[2]
FIELDS = CsvSelection(
    ("session_id", "participant_id", "session_start", "session_end", "final_score"),
    ("result_id", "result_created_at", "result_score", "expected_response", "given_response", "question_key"),
    frozenset(
        {"export_profile", "session_data", "convert_session_json", "decision_time", "result_config"}
        | {"convert_result_json"}
    ),
)
TYPED = [
    Session(
        json_data={
            "n": 3,
            "x": 1.5,
            "flag": True,
            "tag": "a",
            "mixed": 1,
            "nest": {"a": [1, "é"]},
            "both": 1,
        },
        profile=[Profile("age", "0042", score=2.0)],
        results=[
            Result(
                at(1),
                given_response="0042",
                expected_response="007",
                score=1.0,
                json_data={"decision_time": 2},
            ),
            Result(at(2), given_response="1", json_data={"decision_time": 2.5, "config": {"k": [1]}}),
        ],
        started_at=at(0),
        finished_at=None,
    ),
    Session(
        json_data={"n": 4, "x": 2, "flag": False, "mixed": "two", "nest": {"b": 2}, "both": [1]},
        results=[Result(at(3605.25), given_response="0007", json_data=None, song="Song, one")],
        started_at=at(3600),
        finished_at=at(3700.5),
        final_score=1.5,
    ),
]


def export_both(db, slug, selection, tmp_path: Path, name: str, **options) -> tuple[Path, Path]:
    """The CSV and the Parquet file of the same export; their counts agree."""
    (tmp_path / "csv").mkdir(exist_ok=True)  # each with its data package, X.datapackage.json
    csv, parquet = tmp_path / "csv" / f"{name}.csv", tmp_path / f"{name}.parquet"
    written_csv = write_csv(db, slug, selection, csv, **options)
    written = write_parquet(db, slug, selection, parquet, **options)
    assert written.count == written_csv.count
    assert written.bytes == parquet.stat().st_size
    return csv, parquet


@pytest.mark.postgres
@pytest.mark.parametrize(("fixture", "blocks"), [("edge_url", EDGE_BLOCKS), ("sample2026_url", BLOCKS_2026)])
def test_every_template_matches_its_csv_on_both_schema_releases(request, fixture, blocks, tmp_path):
    db = MuscleDatabase.open(request.getfixturevalue(fixture), fixture)
    try:
        for slug in blocks:
            for number, name in enumerate(BUILTIN_ORDER):
                zone = ("UTC", "Europe/Amsterdam", "America/Sao_Paulo")[number % 3]
                selection = find_template(name).selection
                csv, parquet = export_both(db, slug, selection, tmp_path, f"{slug}-{name}", time_zone=zone)
                assert_parquet_matches_csv(parquet, csv, zone, exact_timestamps=name != "muscle_2026")
    finally:
        db.close()


def test_the_demo_matches_its_csv(demo_database, tmp_path):
    blocks = sorted((b for b in demo_database.blocks() if b.results), key=lambda b: b.results)
    slug = blocks[0].slug
    for name in ("long", "wide_json", "muscle_2026"):
        selection = find_template(name).selection
        csv, parquet = export_both(demo_database, slug, selection, tmp_path, name, time_zone="Asia/Tokyo")
        assert_parquet_matches_csv(parquet, csv, "Asia/Tokyo", exact_timestamps=name != "muscle_2026")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def typed(request, tmp_path):
    """A block whose session and result JSON hold every JSON type, on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        url = sqlite_url(sqlite_database(tmp_path / "typed.sqlite3"))
    else:
        pg = request.getfixturevalue("pg")
        url = pg.create("parquet_typed")
        pg.psql(url, "-f", str(SCHEMA / "postgres-2025-01.sql"))
    writer = BlockWriter(url)
    writer.write_block("typed", TYPED)
    writer.write_block("big", [Session(json_data={"big": 123456789012345678901234567890})])
    writer.close()
    db = MuscleDatabase.open(url, request.param)
    yield db
    db.close()


@pytest.fixture
def out(tmp_path) -> Path:
    """An empty folder for the exports."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_columns_are_typed(typed, tmp_path):
    zone = "Europe/Amsterdam"
    csv, parquet = export_both(typed, "typed", FIELDS, tmp_path, "typed", time_zone=zone)
    table = assert_parquet_matches_csv(parquet, csv, zone)
    types = {field.name: str(field.type) for field in table.schema}
    assert types["session_id"] == types["participant_id"] == types["result_id"] == "int64"
    assert types["final_score"] == types["result_score"] == types["decision_time"] == "double"
    assert types["session_start"] == types["result_created_at"] == f"timestamp[us, tz={zone}]"
    assert types["age"] == types["given_response"] == types["tag"] == types["mixed"] == "string"
    assert types["age_score"] == types["x"] == "double" and types["n"] == "int64"
    assert types["flag"] == "bool" and types["nest"] == types["both"] == types["result_config"] == "string"
    rows = table.to_pylist()
    assert [row["given_response"] for row in rows] == ["0042", "1", "0007"]
    assert rows[0]["age"] == "0042" and rows[0]["flag"] is True and rows[2]["flag"] is False
    assert json.loads(rows[0]["nest"]) == {"a": [1, "é"]} and rows[0]["nest"] == '{"a": [1, "é"]}'
    assert rows[0]["both"] == "1" and json.loads(rows[2]["both"]) == [1]
    assert rows[0]["mixed"] == "1" and rows[2]["mixed"] == "two"
    assert rows[0]["session_end"] is None and rows[2]["session_end"] == at(3700.5)
    assert rows[2]["result_created_at"].isoformat() == "2024-03-01T14:00:05.250000+01:00"
    assert [row["decision_time"] for row in rows] == [2.0, 2.5, None]


def test_wide_and_sorted_columns(typed, tmp_path):
    wide = FIELDS.replace(options=FIELDS.options | {"wide_format"}, sort_columns=True)
    csv, parquet = export_both(typed, "typed", wide, tmp_path, "wide", time_zone="America/New_York")
    table = assert_parquet_matches_csv(parquet, csv, "America/New_York")
    assert table.num_rows == 2 and table.column_names == sorted(table.column_names)
    assert str(table.schema.field("002-result_id").type) == "int64"
    assert table.column("002-given_response").to_pylist() == ["1", None]


def test_muscle_2026_layout_is_typed(typed, tmp_path):
    csv, parquet = export_both(typed, "typed", CsvSelection(layout="muscle_2026"), tmp_path, "m2026")
    table = assert_parquet_matches_csv(parquet, csv, "UTC", exact_timestamps=False)
    types = {field.name: str(field.type) for field in table.schema}
    assert types["session__id"] == types["participant__id"] == "int64" and types["score"] == "double"
    assert types["created_at"] == "timestamp[us, tz=UTC]" and types["given_response"] == "string"
    fields = parquet_package(parquet)["resources"][0]["schema"]["fields"]
    assert {f["name"]: f["type"] for f in fields}["created_at"] == "datetime"


def test_data_package_describes_the_parquet_file(typed, tmp_path):
    parquet = tmp_path / "typed.parquet"
    filters = SessionFilter(exclude_participants=("test*",))
    result = write_parquet(typed, "typed", FIELDS, parquet, filters=filters, time_zone="Europe/Amsterdam")
    package = parquet_package(parquet)
    assert datapackage_path(parquet, ".parquet") == tmp_path / "typed.datapackage.json"
    resource = package["resources"][0]
    data = parquet.read_bytes()
    assert resource["path"] == "typed.parquet" and resource["format"] == "parquet"
    assert resource["mediatype"] == PARQUET_MEDIATYPE and "dialect" not in resource
    assert resource["bytes"] == len(data) == result.bytes
    assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert fields["flag"] == {"name": "flag", "type": "boolean", "description": "session json key `flag`"}
    meta = package["muscle_tui"]
    assert meta["rows"] == result.count == 3 and meta["time_zone"] == "Europe/Amsterdam"
    assert meta["filters"] == {"exclude_participants": ["test*"]}
    descriptions = {f.name: f.metadata[b"description"].decode() for f in pq.read_schema(parquet)}
    assert descriptions["session_start"] == "Session start time"


def test_no_datapackage_writes_none(typed, out):
    parquet = out / "plain.parquet"
    write_parquet(typed, "typed", FIELDS, parquet, datapackage=False)
    assert sorted(p.name for p in out.iterdir()) == ["plain.parquet"]


@pytest.mark.parametrize(
    ("filters", "starts"),
    [
        (SessionFilter(finished_only=True), [at(3600)]),
        (SessionFilter(started_before="2024-03-01T13:30"), [at(0), at(0)]),  # read in the zone
        (SessionFilter(started_after="2024-03-01", exclude_participants=("*",)), [at(0), at(0), at(3600)]),
    ],
)
def test_filters_keep_the_csvs_rows(typed, tmp_path, filters, starts):
    zone = "Europe/Amsterdam"
    csv, parquet = export_both(typed, "typed", FIELDS, tmp_path, "filtered", filters=filters, time_zone=zone)
    table = assert_parquet_matches_csv(parquet, csv, zone)
    assert table.column("session_start").to_pylist() == starts


def test_rows_stream_in_row_groups(typed, tmp_path, monkeypatch):
    monkeypatch.setattr(parquet_export, "BATCH_CELLS", 1)
    monkeypatch.setattr(parquet_export, "ROW_GROUP_BYTES", 1)
    csv, parquet = export_both(typed, "typed", FIELDS, tmp_path, "groups")
    assert pq.ParquetFile(parquet).metadata.num_row_groups == 3
    assert_parquet_matches_csv(parquet, csv, "UTC")


def test_an_integer_beyond_64_bits_makes_its_column_text(typed, tmp_path):
    selection = CsvSelection(("session_id",), (), frozenset({"session_data", "convert_session_json"}))
    csv, parquet = export_both(typed, "big", selection, tmp_path, "big")
    table = assert_parquet_matches_csv(parquet, csv, "UTC")
    assert str(table.schema.field("big").type) == "string"
    assert table.column("big").to_pylist() == ["123456789012345678901234567890"]
    fields = {f["name"]: f for f in parquet_package(parquet)["resources"][0]["schema"]["fields"]}
    assert fields["big"]["type"] == "string"
    assert fields["big"]["description"] == (
        "session json key `big` (written as text: 123456789012345678901234567890 is not a 64-bit integer)"
    )


def test_a_timestamp_column_holding_other_text_is_text(tmp_path):
    path = sqlite_database(tmp_path / "odd.sqlite3")
    writer = BlockWriter(sqlite_url(path))
    writer.write_block("typed", TYPED)
    writer.close()
    with sqlite3.connect(path) as conn:  # SQLite holds any text in a timestamp column
        conn.execute("UPDATE session_session SET started_at = 'yesterday' WHERE finished_at IS NULL")
    db = MuscleDatabase.open(sqlite_url(path), "odd")
    try:
        csv, parquet = export_both(db, "typed", FIELDS, tmp_path, "odd", time_zone="Europe/Amsterdam")
    finally:
        db.close()
    table = assert_parquet_matches_csv(parquet, csv, "Europe/Amsterdam")
    assert str(table.schema.field("session_start").type) == "string"
    assert table.column("session_start").to_pylist()[1:] == ["yesterday", "2024-03-01T14:00:00.000000+01:00"]
    assert str(table.schema.field("session_end").type) == "timestamp[us, tz=Europe/Amsterdam]"


def test_refuses_to_replace_without_force(typed, tmp_path):
    target = tmp_path / "x.parquet"
    write_parquet(typed, "typed", FIELDS, target)
    before = target.read_bytes()
    with pytest.raises(OutputExists, match="already exists; use --force"):
        write_parquet(typed, "typed", FIELDS, target)
    target.unlink()
    with pytest.raises(OutputExists, match=r"x\.datapackage\.json already exists"):
        write_parquet(typed, "typed", FIELDS, target)
    assert not target.exists()
    write_parquet(typed, "typed", FIELDS, target, force=True)
    assert pq.read_table(target).equals(pq.read_table(pa.BufferReader(before)))


def test_cancel_leaves_nothing(typed, out):
    cancel = threading.Event()
    with pytest.raises(ExportCancelled):
        write_parquet(
            typed, "typed", FIELDS, out / "x.parquet", progress=lambda _: cancel.set(), cancel=cancel
        )
    assert list(out.iterdir()) == []


def test_no_columns_is_one_line(typed, out):
    with pytest.raises(ParquetValueError, match="the selection has no columns"):
        write_parquet(typed, "typed", CsvSelection(), out / "x.parquet")
    assert list(out.iterdir()) == []


def test_default_name_and_availability():
    moment = datetime(2026, 11, 25, 12, 45, 1, tzinfo=UTC)
    assert default_parquet_name("my block", "long", moment) == "my_block-long-20261125T124501Z.parquet"
    assert parquet_available()


def test_without_pyarrow_the_package_imports_and_says_what_to_install():
    code = (
        "import sys; sys.modules['pyarrow'] = None; sys.modules['pyarrow.parquet'] = None\n"
        "import muscle_tui.export.parquet as p\n"
        "assert not p.parquet_available()\n"
        "try:\n"
        "    p.write_parquet(None, 'x', None, 'x.parquet')\n"
        "except p.ParquetUnavailable as e:\n"
        "    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == PARQUET_EXTRA_MESSAGE + "\n"
