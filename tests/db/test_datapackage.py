"""The data dictionary beside every CSV export (issue 11 item 5): a Frictionless Data Package.

frictionless validates the package of every built-in template on the 2026 sample, the January 2025
edge variant and the demo, which checks every column's declared type against the values written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from frictionless import Package, validate

from muscle_tui.cli import main
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import SessionFilter
from muscle_tui.export.csv import BUILTIN_ORDER, CsvSelection, find_template, write_csv
from muscle_tui.export.datapackage import datapackage_path
from tests.support.csv_blocks import BlockWriter, Profile, Result, Session, sqlite_database, sqlite_url

FIELDS = CsvSelection(
    ("session_id", "participant_id", "session_start", "session_end", "final_score"),
    ("result_id", "result_created_at", "result_score", "expected_response", "given_response", "question_key"),
    frozenset(
        {"export_profile", "session_data", "convert_session_json", "decision_time", "result_config"}
        | {"convert_result_json"}
    ),
)


def _fields(path: Path) -> dict[str, dict]:
    package = json.loads(datapackage_path(path).read_text())
    return {field["name"]: field for field in package["resources"][0]["schema"]["fields"]}


def _assert_valid(path: Path, limit_rows: int | None = None) -> None:
    report = validate(str(datapackage_path(path)), limit_rows=limit_rows)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def _small_blocks(db: MuscleDatabase, count: int = 2) -> list[str]:
    """The blocks with the fewest trial results but some (frictionless reads every row)."""
    blocks = sorted((block for block in db.blocks() if block.results), key=lambda block: block.results)
    return [block.slug for block in blocks[:count]]


def _validate_every_template(
    db: MuscleDatabase, tmp_path: Path, blocks: int = 2, limit_rows: int | None = None
) -> None:
    for slug in _small_blocks(db, blocks):
        for name in BUILTIN_ORDER:
            path = tmp_path / f"{slug}-{name}.csv"
            write_csv(db, slug, find_template(name).selection, path)
            _assert_valid(path, limit_rows)


@pytest.mark.postgres
@pytest.mark.parametrize("fixture", ["sample2026_url", "edge_variant_url"])
def test_frictionless_accepts_every_template(request, fixture, tmp_path):
    db = MuscleDatabase.open(request.getfixturevalue(fixture), fixture)
    try:
        _validate_every_template(db, tmp_path)
    finally:
        db.close()


def test_frictionless_accepts_every_template_on_the_demo(demo_database, tmp_path):
    _validate_every_template(demo_database, tmp_path, blocks=1, limit_rows=500)


@pytest.fixture
def typed_db(tmp_path):
    path = sqlite_database(tmp_path / "muscle.sqlite3")
    writer = BlockWriter(sqlite_url(path))
    writer.write_block(
        "typed",
        [
            Session(
                json_data={
                    "n": 3,
                    "x": 1.5,
                    "flag": True,
                    "tag": "a",
                    "mixed": 1,
                    "nest": {"a": 1},
                    "both": 1,
                },
                profile=[Profile("age", "0042", score=2.0)],
                results=[
                    Result(
                        given_response="0042",
                        expected_response="007",
                        score=1.0,
                        json_data={"decision_time": 2},
                    ),
                    Result(given_response="1", json_data={"decision_time": 2.5, "config": {"k": [1]}}),
                ],
                finished_at=None,
            ),
            Session(
                json_data={"n": 4, "x": 2, "flag": False, "mixed": "two", "nest": {"b": 2}, "both": [1]},
                results=[Result(given_response="0007", json_data=None)],
            ),
        ],
    )
    writer.close()
    db = MuscleDatabase.open(sqlite_url(path), "typed")
    yield db
    db.close()


def test_each_column_has_its_type_and_description(typed_db, tmp_path):
    path = tmp_path / "typed.csv"
    write_csv(typed_db, "typed", FIELDS, path)
    _assert_valid(path)
    fields = _fields(path)
    header = path.read_bytes().decode().split("\r\n")[0].split(",")
    assert list(fields) == header
    types = {name: field["type"] for name, field in fields.items()}
    assert types["session_id"] == types["participant_id"] == types["result_id"] == "integer"
    assert types["session_start"] == types["session_end"] == types["result_created_at"] == "datetime"
    assert types["final_score"] == types["result_score"] == types["decision_time"] == "number"
    assert types["given_response"] == types["expected_response"] == types["question_key"] == "string"
    assert types["age"] == "string" and types["age_score"] == "number"
    assert types["n"] == "integer" and types["x"] == "number" and types["flag"] == "boolean"
    assert types["tag"] == "string" and types["mixed"] == "string" and types["nest"] == "object"
    assert types["both"] == "any" and types["result_config"] == "object"
    assert fields["flag"]["trueValues"] == ["True"] and fields["flag"]["falseValues"] == ["False"]
    assert fields["n"]["description"] == "session json key `n`"
    assert fields["age"]["description"] == "profile question `age`"
    assert fields["session_start"]["description"] == "Session start time"
    rows = Package(str(datapackage_path(path))).get_resource("typed").read_rows()
    assert [row["given_response"] for row in rows] == ["0042", "1", "0007"]
    assert rows[0]["age"] == "0042" and rows[0]["flag"] is True and rows[0]["n"] == 3


def test_wide_columns_are_described_by_position(typed_db, tmp_path):
    path = tmp_path / "wide.csv"
    wide = FIELDS.replace(options=FIELDS.options | {"wide_format"}, sort_columns=True)
    write_csv(typed_db, "typed", wide, path)
    _assert_valid(path)
    fields = _fields(path)
    assert fields["002-given_response"]["type"] == "string"
    assert fields["002-given_response"]["description"].startswith("result 002 `given_response`")
    assert fields["001-result_id"]["type"] == "integer"


def test_hash_and_bytes_are_the_files_and_metadata_records_the_export(typed_db, tmp_path):
    path = tmp_path / "filtered.csv"
    filters = SessionFilter(finished_only=True, exclude_participants=("test*",))
    result = write_csv(typed_db, "typed", FIELDS, path, filters=filters, time_zone="Europe/Amsterdam")
    package = json.loads(datapackage_path(path).read_text())
    resource = package["resources"][0]
    data = path.read_bytes()
    assert resource["bytes"] == len(data) == result.bytes
    assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    meta = package["muscle_tui"]
    assert meta["filters"] == {"finished_only": True, "exclude_participants": ["test*"]}
    assert meta["time_zone"] == "Europe/Amsterdam"
    assert meta["block"]["slug"] == "typed" and meta["rows"] == result.count
    assert meta["selection"]["session_fields"][0] == "session_id"
    assert meta["muscle_tui_version"] and meta["snapshot_time"]
    _assert_valid(path)


def test_muscle_2026_layout_has_its_package(typed_db, tmp_path):
    path = tmp_path / "m2026.csv"
    write_csv(typed_db, "typed", CsvSelection(layout="muscle_2026"), path)
    _assert_valid(path)
    types = {name: field["type"] for name, field in _fields(path).items()}
    assert types["session__id"] == "integer" and types["score"] == "number"
    assert types["created_at"] == "string" and types["given_response"] == "string"
    resource = json.loads(datapackage_path(path).read_text())["resources"][0]
    assert resource["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_datapackage_off_writes_none(typed_db, tmp_path):
    path = tmp_path / "plain.csv"
    write_csv(typed_db, "typed", FIELDS, path, datapackage=False)
    assert path.exists() and not datapackage_path(path).exists()


def test_cli_no_datapackage_flag(typed_db, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MUSCLE_TUI_DB", typed_db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with_package, without = tmp_path / "with.csv", tmp_path / "without.csv"
    assert main(["export", "csv", "typed", "--output", str(with_package)]) == 0
    assert main(["export", "csv", "typed", "--output", str(without), "--no-datapackage"]) == 0
    capsys.readouterr()
    assert datapackage_path(with_package).exists()
    assert without.exists() and not datapackage_path(without).exists()
