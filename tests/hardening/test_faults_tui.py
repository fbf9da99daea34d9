"""Faults during an export from the terminal UI: each ends in an error notice (or, for a signal,
a clean exit), nothing under the final name, no temporary file, and a UI that still works.

The connection killed and a file appearing meanwhile run in this process with a pilot; a file
size limit and an unwritable directory run the pilot in a child process that carries the limit;
signals go to the real `muscle-tui` in a pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import zipfile
from pathlib import Path

import pytest
from textual.widgets import DataTable

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.screens import blocks as blocks_module
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from tests.support.hardening import (
    PASSWORD,
    child_env,
    drop_root_write_override,
    leftovers,
    limit_file_size,
    terminate_backends,
    unwritable_directory,
    url_text,
)
from tests.support.tui import (
    RecordingApp,
    close_failed_dialog,
    export_to,
    lock_waiters,
    open_blocks,
    run_async,
    table_locked,
    wait_for_rows,
    wait_until,
    wait_until_no_lock_waiters,
)

SIZE = (120, 36)
CHILD_SCRIPT = Path(__file__).resolve().parent.parent / "support" / "tui_fault_child.py"
TIMEOUT_SECONDS = 120.0
CONNECTION_LOST = (
    "terminating connection",
    "server closed the connection",
    "connection to the server was lost",
)


def hook_first_progress(monkeypatch, action) -> None:
    """Make the TUI's JSON export call `action()` once, at its first progress report with rows done."""
    real_export = blocks_module.write_json_bundle

    def export_with_hook(db, slug, path, *, force=False, progress=None, cancel=None, **options):
        fired = []

        def report(progress_report) -> None:
            if progress_report.done and not fired:
                fired.append(True)
                action()
            progress(progress_report)

        return real_export(db, slug, path, force=force, progress=report, cancel=cancel, **options)

    monkeypatch.setattr(blocks_module, "write_json_bundle", export_with_hook)


async def assert_still_usable(pilot, screen: BlocksScreen) -> None:
    """The blocks screen moves, reloads from the database, and leads back to the experiments."""
    table = screen.query_one(DataTable)
    await pilot.press("r")
    await wait_for_rows(pilot, BlocksScreen)
    await pilot.press("escape")
    await wait_for_rows(pilot, ExperimentsScreen)
    await pilot.press("enter")
    await wait_for_rows(pilot, BlocksScreen)
    assert pilot.app.screen.query_one(DataTable).row_count == table.row_count
    assert not any(note.startswith("Cannot list") for note in pilot.app.notes), pilot.app.notes


@pytest.mark.postgres
@run_async
async def test_the_connection_killed_mid_export_is_a_notice_and_the_next_export_works(
    pg, big_url, tmp_path, monkeypatch
) -> None:
    output = tmp_path / "killed.zip"
    hook_first_progress(monkeypatch, lambda: terminate_backends(pg, big_url.database))
    database = MuscleDatabase.open(big_url, "big")
    app = RecordingApp(database=database)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_blocks(pilot)
            await export_to(pilot, output)
            await wait_until(
                pilot, lambda: any("Export failed" in n for n in app.notes), "the failure notice"
            )
            [note] = [n for n in app.notes if "Export failed" in n]
            assert "error reading the database: " in note
            assert any(cause in note for cause in CONNECTION_LOST), note
            assert PASSWORD not in note
            assert "error reading the database: " in await close_failed_dialog(pilot, screen)
            assert app.screen is screen
            assert leftovers(tmp_path) == []

            await assert_still_usable(pilot, app.screen)
            monkeypatch.undo()
            again = tmp_path / "again.zip"
            await export_to(pilot, again)
            await wait_until(
                pilot, lambda: any("Export written" in n for n in app.notes), "the second export"
            )
        assert zipfile.is_zipfile(again)
        assert leftovers(tmp_path) == ["again.zip"]
    finally:
        database.close()


@run_async
async def test_a_file_created_meanwhile_is_kept_and_the_export_is_a_notice(
    demo_database, tmp_path, monkeypatch
) -> None:
    output = tmp_path / "taken.zip"
    hook_first_progress(monkeypatch, lambda: output.write_bytes(b"someone else's"))
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        await export_to(pilot, output)
        await wait_until(pilot, lambda: any("Export failed" in n for n in app.notes), "the failure notice")
        assert any("already exists" in n for n in app.notes)
        assert "already exists" in await close_failed_dialog(pilot, screen)
        assert app.screen is screen
        await assert_still_usable(pilot, screen)
    assert output.read_bytes() == b"someone else's"
    assert leftovers(tmp_path) == ["taken.zip"]


def run_pilot_child(database: str, output: Path, tmp_path: Path, preexec_fn) -> dict:
    done = subprocess.run(
        [sys.executable, str(CHILD_SCRIPT), database, str(output)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        preexec_fn=preexec_fn,
        env=child_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_file_size_limit_is_a_notice_and_the_ui_stays_usable(demo_path, tmp_path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    output = work / "big.zip"
    report = run_pilot_child(f"sqlite:///{demo_path}", output, tmp_path, limit_file_size(64 * 1024))
    [note] = report["notes"]
    assert (
        note.startswith("Export failed: file size limit reached while writing")
        and "nothing was written" in note
    )
    assert report["cursor_moved"] and report["blocks_reloaded"]
    assert leftovers(work) == []


def test_a_directory_that_cannot_be_written_is_a_notice_and_the_ui_stays_usable(demo_path, tmp_path) -> None:
    locked = unwritable_directory(tmp_path / "locked")
    report = run_pilot_child(f"sqlite:///{demo_path}", locked / "out.zip", tmp_path, drop_root_write_override)
    assert report["notes"] == [f"Export failed: cannot write to {locked}: permission denied"]
    assert report["cursor_moved"] and report["blocks_reloaded"]
    assert leftovers(locked) == []


# ---------------------------------------------------------------------------------------------
# Signals, to the real muscle-tui in a pseudo-terminal.


class Terminal:
    """`python -m muscle_tui` in a 120x36 pseudo-terminal that is its controlling terminal."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.main_fd, child_fd = pty.openpty()
        fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))

        def take_terminal() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(
            [sys.executable, "-m", "muscle_tui"],
            stdin=child_fd,
            stdout=child_fd,
            stderr=child_fd,
            cwd=cwd,
            env=dict(env, TERM="xterm-256color"),
            preexec_fn=take_terminal,
        )
        os.close(child_fd)
        self.shown = b""
        self.open = True

    def read(self, seconds: float = 0.05) -> None:
        """Take what the app wrote (so its writes never block)."""
        if not self.open:
            return
        ready, _, _ = select.select([self.main_fd], [], [], seconds)
        if ready:
            try:
                chunk = os.read(self.main_fd, 65536)
            except OSError:
                chunk = b""
            self.shown += chunk

    def wait_for(self, needle: bytes) -> None:
        self.wait_until(lambda: needle in self.shown, repr(needle))

    def wait_until(self, condition, what: str) -> None:
        """Read the terminal until `condition()` holds (the app must still run)."""
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while not condition():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"{what} never happened; the terminal showed {self.shown[-1500:]!r}")
            self.read()

    def press(self, keys: bytes) -> None:
        os.write(self.main_fd, keys)

    def hang_up(self) -> None:
        """Close the terminal, as a dropped SSH connection does."""
        os.close(self.main_fd)
        self.open = False

    def wait(self) -> int:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read(0.1)
        self.read(0.1)
        return self.process.wait(timeout=1)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.open:
            os.close(self.main_fd)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("stop", "status", "words"),
    [("SIGINT", 130, b"interrupted"), ("SIGTERM", 143, b"stopped by SIGTERM"), ("hang-up", 129, None)],
)
def test_a_signal_mid_export_ends_the_ui_cleanly(big_url, tmp_path, stop, status, words) -> None:
    work = tmp_path / "work"
    work.mkdir()
    terminal = Terminal(work, child_env(tmp_path, MUSCLE_TUI_DB=url_text(big_url)))
    try:
        terminal.wait_for(b"Benchmark experiment")
        terminal.press(b"\r")
        terminal.wait_for(b"rules CATEGORIZATION")  # the block's row is loaded and highlighted
        terminal.press(b"j")
        terminal.wait_for(b"Write to:")
        terminal.press(b"\r")
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while not any(name.endswith(".part") for name in os.listdir(work)):
            assert time.monotonic() < deadline, "the export never started"
            terminal.read(0.001)
        assert not any(name.endswith(".zip") for name in os.listdir(work)), "the export finished too soon"
        if stop == "hang-up":
            terminal.hang_up()
        else:
            terminal.process.send_signal(getattr(signal, stop))
        assert terminal.wait() == status
    finally:
        terminal.close()
    assert leftovers(work) == []
    if words is not None:
        tail = terminal.shown[-400:]
        assert b"muscle-tui: " + words + b"; no partial output was left behind" in tail
        assert b"\x1b[?1049l" in tail, "the terminal was not restored"
    assert PASSWORD.encode() not in terminal.shown
    assert b"Traceback" not in terminal.shown


@pytest.mark.postgres
@run_async
async def test_connections_dropped_while_idle_do_not_fail_the_next_action(pg, big_url, tmp_path) -> None:
    """A server restart (or a firewall dropping idle connections) between two actions is invisible."""
    database = MuscleDatabase.open(big_url, "big")
    app = RecordingApp(database=database)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_blocks(pilot)
            assert terminate_backends(pg, big_url.database) >= 1
            await assert_still_usable(pilot, screen)
    finally:
        database.close()


# ---------------------------------------------------------------------------------------------
# A query stuck behind another session's lock (a MUSCLE migration) never keeps the UI from ending.

PATIENT_LOCK_TIMEOUT = "120"  # far longer than any test: only cancelling the statement ends it


def lock_terminal(url, work: Path, tmp_path: Path) -> Terminal:
    env = child_env(tmp_path, MUSCLE_TUI_DB=url_text(url), MUSCLE_TUI_LOCK_TIMEOUT=PATIENT_LOCK_TIMEOUT)
    return Terminal(work, env)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("stop", "status"),
    [("SIGINT", 130), ("SIGTERM", 143), ("hang-up", 129)],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
def test_a_signal_ends_the_ui_while_its_export_waits_for_a_lock(lock_url, tmp_path, stop, status) -> None:
    work = tmp_path / "work"
    work.mkdir()
    terminal = lock_terminal(lock_url, work, tmp_path)
    try:
        terminal.wait_for(b"lab-exp")
        terminal.press(b"\r")
        terminal.wait_for(b"rules RHYTHM_BATTERY_FINAL")
        with table_locked(lock_url):
            terminal.press(b"j")
            terminal.wait_for(b"Write to:")
            terminal.press(b"\r")
            terminal.wait_until(lambda: bool(lock_waiters(lock_url)), "the export waiting for the lock")
            if stop == "hang-up":
                terminal.hang_up()
            else:
                terminal.process.send_signal(getattr(signal, stop))
            assert terminal.wait() == status
            wait_until_no_lock_waiters(lock_url)  # the export's statement was cancelled on the server
    finally:
        terminal.close()
    assert leftovers(work) == []
    assert b"Traceback" not in terminal.shown


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("leave", "status"),
    [(b"q", 0), (b"\x03", 0), ("SIGTERM", 143), ("hang-up", 129)],
    ids=["q", "ctrl+c", "SIGTERM", "SIGHUP"],
)
def test_leaving_while_the_experiments_wait_for_a_lock_ends_the_process(
    lock_url, tmp_path, leave, status
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    with table_locked(lock_url):
        terminal = lock_terminal(lock_url, work, tmp_path)
        try:
            terminal.wait_until(lambda: bool(lock_waiters(lock_url)), "the experiments waiting for the lock")
            if leave == "hang-up":
                terminal.hang_up()
            elif leave == "SIGTERM":
                terminal.process.send_signal(signal.SIGTERM)
            else:
                terminal.press(leave)
            assert terminal.wait() == status
            wait_until_no_lock_waiters(lock_url)  # the query was cancelled on the server
        finally:
            terminal.close()
    assert b"Traceback" not in terminal.shown
