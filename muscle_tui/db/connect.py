"""Read-only connections to a MUSCLE database, and errors that fit on one line."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from muscle_tui.errors import DatabaseError

CONNECT_TIMEOUT_SECONDS = 10
LOCK_TIMEOUT_SECONDS = 30
READ_ONLY_OPTION = "-c default_transaction_read_only=on"
# A peer that stopped answering is noticed after about 30 + 3 × 10 seconds of silence.
KEEPALIVES = {
    "keepalives": "1",
    "keepalives_idle": "30",
    "keepalives_interval": "10",
    "keepalives_count": "3",
}


def _seconds_setting(name: str, default: int, minimum: int) -> int:
    try:
        return max(minimum, int(os.environ.get(name, default)))
    except ValueError:
        return default


def connect_timeout() -> int:
    """Seconds to wait for the server (MUSCLE_TUI_CONNECT_TIMEOUT, default 10)."""
    return _seconds_setting("MUSCLE_TUI_CONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS, 1)


def lock_timeout() -> int:
    """Seconds a query may wait for a table another session locked (MUSCLE_TUI_LOCK_TIMEOUT, default
    30; 0 waits for ever)."""
    return _seconds_setting("MUSCLE_TUI_LOCK_TIMEOUT", LOCK_TIMEOUT_SECONDS, 0)


def session_options(url: URL, environ: Mapping[str, str] | None = None) -> str:
    """The server options of every connection: the user's own (`PGOPTIONS`, then the URL's
    `options`), then muscle-tui's, last, so that read-only holds whatever the user's say."""
    environ = os.environ if environ is None else environ
    given = url.query.get("options")
    parts = [environ.get("PGOPTIONS", "")]
    parts.extend([given] if isinstance(given, str) else list(given or ()))
    parts.append(f"-c lock_timeout={lock_timeout() * 1000}")
    parts.append(READ_ONLY_OPTION)
    return " ".join(part.strip() for part in parts if part and part.strip())


def open_engine(url: URL) -> Engine:
    """An engine whose every connection refuses writes (PostgreSQL read-only sessions, SQLite mode=ro)."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    connect_args: dict[str, object] = {
        "connect_timeout": connect_timeout(),
        "application_name": "muscle-tui",
        "options": session_options(url),
    }
    connect_args.update({key: value for key, value in KEEPALIVES.items() if key not in url.query})
    return create_engine(
        url,
        # A connection the server dropped while idle (a restart, a firewall) is replaced on checkout.
        pool_pre_ping=True,
        connect_args=connect_args,
    )


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

    # One connection per checkout: the default SingletonThreadPool closes other threads' connections
    # once more than five threads have used it, under the feet of a worker still reading.
    engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:  # pragma: no cover - trivial
        conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "connect")
    def _no_autobegin(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None

    return engine


def error_line(exc: BaseException) -> str:
    """The first line of a driver error (and its FATAL detail).

    Nothing is masked: the drivers' messages never hold the password, and a URL whose parts could
    put a piece of it in one (as a host name) is refused before connecting (`config.parse_url`).
    Replacing the password's text wherever it occurs would mangle the message instead.
    """
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
    return line.removeprefix("(psycopg2.OperationalError) ")


def driver_errors() -> tuple[type[BaseException], ...]:
    """The exception types of SQLAlchemy and of the two drivers."""
    import psycopg2

    return (SQLAlchemyError, psycopg2.Error, sqlite3.Error)


def database_error(exc: BaseException, doing: str = "reading the database") -> DatabaseError:
    """The one-line DatabaseError for a driver error."""
    return DatabaseError(f"error {doing}: {error_line(exc)}")


@contextlib.contextmanager
def translate_errors(doing: str = "reading the database") -> Iterator[None]:
    """Turn driver errors (SQLAlchemy's, or psycopg2's and sqlite3's own) into one-line DatabaseErrors.

    This module is the only place where a database error becomes a MuscleTuiError.
    """
    try:
        yield
    except DatabaseError:
        raise
    except driver_errors() as exc:
        raise database_error(exc, doing) from None


LOCK_NOT_AVAILABLE = "55P03"

_LOCKED_TABLES_SQL = """
SELECT DISTINCT c.relname
FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.granted AND l.mode = 'AccessExclusiveLock' AND l.locktype = 'relation'
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.pid <> pg_backend_pid() AND c.relkind IN ('r', 'p')
ORDER BY 1
"""


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether a driver error is PostgreSQL giving up waiting for a lock (lock_timeout)."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "pgcode", None) == LOCK_NOT_AVAILABLE


def locked_tables(engine: Engine) -> list[str]:
    """The tables another session holds an exclusive lock on (what a migration takes)."""
    with contextlib.suppress(Exception), engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql(_LOCKED_TABLES_SQL)]
    return []


def lock_timeout_error(engine: Engine) -> DatabaseError:
    """One line for a query that waited `lock_timeout()` seconds for a table another session
    locked, naming the table when it can still be seen."""
    tables = locked_tables(engine)
    if not tables:
        what = "a table"
    elif len(tables) == 1:
        what = f"table {tables[0]}"
    else:
        what = "tables " + ", ".join(tables)
    return DatabaseError(
        f"{what} is locked by another session (a MUSCLE migration or maintenance?); gave up after "
        f"{lock_timeout()} s waiting (MUSCLE_TUI_LOCK_TIMEOUT); try again later"
    )
