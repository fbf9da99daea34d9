"""No hang: a query stuck behind another session's lock is cancelled on the server when the user
stops it, gives up after MUSCLE_TUI_LOCK_TIMEOUT naming the table, and the user's own server
options are kept beside muscle-tui's read-only one."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import DatabaseError, ExportCancelled
from muscle_tui.export.csv import find_template, write_csv
from muscle_tui.export.json import write_json_bundle
from tests.support.hardening import (
    assert_one_clear_line,
    child_env,
    leftovers,
    url_text,
)
from tests.support.tui import LOCKED_TABLE, lock_waiters, table_locked

pytestmark = pytest.mark.postgres

BLOCK = "block-a"
# Long enough that a test which does not cancel the statement cannot pass by waiting it out.
PATIENT_LOCK_TIMEOUT = "120"
WAIT_SECONDS = 30.0


def _waiting_on_a_lock(url: URL) -> int:
    return len(lock_waiters(url))


def wait_until_blocked(url: URL, alive: Callable[[], bool]) -> None:
    """Until a muscle-tui query waits for the lock (or the export ended, which fails the test)."""
    event = threading.Event()
    while not _waiting_on_a_lock(url):
        assert alive(), "the export ended instead of waiting for the lock"
        event.wait(0.02)


EXPORTS = {
    "csv": lambda db, out, cancel: write_csv(
        db, BLOCK, find_template("long").selection, out / "out.csv", cancel=cancel
    ),
    "json": lambda db, out, cancel: write_json_bundle(db, BLOCK, out / "out.zip", cancel=cancel),
}


@pytest.mark.parametrize("export", list(EXPORTS))
def test_cancelling_an_export_stuck_behind_a_lock_cancels_its_statement(
    lock_url, tmp_path, monkeypatch, export
) -> None:
    monkeypatch.setenv("MUSCLE_TUI_LOCK_TIMEOUT", PATIENT_LOCK_TIMEOUT)
    db = MuscleDatabase.open(lock_url, "locks")
    cancel = threading.Event()
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            EXPORTS[export](db, tmp_path, cancel)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    try:
        with table_locked(lock_url):
            worker = threading.Thread(target=run)
            worker.start()
            wait_until_blocked(lock_url, worker.is_alive)
            cancel.set()
            worker.join(WAIT_SECONDS)
            assert not worker.is_alive(), "the export still waits for the lock after being cancelled"
        assert len(outcome) == 1 and isinstance(outcome[0], ExportCancelled), outcome
        assert leftovers(tmp_path) == []
        assert db.block(BLOCK).sessions > 0, "the database is usable again"
    finally:
        db.close()


def test_interrupt_frees_a_catalog_query_stuck_behind_a_lock(lock_url, monkeypatch) -> None:
    monkeypatch.setenv("MUSCLE_TUI_LOCK_TIMEOUT", PATIENT_LOCK_TIMEOUT)
    db = MuscleDatabase.open(lock_url, "locks")
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            db.blocks()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    try:
        with table_locked(lock_url):
            worker = threading.Thread(target=run)
            worker.start()
            wait_until_blocked(lock_url, worker.is_alive)
            db.interrupt()
            worker.join(WAIT_SECONDS)
            assert not worker.is_alive(), "the catalog query still waits for the lock"
        assert len(outcome) == 1 and isinstance(outcome[0], DatabaseError), outcome
        assert "\n" not in str(outcome[0])
    finally:
        db.close()


def test_a_lock_held_too_long_names_the_table(lock_url, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MUSCLE_TUI_LOCK_TIMEOUT", "1")
    db = MuscleDatabase.open(lock_url, "locks")
    try:
        with table_locked(lock_url), pytest.raises(DatabaseError) as info:
            write_csv(db, BLOCK, find_template("wide").selection, tmp_path / "out.csv")
    finally:
        db.close()
    message = str(info.value)
    assert f"table {LOCKED_TABLE} is locked by another session" in message, message
    assert "1 s" in message and "MUSCLE_TUI_LOCK_TIMEOUT" in message, message
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_ends_a_cli_export_stuck_behind_a_lock(lock_url, tmp_path, signum) -> None:
    env = child_env(tmp_path, MUSCLE_TUI_LOCK_TIMEOUT=PATIENT_LOCK_TIMEOUT)
    workdir = tmp_path / "work"
    workdir.mkdir()
    with table_locked(lock_url):
        process = subprocess.Popen(
            [sys.executable, "-m", "muscle_tui", "--db", url_text(lock_url), "export", "csv", BLOCK],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_until_blocked(lock_url, lambda: process.poll() is None)
            process.send_signal(signum)
            out, err = process.communicate(timeout=WAIT_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert_one_clear_line(process.returncode, out, err, status=128 + signum)
    assert leftovers(workdir) == []
    assert not _waiting_on_a_lock(lock_url)


def _settings(db: MuscleDatabase, *names: str) -> dict[str, str]:
    with db.engine.connect() as conn:
        return {name: conn.execute(text(f"SHOW {name}")).scalar() for name in names}


def test_the_users_server_options_are_kept_and_read_only_still_holds(lock_url, monkeypatch) -> None:
    monkeypatch.setenv("PGOPTIONS", "-c work_mem=5MB -c default_transaction_read_only=off")
    monkeypatch.delenv("MUSCLE_TUI_LOCK_TIMEOUT", raising=False)
    url = lock_url.update_query_dict(
        {"options": "-c statement_timeout=4321 -c default_transaction_read_only=off"}
    )
    db = MuscleDatabase.open(url, "locks")
    try:
        shown = _settings(
            db, "work_mem", "statement_timeout", "lock_timeout", "default_transaction_read_only"
        )
        assert shown == {
            "work_mem": "5MB",
            "statement_timeout": "4321ms",
            "lock_timeout": "30s",
            "default_transaction_read_only": "on",
        }
        with db.engine.connect() as conn, pytest.raises(Exception, match="read-only transaction"):
            conn.execute(text("DELETE FROM experiment_feedback"))
        with db.engine.connect() as conn:
            parameters = conn.connection.dbapi_connection.info.dsn_parameters
        assert parameters.get("keepalives") == "1", "a dead peer is noticed"
    finally:
        db.close()


def test_connecting_to_a_silent_server_times_out(monkeypatch) -> None:
    import socket

    monkeypatch.setenv("MUSCLE_TUI_CONNECT_TIMEOUT", "1")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        url = URL.create(
            "postgresql+psycopg2", username="u", host="127.0.0.1", port=listener.getsockname()[1]
        )
        with pytest.raises(DatabaseError, match="timeout expired"):
            MuscleDatabase.open(url.set(database="m"), "silent")
    finally:
        listener.close()
