"""Faults during a headless export, in real `python -m muscle_tui export ...` child processes:
signals, the connection killed, a full disk, a directory that cannot be written, a file already
there. Each: exit status non-zero, one clear line on stderr without the password, nothing
under the final name and no temporary file left behind.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hardening import (
    BIG_SLUG,
    CHILD_TIMEOUT_SECONDS,
    PASSWORD,
    assert_one_clear_line,
    child_env,
    drop_root_write_override,
    finish,
    leftovers,
    limit_file_size,
    run_muscle_tui,
    start_export_and_pause_midway,
    terminate_backends,
    unwritable_directory,
    url_text,
)

pytestmark = pytest.mark.postgres

EXPORTS = {
    "csv-long": ["export", "csv", BIG_SLUG, "--template", "long", "-o", "out.csv"],
    "csv-wide": ["export", "csv", BIG_SLUG, "--template", "wide", "-o", "out.csv"],
    "json-zip": ["export", "json", BIG_SLUG, "-o", "out.zip"],
    "json-directory": ["export", "json", BIG_SLUG, "-o", "out"],
}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty directory the exports write into (the child's environment lives beside it)."""
    work = tmp_path / "work"
    work.mkdir()
    return work


@pytest.fixture
def env(tmp_path: Path, big_url) -> dict[str, str]:
    """The child's environment: the large database, with a password in its URL."""
    assert big_url.password == PASSWORD
    return child_env(tmp_path, MUSCLE_TUI_DB=url_text(big_url))


@pytest.mark.parametrize(
    ("signum", "status", "words"),
    [
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGTERM, 143, "stopped by SIGTERM"),
        (signal.SIGHUP, 129, "stopped by SIGHUP"),
    ],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
@pytest.mark.parametrize("export", EXPORTS, ids=list(EXPORTS))
def test_a_signal_mid_export_leaves_nothing(workdir, env, export, signum, status, words) -> None:
    process = start_export_and_pause_midway(EXPORTS[export], workdir, env)
    process.send_signal(signum)
    code, out, err = finish(process)
    assert_one_clear_line(code, out, err, words, "no partial output was left behind", status=status)
    assert leftovers(workdir) == []


def test_a_signal_mid_listing_says_the_printed_output_is_incomplete(workdir, env) -> None:
    """A listing has already printed part of its rows: it must not claim nothing was left behind."""
    process = subprocess.Popen(
        [sys.executable, "-m", "muscle_tui", "sessions", BIG_SLUG, "--format", "json"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # 1,000 sessions of JSON outgrow the pipe: unread, the listing blocks part-way.
        assert process.stdout is not None and process.stdout.readline() == "[\n"
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=CHILD_TIMEOUT_SECONDS)
    finally:
        process.kill()
    assert_one_clear_line(
        process.returncode, "", err, "interrupted", "the output printed so far is incomplete", status=130
    )
    assert "no partial output" not in err


@pytest.mark.parametrize("export", EXPORTS, ids=list(EXPORTS))
def test_the_connection_killed_mid_export_leaves_nothing(pg, big_url, workdir, env, export) -> None:
    process = start_export_and_pause_midway(EXPORTS[export], workdir, env)
    assert terminate_backends(pg, big_url.database) >= 1
    code, out, err = finish(process)
    line = assert_one_clear_line(code, out, err, "error reading the database")
    assert "terminating connection" in line or "server closed the connection" in line, (
        f"the cause was hidden (e.g. by the failed rollback): {line}"
    )
    assert leftovers(workdir) == []


@pytest.mark.parametrize("export", EXPORTS, ids=list(EXPORTS))
def test_a_file_size_limit_mid_export_leaves_nothing(workdir, env, export) -> None:
    done = run_muscle_tui(EXPORTS[export], workdir, env, preexec_fn=limit_file_size(256 * 1024))
    assert_one_clear_line(
        done.returncode, done.stdout, done.stderr, "file size limit reached", "nothing was written"
    )
    assert leftovers(workdir) == []


@pytest.fixture
def tiny_filesystem(tmp_path: Path):
    """A 256 KiB tmpfs mounted for the test (needs CAP_SYS_ADMIN, which root in CI has)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "muscle-tui-test", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode:
        pytest.skip(
            f"cannot mount a tmpfs here ({mounted.stderr.strip()}); RLIMIT_FSIZE tests cover a full disk"
        )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


@pytest.mark.parametrize("export", EXPORTS, ids=list(EXPORTS))
def test_a_full_disk_mid_export_leaves_nothing(tiny_filesystem, env, export) -> None:
    done = run_muscle_tui(EXPORTS[export], tiny_filesystem, env)
    assert_one_clear_line(
        done.returncode, done.stdout, done.stderr, "disk full while writing", "nothing was written"
    )
    assert leftovers(tiny_filesystem) == []


@pytest.mark.parametrize("export", EXPORTS, ids=list(EXPORTS))
def test_a_directory_that_cannot_be_written_is_one_line(tmp_path, env, export) -> None:
    locked = unwritable_directory(tmp_path / "locked")
    done = run_muscle_tui(EXPORTS[export], locked, env, preexec_fn=drop_root_write_override)
    assert_one_clear_line(
        done.returncode, done.stdout, done.stderr, f"cannot write to {locked}: permission denied"
    )
    assert leftovers(locked) == []


@pytest.mark.parametrize("export", EXPORTS, ids=list(EXPORTS))
def test_an_existing_output_is_kept(workdir, env, export) -> None:
    # An existing directory gets the default name inside (the output rule: tests/cli shows an
    # earlier bundle kept that way), so what is already there under the target's name is a file.
    target = workdir / EXPORTS[export][-1]
    target.write_bytes(b"precious")
    done = run_muscle_tui(EXPORTS[export], workdir, env)
    assert_one_clear_line(done.returncode, done.stdout, done.stderr, f"{target} already exists; use --force")
    assert target.read_bytes() == b"precious"
    assert leftovers(workdir) == [target.name]


def test_the_connection_killed_mid_csv_export_names_the_cause(pg, big_url, workdir) -> None:
    """Deterministic: killed at the 1,000th row. Ending the snapshot on the dead connection fails
    too ('connection already closed'); that must not replace the cause."""
    from muscle_tui.db.database import MuscleDatabase
    from muscle_tui.errors import DatabaseError
    from muscle_tui.export.csv import find_template, write_csv

    db = MuscleDatabase.open(big_url, "big")

    def kill_at_first_thousand(report) -> None:
        if report.done:
            terminate_backends(pg, big_url.database)

    try:
        with pytest.raises(DatabaseError) as info:
            write_csv(
                db,
                BIG_SLUG,
                find_template("long").selection,
                workdir / "out.csv",
                progress=kill_at_first_thousand,
            )
        assert db.block(BIG_SLUG).results == 100_000, "the next query works again"
    finally:
        db.close()
    message = str(info.value)
    assert message.startswith("error reading the database: ") and "\n" not in message
    assert "terminating connection" in message or "server closed the connection" in message, message
    assert leftovers(workdir) == []
