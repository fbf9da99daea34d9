"""Every connection muscle-tui opens refuses writes, and a silent server cannot hang it."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from muscle_tui.db.connect import open_engine
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.schema import detect_schema
from muscle_tui.db.stream import open_snapshot
from muscle_tui.errors import DatabaseError


@contextlib.contextmanager
def snapshot(engine):
    """The connection of a `Snapshot` on `engine`, as the exports read through it."""
    with engine.connect() as probe:
        schema = detect_schema(probe)
    with open_snapshot(engine, schema) as snap:
        yield snap.conn


@pytest.mark.postgres
def test_postgres_connections_refuse_writes(edge_url: URL) -> None:
    engine = open_engine(edge_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW default_transaction_read_only")).scalar() == "on"
            with pytest.raises(DBAPIError, match="read-only transaction"):
                conn.execute(text("DELETE FROM result_result"))
        with snapshot(engine) as conn:
            assert conn.execute(text("SHOW transaction_read_only")).scalar() == "on"
            assert conn.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"
            with pytest.raises(DBAPIError, match="read-only transaction"):
                conn.execute(text("UPDATE session_session SET final_score = 0"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM result_result")).scalar() > 0
    finally:
        engine.dispose()


def test_sqlite_connections_refuse_writes(sqlite2025_path: Path) -> None:
    before = sqlite2025_path.read_bytes()
    engine = open_engine(URL.create("sqlite", database=str(sqlite2025_path)))
    try:
        with snapshot(engine) as conn:
            with pytest.raises(DBAPIError, match=r"readonly|read-only|query_only"):
                conn.execute(text("INSERT INTO section_song (artist, name) VALUES ('a', 'b')"))
        with engine.connect() as conn:
            with pytest.raises(DBAPIError):
                conn.execute(text("CREATE TABLE intruder (x int)"))
    finally:
        engine.dispose()
    assert sqlite2025_path.read_bytes() == before


def test_silent_server_times_out(monkeypatch) -> None:
    monkeypatch.setenv("MUSCLE_TUI_CONNECT_TIMEOUT", "1")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts the TCP connection, never says a word
    port = listener.getsockname()[1]
    try:
        with pytest.raises(DatabaseError, match="timeout"):
            MuscleDatabase.open(
                URL.create("postgresql+psycopg2", username="u", host="127.0.0.1", port=port, database="m"),
                "x",
            )
    finally:
        listener.close()


def _spy_on_snapshots(monkeypatch) -> list:
    """Record every connection the exports read through (`MuscleDatabase.snapshot`)."""
    opened: list = []
    real_snapshot = MuscleDatabase.snapshot

    @contextlib.contextmanager
    def recording_snapshot(db, *args, **kwargs):
        with real_snapshot(db, *args, **kwargs) as snap:
            opened.append(snap.conn)
            yield snap

    monkeypatch.setattr(MuscleDatabase, "snapshot", recording_snapshot)
    return opened


WRITES = (
    "DELETE FROM result_result",
    "UPDATE session_session SET final_score = -1",
    "INSERT INTO section_song (artist, name) VALUES ('intruder', 'intruder')",
    "CREATE TABLE intruder (x integer)",
)


def _try_writes_inside(conn, postgres: bool) -> list[str]:
    """Attempt each write on the export's own DBAPI connection, mid-export; the refusals."""
    raw = conn.connection.dbapi_connection
    refusals = []
    cursor = raw.cursor()
    try:
        if not postgres:
            cursor.execute("PRAGMA query_only = OFF")  # even then, the file is opened mode=ro
        for statement in WRITES:
            if postgres:
                cursor.execute("SAVEPOINT probe")
            try:
                cursor.execute(statement)
            except Exception as exc:
                refusals.append(str(exc).splitlines()[0])
            if postgres:
                cursor.execute("ROLLBACK TO SAVEPOINT probe")
    finally:
        cursor.close()
    return refusals


def _exports(tmp_path: Path, slug: str):
    from muscle_tui.export.csv import CsvSelection, write_csv
    from muscle_tui.export.json import write_json_bundle

    return [
        (
            "csv",
            lambda db, progress: write_csv(
                db,
                slug,
                CsvSelection(("participant_id",), ("given_response",)),
                tmp_path / "out.csv",
                progress=progress,
            ),
        ),
        (
            "json",
            lambda db, progress: write_json_bundle(db, slug, tmp_path / "out.zip", progress=progress),
        ),
    ]


@pytest.mark.postgres
def test_a_write_inside_an_export_is_refused_by_postgresql(
    edge_url: URL, tmp_path: Path, monkeypatch
) -> None:
    db = MuscleDatabase.open(edge_url, "edge")
    try:
        for _name, export in _exports(tmp_path, "edge_a"):
            opened = _spy_on_snapshots(monkeypatch)
            refusals: list[str] = []
            export(
                db,
                lambda report: (
                    refusals.extend(_try_writes_inside(opened[-1], True)) if not refusals else None
                ),
            )
            assert len(refusals) == len(WRITES), refusals
            assert all("read-only transaction" in refusal for refusal in refusals), refusals
        with db.engine.connect() as conn:
            assert (
                conn.execute(text("SELECT count(*) FROM section_song WHERE name = 'intruder'")).scalar() == 0
            )
            assert (
                conn.execute(text("SELECT count(*) FROM session_session WHERE final_score = -1")).scalar()
                == 0
            )
    finally:
        db.close()


def test_a_write_inside_an_export_is_refused_by_sqlite(tmp_path: Path, monkeypatch) -> None:
    from muscle_tui.demo import write_demo_database

    path = write_demo_database(tmp_path / "demo.sqlite3")
    before = path.read_bytes()
    db = MuscleDatabase.open(URL.create("sqlite", database=str(path)), "demo")
    try:
        slug = db.blocks()[0].slug
        for _name, export in _exports(tmp_path, slug):
            opened = _spy_on_snapshots(monkeypatch)
            refusals: list[str] = []
            export(
                db,
                lambda report: (
                    refusals.extend(_try_writes_inside(opened[-1], False)) if not refusals else None
                ),
            )
            assert len(refusals) == len(WRITES), refusals
            assert all("readonly" in refusal for refusal in refusals), refusals
    finally:
        db.close()
    assert path.read_bytes() == before


@pytest.mark.postgres
def test_the_snapshot_alone_refuses_writes(edge_url: URL) -> None:
    """The second lock: even on a connection whose session allows writes, a snapshot is READ ONLY."""
    from sqlalchemy import create_engine

    writable = create_engine(edge_url)
    try:
        with writable.connect() as conn:
            assert conn.execute(text("SHOW default_transaction_read_only")).scalar() == "off"
        with snapshot(writable) as conn:
            assert conn.execute(text("SHOW transaction_read_only")).scalar() == "on"
            with pytest.raises(DBAPIError, match="read-only transaction"):
                conn.execute(text("DELETE FROM result_result"))
    finally:
        writable.dispose()


def test_sqlite_snapshots_in_many_threads_at_once_all_read(sqlite2025_path: Path) -> None:
    """The UI runs several workers at once (a page, its count, the overview): no thread's connection
    may be closed while another thread opens its own."""
    db = MuscleDatabase.open(URL.create("sqlite", database=str(sqlite2025_path)), "sqlite")
    threads = 8
    together = threading.Barrier(threads)
    errors: list[str] = []
    counts: list[int] = []

    def read() -> None:
        try:
            with db.snapshot() as snap:
                together.wait(timeout=60)  # every thread holds its connection at once
                counts.append(int(snap.scalar(text("SELECT count(*) FROM session_session"))))
        except Exception as exc:  # collected for the assertion
            errors.append(f"{type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=read) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    db.close()
    assert errors == []
    assert len(counts) == threads and len(set(counts)) == 1
