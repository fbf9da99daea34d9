"""Safe output: nothing half-written under the final name, no silent overwrite, private modes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from muscle_tui.errors import OutputError
from muscle_tui.export.output import atomic_directory, atomic_file, private_file


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_file_appears_complete_with_mode_0600(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with atomic_file(target) as handle:
        handle.write(b"a,b\r\n")
        assert not target.exists(), "nothing under the final name while writing"
    assert target.read_bytes() == b"a,b\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == ["out.csv"]


def test_existing_file_survives_without_force(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match="already exists; use --force"):
        with atomic_file(target) as handle:
            handle.write(b"new")
    assert target.read_bytes() == b"precious"
    assert _leftovers(tmp_path) == ["out.csv"]


def test_file_created_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(OutputError, match="already exists"):
        with atomic_file(target) as handle:
            handle.write(b"new")
            target.write_bytes(b"someone else's")
    assert target.read_bytes() == b"someone else's"
    assert _leftovers(tmp_path) == ["out.csv"]


def test_force_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    with atomic_file(target, force=True) as handle:
        handle.write(b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_exception_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        with atomic_file(target) as handle:
            handle.write(b"half")
            raise KeyboardInterrupt
    assert _leftovers(tmp_path) == []


def test_missing_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        with atomic_file(tmp_path / "no" / "out.csv"):
            pass


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_unwritable_directory_is_one_line(tmp_path: Path) -> None:  # pragma: no cover - root here
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            with atomic_file(tmp_path / "out.csv"):
                pass
    finally:
        tmp_path.chmod(0o700)


DISK_FULL_SCRIPT = """
import resource, sys
from pathlib import Path
from muscle_tui.export.output import atomic_file
from muscle_tui.errors import OutputError
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    with atomic_file(Path(sys.argv[1])) as handle:
        for _ in range(100):
            handle.write(b"x" * 1000)
except OutputError as exc:
    print(exc)
    sys.exit(3)
"""


def test_full_disk_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "big.csv"
    done = subprocess.run(
        [sys.executable, "-c", DISK_FULL_SCRIPT, str(target)], capture_output=True, text=True
    )
    assert done.returncode == 3, done.stderr
    assert "nothing was written" in done.stdout
    assert _leftovers(tmp_path) == []


def test_directory_output(tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    with atomic_directory(target) as work:
        with private_file(work / "a.json") as handle:
            handle.write(b"[]")
        assert not target.exists()
    assert (target / "a.json").read_bytes() == b"[]"
    assert stat.S_IMODE((target / "a.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert _leftovers(tmp_path) == ["bundle"]


def test_directory_output_cancelled_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(tmp_path / "bundle") as work:
            (work / "a.json").write_bytes(b"[")
            raise KeyboardInterrupt
    assert _leftovers(tmp_path) == []


def test_directory_existing_needs_force(tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    target.mkdir()
    (target / "keep.json").write_bytes(b"old")
    with pytest.raises(OutputError, match="already exists"):
        with atomic_directory(target):
            pass
    assert (target / "keep.json").read_bytes() == b"old"
    with atomic_directory(target, force=True) as work:
        (work / "new.json").write_bytes(b"new")
    assert _leftovers(target) == ["new.json"]
    assert _leftovers(tmp_path) == ["bundle"]
