"""Read-only connections to a MUSCLE database, and errors that fit on one line."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from muscle_tui.errors import DatabaseError

CONNECT_TIMEOUT_SECONDS = 10


def connect_timeout() -> int:
    """Seconds to wait for the server (MUSCLE_TUI_CONNECT_TIMEOUT, default 10)."""
    try:
        return max(1, int(os.environ.get("MUSCLE_TUI_CONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS)))
    except ValueError:
        return CONNECT_TIMEOUT_SECONDS


def open_engine(url: URL) -> Engine:
    """An engine whose every connection refuses writes (PostgreSQL read-only sessions, SQLite mode=ro)."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    engine = create_engine(
        url,
        # A connection the server dropped while idle (a restart, a firewall) is replaced on checkout.
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": connect_timeout(),
            "application_name": "muscle-tui",
            "options": "-c default_transaction_read_only=on",
        },
    )
    return engine


def _sqlite_engine(url: URL) -> Engine:
    database = url.database
    if not database or database == ":memory:":
        raise DatabaseError("a SQLite URL must name a database file")
    path = Path(database)
    if not path.is_file():
        raise DatabaseError(f"no SQLite database at {path}")

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        return conn

    engine = create_engine("sqlite://", creator=connect)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:  # pragma: no cover - trivial
        conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "connect")
    def _no_autobegin(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None

    return engine


def error_line(exc: BaseException, url: URL | None = None) -> str:
    """The first line of a driver error, with any password scrubbed out."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[0] if lines else type(exc).__name__
    for detail in lines[1:]:
        if detail.upper().startswith(("DETAIL", "HINT")):
            continue
        if "FATAL" in detail or "failed" in detail:
            line = f"{line} {detail}"
    if line == "connection already closed":
        # psycopg2's words when an earlier call found the server gone.
        line = "the connection to the server was lost"
    if url is not None and url.password:
        line = line.replace(str(url.password), "***")
    return line.removeprefix("(psycopg2.OperationalError) ")


@contextlib.contextmanager
def translate_errors(url: URL | None = None, doing: str = "reading the database") -> Iterator[None]:
    """Turn driver errors into one-line DatabaseErrors."""
    try:
        yield
    except DatabaseError:
        raise
    except DBAPIError as exc:
        raise DatabaseError(f"error {doing}: {error_line(exc, url)}") from None
    except SQLAlchemyError as exc:
        raise DatabaseError(f"error {doing}: {error_line(exc, url)}") from None


@contextlib.contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One consistent, read-only view of the database: REPEATABLE READ READ ONLY on PostgreSQL.

    When the block fails, its error is the one raised: ending the transaction on a connection
    that was lost (the server restarted, the backend was terminated) cannot replace it.
    """
    with translate_errors(engine.url):
        if engine.dialect.name == "postgresql":
            conn = engine.connect().execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        else:
            conn = engine.connect()
        try:
            transaction = conn.begin()
            try:
                yield conn
            except BaseException:
                _end_quietly(conn, transaction)
                raise
            transaction.commit()
        finally:
            with contextlib.suppress(Exception):
                conn.close()


def _end_quietly(conn: Connection, transaction: RootTransaction) -> None:
    """Roll back after a failure; a connection that is gone is invalidated instead of reused."""
    try:
        transaction.rollback()
    except Exception:  # noqa: BLE001 - the block's own error is the one to report
        with contextlib.suppress(Exception):
            conn.invalidate()
