"""Helpers for the hardening tests (no tests here): a block large enough to interrupt, child
processes of `python -m muscle_tui`, a directory the child cannot write, and a password that
must never show.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

REPO = Path(__file__).resolve().parents[2]
BENCH_SCRIPT = REPO / "bench" / "generate.py"
PASSWORD = "Sup3rS3cret-pw"
BIG_SESSIONS, BIG_RESULTS_PER_SESSION = 1000, 100
BIG_SLUG = "bench"
CHILD_TIMEOUT_SECONDS = 120.0
PART_SUFFIX = ".part"
# Linux capabilities that let root write where the file modes say no.
_PR_CAPBSET_DROP = 24
_DAC_CAPABILITIES = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def with_password(url: URL) -> URL:
    """The URL with PASSWORD in it (the test server trusts local connections and ignores it)."""
    return url.set(password=PASSWORD)


def url_text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def leftovers(directory: Path) -> list[str]:
    """Every name in `directory`, hidden temporary files included."""
    return sorted(p.name for p in directory.iterdir())


_generated: dict[str, URL] = {}


@pytest.fixture(scope="session")
def big_url(pg) -> URL:
    """A MUSCLE 2026 database whose block `bench` has 1,000 sessions x 100 results (bench/generate.py),
    generated once per run however many modules import this fixture."""
    if pg.run_id not in _generated:
        url = pg.create("hardening_big")
        done = subprocess.run(
            [
                sys.executable,
                str(BENCH_SCRIPT),
                "--sessions",
                str(BIG_SESSIONS),
                "--results-per-session",
                str(BIG_RESULTS_PER_SESSION),
                "--db-name",
                url.database,
                "--admin-url",
                url_text(pg.admin),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        _generated[pg.run_id] = with_password(url)
    return _generated[pg.run_id]


def terminate_backends(pg, database: str) -> int:
    """pg_terminate_backend every muscle-tui connection to `database`; how many there were."""
    admin = create_engine(pg.admin, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND application_name = 'muscle-tui'"
                    ),
                    {"name": database},
                ).all()
            )
    finally:
        admin.dispose()


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a muscle-tui child: private config and data directories, no MUSCLE_TUI_DB."""
    env = {k: v for k, v in os.environ.items() if k not in ("MUSCLE_TUI_DB", "MUSCLE_TUI_CONNECT_TIMEOUT")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"), **extra)
    return env


def run_muscle_tui(
    args: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m muscle_tui ARGS` in a child process, to completion."""
    return subprocess.run(
        [sys.executable, "-m", "muscle_tui", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=preexec_fn,
        timeout=CHILD_TIMEOUT_SECONDS,
    )


def wait_for_part(directory: Path, process: subprocess.Popen | None = None) -> str:
    """Wait until an export's temporary `.part` file appears in `directory`; returns its name."""
    deadline = time.monotonic() + CHILD_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        parts = [p.name for p in directory.iterdir() if p.name.endswith(PART_SUFFIX)]
        if parts:
            return parts[0]
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the export ended before writing: {process.communicate()}")
        time.sleep(0.001)
    raise AssertionError(f"no {PART_SUFFIX} file appeared in {directory}")


def start_export_and_pause_midway(args: Sequence[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start `python -m muscle_tui ARGS` and SIGSTOP it once its output has started (a `.part`
    file exists and the final name does not): whatever the test does next happens mid-export."""
    process = subprocess.Popen(
        [sys.executable, "-m", "muscle_tui", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_part(cwd, process)
        process.send_signal(signal.SIGSTOP)
        names = leftovers(cwd)
        assert len(names) == 1 and names[0].endswith(PART_SUFFIX), f"not mid-export: {names}"
    except BaseException:
        process.kill()
        process.communicate()
        raise
    return process


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    """Let a paused child go on and wait for it: (exit status, stdout, stderr)."""
    process.send_signal(signal.SIGCONT)
    out, err = process.communicate(timeout=CHILD_TIMEOUT_SECONDS)
    return process.returncode, out, err


def drop_root_write_override() -> None:
    """In a child about to exec: as root, give up the capabilities that ignore file modes.

    Run as root, the child could otherwise write into a 0555 directory; without them it is
    refused like any user (EACCES). Harmless when not root.
    """
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in _DAC_CAPABILITIES:
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno), "prctl(PR_CAPBSET_DROP)")


def unwritable_directory(path: Path) -> Path:
    """`path` as a directory nobody may write into (mode 0555); the child must drop root's
    override with `drop_root_write_override`."""
    path.mkdir()
    path.chmod(0o555)
    return path


def limit_file_size(limit: int) -> Callable[[], None]:
    """A preexec_fn: files the child writes cannot grow beyond `limit` bytes (EFBIG, as on a full disk)."""

    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def assert_one_clear_line(code: int, out: str, err: str, *needles: str, status: int = 1) -> str:
    """Exit `status`, nothing on stdout, one `muscle-tui: ` line on stderr holding the needles
    and never the password or a traceback; returns that line."""
    assert code == status, (code, out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("muscle-tui: "), err
    assert "Traceback" not in err
    assert PASSWORD not in err and PASSWORD not in out
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]
