"""`muscle-tui export csv --experiment SLUG`: one CSV per block of the experiment, in a folder it creates."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from muscle_tui.cli import main
from muscle_tui.db.database import MuscleDatabase

DEFAULT_NAME = re.compile(r"(?P<slug>.+)-(?P<template>[a-z_0-9]+)-(?P<stamp>\d{8}T\d{6}Z)\.csv")
FLAGS = ("--template", "long", "--result-fields", "given_response,result_score", "--options", "session_data")


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


def experiment_blocks(url: URL, slug: str) -> list[str]:
    db = MuscleDatabase.open(url, "test")
    try:
        return [b.slug for b in db.blocks(db.experiment(slug).id)]
    finally:
        db.close()


@pytest.mark.postgres
def test_one_csv_per_block_each_equal_to_its_single_block_export(capsys, edge_db, edge_url, workdir) -> None:
    blocks = experiment_blocks(edge_url, "edge_experiment")
    assert len(blocks) >= 2
    target = workdir / "missing" / "dir"
    code, out, err = run_cli(
        capsys, "--db", edge_db, "export", "csv", "--experiment", "edge_experiment", *FLAGS, "-o", str(target)
    )
    assert code == 0, err
    paths = [Path(line) for line in out.splitlines()]
    assert sorted(p.name for p in target.iterdir() if p.suffix == ".csv") == sorted(p.name for p in paths)
    assert all(p.parent == target for p in paths)
    names = [DEFAULT_NAME.fullmatch(p.name) for p in paths]
    assert all(names)
    assert [m["slug"] for m in names if m] == blocks
    assert {m["template"] for m in names if m} == {"long"}
    assert len({m["stamp"] for m in names if m}) == 1  # one time for the whole run
    for slug, path in zip(blocks, paths, strict=True):
        single = workdir / f"{slug}.csv"
        code, out, err = run_cli(capsys, "--db", edge_db, "export", "csv", slug, *FLAGS, "-o", str(single))
        assert code == 0, err
        assert path.read_bytes() == single.read_bytes()


@pytest.mark.postgres
def test_default_folder_is_the_current_one(capsys, edge_db, edge_url, workdir) -> None:
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "csv", "--experiment", "edge_experiment")
    assert code == 0, err
    paths = [Path(line) for line in out.splitlines()]
    assert len(paths) == len(experiment_blocks(edge_url, "edge_experiment"))
    assert all(p.parent == workdir and p.name.endswith(".csv") and p.is_file() for p in paths)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "args", [(), ("edge_a", "--experiment", "edge_experiment"), ("--experiment", "edge_experiment", "edge_a")]
)
def test_block_and_experiment_exclude_each_other(capsys, edge_db, workdir, args) -> None:
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "csv", *args)
    assert (code, out) == (2, "")
    assert "BLOCK_SLUG or --experiment" in err
    assert list(workdir.iterdir()) == []


@pytest.mark.postgres
def test_unknown_experiment_is_one_line(capsys, edge_db, workdir) -> None:
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "csv", "--experiment", "nope", "-o", "new")
    assert (code, out) == (1, "")
    assert err == "muscle-tui: no experiment with slug 'nope' in this database (muscle-tui list shows them)\n"
    assert not (workdir / "new").exists()


def test_an_experiment_without_blocks_is_one_line_and_writes_nothing(
    capsys, sqlite2025_path: Path, tmp_path: Path, workdir: Path
) -> None:
    path = tmp_path / "empty-experiment.sqlite3"
    shutil.copy(sqlite2025_path, path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO experiment_experiment (id, active, slug) VALUES (1, 1, 'lonely')")
    conn.commit()
    conn.close()
    code, out, err = run_cli(
        capsys, "--db", f"sqlite:///{path}", "export", "csv", "--experiment", "lonely", "-o", "out"
    )
    assert (code, out) == (0, "")
    assert err == "muscle-tui: experiment 'lonely' has no blocks; nothing was written\n"
    assert not (workdir / "out").exists()
