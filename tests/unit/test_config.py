"""Where the database comes from, in order, and how it is named without its password."""

from __future__ import annotations

from pathlib import Path

import pytest

from muscle_tui.config import DatabaseTarget, describe_url, parse_url, resolve_database
from muscle_tui.errors import DatabaseError

MUSCLE_ENV = """\
# MUSCLE backend settings
SQL_DATABASE=muscle
SQL_USER=aml
SQL_PASSWORD="s3cr3t#pw"
SQL_HOST=db.example.org
SQL_PORT=5433
AML_TIME_ZONE=Europe/Amsterdam
"""


def test_db_option_wins_over_environment_and_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(MUSCLE_ENV)
    target = resolve_database(
        db="postgresql://cli@host/one",
        environ={"MUSCLE_TUI_DB": "postgresql://env@host/two"},
        cwd=tmp_path,
    )
    assert (target.url.username, target.url.database, target.source) == ("cli", "one", "--db")


def test_environment_variable_wins_over_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(MUSCLE_ENV)
    target = resolve_database(environ={"MUSCLE_TUI_DB": "postgresql://env@host/two"}, cwd=tmp_path)
    assert (target.url.username, target.url.database) == ("env", "two")
    assert target.source == "MUSCLE_TUI_DB"


def test_env_file_in_current_directory_gives_muscle_database(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(MUSCLE_ENV)
    target = resolve_database(environ={}, cwd=tmp_path)
    url = target.url
    assert url.drivername == "postgresql+psycopg2"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "aml",
        "s3cr3t#pw",
        "db.example.org",
        5433,
        "muscle",
    )
    assert target.label == "aml@db.example.org:5433/muscle"
    assert "s3cr3t" not in target.label


def test_explicit_env_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / "muscle.env"
    env.write_text(MUSCLE_ENV.replace("SQL_DATABASE=muscle", "SQL_DATABASE=other"))
    target = resolve_database(env_file=env, environ={}, cwd=tmp_path / "nowhere")
    assert target.url.database == "other"


def test_missing_env_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no such file"):
        resolve_database(env_file=tmp_path / "absent.env", environ={}, cwd=tmp_path)


def test_env_file_without_database_name_is_an_error(tmp_path: Path) -> None:
    env = tmp_path / "x.env"
    env.write_text("SQL_USER=aml\nSQL_PASSWORD=pw\n")
    with pytest.raises(DatabaseError, match="SQL_DATABASE") as info:
        resolve_database(env_file=env, environ={}, cwd=tmp_path)
    assert "pw" not in str(info.value)


def test_unrelated_env_file_in_cwd_is_ignored(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / ".env").write_text("DEBUG=1\n")
    monkeypatch.setattr("muscle_tui.demo.demo_database_path", lambda: tmp_path / "demo.sqlite3")
    target = resolve_database(environ={}, cwd=tmp_path)
    assert target.is_demo and target.label == "demo"


@pytest.mark.parametrize(
    "text",
    ["not a url", "postgresql://user:hunter2@host:notaport/db", "://nothing"],
)
def test_malformed_url_error_does_not_echo_the_url(text: str) -> None:
    with pytest.raises(DatabaseError) as info:
        parse_url(text, "--db")
    message = str(info.value)
    assert "hunter2" not in message and "\n" not in message
    assert "--db" in message


def test_unsupported_backend_is_named() -> None:
    with pytest.raises(DatabaseError, match="mysql"):
        parse_url("mysql://u:p@h/db", "--db")


def test_labels_never_hold_the_password() -> None:
    url = parse_url("postgresql://alice:topsecret@pg.local:5432/muscle", "--db")
    assert describe_url(url) == "alice@pg.local:5432/muscle"
    assert DatabaseTarget(url, "--db").label == "alice@pg.local:5432/muscle"
    assert describe_url(parse_url("sqlite:////tmp/x.db", "--db")) == "sqlite:/tmp/x.db"
