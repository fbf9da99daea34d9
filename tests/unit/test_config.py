"""Where the database comes from, in order, and how it is named without its password."""

from __future__ import annotations

from pathlib import Path

import pytest

from muscle_tui.config import DatabaseTarget, describe_url, parse_url, resolve_database
from muscle_tui.errors import DatabaseError

PASSWORD = "Zq7vXk9Wj"

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


# ---------------------------------------------------------------------------------------------
# Never the wrong database, silently: a choice that cannot be used is an error, not the demo.


@pytest.fixture
def no_demo(tmp_path: Path, monkeypatch) -> Path:
    """The demo's path, in a place where building it would show; building it fails the test."""
    path = tmp_path / "demo.sqlite3"
    monkeypatch.setattr("muscle_tui.demo.demo_database_path", lambda: path)

    def refuse(_path: Path) -> Path:
        raise AssertionError("the demo database was opened")

    monkeypatch.setattr("muscle_tui.demo.ensure_demo_database", refuse)
    return path


@pytest.mark.parametrize("db", ["", "  "])
def test_an_empty_db_option_is_an_error(tmp_path: Path, no_demo: Path, db: str) -> None:
    with pytest.raises(DatabaseError, match="--db is empty"):
        resolve_database(db=db, environ={}, cwd=tmp_path)


def test_an_empty_muscle_tui_db_is_an_error(tmp_path: Path, no_demo: Path) -> None:
    with pytest.raises(DatabaseError, match="MUSCLE_TUI_DB is empty"):
        resolve_database(environ={"MUSCLE_TUI_DB": ""}, cwd=tmp_path)


def test_an_env_file_in_cwd_without_sql_database_names_its_keys(tmp_path: Path, no_demo: Path) -> None:
    (tmp_path / ".env").write_text(f"DEBUG=1\nSQL_DATABSE=muscle\nSQL_PASSWORD={PASSWORD}\n")
    with pytest.raises(DatabaseError) as info:
        resolve_database(environ={}, cwd=tmp_path)
    message = str(info.value)
    assert "no SQL_DATABASE" in message and "SQL_DATABSE" in message and "DEBUG" in message
    assert "--db" in message and "MUSCLE_TUI_DB" in message, "it says how to go on"
    assert PASSWORD not in message and "muscle," not in message and "\n" not in message


def test_an_empty_sql_database_is_an_error(tmp_path: Path, no_demo: Path) -> None:
    (tmp_path / ".env").write_text("SQL_DATABASE=\nSQL_USER=aml\n")
    with pytest.raises(DatabaseError, match="an empty SQL_DATABASE"):
        resolve_database(environ={}, cwd=tmp_path)


def test_a_bare_word_in_an_env_file_is_not_listed_as_a_key(tmp_path: Path, no_demo: Path) -> None:
    """A line without `=` may be a pasted password: only KEY=value names are listed."""
    (tmp_path / ".env").write_text(f"SQL_USER=aml\n{PASSWORD}\n")
    with pytest.raises(DatabaseError) as info:
        resolve_database(environ={}, cwd=tmp_path)
    assert "SQL_USER" in str(info.value) and PASSWORD not in str(info.value)


def test_an_env_file_that_is_not_utf8_is_an_error_naming_the_line(tmp_path: Path, no_demo: Path) -> None:
    (tmp_path / ".env").write_bytes(b"SQL_DATABASE=muscle\nSQL_PASSWORD=caf\xe9\n")
    with pytest.raises(DatabaseError, match=r"\.env: line 2 is not UTF-8 text"):
        resolve_database(environ={}, cwd=tmp_path)


def test_an_env_file_that_cannot_be_parsed_is_an_error_naming_the_line(tmp_path: Path, no_demo: Path) -> None:
    (tmp_path / ".env").write_text(f'SQL_DATABASE=muscle\nSQL_PASSWORD="{PASSWORD}\nSQL_USER aml\n')
    with pytest.raises(DatabaseError) as info:
        resolve_database(environ={}, cwd=tmp_path)
    assert "line 2 cannot be parsed" in str(info.value) and PASSWORD not in str(info.value)


def test_an_env_file_link_to_nothing_is_an_error(tmp_path: Path, no_demo: Path) -> None:
    (tmp_path / ".env").symlink_to(tmp_path / "gone.env")
    with pytest.raises(DatabaseError, match="cannot read"):
        resolve_database(environ={}, cwd=tmp_path)


def test_a_folder_named_env_in_cwd_is_not_an_env_file(tmp_path: Path, monkeypatch) -> None:
    """A virtualenv called .env is common: it is not MUSCLE's settings, and the demo opens."""
    (tmp_path / ".env").mkdir()
    monkeypatch.setattr("muscle_tui.demo.demo_database_path", lambda: tmp_path / "demo.sqlite3")
    monkeypatch.setattr("muscle_tui.demo.ensure_demo_database", lambda path: path)
    assert resolve_database(environ={}, cwd=tmp_path).is_demo


def test_an_env_file_option_naming_a_folder_is_an_error(tmp_path: Path, no_demo: Path) -> None:
    with pytest.raises(DatabaseError, match="is a folder"):
        resolve_database(env_file=tmp_path, environ={}, cwd=tmp_path)


def test_an_env_file_with_sql_database_in_cwd_is_used(tmp_path: Path, no_demo: Path) -> None:
    (tmp_path / ".env").write_text("SQL_DATABASE=muscle\n")
    assert resolve_database(environ={}, cwd=tmp_path).url.database == "muscle"


# ---------------------------------------------------------------------------------------------
# postgres://, unencoded passwords and URL parameters.


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgres+psycopg2", "POSTGRES"])
def test_postgres_urls_mean_postgresql_through_psycopg2(scheme: str) -> None:
    url = parse_url(f"{scheme}://alice@pg.local:5433/muscle", "--db")
    assert url.drivername == "postgresql+psycopg2"
    assert (url.username, url.host, url.port, url.database) == ("alice", "pg.local", 5433, "muscle")


def test_another_postgresql_driver_is_refused() -> None:
    with pytest.raises(DatabaseError, match="psycopg2"):
        parse_url("postgresql+asyncpg://alice@pg.local/muscle", "--db")


@pytest.mark.parametrize(
    "password", ["p@ss/w:rd", "p@ss", "pa/ss", "pa:ss", "pa?ss@x", "Zq7@vX/k:9Wj"], ids=str.__repr__
)
def test_a_password_with_unencoded_separators_is_refused_showing_none_of_it(password: str) -> None:
    with pytest.raises(DatabaseError) as info:
        parse_url(f"postgresql://user:{password}@db.example:5432/muscle", "--db")
    message = str(info.value)
    assert "percent-encode" in message and "%40" in message
    pieces = {password[i:j] for i in range(len(password)) for j in range(i + 3, len(password) + 1)}
    assert not [piece for piece in pieces if piece in message]
    assert "db.example" not in message and "muscle" not in message


def test_a_percent_encoded_password_is_accepted() -> None:
    url = parse_url("postgresql://user:p%40ss%2Fw%3Ard@db.example/muscle", "--db")
    assert (url.password, url.host, url.database) == ("p@ss/w:rd", "db.example", "muscle")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("foo=bar", "unknown URL parameter foo"),
        ("replication=database", "unknown URL parameter replication"),
        ("connect_timeout=abc", "connect_timeout must be a whole number"),
        ("keepalives_idle=-5", "keepalives_idle must be a whole number"),
        ("sslmode=nonsense", "sslmode must be one of disable"),
        ("sslmode=require&sslmode=disable", "sslmode is given more than once"),
        ("port=x", "host and port parameters"),
        ("host=a:1&host=b:x", "host and port parameters"),
    ],
)
def test_malformed_url_parameters_are_one_clear_line(query: str, words: str) -> None:
    with pytest.raises(DatabaseError) as info:
        parse_url(f"postgresql://aml:{PASSWORD}@db.example/muscle?{query}", "MUSCLE_TUI_DB")
    message = str(info.value)
    assert message.startswith("MUSCLE_TUI_DB: ") and words in message, message
    assert PASSWORD not in message and "\n" not in message


@pytest.mark.parametrize(
    "query",
    [
        "sslmode=require&connect_timeout=5&application_name=me",
        "options=-c%20work_mem%3D64MB&options=-c%20statement_timeout%3D0",
        "host=a,b&port=5432,5433",
        f"password={PASSWORD}",
    ],
)
def test_libpq_url_parameters_are_accepted(query: str) -> None:
    assert parse_url(f"postgresql://aml@db.example/muscle?{query}", "--db").query


def test_a_sqlite_url_takes_no_parameters() -> None:
    with pytest.raises(DatabaseError, match="SQLite URL takes no"):
        parse_url("sqlite:////tmp/muscle.sqlite3?mode=rwc", "--db")
    assert parse_url("sqlite:////tmp/a@b:c.sqlite3", "--db").database == "/tmp/a@b:c.sqlite3"
