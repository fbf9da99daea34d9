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
