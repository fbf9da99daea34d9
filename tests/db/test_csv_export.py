"""The CSV engine on real databases: what MUSCLE crashed on, name clashes, profiles, values,
ordering, both schema releases, SQLite, progress, cancellation, preview and output safety."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import ExportCancelled, NotFoundError, OutputError
from muscle_tui.export import progress as progress_module
from muscle_tui.export.csv import (
    BUILTIN_ORDER,
    OPTIONS,
    RESULT_FIELDS,
    SESSION_FIELDS,
    CsvSelection,
    default_csv_name,
    load_templates,
    preview_csv,
    write_csv,
)
from muscle_tui.export.csv import export as csv_engine
from muscle_tui.export.files import resolve_output
from muscle_tui.export.progress import ExportProgress
from tests.support.csv_blocks import (
    NO_SONG,
    SCHEMA,
    BlockWriter,
    Profile,
    Result,
    Session,
    at,
    read_dicts,
    read_rows,
    sqlite_database,
    sqlite_url,
)

TEMPLATES = {t.name: t for t in load_templates(user_dir=Path("/nonexistent"))[0]}
ALL = CsvSelection(tuple(SESSION_FIELDS), tuple(RESULT_FIELDS), frozenset(OPTIONS) - {"wide_format"})
LONG = TEMPLATES["long"].selection
WIDE = TEMPLATES["wide"].selection


def fetch_threads() -> list[threading.Thread]:
    """Background threads still fetching results (there must be none once an export returns)."""
    return [t for t in threading.enumerate() if t.name == "muscle-tui-fetch"]


@pytest.fixture
def every_report(monkeypatch):
    """The engine's every progress report, without the reporter's rate limit (0.1 s)."""

    def unthrottled(callback, cancel=None):
        return progress_module.ProgressReporter(callback, cancel, interval=0)

    monkeypatch.setattr(csv_engine, "ProgressReporter", unthrottled)


def export(db: MuscleDatabase, slug: str, selection: CsvSelection, tmp_path: Path, name: str = "out.csv"):
    path = tmp_path / name
    result = write_csv(db, slug, selection, path, force=True)
    header, rows = read_dicts(path)
    assert result.count == len(rows)
    return header, rows


@pytest.fixture(scope="module")
def pg_writer(pg):
    """An empty January 2025 PostgreSQL database this module fills block by block."""
    url = pg.create("csv_engine")
    pg.psql(url, "-f", str(SCHEMA / "postgres-2025-01.sql"))
    writer = BlockWriter(url)
    yield writer
    writer.close()


@pytest.fixture(scope="module")
def pg_db(pg_writer):
    db = MuscleDatabase.open(pg_writer.url, "csv-engine")
    yield db
    db.close()


@pytest.fixture(scope="module")
def sqlite_writer(tmp_path_factory):
    path = sqlite_database(tmp_path_factory.mktemp("csv-sqlite") / "muscle.sqlite3")
    writer = BlockWriter(sqlite_url(path))
    yield writer
    writer.close()


@pytest.fixture(scope="module")
def sqlite_db(sqlite_writer):
    db = MuscleDatabase.open(sqlite_writer.url, "csv-sqlite")
    yield db
    db.close()


# ---------------------------------------------------------------------------------------------
# What MUSCLE crashed on (edge.sql).


@pytest.fixture(scope="module")
def edge_db(edge_url):
    db = MuscleDatabase.open(edge_url, "edge")
    yield db
    db.close()


@pytest.mark.postgres
@pytest.mark.parametrize("name", BUILTIN_ORDER)
@pytest.mark.parametrize("block", ("edge_a", "edge_b", "edge_empty"))
def test_every_template_exports_the_blocks_muscle_crashed_on(edge_db, tmp_path, block, name):
    header, rows = export(edge_db, block, TEMPLATES[name].selection, tmp_path)
    assert len(header) == len(set(header))
    if block != "edge_empty":
        assert rows


@pytest.mark.postgres
def test_result_whose_section_has_no_song_has_empty_section_name(edge_db, tmp_path):
    _, rows = export(edge_db, "edge_a", LONG, tmp_path)
    session_2 = [row for row in rows if row["participant_id"] == "2"]
    assert len(session_2) == 8
    assert "" in [row["section_name"] for row in session_2]
    assert "Untitled (no artist)" in [row["section_name"] for row in session_2]


@pytest.mark.postgres
def test_null_json_data_gives_empty_cells(edge_db, tmp_path):
    # edge_b: session 23 has json_data null, session 22 has a result with json_data null.
    _, long_rows = export(edge_db, "edge_b", LONG, tmp_path)
    participants = {row["participant_id"] for row in long_rows}
    null_session = [row for row in long_rows if row["group"] == "" and row["phase"] == ""]
    assert null_session, "the session without json_data is exported, with empty json columns"
    assert len(participants) == 10
    empty_result = [
        r
        for r in long_rows
        if r["result_created_at"] and r["decision_time"] == "" and r["result_config"] == ""
    ]
    assert empty_result
    _, kept = export(edge_db, "edge_b", TEMPLATES["long_json"].selection, tmp_path, "kept.csv")
    assert any(row["session_data"] == "" for row in kept)
    assert any(row["result_created_at"] and row["result_data"] == "" for row in kept)


# ---------------------------------------------------------------------------------------------
# Semantics on blocks written for the purpose.


@pytest.mark.postgres
def test_name_clashes_rename_the_later_column(pg_writer, pg_db, tmp_path):
    """Deviation 5: profile and session json keys never overwrite an existing column."""
    pg_writer.write_block(
        "clash",
        [
            Session(
                json_data={"participant_id": "from json", "shared": "json", "decision_time": 9, "own": 1},
                profile=[
                    Profile("block_name", "from profile", created_at=at(0)),
                    Profile("shared", "profile", created_at=at(1)),
                ],
                results=[Result(json_data={"decision_time": 1.5, "config": {"a": 1}})],
            )
        ],
    )
    header, rows = export(pg_db, "clash", ALL, tmp_path)
    assert header == [
        *SESSION_FIELDS,
        "profile.block_name",
        "shared",
        "own",  # jsonb keeps keys shortest first
        "session_data.shared",
        "session_data.decision_time",
        "session_data.participant_id",
        *RESULT_FIELDS,
        "decision_time",
        "result_config",
    ]
    (row,) = rows
    assert row["block_name"] == ""
    assert row["profile.block_name"] == "from profile"
    assert row["participant_id"].isdigit()
    assert row["session_data.participant_id"] == "from json"
    assert (row["shared"], row["session_data.shared"]) == ("profile", "json")
    assert (row["session_data.decision_time"], row["decision_time"]) == ("9", "1.5")

    wide_header, (wide_row,) = export(
        pg_db, "clash", ALL.replace(options=ALL.options | {"wide_format"}), tmp_path, "w.csv"
    )
    assert "decision_time" in wide_header and "001-decision_time" in wide_header
    assert (wide_row["decision_time"], wide_row["001-decision_time"]) == ("9", "1.5")


@pytest.mark.postgres
def test_profile_later_answer_wins_and_scores_only_when_nonzero(pg_writer, pg_db, tmp_path):
    profile = [
        Profile("q1", "first", score=3.0, created_at=at(1)),
        Profile("q1", "second", score=0.0, created_at=at(2)),
        Profile("q2", "answered", score=None, created_at=at(3)),
        Profile("q3", None, score=5.0, created_at=at(4)),
        Profile("q4", "zero", score=0.0, created_at=at(0)),
    ]
    pg_writer.write_block(
        "profile",
        [
            Session(participant_id=5001, profile=profile, results=[Result(), Result()], started_at=at(10)),
            Session(participant_id=5001, started_at=at(20)),
        ],
    )
    header, rows = export(pg_db, "profile", TEMPLATES["long_profile"].selection, tmp_path)
    assert header == [*TEMPLATES["long_profile"].selection.session_fields, "q4", "q1", "q1_score", "q2"]
    assert len(rows) == 3, "one row per result, and one for the session without results"
    for row in rows:
        assert (row["q1"], row["q1_score"], row["q2"], row["q4"]) == ("second", "3.0", "answered", "zero")


@pytest.mark.postgres
def test_sessions_in_primary_key_order_and_results_by_time_then_key(pg_writer, pg_db, tmp_path):
    """Deviation 6: sessions by pk whatever the physical order; results by created_at, then pk."""
    pg_writer.write_block(
        "order",
        [
            Session(id=7002, results=[Result(given_response="late", created_at=at(5))]),
            Session(
                id=7001,
                results=[
                    Result(given_response="b", created_at=at(2)),
                    Result(given_response="a", created_at=at(1)),
                    Result(given_response="c", created_at=at(2)),
                ],
            ),
        ],
    )
    selection = CsvSelection(("participant_id",), ("given_response",))
    _, rows = export(pg_db, "order", selection, tmp_path)
    assert [row["given_response"] for row in rows] == ["a", "b", "c", "late"]


@pytest.mark.postgres
def test_values_are_formatted_as_csv_spec_says(pg_writer, pg_db, tmp_path):
    amsterdam = timezone(timedelta(hours=2))
    pg_writer.write_block(
        "values",
        [
            Session(
                started_at=datetime(2024, 7, 22, 12, 26, 50, 911000, tzinfo=amsterdam),
                finished_at=None,
                final_score=78.0,
                access_info=None,
                json_data={
                    "nested": {"A": "___", "n": [1, 2], "ü": "中文"},
                    "yes": True,
                    "no": False,
                    "none": None,
                    "int": 12345678901234567890,
                    "float": 1.0,
                    "tiny": 1e-07,
                    "text": 'a, "b"\nc',
                    "empty": [],
                },
                results=[
                    Result(
                        created_at=datetime(2024, 7, 22, 10, 0, tzinfo=UTC),
                        score=None,
                        song='Song, "one"',
                        json_data={"decision_time": True, "config": "plain"},
                    ),
                    Result(
                        created_at=datetime(2024, 7, 22, 10, 0, 1, tzinfo=UTC),
                        score=1.0,
                        song=NO_SONG,
                        json_data=[1, 2],
                    ),
                ],
            )
        ],
    )
    _, rows = export(pg_db, "values", ALL, tmp_path)
    first, second = rows
    assert first["session_start"] == "2024-07-22T10:26:50.911000+00:00"
    assert first["session_end"] == ""
    assert first["final_score"] == "78.0"
    assert first["participant_access_info"] == ""
    assert first["nested"] == '{"A": "___", "n": [1, 2], "ü": "中文"}'
    assert (first["yes"], first["no"], first["none"]) == ("True", "False", "")
    assert (first["int"], first["float"], first["tiny"]) == ("12345678901234567890", "1.0", "1e-07")
    assert first["text"] == 'a, "b"\nc'
    assert first["empty"] == "[]"
    assert first["result_created_at"] == "2024-07-22T10:00:00.000000+00:00"
    assert (first["result_score"], first["section_name"]) == ("", 'Song, "one"')
    assert (first["decision_time"], first["result_config"]) == ("True", "plain")
    assert (second["result_score"], second["section_name"]) == ("1.0", "")
    assert (second["decision_time"], second["result_config"]) == ("", ""), "json_data not an object"

    kept = ALL.replace(options={"session_data", "result_config"})
    _, kept_rows = export(pg_db, "values", kept, tmp_path, "kept.csv")
    assert json.loads(kept_rows[0]["session_data"])["nested"] == {"A": "___", "n": [1, 2], "ü": "中文"}
    assert kept_rows[1]["result_data"] == "[1, 2]"


@pytest.mark.postgres
def test_session_json_that_is_not_an_object(pg_writer, pg_db, tmp_path):
    pg_writer.write_block(
        "notobject",
        [Session(json_data=[1, "two"]), Session(json_data="text"), Session(json_data={"k": "v"})],
    )
    header, rows = export(
        pg_db, "notobject", CsvSelection((), (), {"session_data", "convert_session_json"}), tmp_path
    )
    assert header == ["k"]
    assert [row["k"] for row in rows] == ["", "", "v"]
    _, kept = export(pg_db, "notobject", CsvSelection((), (), {"session_data"}), tmp_path, "kept.csv")
    assert [row["session_data"] for row in kept] == ['[1, "two"]', "text", '{"k": "v"}']


@pytest.mark.postgres
def test_wide_rows_are_padded_and_numbered(pg_writer, pg_db, tmp_path):
    pg_writer.write_block(
        "widepad",
        [
            Session(results=[Result(given_response=str(i), created_at=at(i)) for i in range(3)]),
            Session(),
            Session(results=[Result(given_response="x")]),
        ],
    )
    selection = CsvSelection(("participant_id",), ("given_response",), {"wide_format"})
    header, rows = export(pg_db, "widepad", selection, tmp_path)
    assert header == ["participant_id", "001-given_response", "002-given_response", "003-given_response"]
    assert [list(row.values())[1:] for row in rows] == [["0", "1", "2"], ["", "", ""], ["x", "", ""]]


@pytest.mark.postgres
def test_long_template_without_result_fields_still_gives_a_row_per_result(pg_writer, pg_db, tmp_path):
    pg_writer.write_block("noresultfields", [Session(results=[Result(), Result(), Result()]), Session()])
    header, rows = export(pg_db, "noresultfields", CsvSelection(("participant_id",)), tmp_path)
    assert header == ["participant_id"]
    assert len(rows) == 4


@pytest.mark.postgres
def test_block_without_results_has_no_result_columns(pg_writer, pg_db, tmp_path):
    pg_writer.write_block("noresults", [Session(), Session()])
    for selection in (LONG, WIDE):
        header, rows = export(pg_db, "noresults", selection, tmp_path)
        assert header == list(selection.session_fields)
        assert len(rows) == 2


# ---------------------------------------------------------------------------------------------
# Other schemas and SQLite.


@pytest.mark.postgres
def test_2026_schema_exports_every_template_with_the_block_name(sample2026_url, tmp_path):
    db = MuscleDatabase.open(sample2026_url, "sample2026")
    try:
        blocks = db.blocks()
        assert blocks
        for block in blocks:
            for name in BUILTIN_ORDER:
                header, rows = export(db, block.slug, TEMPLATES[name].selection, tmp_path)
                assert len(rows) == (block.sessions if TEMPLATES[name].selection.wide else len(rows))
                if rows and "block_name" in header:
                    assert {row["block_name"] for row in rows} == {block.name}
    finally:
        db.close()


def test_sqlite_block_exports_like_postgres(sqlite_writer, sqlite_db, tmp_path):
    sqlite_writer.write_block(
        "lite",
        [
            Session(
                started_at=datetime(2024, 7, 22, 10, 26, 50, tzinfo=UTC),
                json_data={"group": "S1", "flag": True, "list": [1, {"a": None}]},
                profile=[Profile("age", "30", score=2.0)],
                results=[
                    Result(score=1.0, song="S", json_data={"decision_time": 0.5, "config": {"x": True}}),
                    Result(json_data=None),
                ],
            )
        ],
    )
    header, rows = export(sqlite_db, "lite", ALL, tmp_path)
    assert header[len(SESSION_FIELDS) : len(SESSION_FIELDS) + 5] == [
        "age",
        "age_score",
        "group",
        "flag",
        "list",
    ]
    first, second = rows
    assert first["session_start"] == "2024-07-22T10:26:50.000000+00:00"
    assert first["result_created_at"] == "2024-03-01T12:00:00.000000+00:00"
    assert (first["age"], first["age_score"], first["flag"], first["list"]) == (
        "30",
        "2.0",
        "True",
        '[1, {"a": null}]',
    )
    assert (first["decision_time"], first["result_config"], first["section_name"]) == (
        "0.5",
        '{"x": true}',
        "S",
    )
    assert (second["decision_time"], second["result_config"]) == ("", "")


def test_demo_database_exports_every_block_with_every_template(tmp_path):
    """The built-in demo (SQLite, 2026 schema): long rows = results (+ sessions without), wide = sessions."""
    from muscle_tui.demo import write_demo_database

    db = MuscleDatabase.open(sqlite_url(write_demo_database(tmp_path / "demo.sqlite3")), "demo")
    try:
        for block in db.blocks():
            for name in ("long", "wide", "long_json", "wide_profile"):
                _header, rows = export(db, block.slug, TEMPLATES[name].selection, tmp_path, "demo.csv")
                if TEMPLATES[name].selection.wide:
                    assert len(rows) == block.sessions
                else:
                    assert len(rows) >= block.results
                assert {row["block_name"] for row in rows} <= {block.name}
    finally:
        db.close()


def test_empty_sqlite_2025_schema_has_no_such_block(sqlite2025_path, tmp_path):
    db = MuscleDatabase.open(sqlite_url(sqlite2025_path), "empty")
    try:
        with pytest.raises(NotFoundError, match="no block with slug 'nope'"):
            write_csv(db, "nope", LONG, tmp_path / "x.csv")
        assert not list(tmp_path.iterdir())
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------
# Progress, cancellation, preview, output safety.


@pytest.fixture(scope="module")
def big_block(pg_writer):
    """A block of 30 sessions x 100 results (3,000 long rows)."""
    sessions = [
        Session(
            json_data={"i": i},
            results=[
                Result(given_response=f"{i}-{j}", created_at=at(j), json_data={"decision_time": j})
                for j in range(100)
            ],
        )
        for i in range(30)
    ]
    pg_writer.write_block("big", sessions)
    return "big"


@pytest.mark.postgres
def test_progress_is_reported_per_thousand_rows_and_at_the_end(pg_db, big_block, tmp_path, every_report):
    reports: list[ExportProgress] = []
    result = write_csv(pg_db, big_block, LONG, tmp_path / "big.csv", progress=reports.append)
    assert result.count == 3000
    assert {r.stage for r in reports} == {"rows"}
    assert {r.total for r in reports} == {3000}
    done = [r.done for r in reports]
    assert done == sorted(done)
    assert done[-1] == 3000
    assert [d for d in done if 0 < d < 3000] == [1000, 2000]
    assert result.bytes == (tmp_path / "big.csv").stat().st_size


@pytest.mark.postgres
def test_cancel_leaves_nothing_behind(pg_db, big_block, tmp_path, every_report):
    token = threading.Event()

    def cancel_at_first_report(report: ExportProgress) -> None:
        if report.done >= 1000:
            token.set()

    with pytest.raises(ExportCancelled):
        write_csv(
            pg_db,
            big_block,
            WIDE.replace(options=LONG.options),
            tmp_path / "c.csv",
            progress=cancel_at_first_report,
            cancel=token,
        )
    assert list(tmp_path.iterdir()) == []
    assert fetch_threads() == []


@pytest.mark.postgres
@pytest.mark.parametrize("selection", [LONG, WIDE, LONG.replace(sort_columns=True)])
def test_preview_is_the_start_of_the_export(pg_db, big_block, tmp_path, selection):
    path = tmp_path / "full.csv"
    result = write_csv(pg_db, big_block, selection, path)
    header, rows = read_rows(path)
    preview = preview_csv(pg_db, big_block, selection, limit=7)
    assert preview.header == header
    assert preview.rows == rows[:7]
    assert preview.total_columns == len(header)
    assert preview.total_rows == result.count == len(rows)
    assert fetch_threads() == []


@pytest.mark.postgres
def test_output_is_private_and_never_overwritten_unasked(pg_db, big_block, tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("keep me")
    with pytest.raises(OutputError, match="already exists"):
        write_csv(pg_db, big_block, LONG, path)
    assert path.read_text() == "keep me"
    write_csv(pg_db, big_block, LONG, path, force=True)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text(encoding="utf-8").startswith("block_id,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.datapackage.json"]


@pytest.mark.postgres
def test_unknown_block_is_one_clear_error(pg_db, tmp_path):
    with pytest.raises(NotFoundError, match="no block with slug 'missing'"):
        write_csv(pg_db, "missing", LONG, tmp_path / "x.csv")
    with pytest.raises(NotFoundError):
        preview_csv(pg_db, "missing", LONG)
    assert list(tmp_path.iterdir()) == []


def test_default_output_name():
    now = datetime(2026, 11, 25, 13, 45, 1, tzinfo=timezone(timedelta(hours=1)))
    path = resolve_output(None, default_csv_name("my_block", "wide", now=now), Path("/data"))
    assert path == Path("/data/my_block-wide-20261125T124501Z.csv")
    assert resolve_output(None, default_csv_name("b", "long")).parent == Path.cwd()
