"""The filter flags of `export csv` and `export json`, `--time-zone`, and a template's `[filters]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from muscle_tui.cli import main
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import SessionFilter
from muscle_tui.export.csv import find_template, write_csv
from muscle_tui.export.json import write_json_bundle
from tests.support.csv_blocks import read_dicts

pytestmark = pytest.mark.postgres

FLAGS = [
    "--finished-only",
    "--started-after",
    "2024-03-01T20:00",
    "--exclude-participants",
    "prolific_0*",
    "--exclude-participants",
    "x?",
]
FILTERS = SessionFilter(True, "2024-03-01T20:00", None, ("prolific_0*", "x?"))


@pytest.fixture(autouse=True)
def env(edge_url, monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("MUSCLE_TUI_DB", edge_url.render_as_string(hide_password=False))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def edge_db(edge_url):
    db = MuscleDatabase.open(edge_url, "edge")
    yield db
    db.close()


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_flags_filter_like_the_engine(capsys, edge_db, tmp_path):
    code, out, err = run_cli(
        capsys,
        "export",
        "csv",
        "edge_a",
        "--template",
        "long",
        "-o",
        "cli.csv",
        *FLAGS,
        "--time-zone",
        "Europe/Amsterdam",
    )
    assert code == 0, err
    write_csv(
        edge_db,
        "edge_a",
        find_template("long").selection,
        tmp_path / "engine.csv",
        filters=FILTERS,
        time_zone="Europe/Amsterdam",
    )
    cli = Path(out.strip()).read_bytes()
    assert cli == (tmp_path / "engine.csv").read_bytes()
    assert b"+01:00" in cli and b"+00:00" not in cli


def test_csv_time_zone_alone_changes_only_the_timestamps(capsys, edge_db, tmp_path):
    code, out, err = run_cli(
        capsys,
        "export",
        "csv",
        "edge_b",
        "--template",
        "long",
        "-o",
        "tz.csv",
        "--session-fields",
        "session_id,session_start",
        "--time-zone",
        "Asia/Tokyo",
    )
    assert code == 0, err
    _, rows = read_dicts(Path(out.strip()))
    assert rows and all(row["session_start"].endswith("+09:00") for row in rows)


def test_json_flags_filter_like_the_engine(capsys, edge_db, tmp_path):
    code, out, err = run_cli(capsys, "export", "json", "edge_a", "-o", "cli", *FLAGS)
    assert code == 0, err
    write_json_bundle(edge_db, "edge_a", tmp_path / "engine", filters=FILTERS)
    for name in ("sessions.json", "results.json", "participants.json", "profiles.json"):
        assert (Path(out.strip()) / name).read_bytes() == (tmp_path / "engine" / name).read_bytes()
    sessions = json.loads((Path(out.strip()) / "sessions.json").read_text())
    assert sessions and all(obj["fields"]["finished_at"] for obj in sessions)


def test_json_experiment_takes_the_flags(capsys, edge_db, tmp_path):
    experiment = edge_db.experiments()[0].slug
    code, out, err = run_cli(
        capsys, "export", "json", "--experiment", experiment, "-o", "bundles", "--finished-only"
    )
    assert code == 0, err
    assert out.strip()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--started-after", "tomorrow"], "started_after 'tomorrow' is not a date"),
        (["--started-before", "2024-02-30"], "started_before '2024-02-30' is not a date"),
        (["--exclude-participants", ""], "exclude_participants"),
    ],
)
@pytest.mark.parametrize("command", ["csv", "json"])
def test_bad_filter_values_are_one_line_and_exit_1(capsys, env, command, args, message):
    code, out, err = run_cli(capsys, "export", command, "edge_a", *args)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and message in err
    assert list(env.iterdir()) == []


def test_bad_time_zone_is_one_line_and_exit_1(capsys, env):
    code, out, err = run_cli(capsys, "export", "csv", "edge_a", "--time-zone", "Europe/Atlantis")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "unknown time zone 'Europe/Atlantis'" in err
    assert list(env.iterdir()) == []


TEMPLATE = """\
name = "finished_long"
label = "Long, finished sessions only"
session_fields = ["session_id"]
result_fields = ["result_id"]
options = []

[filters]
finished_only = true
"""


def test_template_filters_apply_unless_flags_replace_them(capsys, tmp_path, edge_db):
    template = tmp_path / "finished_long.toml"
    template.write_text(TEMPLATE)
    assert find_template(str(template)).filters == SessionFilter(finished_only=True)
    code, out, err = run_cli(capsys, "export", "csv", "edge_a", "--template", str(template), "-o", "t.csv")
    assert code == 0, err
    _, by_template = read_dicts(Path(out.strip()))
    code, out, err = run_cli(
        capsys,
        "export",
        "csv",
        "edge_a",
        "--template",
        str(template),
        "-o",
        "f.csv",
        "--started-before",
        "2030-01-01",
    )
    assert code == 0, err
    _, by_flags = read_dicts(Path(out.strip()))
    finished = write_csv(
        edge_db,
        "edge_a",
        find_template(str(template)).selection,
        tmp_path / "e.csv",
        filters=SessionFilter(finished_only=True),
    )
    every = write_csv(edge_db, "edge_a", find_template(str(template)).selection, tmp_path / "a.csv")
    assert len(by_template) == finished.count < every.count == len(by_flags)
