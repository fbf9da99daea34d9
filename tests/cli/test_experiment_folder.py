"""`export json --experiment`: the plan it shares with the terminal UI (export/experiment.py) — one
folder, one time — and a folder it created is removed again when nothing could be written into it."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from muscle_tui.cli import main
from muscle_tui.errors import OutputError

pytestmark = pytest.mark.postgres

# `muscle_tui.cli.export_json` is also the name of the command in the package: take the module.
export_json_module = importlib.import_module("muscle_tui.cli.export_json")
DEFAULT_NAME = re.compile(r"(?P<slug>.+)-(?P<stamp>\d{8}T\d{6}Z)\.zip")


@pytest.fixture
def edge_db(edge_url: URL) -> str:
    return edge_url.render_as_string(hide_password=False)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    return tmp_path


def test_a_folder_created_for_nothing_is_removed_again(capsys, edge_db, workdir, monkeypatch) -> None:
    def failing_write(*args, **kwargs):
        raise OutputError("disk full while writing it; nothing was written")

    monkeypatch.setattr(export_json_module, "write_json_bundle", failing_write)
    code = main(["--db", edge_db, "export", "json", "--experiment", "edge_experiment", "-o", "new/deeper"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == "muscle-tui: disk full while writing it; nothing was written\n"
    assert list((workdir / "new").iterdir()) == [], "the folder the run created is gone, its parent stays"


def test_an_existing_folder_stays_and_written_blocks_stay(capsys, edge_db, workdir, monkeypatch) -> None:
    real_write = export_json_module.write_json_bundle
    calls: list[str] = []

    def second_block_fails(db, slug, target, **kwargs):
        calls.append(slug)
        if len(calls) == 2:
            raise OutputError("disk full while writing it; nothing was written")
        return real_write(db, slug, target, **kwargs)

    monkeypatch.setattr(export_json_module, "write_json_bundle", second_block_fails)
    code = main(["--db", edge_db, "export", "json", "--experiment", "edge_experiment", "-o", "new"])
    out, _ = capsys.readouterr()
    assert code == 1
    [written] = (workdir / "new").iterdir()
    assert out == f"{written}\n"
    assert DEFAULT_NAME.fullmatch(written.name)["slug"] == calls[0]

    (workdir / "empty").mkdir()
    calls[:] = ["an earlier run"]  # so the first block of this run fails
    assert main(["--db", edge_db, "export", "json", "--experiment", "edge_experiment", "-o", "empty"]) == 1
    assert (workdir / "empty").is_dir(), "a folder that was there before stays"
