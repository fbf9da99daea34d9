"""Where the MUSCLE database comes from: --db, MUSCLE_TUI_DB, a MUSCLE .env file, or the demo."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from muscle_tui.errors import DatabaseError

ENV_VARIABLE = "MUSCLE_TUI_DB"
MUSCLE_ENV_KEYS = ("SQL_DATABASE", "SQL_USER", "SQL_PASSWORD", "SQL_HOST", "SQL_PORT")


@dataclass(frozen=True)
class DatabaseTarget:
    """A database to open, and how to name it to the user without its password."""

    url: URL
    source: str
    is_demo: bool = False

    @property
    def label(self) -> str:
        """`user@host/dbname`, a SQLite file's name, or `demo`."""
        if self.is_demo:
            return "demo"
        return describe_url(self.url)


def describe_url(url: URL) -> str:
    """Name a database URL for people: never with its password."""
    if url.get_backend_name() == "sqlite":
        return f"sqlite:{url.database or ':memory:'}"
    host = url.host or "localhost"
    if url.port:
        host = f"{host}:{url.port}"
    user = f"{url.username}@" if url.username else ""
    return f"{user}{host}/{url.database or ''}"


def parse_url(text: str, source: str) -> URL:
    """Parse an SQLAlchemy URL, with an error that does not echo it (it may hold a password)."""
    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError):
        raise DatabaseError(
            f"{source} is not a database URL; expected e.g. "
            "postgresql://user@host:5432/muscle or sqlite:///path/to/db.sqlite3"
        ) from None
    backend = url.get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise DatabaseError(f"{source} names a {backend} database; muscle-tui reads PostgreSQL and SQLite")
    if backend == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url


def url_from_muscle_env(path: Path) -> URL:
    """Build the PostgreSQL URL from MUSCLE's own SQL_* settings in a .env file."""
    try:
        values = dotenv_values(path)
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror}") from None
    if not values.get("SQL_DATABASE"):
        raise DatabaseError(f"{path} has no SQL_DATABASE setting (MUSCLE's database name)")
    port = values.get("SQL_PORT") or None
    try:
        port_number = int(port) if port else None
    except ValueError:
        raise DatabaseError(f"{path}: SQL_PORT is not a number") from None
    return URL.create(
        "postgresql+psycopg2",
        username=values.get("SQL_USER") or None,
        password=values.get("SQL_PASSWORD") or None,
        host=values.get("SQL_HOST") or None,
        port=port_number,
        database=values["SQL_DATABASE"],
    )


def resolve_database(
    db: str | None = None,
    env_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    db_source: str = "--db",
) -> DatabaseTarget:
    """Pick the database: --db, then MUSCLE_TUI_DB, then --env-file or ./.env, then the demo.

    `db_source` names where `db` came from in messages (the CLI reads MUSCLE_TUI_DB into `db`
    itself and passes ENV_VARIABLE here).
    """
    environ = os.environ if environ is None else environ
    if db:
        return DatabaseTarget(parse_url(db, db_source), db_source)
    if environ.get(ENV_VARIABLE):
        return DatabaseTarget(parse_url(environ[ENV_VARIABLE], ENV_VARIABLE), ENV_VARIABLE)
    if env_file is not None:
        path = Path(env_file)
        if not path.is_file():
            raise DatabaseError(f"--env-file {path}: no such file")
        return DatabaseTarget(url_from_muscle_env(path), str(path))
    local_env = (cwd or Path.cwd()) / ".env"
    if local_env.is_file() and "SQL_DATABASE" in dotenv_values(local_env):
        return DatabaseTarget(url_from_muscle_env(local_env), str(local_env))
    from muscle_tui.demo import demo_database_path, ensure_demo_database

    path = ensure_demo_database(demo_database_path())
    return DatabaseTarget(URL.create("sqlite", database=str(path)), "demo", is_demo=True)
