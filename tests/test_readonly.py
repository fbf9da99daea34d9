"""Every connection muscle-tui opens refuses writes, and a silent server cannot hang it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from muscle_tui.db.connect import open_engine, snapshot
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import DatabaseError


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
            with pytest.raises(DBAPIError, match="readonly|read-only|query_only"):
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
            MuscleDatabase.open(URL.create("postgresql+psycopg2", username="u", host="127.0.0.1", port=port, database="m"), "x")
    finally:
        listener.close()
