"""The output rule and safe output: what a path means, nothing half-written under the final name,
no silent overwrite, private modes."""

from __future__ import annotations

import os
import re
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
    remove_leftovers,
    resolve_output,
    resolve_output_directory,
    temporary_name,
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
    with atomic_directory(target, force=True, replaceable=("keep.json", "new.json")) as work:
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


# --- --force deletes nothing it did not write (issue 10, item 2) -----------------------------

BUNDLE = ("a.json", "b.json")


def _bundle_folder(path: Path, text: bytes = b"old") -> Path:
    path.mkdir()
    for name in BUNDLE:
        (path / name).write_bytes(text)
    return path


def _write_new_bundle(work: Path) -> None:
    for name in BUNDLE:
        with private_file(work / name) as handle:
            handle.write(b"new")


def test_force_replaces_a_folder_holding_only_the_files_the_export_writes(tmp_path: Path) -> None:
    target = _bundle_folder(tmp_path / "bundle")
    notices: list[str] = []
    with atomic_directory(target, force=True, replaceable=BUNDLE, notices=notices) as work:
        _write_new_bundle(work)
    assert {name: (target / name).read_bytes() for name in _leftovers(target)} == dict.fromkeys(
        BUNDLE, b"new"
    )
    assert _leftovers(tmp_path) == ["bundle"]
    assert notices == []


@pytest.mark.parametrize(
    "kind", ["other file", "hidden file", "sub-folder named like a bundle file", "symlink"]
)
def test_force_refuses_a_folder_holding_anything_else(tmp_path: Path, kind: str) -> None:
    target = _bundle_folder(tmp_path / "bundle")
    precious = tmp_path / "precious"
    precious.write_bytes(b"precious")
    if kind == "other file":
        (target / "thesis.tex").write_bytes(b"precious")
    elif kind == "hidden file":
        (target / ".git").write_bytes(b"precious")
    elif kind == "symlink":
        (target / "a.json").unlink()
        (target / "a.json").symlink_to(precious)
    else:
        (target / "b.json").unlink()
        (target / "b.json").mkdir()
        (target / "b.json" / "data.csv").write_bytes(b"precious")
    before = sorted(str(p.relative_to(target)) for p in target.rglob("*"))
    with pytest.raises(OutputError, match="holding other files than an earlier export"):
        with atomic_directory(target, force=True, replaceable=BUNDLE) as work:
            _write_new_bundle(work)
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == before
    assert precious.read_bytes() == b"precious"
    assert _leftovers(tmp_path) == ["bundle", "precious"]


def test_the_folder_is_checked_again_at_the_moment_of_replacement(tmp_path: Path) -> None:
    target = _bundle_folder(tmp_path / "bundle")
    with pytest.raises(OutputError, match="other files"):
        with atomic_directory(target, force=True, replaceable=BUNDLE) as work:
            _write_new_bundle(work)
            (target / "notes.txt").write_bytes(b"written while the export ran")
    assert (target / "notes.txt").read_bytes() == b"written while the export ran"
    assert (target / "a.json").read_bytes() == b"old"
    assert _leftovers(tmp_path) == ["bundle"]


def test_a_folder_that_appears_while_the_export_runs_is_not_removed(tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    with pytest.raises(OutputError, match="other files"):
        with atomic_directory(target, force=True, replaceable=BUNDLE) as work:
            _write_new_bundle(work)
            target.mkdir()
            (target / "thesis.tex").write_bytes(b"precious")
    assert _leftovers(target) == ["thesis.tex"]
    assert _leftovers(tmp_path) == ["bundle"]


def test_a_symlink_target_is_kept_without_force_and_replaced_as_a_link_with_it(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.json").write_bytes(b"not ours")
    (elsewhere / "out.csv").write_bytes(b"not ours")
    for name, pointed in (
        ("bundle", elsewhere),
        ("out.csv", elsewhere / "out.csv"),
        ("dangling", tmp_path / "x"),
    ):
        (tmp_path / name).symlink_to(pointed)

    for name in ("bundle", "out.csv", "dangling"):
        with pytest.raises(OutputExists):
            with atomic_file(tmp_path / name):
                pass
        with pytest.raises(OutputExists):
            with atomic_directory(tmp_path / name):
                pass
    with atomic_directory(tmp_path / "bundle", force=True, replaceable=BUNDLE) as work:
        _write_new_bundle(work)
    with atomic_file(tmp_path / "out.csv", force=True) as handle:
        handle.write(b"new")
    with atomic_directory(tmp_path / "dangling", force=True, replaceable=BUNDLE) as work:
        _write_new_bundle(work)

    assert not any((tmp_path / name).is_symlink() for name in ("bundle", "out.csv", "dangling"))
    assert _leftovers(tmp_path / "bundle") == list(BUNDLE)
    assert (tmp_path / "out.csv").read_bytes() == b"new"
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == {
        "a.json": b"not ours",
        "out.csv": b"not ours",
    }
    assert _leftovers(tmp_path) == ["bundle", "dangling", "elsewhere", "out.csv"]


def test_force_does_not_replace_a_folder_with_a_file(tmp_path: Path) -> None:
    (tmp_path / "out.zip").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        with atomic_file(tmp_path / "out.zip", force=True) as handle:
            handle.write(b"new")
    assert (tmp_path / "out.zip").is_dir() and _leftovers(tmp_path) == ["out.zip"]


def test_a_run_that_wrote_its_output_never_fails_over_removing_the_old_one(
    tmp_path: Path, monkeypatch
) -> None:
    target = _bundle_folder(tmp_path / "bundle")
    real_rmdir = os.rmdir

    def rmdir_fails_for_the_old_folder(path, *args, **kwargs):
        if os.fspath(path).endswith(".old"):
            raise OSError(16, "Device or resource busy")
        return real_rmdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", rmdir_fails_for_the_old_folder)
    notices: list[str] = []
    with atomic_directory(target, force=True, replaceable=BUNDLE, notices=notices) as work:
        _write_new_bundle(work)
    assert (target / "a.json").read_bytes() == b"new"
    [notice] = notices
    assert notice.startswith(f"wrote {target}, but what it replaced is still at ") and "busy" in notice


# --- temporary names and leftovers of killed exports (items 3 and 8) -------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _temporary_name_of(pid: int, suffix: str = ".part") -> str:
    prefix, host, _, rest = temporary_name(suffix).split("-")
    return "-".join((prefix, host, str(pid), rest))


def test_the_temporary_name_is_short_hidden_and_names_its_process() -> None:
    name = temporary_name()
    assert re.fullmatch(rf"\.mtui-[0-9a-f]{{6}}-{os.getpid()}-[0-9a-f]{{12}}\.part", name), name
    assert len(name) <= 41


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_target_name_as_long_as_the_file_system_allows_is_written(tmp_path: Path, kind: str) -> None:
    target = tmp_path / ("n" * (255 - len(".csv")) + ".csv")
    if kind == "file":
        with atomic_file(target) as handle:
            handle.write(b"a\r\n")
    else:
        with atomic_directory(target) as work:
            _write_new_bundle(work)
    assert _leftovers(tmp_path) == [target.name]


def test_a_target_name_longer_than_the_file_system_allows_is_one_clear_line(tmp_path: Path) -> None:
    name = "n" * 252 + ".csv"
    for attempt in (
        lambda: resolve_output(tmp_path / name, DEFAULT),
        lambda: atomic_file(tmp_path / name).__enter__(),
        lambda: atomic_directory(tmp_path / name).__enter__(),
    ):
        with pytest.raises(OutputError, match="its name is 256 bytes long, the file system allows 255"):
            attempt()
    with pytest.raises(OutputError, match="longer than the file system allows"):
        resolve_output(tmp_path / name / "out.csv", DEFAULT)
    assert _leftovers(tmp_path) == []


def test_leftovers_of_dead_exports_are_removed_and_said_once(tmp_path: Path) -> None:
    dead = _dead_pid()
    dead_file = _temporary_name_of(dead)
    (tmp_path / dead_file).write_bytes(b"personal data")
    dead_folder = tmp_path / _temporary_name_of(dead)
    _bundle_folder(dead_folder)
    notices: list[str] = []
    with atomic_file(tmp_path / "out.csv", notices=notices) as handle:
        handle.write(b"a\r\n")
    assert _leftovers(tmp_path) == ["out.csv"]
    assert notices == [f"removed 2 temporary files left in {tmp_path} by exports that were interrupted"]

    (tmp_path / dead_file).write_bytes(b"personal data")
    notices.clear()
    with atomic_directory(tmp_path / "bundle", notices=notices) as work:
        _write_new_bundle(work)
    assert notices == [f"removed {tmp_path / dead_file}, left by an export that was interrupted"]
    assert _leftovers(tmp_path) == ["bundle", "out.csv"]


def test_only_muscle_tui_s_own_dead_leftovers_are_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    kept = [
        _temporary_name_of(os.getppid()),  # a living process
        _temporary_name_of(os.getpid()),  # this one
        f".mtui-zzzzzz-{dead}-0123456789ab.part",  # not the exact pattern
        _temporary_name_of(dead).replace(".part", ".partial"),
        f".out.csv.{dead}.part",  # someone else's naming
        _temporary_name_of(dead)[:6] + "000000" + _temporary_name_of(dead)[12:],  # another host
    ]
    for name in kept:
        (tmp_path / name).write_bytes(b"keep")
    holding_a_folder = tmp_path / _temporary_name_of(dead)
    (holding_a_folder / "sub").mkdir(parents=True)
    old_with_foreign_files = tmp_path / _temporary_name_of(dead, ".old")
    old_with_foreign_files.mkdir()
    (old_with_foreign_files / "thesis.tex").write_bytes(b"keep")
    kept += [holding_a_folder.name, old_with_foreign_files.name]
    old_bundle = tmp_path / _temporary_name_of(dead, ".old")
    _bundle_folder(old_bundle)

    notices: list[str] = []
    with atomic_directory(tmp_path / "bundle", replaceable=BUNDLE, notices=notices) as work:
        _write_new_bundle(work)
    assert notices == [f"removed {old_bundle}, left by an export that was interrupted"]
    assert _leftovers(tmp_path) == sorted([*kept, "bundle"])


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_another_user_s_leftover_is_kept(tmp_path: Path) -> None:
    theirs = tmp_path / _temporary_name_of(_dead_pid())
    theirs.write_bytes(b"theirs")
    os.chown(theirs, 4242, 4242)
    assert remove_leftovers(tmp_path) == []
    assert theirs.exists()
