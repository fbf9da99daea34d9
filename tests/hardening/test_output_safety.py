"""Output safety through the real engines and front ends: `--force` deletes nothing it did not
write, a killed export's leftovers are removed (and said) by the next export into that folder, and a
long valid file name is written while one too long is one clear line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import OutputError
from muscle_tui.export.files import temporary_name
from muscle_tui.export.json import JSON_FILES, write_json_bundle
from muscle_tui.export.progress import ExportProgress
from tests.support.hardening import (
    CHILD_TIMEOUT_SECONDS,
    assert_one_clear_line,
    child_env,
    leftovers,
    run_muscle_tui,
)
from tests.support.tui import RecordingApp, export_to, open_blocks, run_async, toasts, wait_until

TEMPORARY = re.compile(r"\.mtui-[0-9a-f]{6}-(?P<pid>\d+)-[0-9a-f]{12}\.part")
LEFTOVER_NOTICE = "left by an export that was interrupted"

# An export killed with SIGKILL at its first progress report, with its output half written.
KILLED_EXPORT = """
import os, signal, sys
from muscle_tui.cli import main
from muscle_tui.export.progress import ProgressReporter

def killed(self, count, stage=None):
    os.kill(os.getpid(), signal.SIGKILL)

ProgressReporter.advance = killed
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def slug(demo_database: MuscleDatabase) -> str:
    return max(demo_database.blocks(), key=lambda block: block.results).slug


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    return work


@pytest.fixture
def cli(demo_path: Path, tmp_path: Path, workdir: Path):
    """Run `python -m muscle_tui --db <demo> ARGS` in `workdir`, to completion."""
    env = child_env(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_muscle_tui(["--db", f"sqlite:///{demo_path}", *args], workdir, env)

    return run


def _kill_an_export_midway(demo_path: Path, workdir: Path, tmp_path: Path, *args: str) -> str:
    """Run an export that is SIGKILLed mid-way; the name of the temporary output it left."""
    done = subprocess.run(
        [sys.executable, "-c", KILLED_EXPORT, "--db", f"sqlite:///{demo_path}", *args],
        cwd=workdir,
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    [left] = leftovers(workdir)
    return left


@pytest.mark.parametrize(
    ("killed", "kind"),
    [
        (["export", "csv", "{slug}", "-o", "out.csv"], "file"),
        (["export", "json", "{slug}", "-o", "out"], "folder"),
    ],
    ids=["csv", "json-folder"],
)
@pytest.mark.parametrize(
    "following",
    [["export", "csv", "{slug}", "-o", "next.csv"], ["export", "json", "{slug}", "-o", "next.zip"]],
    ids=["then-csv", "then-json"],
)
def test_the_next_export_removes_what_a_killed_export_left_and_says_so(
    demo_path, slug, workdir, tmp_path, cli, killed, kind, following
) -> None:
    left = _kill_an_export_midway(demo_path, workdir, tmp_path, *(a.format(slug=slug) for a in killed))
    assert TEMPORARY.fullmatch(left), left
    assert (workdir / left).is_dir() == (kind == "folder")

    done = cli(*(a.format(slug=slug) for a in following))
    written = workdir / following[-1]
    assert (done.returncode, done.stdout) == (0, f"{written}\n"), done.stderr
    assert done.stderr == f"muscle-tui: removed {workdir / left}, {LEFTOVER_NOTICE}\n"
    companions = [written.stem + ".datapackage.json"] if written.suffix == ".csv" else []
    assert leftovers(workdir) == sorted([written.name, *companions])


def test_a_living_export_s_temporary_output_is_left_alone(cli, slug, workdir) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = workdir / _name_owned_by(sleeper.pid)
        theirs.write_bytes(b"being written")
        done = cli("export", "csv", slug, "-o", "next.csv")
        assert (done.returncode, done.stderr) == (0, "")
        assert theirs.read_bytes() == b"being written"
    finally:
        sleeper.kill()
        sleeper.wait()


def _name_owned_by(pid: int) -> str:
    """A temporary name muscle-tui on this host would give, owned by process `pid`."""
    prefix, host, _, rest = temporary_name().split("-")
    return "-".join((prefix, host, str(pid), rest))


def test_a_file_name_as_long_as_allowed_is_written_and_a_longer_one_is_one_line(cli, slug, workdir) -> None:
    longest = "n" * 251 + ".csv"
    done = cli("export", "csv", slug, "-o", longest)
    # Its data package's name (X.datapackage.json) would be longer than the file system allows.
    assert_one_clear_line(done.returncode, done.stdout, done.stderr, "the file system allows 255")
    done = cli("export", "csv", slug, "--no-datapackage", "-o", longest)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{workdir / longest}\n", "")

    too_long = "n" * 252 + ".csv"
    done = cli("export", "csv", slug, "-o", too_long)
    assert_one_clear_line(
        done.returncode, done.stdout, done.stderr, "its name is 256 bytes long, the file system allows 255"
    )
    done = cli("export", "json", slug, "-o", "n" * 256)
    assert_one_clear_line(done.returncode, done.stdout, done.stderr, "its name is 256 bytes long")
    assert leftovers(workdir) == [longest]


# --- the real JSON engine replacing a bundle folder -----------------------------------------


def test_force_replaces_an_earlier_bundle_folder(demo_database, slug, tmp_path) -> None:
    bundle = tmp_path / "bundle"
    write_json_bundle(demo_database, slug, bundle)
    (bundle / "results.json").write_bytes(b"stale")
    result = write_json_bundle(demo_database, slug, bundle, force=True)
    assert sorted(leftovers(bundle)) == sorted(JSON_FILES)
    assert (bundle / "results.json").read_bytes() != b"stale"
    assert result.notices == ()
    assert leftovers(tmp_path) == ["bundle"]


@pytest.mark.parametrize("planted", ["sub-folder", "symlink"])
def test_force_refuses_a_bundle_folder_holding_a_folder_or_link_named_like_a_bundle_file(
    demo_database, slug, tmp_path, planted
) -> None:
    bundle = tmp_path / "bundle"
    write_json_bundle(demo_database, slug, bundle)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_bytes(b"precious")
    (bundle / "results.json").unlink()
    if planted == "sub-folder":
        (bundle / "results.json").mkdir()
        (bundle / "results.json" / "thesis.tex").write_bytes(b"precious")
    else:
        (bundle / "results.json").symlink_to(precious)
    with pytest.raises(OutputError, match="holding other files than an earlier export"):
        write_json_bundle(demo_database, slug, bundle, force=True)
    assert (precious / "thesis.tex").read_bytes() == b"precious"
    assert "results.json" in leftovers(bundle)
    assert leftovers(tmp_path) == ["bundle", "precious"]


def test_a_file_added_to_the_bundle_folder_during_the_export_stops_the_replacement(
    demo_database, slug, tmp_path
) -> None:
    bundle = tmp_path / "bundle"
    write_json_bundle(demo_database, slug, bundle)

    def add_a_file(report: ExportProgress) -> None:
        if report.done and not (bundle / "notes.txt").exists():
            (bundle / "notes.txt").write_bytes(b"written while the export ran")

    with pytest.raises(OutputError, match="other files"):
        write_json_bundle(demo_database, slug, bundle, force=True, progress=add_a_file)
    assert (bundle / "notes.txt").read_bytes() == b"written while the export ran"
    assert sorted(leftovers(bundle)) == sorted([*JSON_FILES, "notes.txt"])
    assert leftovers(tmp_path) == ["bundle"]


def test_a_symlink_target_is_replaced_as_a_link_never_followed(demo_database, slug, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "thesis.tex").write_bytes(b"precious")
    for name in ("bundle", "out.zip"):
        (tmp_path / name).symlink_to(elsewhere)
        write_json_bundle(demo_database, slug, tmp_path / name, force=True)
        assert not (tmp_path / name).is_symlink()
    assert sorted(leftovers(tmp_path / "bundle")) == sorted(JSON_FILES)
    assert (tmp_path / "out.zip").is_file()
    assert leftovers(elsewhere) == ["thesis.tex"]
    assert leftovers(tmp_path) == ["bundle", "elsewhere", "out.zip"]


# --- the terminal UI shows the notice ------------------------------------------------------------


@run_async
async def test_the_tui_says_it_removed_a_killed_export_s_leftovers(demo_database, tmp_path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    left = tmp_path / _name_owned_by(child.pid)
    left.write_bytes(b"personal data")
    output = tmp_path / "from-the-tui.zip"
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_blocks(pilot)
        await export_to(pilot, output)
        await wait_until(pilot, lambda: any(LEFTOVER_NOTICE in t for t in toasts(app)), "the notice")
    assert [t for t in toasts(app) if LEFTOVER_NOTICE in t] == [f"Export: removed {left}, {LEFTOVER_NOTICE}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [output.name]
    assert not os.path.lexists(left)
