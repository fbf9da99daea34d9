"""Exports, their temporary files and the user's templates are private, whatever the umask:
files 0600, directories 0700, while being written as well as once written."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.csv import find_template, save_template, user_templates_dir, write_csv
from muscle_tui.export.json import JSON_FILES, write_json_bundle
from muscle_tui.export.progress import ExportProgress


@pytest.fixture
def open_umask():
    """umask 000: anything not created private explicitly would be world-readable (and writable)."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def temporary_modes(directory: Path) -> dict[str, int]:
    """The mode of each temporary (`.part`) file or directory in `directory`, and of what it holds."""
    modes = {}
    for part in directory.glob(".*.part"):
        modes[part.name] = mode(part)
        if part.is_dir():
            modes.update({f"{part.name}/{child.name}": mode(child) for child in part.iterdir()})
    return modes


@pytest.fixture(scope="module")
def block_slug(demo_database) -> str:
    return max(demo_database.blocks(), key=lambda block: block.results).slug


@pytest.mark.parametrize("output", ["out.csv", "out.zip", "bundle"])
def test_exports_are_private_while_written_and_once_written(
    demo_database: MuscleDatabase, block_slug, tmp_path, open_umask, output
) -> None:
    seen: list[dict[str, int]] = []

    def look(report: ExportProgress) -> None:
        if report.done and not seen:
            seen.append(temporary_modes(tmp_path))

    target = tmp_path / output
    if output.endswith(".csv"):
        write_csv(demo_database, block_slug, find_template("long").selection, target, progress=look)
    else:
        write_json_bundle(demo_database, block_slug, target, progress=look)

    [during] = seen
    assert during, "no temporary output seen mid-export"
    for name, found in during.items():
        expected = 0o700 if output == "bundle" and "/" not in name else 0o600
        assert found == expected, f"{name} was {found:o} while being written"
    if output == "bundle":
        assert mode(target) == 0o700
        assert {mode(target / name) for name in JSON_FILES} == {0o600}
    else:
        assert mode(target) == 0o600
    companions = [target.stem + ".datapackage.json"] if output.endswith(".csv") else []
    for companion in companions:
        assert mode(tmp_path / companion) == 0o600
    if output.endswith(".zip"):
        with zipfile.ZipFile(target) as archive:
            assert {info.external_attr >> 16 & 0o777 for info in archive.infolist()} == {0o600}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([output, *companions])


def test_the_templates_directory_is_created_private(tmp_path, monkeypatch, open_umask) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = save_template("mine", "Mine", find_template("long").selection)
    assert path.parent == user_templates_dir()
    assert mode(user_templates_dir()) == 0o700
    assert mode(path) == 0o600
    replaced = save_template("mine", "Mine again", find_template("wide").selection, replace=True)
    assert replaced == path and mode(path) == 0o600
    assert sorted(p.name for p in user_templates_dir().iterdir()) == ["mine.toml"]
