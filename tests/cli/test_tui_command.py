"""`muscle-tui` without a subcommand, in a real terminal (a pty): the demo, and an unusable database."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ROWS, COLUMNS = 36, 120
TIMEOUT_SECONDS = 60.0


def read_until(fd: int, needles: tuple[bytes, ...], deadline: float) -> bytes:
    """Read the terminal's output until every needle has appeared (or the deadline passes)."""
    seen = b""
    while not all(needle in seen for needle in needles):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out; the terminal showed {seen[-2000:]!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def drain(fd: int, deadline: float) -> bytes:
    """Read the terminal's output until the child closes it, so its last writes never block."""
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def run_in_terminal(tmp_path: Path, args: list[str], shows: tuple[bytes, ...]) -> tuple[int, bytes]:
    """Start `muscle-tui ARGS` in a 120x36 pty, wait until it shows `shows`, press q; returns its exit
    status and everything it wrote."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MUSCLE_TUI_DB", "TEXTUAL", "TEXTUAL_DRIVER")
    }
    env.update(TERM="xterm-256color", XDG_DATA_HOME=str(tmp_path / "data"))
    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "muscle_tui", *args],
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    os.close(child_fd)
    try:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        shown = read_until(main_fd, shows, deadline)
        os.write(main_fd, b"q")
        shown += drain(main_fd, deadline)
        return process.wait(timeout=TIMEOUT_SECONDS), shown
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main_fd)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_muscle_tui_without_arguments_opens_the_demo_and_q_quits(tmp_path: Path) -> None:
    status, shown = run_in_terminal(tmp_path, [], (b"demo database", b"musical-minds"))
    assert status == 0
    assert b"Traceback" not in shown
    assert (tmp_path / "data" / "muscle-tui").is_dir()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_an_unreachable_database_shows_the_error_then_exits_with_status_1(tmp_path: Path) -> None:
    password = "Sup3rS3cret-pw"
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        url = f"postgresql://aml:{password}@127.0.0.1:{port}/muscle"
        status, shown = run_in_terminal(tmp_path, ["--db", url], (b"Cannot open the database",))
    assert status == 1
    assert b"muscle-tui: error connecting to the database" in shown
    assert password.encode() not in shown
    assert b"Traceback" not in shown
