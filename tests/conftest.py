"""Shared fixtures: PostgreSQL databases loaded from MUSCLE's own dumps, and SQLite copies.

Tests that need PostgreSQL use the server at MUSCLE_TUI_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/postgres). Each test run creates its own databases and
drops them at the end. With CI=true a missing server fails these tests; elsewhere they skip.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

# Fixtures shared by many modules: the demo database (TUI tests) and a large block (fault tests).
pytest_plugins = ["tests.support.tui", "tests.support.hardening"]

REFERENCE = Path(__file__).parent / "reference"
SCHEMA = REFERENCE / "schema"
SAMPLE = REFERENCE / "sample"
ADMIN_URL = os.environ.get("MUSCLE_TUI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

DUMPS = {
    "edge": SAMPLE / "2025-01" / "edge.sql",
    "edge_variant": SAMPLE / "2025-01" / "edge-variant.sql",
    "sample2026": SAMPLE / "2026" / "sample.sql",
    "empty2025": SCHEMA / "postgres-2025-01.sql",
    "empty2026": SCHEMA / "postgres-2026.sql",
}


def _admin_url() -> URL:
    url = make_url(ADMIN_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url


def _libpq_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PGHOST=url.host or "127.0.0.1",
        PGPORT=str(url.port or 5432),
        PGUSER=url.username or "postgres",
    )
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


class PostgresServer:
    """Creates throwaway databases on the test server and drops them when the run ends."""

    def __init__(self, admin: URL) -> None:
        self.admin = admin
        self.engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        self.run_id = uuid.uuid4().hex[:8]
        self.created: list[str] = []
        self._loaded: dict[tuple[str, ...], URL] = {}

    def create(self, label: str) -> URL:
        name = f"mtui_{self.run_id}_{label}"[:63]
        with self.engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
        self.created.append(name)
        return self.admin.set(database=name)

    def psql(self, url: URL, *args: str, stdin: str | None = None) -> None:
        done = subprocess.run(
            ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", url.database, *args],
            env=_libpq_env(url),
            capture_output=True,
            input=stdin,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"psql {' '.join(args)} failed: {done.stderr.strip()}")

    def load(self, *dumps: str) -> URL:
        """A database holding the named dumps (DUMPS keys), created once per run."""
        key = tuple(dumps)
        if key not in self._loaded:
            url = self.create("_".join(dumps))
            for dump in dumps:
                self.psql(url, "-f", str(DUMPS[dump]))
            self._loaded[key] = url
        return self._loaded[key]

    def drop_all(self) -> None:
        with self.engine.connect() as conn:
            for name in self.created:
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        self.engine.dispose()


@pytest.fixture(scope="session")
def pg() -> PostgresServer:
    """The PostgreSQL test server (skips outside CI when it is absent; fails in CI)."""
    admin = _admin_url()
    try:
        engine = create_engine(admin, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        reason = (
            f"PostgreSQL not reachable at {admin.render_as_string(hide_password=True)}: {type(exc).__name__}"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    server = PostgresServer(admin)
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def edge_url(pg: PostgresServer) -> URL:
    return pg.load("edge")


@pytest.fixture(scope="session")
def edge_variant_url(pg: PostgresServer) -> URL:
    return pg.load("edge_variant")


@pytest.fixture(scope="session")
def sample2026_url(pg: PostgresServer) -> URL:
    return pg.load("sample2026")


@pytest.fixture(scope="session")
def empty2025_url(pg: PostgresServer) -> URL:
    return pg.load("empty2025")


@pytest.fixture(scope="session")
def empty2026_url(pg: PostgresServer) -> URL:
    return pg.load("empty2026")


@pytest.fixture(scope="session")
def sqlite2025_path(tmp_path_factory) -> Path:
    """An empty SQLite database with MUSCLE's January 2025 schema."""
    path = tmp_path_factory.mktemp("sqlite2025") / "muscle.sqlite3"
    conn = sqlite3.connect(path)
    script = "\n".join(
        line
        for line in (SCHEMA / "sqlite-2025-01.sql").read_text().splitlines()
        if not line.startswith("CREATE TABLE sqlite_sequence")
    )
    conn.executescript(script)
    conn.close()
    return path


@pytest.fixture(scope="session")
def _no_user_config(tmp_path_factory) -> Path:
    """A config file path that does not exist: no test reads the real ~/.config/muscle-tui."""
    return tmp_path_factory.mktemp("no_user_config") / "config.toml"


@pytest.fixture(autouse=True)
def isolated_user_config(_no_user_config: Path, monkeypatch) -> Path:
    """Every test (and every child process it starts with this environment) reads the missing
    config file `MUSCLE_TUI_CONFIG` names, so the defaults apply unless a test sets another."""
    monkeypatch.setenv("MUSCLE_TUI_CONFIG", str(_no_user_config))
    return _no_user_config


@pytest.fixture(autouse=True)
def isolated_user_state(tmp_path_factory, monkeypatch) -> Path:
    """Every test reads and writes its own state file (`MUSCLE_TUI_STATE`, missing at first), so no
    test sees the real ~/.local/state/muscle-tui or what another test's form remembered."""
    path = tmp_path_factory.mktemp("user_state") / "state.json"
    monkeypatch.setenv("MUSCLE_TUI_STATE", str(path))
    return path
