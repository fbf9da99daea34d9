"""The database password never shows: not in usage errors, error lines, the UI's header, error
screen or notices, nor in log records, wherever the password came from (URL, its query, .env).

The fault and bad-input tests assert the same of their own error paths (`assert_one_clear_line`).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from textual.widgets import Static

from muscle_tui.cli import main, redact_passwords
from muscle_tui.cli.tui import build_app
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import DatabaseError
from muscle_tui.export.json import write_json_bundle
from muscle_tui.screens.error import ErrorScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from tests.support.fake_pg import RejectingServer
from tests.support.hardening import (
    PASSWORD,
    assert_one_clear_line,
    terminate_backends,
    url_text,
    with_password,
)
from tests.support.tui import run_async, wait_for_rows, wait_for_screen

SIZE = (120, 36)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def rejecting_server():
    server = RejectingServer()
    yield server
    server.close()


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        [f"postgresql://aml:{PASSWORD}@db.example/muscle"],
        ["list", f"postgresql+psycopg2://aml:{PASSWORD}@db.example/muscle"],
        ["export", "csv", "b", "extra", f"host=db password={PASSWORD}"],
        ["export", "json", "b", "extra", f"postgresql://aml@db.example/muscle?password={PASSWORD}"],
    ],
)
def test_a_url_in_the_wrong_place_is_not_echoed_by_the_usage_error(capsys, argv) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert PASSWORD not in captured.err + captured.out
    assert "***" in captured.err


def test_redaction_keeps_everything_but_the_password() -> None:
    assert (
        redact_passwords(f"see postgresql://aml:{PASSWORD}@h:5432/m and x")
        == "see postgresql://aml:***@h:5432/m and x"
    )
    assert redact_passwords("postgresql://aml@h/m") == "postgresql://aml@h/m"
    assert redact_passwords(f"(postgresql://aml:{SEPARATED}@h/m)") == "(postgresql://aml:***@h/m)"
    assert (
        redact_passwords("Try 'muscle-tui list --help' for help.") == "Try 'muscle-tui list --help' for help."
    )


# A password whose @, / and : (unencoded) would make pieces of it look like a host and a database.
SEPARATED = "Qz7k@vXmr/9Wj:h4t"
# A password with no separators, for the URL parameter cases.
PLAIN = "Qz7kvXmr9Wjh4t"


def password_pieces(password: str) -> set[str]:
    """Every part of `password` three characters long or more (the whole, its halves, ...)."""
    return {password[i:j] for i in range(len(password)) for j in range(i + 3, len(password) + 1)}


def assert_no_piece_of(password: str, *texts: str) -> None:
    shown = [piece for piece in password_pieces(password) for text in texts if piece in text]
    assert not shown, (shown, texts)


@pytest.mark.parametrize(
    "argv",
    [
        ["list", f"postgresql://aml:{SEPARATED}@db.example/muscle"],
        [
            "export",
            "json",
            "b",
            "extra",
            f"postgres://aml:{SEPARATED}@db.example:5432/muscle?sslmode=require",
        ],
        ["export", "csv", "b", "--nope", f"postgresql://aml:{SEPARATED}@db.example/muscle"],
    ],
)
def test_a_usage_error_shows_no_part_of_a_password_holding_separators(capsys, argv) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert_no_piece_of(SEPARATED, captured.out, captured.err)
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://aml:{SEPARATED}@127.0.0.1:1/muscle",
        f"postgres://aml:{SEPARATED}@127.0.0.1:1/muscle",
        "postgresql://aml:Qz7kvX@mr9Wjh4t@127.0.0.1:1/muscle",
        "postgresql://aml:Qz7kvXm/r9Wjh4t@127.0.0.1:1/muscle",
        "postgresql://aml:Qz7kvXm:r9Wjh4t@127.0.0.1:1/muscle",
        f"postgresql://aml:{PLAIN}@127.0.0.1:1/muscle?foo=bar",
        f"postgresql://aml:{PLAIN}@127.0.0.1:1/muscle?connect_timeout=abc",
        f"postgresql://aml:{PLAIN}@127.0.0.1:1/muscle?sslmode=nonsense",
        f"postgresql://aml:{PLAIN}@127.0.0.1:1/muscle?port=x",
        f"postgresql://aml:{PLAIN}@127.0.0.1:1/muscle?sslmode=require&sslmode=disable",
        f"postgresql+psycopg://aml:{PLAIN}@127.0.0.1:1/muscle",
        f"postgresql://aml:{PLAIN}@127.0.0.1:notaport/muscle",
    ],
)
@pytest.mark.parametrize("source", ["--db", "MUSCLE_TUI_DB"])
def test_a_bad_url_shows_no_part_of_its_password(capsys, workdir, monkeypatch, url, source) -> None:
    if source == "--db":
        code, out, err = run_cli(capsys, "--db", url, "list")
    else:
        monkeypatch.setenv("MUSCLE_TUI_DB", url)
        code, out, err = run_cli(capsys, "list")
    line = assert_one_clear_line(code, out, err, source)
    password = url.split("://aml:", 1)[1].rsplit("@127.0.0.1", 1)[0]
    assert_no_piece_of(password, out, err)
    assert "127.0.0.1" not in line, "no part of a URL that may hold a password is echoed"


@pytest.mark.parametrize(
    "env",
    [
        f'SQL_DATABASE=muscle\nSQL_PASSWORD="{PLAIN}\n',
        f"SQL_DATABASE=muscle\nSQL_PASSWORD {PLAIN}\n",
        f"SQL_DATABSE=muscle\nSQL_PASSWORD={PLAIN}\n{PLAIN}\n",
    ],
    ids=["unclosed quote", "no equals sign", "no SQL_DATABASE"],
)
def test_a_bad_env_file_shows_no_part_of_its_password(capsys, workdir, env) -> None:
    (workdir / ".env").write_text(env)
    code, out, err = run_cli(capsys, "list")
    assert_one_clear_line(code, out, err, ".env")
    assert_no_piece_of(PLAIN, out, err)


def test_a_one_letter_password_leaves_the_messages_whole(capsys, workdir, rejecting_server) -> None:
    """Masking the password's text wherever it occurs turned every "e" into ***: never again."""
    url = f"postgresql://aml:e@127.0.0.1:{rejecting_server.port}/muscle"
    code, out, err = run_cli(capsys, "--db", url, "list")
    assert_one_clear_line(code, out, err, 'password authentication failed for user "aml"')
    assert "***" not in err
    assert rejecting_server.received_passwords == [b"e"]

    assert main(["list", url]) == 2
    usage = capsys.readouterr().err
    assert f"postgresql://aml:***@127.0.0.1:{rejecting_server.port}/muscle" in usage
    assert "Got unexpected extra argument" in usage and "Try 'muscle-tui list --help' for help." in usage


def test_a_password_in_the_url_query_is_not_shown(capsys, workdir, rejecting_server) -> None:
    url = f"postgresql://aml@127.0.0.1:{rejecting_server.port}/muscle?password={PASSWORD}"
    code, out, err = run_cli(capsys, "--db", url, "export", "csv", "edge_a")
    assert_one_clear_line(code, out, err, "password authentication failed")
    assert rejecting_server.received_passwords == [PASSWORD.encode()]


def env_file(directory: Path, port: int) -> Path:
    path = directory / "muscle.env"
    path.write_text(
        f"SQL_DATABASE=muscle\nSQL_USER=aml\nSQL_PASSWORD={PASSWORD}\nSQL_HOST=127.0.0.1\nSQL_PORT={port}\n"
    )
    return path


def test_a_password_from_a_muscle_env_file_is_not_shown(capsys, workdir, rejecting_server) -> None:
    code, out, err = run_cli(
        capsys, "--env-file", str(env_file(workdir, rejecting_server.port)), "export", "json", "edge_a"
    )
    assert_one_clear_line(code, out, err, "password authentication failed")
    assert rejecting_server.received_passwords == [PASSWORD.encode()]


@run_async
async def test_the_ui_never_shows_a_password_from_an_env_file(workdir, rejecting_server) -> None:
    app = build_app(argparse.Namespace(env_file=str(env_file(workdir, rejecting_server.port))))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ErrorScreen)
        connecting = str(app.screen_stack[0].query_one("#connecting-label", Static).render())
        shown = str(app.screen.query_one("#error-text", Static).render())
    assert "aml@127.0.0.1" in app.sub_title and "aml@127.0.0.1" in connecting
    for text in (app.title, app.sub_title, connecting, shown, app.error or ""):
        assert PASSWORD not in text
    assert "password authentication failed" in shown


@pytest.mark.postgres
@run_async
async def test_the_ui_header_names_the_database_without_its_password(edge_url) -> None:
    app = build_app(argparse.Namespace(db=url_text(with_password(edge_url))))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        assert app.sub_title == f"postgres@127.0.0.1:5432/{edge_url.database}"


@pytest.mark.postgres
def test_log_records_never_hold_the_password(pg, edge_url, tmp_path, caplog, rejecting_server) -> None:
    """Even with every logger at DEBUG (SQLAlchemy's included), failures log no password."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    refused = URL.create(
        "postgresql+psycopg2",
        username="aml",
        password=PASSWORD,
        host="127.0.0.1",
        port=rejecting_server.port,
        database="muscle",
    )
    with pytest.raises(DatabaseError):
        MuscleDatabase.open(refused, "refused")

    db = MuscleDatabase.open(with_password(edge_url), "edge")
    try:
        db.blocks()
        with pytest.raises(DatabaseError):
            write_json_bundle(
                db,
                "edge_a",
                tmp_path / "a.zip",
                progress=lambda report: terminate_backends(pg, edge_url.database) if report.done else None,
            )
        db.blocks()
    finally:
        db.close()
    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert PASSWORD not in caplog.text
    assert all(PASSWORD not in str(record.args) for record in caplog.records)
