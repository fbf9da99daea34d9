"""The output rule and safe output: what a path means, nothing half-written under the final name,
no silent overwrite, private modes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from muscle_tui.errors import OutputError
from muscle_tui.export.files import (
    OutputExists,
    atomic_directory,
    atomic_file,
    private_file,
    resolve_output,
    resolve_output_directory,
)


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
from muscle_tui.export.files import atomic_file
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


def test_existing_target_is_output_exists_naming_it(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"precious")
    with pytest.raises(OutputExists) as info:
        with atomic_file(target):
            pass
    assert info.value.path == target
    assert target.read_bytes() == b"precious"


# --- resolve_output: what a path given by the user means ------------------------------------

DEFAULT = "edge_a-20261125T124501Z.zip"


def test_nothing_given_is_the_default_name_in_the_current_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_output(None, DEFAULT) == tmp_path / DEFAULT
    assert resolve_output("", DEFAULT) == tmp_path / DEFAULT
    assert _leftovers(tmp_path) == []


def test_nothing_given_is_the_default_name_in_the_given_directory(tmp_path: Path) -> None:
    assert resolve_output(None, DEFAULT, tmp_path / "exports") == tmp_path / "exports" / DEFAULT


def test_tilde_is_expanded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_output("~/bundle.zip", DEFAULT) == tmp_path / "bundle.zip"
    assert resolve_output("~", DEFAULT) == tmp_path / DEFAULT


def test_an_existing_directory_gets_the_default_name_inside(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    assert resolve_output(tmp_path / "exports", DEFAULT) == tmp_path / "exports" / DEFAULT
    assert resolve_output(str(tmp_path / "exports"), DEFAULT) == tmp_path / "exports" / DEFAULT


def test_a_new_path_ending_in_a_slash_is_created_private_with_the_default_name_inside(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    resolved = resolve_output("newdir/", DEFAULT)
    assert resolved == tmp_path / "newdir" / DEFAULT
    assert (tmp_path / "newdir").is_dir()
    assert stat.S_IMODE((tmp_path / "newdir").stat().st_mode) == 0o700
    assert not resolved.exists()
    nested = resolve_output(f"{tmp_path}/a/b/", DEFAULT)
    assert nested == tmp_path / "a" / "b" / DEFAULT and nested.parent.is_dir()


def test_a_plain_new_path_is_kept_as_it_is(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_output("bundle", DEFAULT) == tmp_path / "bundle"
    assert resolve_output("out.csv", DEFAULT) == tmp_path / "out.csv"
    assert resolve_output(tmp_path / "sub" / "x.zip", DEFAULT) == tmp_path / "sub" / "x.zip"
    assert _leftovers(tmp_path) == []


def test_an_existing_file_is_kept_as_the_target(tmp_path: Path) -> None:
    (tmp_path / "out.csv").write_bytes(b"old")
    assert resolve_output(tmp_path / "out.csv", DEFAULT) == tmp_path / "out.csv"


def test_a_slash_after_a_file_name_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OutputError, match="a file of that name exists"):
        resolve_output(f"{tmp_path}/file/", DEFAULT)


def test_output_directory_defaults_to_the_given_or_current_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_output_directory(None) == tmp_path
    assert resolve_output_directory(None, tmp_path / "given") == tmp_path / "given"
    assert stat.S_IMODE((tmp_path / "given").stat().st_mode) == 0o700


def test_output_directory_is_created_private_and_tilde_expanded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    made = resolve_output_directory("~/exports/2026")
    assert made == tmp_path / "exports" / "2026" and made.is_dir()
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert resolve_output_directory(made) == made


def test_output_directory_that_is_a_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OutputError, match="is not a directory"):
        resolve_output_directory(tmp_path / "file")
