"""`muscle-tui list --format json|csv` and `muscle-tui templates --format json`: records for scripts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from muscle_tui.cli import main
from muscle_tui.db.catalog import NO_EXPERIMENT
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.csv import BUILTIN_ORDER, OPTIONS, find_template

LIST_KEYS = ["experiment", "slug", "name", "sessions", "finished", "participants", "results"]
COUNTS = ("sessions", "finished", "participants", "results")

BLOCK_COUNTS = text(
    """
    SELECT b.slug,
           coalesce(e.slug, CASE WHEN e.id IS NULL THEN :none ELSE '' END) AS experiment,
           (SELECT count(*) FROM session_session s WHERE s.block_id = b.id) AS sessions,
           (SELECT count(*) FROM session_session s
             WHERE s.block_id = b.id AND s.finished_at IS NOT NULL) AS finished,
           (SELECT count(DISTINCT s.participant_id) FROM session_session s
             WHERE s.block_id = b.id) AS participants,
           (SELECT count(*) FROM result_result r JOIN session_session s ON s.id = r.session_id
             WHERE s.block_id = b.id) AS results
      FROM experiment_block b
      LEFT JOIN experiment_phase p ON p.id = b.phase_id
      LEFT JOIN experiment_experiment e ON e.id = p.experiment_id
    """
)


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    """No user templates, no MUSCLE_TUI_DB, and a fresh working directory."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def sql_counts(url: URL) -> dict[str, dict[str, object]]:
    """Each block's experiment and counts, by plain SQL."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(BLOCK_COUNTS, {"none": NO_EXPERIMENT}).mappings().all()
    finally:
        engine.dispose()
    return {row["slug"]: {key: row[key] for key in ("experiment", *COUNTS)} for row in rows}


def listed_blocks(url: URL) -> list[tuple[str, str]]:
    """(slug, name) of each block in the listing's order, as the database layer reads them."""
    db = MuscleDatabase.open(url, "test")
    try:
        return [(b.slug, b.name) for b in db.blocks()]
    finally:
        db.close()


@pytest.fixture(params=["edge_url", "sample2026_url", "demo"])
def database_url(request) -> URL:
    """A PostgreSQL database of each schema release, and the demo (SQLite)."""
    if request.param == "demo":
        return URL.create("sqlite", database=str(request.getfixturevalue("demo_path")))
    request.applymarker(pytest.mark.postgres)
    return request.getfixturevalue(request.param)


def test_list_json_is_every_block_with_its_sql_counts(capsys, database_url: URL) -> None:
    db = database_url.render_as_string(hide_password=False)
    code, out, err = run_cli(capsys, "--db", db, "list", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert isinstance(records, list) and records
    assert all(list(record) == LIST_KEYS for record in records)
    assert all(type(record[key]) is int for record in records for key in COUNTS)
    assert [(r["slug"], r["name"]) for r in records] == listed_blocks(database_url)
    assert all(json.dumps(r["name"], ensure_ascii=False) in out for r in records)  # UTF-8, not \u escapes
    expected = sql_counts(database_url)
    assert {r["slug"]: {k: r[k] for k in ("experiment", *COUNTS)} for r in records} == expected


def test_list_csv_is_the_same_records_as_json(capsys, database_url: URL) -> None:
    db = database_url.render_as_string(hide_password=False)
    code, out, err = run_cli(capsys, "--db", db, "list", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    code, out, err = run_cli(capsys, "--db", db, "list", "--format", "csv")
    assert code == 0, err
    assert out.startswith(",".join(LIST_KEYS) + "\r\n")
    reader = csv.DictReader(io.StringIO(out, newline=""))
    assert reader.fieldnames == LIST_KEYS
    parsed = [{k: int(v) if k in COUNTS else v for k, v in row.items()} for row in reader]
    assert parsed == records


def test_list_table_is_unchanged_by_the_format_option(capsys, demo_path: Path) -> None:
    db = f"sqlite:///{demo_path}"
    code, default, _ = run_cli(capsys, "--db", db, "list")
    assert code == 0
    code, table, _ = run_cli(capsys, "--db", db, "list", "--format", "table")
    assert code == 0 and table == default
    assert default.splitlines()[0].split() == [
        "experiment",
        "block",
        "name",
        "sessions",
        "participants",
        "results",
    ]


def test_list_format_is_checked(capsys, demo_path: Path) -> None:
    code, out, err = run_cli(capsys, "--db", f"sqlite:///{demo_path}", "list", "--format", "xml")
    assert (code, out) == (2, "")
    assert "'xml' is not one of 'table', 'json', 'csv'" in err


def test_templates_json_lists_the_builtins_with_their_fields(capsys) -> None:
    code, out, err = run_cli(capsys, "templates", "--format", "json")
    assert (code, err) == (0, "")
    listing = json.loads(out)
    assert set(listing) == {"templates", "errors"} and listing["errors"] == []
    records = listing["templates"]
    assert [r["name"] for r in records] == list(BUILTIN_ORDER)
    for record in records:
        template = find_template(record["name"])
        selection = template.selection
        assert record["label"] == template.label
        assert record["origin"] == "built-in" and record["builtin"] is True
        assert record["layout"] == getattr(selection, "layout", "form")
        assert record["session_fields"] == list(selection.session_fields)
        assert record["result_fields"] == list(selection.result_fields)
        assert record["options"] == [o for o in OPTIONS if o in selection.options]
    wide = next(r for r in records if r["name"] == "wide")
    assert "participant_id" in wide["session_fields"] and "given_response" in wide["result_fields"]


def test_templates_json_reports_unreadable_files_and_exits_1(capsys, tmp_path: Path) -> None:
    good = tmp_path / "mine.toml"
    good.write_text(
        'name = "mine"\nlabel = "Mine \\u00e9"\nsession_fields = ["participant_id"]\nresult_fields = []\noptions = []\n'
    )
    bad = tmp_path / "broken.toml"
    bad.write_text("label = \n")
    code, out, err = run_cli(capsys, "templates", "--format", "json", str(good), str(bad))
    assert code == 1
    listing = json.loads(out)
    mine = next(r for r in listing["templates"] if r["name"] == "mine")
    assert mine["label"] == "Mine é" and mine["builtin"] is False and mine["path"] == str(good)
    assert mine["session_fields"] == ["participant_id"] and mine["result_fields"] == []
    assert len(listing["errors"]) == 1 and listing["errors"][0].startswith(f"{bad}:")
    assert listing["errors"][0] in err
