"""`muscle-tui export parquet`: the flags of `export csv`, typed output, `--experiment`, and one line
when pyarrow is missing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy.engine import URL

from muscle_tui.cli import main
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.datapackage import datapackage_path
from muscle_tui.export.parquet import PARQUET_EXTRA_MESSAGE
from tests.support.parquet_check import assert_parquet_matches_csv

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_NAME = re.compile(r"(?P<slug>.+)-(?P<template>[a-z_0-9]+)-(?P<stamp>\d{8}T\d{6}Z)\.parquet")
FLAGS = (
    "--template",
    "long",
    "--result-fields",
    "result_id,given_response,result_score,result_created_at",
    "--options",
    "session_data,convert_session_json,decision_time",
    "--finished-only",
    "--time-zone",
    "Europe/Amsterdam",
)
WITHOUT_PYARROW = (
    "import sys; sys.modules['pyarrow'] = None; sys.modules['pyarrow.parquet'] = None\n"
    "from muscle_tui.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def edge_db(edge_url: URL) -> str:
    return edge_url.render_as_string(hide_password=False)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.postgres
def test_the_flags_of_export_csv_give_the_same_rows_typed(capsys, edge_db, workdir) -> None:
    (workdir / "csv").mkdir()
    csv, parquet = workdir / "csv" / "edge.csv", workdir / "edge.parquet"
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "csv", "edge_a", *FLAGS, "-o", str(csv))
    assert code == 0, err
    code, out, err = run_cli(
        capsys, "--db", edge_db, "export", "parquet", "edge_a", *FLAGS, "-o", str(parquet)
    )
    assert code == 0, err
    assert out == f"{parquet}\n"
    table = assert_parquet_matches_csv(parquet, csv, "Europe/Amsterdam")
    assert table.num_rows > 0
    assert str(table.schema.field("result_created_at").type) == "timestamp[us, tz=Europe/Amsterdam]"
    assert datapackage_path(parquet, ".parquet").is_file()


@pytest.mark.postgres
def test_default_name_in_the_current_folder_and_no_datapackage(capsys, edge_db, workdir) -> None:
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "parquet", "edge_a", "--no-datapackage")
    assert code == 0, err
    path = Path(out.strip())
    found = DEFAULT_NAME.fullmatch(path.name)
    assert path.parent == workdir and found and found["slug"] == "edge_a" and found["template"] == "wide"
    assert [p.name for p in workdir.iterdir()] == [path.name]
    assert pq.read_table(path).num_rows > 0


@pytest.mark.postgres
def test_refuses_to_replace_without_force(capsys, edge_db, workdir) -> None:
    target = workdir / "x.parquet"
    assert run_cli(capsys, "--db", edge_db, "export", "parquet", "edge_a", "-o", str(target))[0] == 0
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "parquet", "edge_a", "-o", str(target))
    assert code == 1 and out == ""
    assert err == f"muscle-tui: {target} already exists; use --force to replace it\n"
    code, out, err = run_cli(
        capsys,
        "--db",
        edge_db,
        "export",
        "parquet",
        "edge_a",
        "-o",
        str(target),
        "--force",
        "--template",
        "long",
    )
    assert code == 0, err
    assert "result_config" in pq.read_schema(target).names


@pytest.mark.postgres
def test_one_file_per_block_of_an_experiment(capsys, edge_db, edge_url, workdir) -> None:
    db = MuscleDatabase.open(edge_url, "test")
    try:
        blocks = [b.slug for b in db.blocks(db.experiment("edge_experiment").id)]
    finally:
        db.close()
    target = workdir / "new" / "folder"
    args = ("--db", edge_db, "export", "parquet")
    code, out, err = run_cli(capsys, *args, "--experiment", "edge_experiment", *FLAGS, "-o", str(target))
    assert code == 0, err
    paths = [Path(line) for line in out.splitlines()]
    names = [DEFAULT_NAME.fullmatch(p.name) for p in paths]
    assert all(names) and [m["slug"] for m in names if m] == blocks
    assert {m["template"] for m in names if m} == {"long"}
    assert len({m["stamp"] for m in names if m}) == 1  # one time for the whole run
    assert sorted(p.name for p in target.iterdir() if p.suffix == ".parquet") == sorted(p.name for p in paths)
    for slug, path in zip(blocks, paths, strict=True):
        single = workdir / f"{slug}.parquet"
        code, out, err = run_cli(capsys, *args, slug, *FLAGS, "-o", str(single))
        assert code == 0, err
        assert pq.read_table(path).equals(pq.read_table(single))


def test_bad_input_is_one_line(capsys, workdir) -> None:
    code, out, err = run_cli(capsys, "export", "parquet", "x", "--time-zone", "Mars/Olympus")
    assert code == 1 and out == "" and err.count("\n") == 1 and "unknown time zone 'Mars/Olympus'" in err
    code, _, err = run_cli(capsys, "export", "parquet", "x", "--excel-safe")
    assert code == 2 and "No such option '--excel-safe'" in err
    code, _, err = run_cli(capsys, "export", "parquet")
    assert code == 2 and "name a BLOCK_SLUG or --experiment SLUG" in err
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("target", [("x",), ("--experiment", "e")])
def test_without_pyarrow_one_line_says_what_to_install(workdir, target) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MUSCLE_TUI_DB"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYARROW, "export", "parquet", *target],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"muscle-tui: {PARQUET_EXTRA_MESSAGE}\n"
    assert list(workdir.iterdir()) == []
