"""`muscle-tui export csv` and `muscle-tui templates` from the command line."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from muscle_tui.cli import main
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.csv import BUILTIN_ORDER, find_template, write_csv
from tests.support.csv_blocks import read_rows


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture
def edge_db_env(edge_url, monkeypatch, tmp_path):
    """MUSCLE_TUI_DB pointing at the edge database, and a fresh working directory."""
    monkeypatch.setenv("MUSCLE_TUI_DB", edge_url.render_as_string(hide_password=False))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.postgres
def test_default_export_is_the_wide_template_into_a_timestamped_file(edge_db_env, edge_url, capsys, tmp_path):
    code, out, err = run_cli(capsys, "export", "csv", "edge_a")
    assert code == 0, err
    path = Path(out.strip())
    assert path.parent == edge_db_env
    assert re.fullmatch(r"edge_a-wide-\d{8}T\d{6}Z\.csv", path.name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db = MuscleDatabase.open(edge_url, "edge")
    try:
        write_csv(db, "edge_a", find_template("wide").selection, tmp_path / "engine.csv")
    finally:
        db.close()
    assert path.read_bytes() == (tmp_path / "engine.csv").read_bytes()


@pytest.mark.postgres
def test_output_is_not_replaced_without_force(edge_db_env, capsys):
    target = edge_db_env / "out.csv"
    target.write_text("precious")
    code, out, err = run_cli(capsys, "export", "csv", "edge_b", "--output", str(target))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "already exists" in err and "--force" in err
    assert target.read_text() == "precious"
    code, out, _ = run_cli(capsys, "export", "csv", "edge_b", "--output", str(target), "--force")
    assert code == 0 and out.strip() == str(target)
    assert target.read_text(encoding="utf-8").startswith("block_id,block_name")


@pytest.mark.postgres
def test_field_flags_replace_the_templates_lists(edge_db_env, capsys):
    code, out, err = run_cli(
        capsys,
        "export",
        "csv",
        "edge_a",
        "--template",
        "long",
        "--session-fields",
        "participant_id",
        "--result-fields",
        "",
        "--options",
        "decision_time,session_data",
        "-o",
        "flags.csv",
    )
    assert code == 0, err
    header, rows = read_rows(Path(out.strip()))
    assert header == ["participant_id", "session_data", "decision_time"]
    assert len(rows) > 100


@pytest.mark.postgres
def test_sort_columns_and_template_file(edge_db_env, capsys, tmp_path):
    template = tmp_path / "mine.toml"
    template.write_text(
        'name = "mine"\nlabel = "Mine"\nsession_fields = ["participant_id", "block_id"]\n'
        'result_fields = ["given_response"]\noptions = ["wide_format"]\n'
    )
    code, out, err = run_cli(capsys, "export", "csv", "edge_a", "--template", str(template), "--sort-columns")
    assert code == 0, err
    path = Path(out.strip())
    assert path.name.startswith("edge_a-mine-")
    header, _ = read_rows(path)
    assert header == sorted(header) and header[0] == "001-given_response"


@pytest.mark.postgres
def test_output_directory_gets_the_default_name(edge_db_env, capsys, tmp_path):
    target = tmp_path / "exports"
    target.mkdir()
    code, out, err = run_cli(
        capsys, "export", "csv", "edge_empty", "--template", "long_profile", "-o", str(target)
    )
    assert code == 0, err
    path = Path(out.strip())
    assert path.parent == target and path.name.startswith("edge_empty-long_profile-")
    assert path.read_bytes() == b"block_name,participant_id,participant_country,participant_access_info\r\n"


@pytest.mark.postgres
def test_a_path_ending_in_a_slash_is_a_new_directory_with_the_default_name(edge_db_env, capsys):
    code, out, err = run_cli(
        capsys, "export", "csv", "edge_empty", "--template", "long_profile", "-o", "newdir/"
    )
    assert code == 0, err
    path = Path(out.strip())
    assert path.parent == edge_db_env / "newdir"
    assert re.fullmatch(r"edge_empty-long_profile-\d{8}T\d{6}Z\.csv", path.name)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes() == b"block_name,participant_id,participant_country,participant_access_info\r\n"
    assert [p.name for p in (edge_db_env / "newdir").iterdir() if p.suffix == ".csv"] == [path.name]


@pytest.mark.postgres
def test_the_output_path_expands_the_home_directory(edge_db_env, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    code, out, err = run_cli(capsys, "export", "csv", "edge_empty", "-o", "~/exports/")
    assert code == 0, err
    path = Path(out.strip())
    assert path.parent == tmp_path / "home" / "exports" and path.name.startswith("edge_empty-wide-")


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no block with slug 'nope'"),
        (["nope", "-o", "newdir/"], "no block with slug 'nope'"),
        (["edge_a", "--template", "nope"], "no template named 'nope'"),
        (["edge_a", "--session-fields", "block_id,shoe_size"], "unknown session field 'shoe_size'"),
        (["edge_a", "--options", "wide"], "unknown option 'wide'"),
    ],
)
def test_errors_are_one_line_and_write_nothing(edge_db_env, capsys, args, message):
    code, out, err = run_cli(capsys, "export", "csv", *args)
    assert (code, out) == (1, "")
    assert err.startswith("muscle-tui: ") and err.count("\n") == 1 and message in err
    assert list(edge_db_env.iterdir()) == []


def test_templates_lists_every_template_and_its_origin(capsys, config_home):
    code, out, err = run_cli(capsys, "templates")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["name", "label", "origin"]
    assert [line.split()[0] for line in lines[1:]] == list(BUILTIN_ORDER)
    assert all(line.endswith("built-in") for line in lines[1:])
    assert "CSV wide data format, All data, Keep JSON" in out


def test_templates_shows_overrides_and_reports_broken_files(capsys, config_home):
    user = config_home / "muscle-tui" / "templates"
    user.mkdir(parents=True)
    (user / "long.toml").write_text(
        'name = "long"\nlabel = "My long"\nsession_fields = []\nresult_fields = []\noptions = []\n'
    )
    (user / "broken.toml").write_text('name = "b"\nlabel = "B"\nsession_fields = ["x"\n')
    code, out, err = run_cli(capsys, "templates")
    assert code == 1
    (long_line,) = [line for line in out.splitlines() if line.startswith("long ")]
    assert "My long" in long_line and long_line.endswith(f"{user / 'long.toml'} (overrides built-in)")
    assert len(out.splitlines()) == len(BUILTIN_ORDER) + 1
    reason = "not valid TOML: Unclosed array at end of document (key 'session_fields')"
    assert err == f"muscle-tui: {user / 'broken.toml'}:3: {reason}\n"
