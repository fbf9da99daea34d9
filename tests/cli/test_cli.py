"""The `muscle-tui` command line: --version, --help, `list`, and one clear line for each error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from muscle_tui import __version__
from muscle_tui.cli import cli, main
from muscle_tui.cli.state import CliState
from tests.support.fake_pg import RejectingServer

PASSWORD = "Sup3rS3cret-pw"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"muscle-tui {__version__}"


def test_help_names_the_subcommands(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("list", "export", "templates", "demo", "MUSCLE_TUI_DB"):
        assert word in out


def _list_rows(out: str) -> dict[str, list[str]]:
    lines = out.splitlines()
    assert lines[0].split() == ["experiment", "block", "name", "sessions", "participants", "results"]
    rows = {}
    for line in lines[1:]:
        cells = line.split()
        rows[cells[1]] = [cells[0], *cells[-3:]]
    return rows


@pytest.mark.postgres
@pytest.mark.parametrize("fixture", ["edge_url", "sample2026_url"])
def test_list_shows_every_block_with_sql_counts(request, capsys, monkeypatch, fixture: str) -> None:
    url: URL = request.getfixturevalue(fixture)
    monkeypatch.setenv("MUSCLE_TUI_DB", url.render_as_string(hide_password=False))
    code, out, err = run_cli(capsys, "list")
    assert code == 0, err
    rows = _list_rows(out)
    engine = create_engine(url)
    with engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT b.slug, count(DISTINCT s.id), count(DISTINCT s.participant_id), count(r.id) "
                "FROM experiment_block b LEFT JOIN session_session s ON s.block_id = b.id "
                "LEFT JOIN result_result r ON r.session_id = s.id GROUP BY b.slug"
            )
        ).all()
    engine.dispose()
    assert set(rows) == {slug for slug, *_ in expected}
    for slug, sessions, participants, results in expected:
        assert rows[slug][1:] == [str(sessions), str(participants), str(results)]


@pytest.mark.postgres
def test_the_database_comes_from_muscle_tui_db_through_click(edge_url, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    url = edge_url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["list"], env={"MUSCLE_TUI_DB": url}, obj=CliState())
    assert result.exit_code == 0, result.output
    assert {"edge_a", "edge_b", "edge_empty"} <= set(_list_rows(result.stdout))


def test_a_bad_url_in_muscle_tui_db_is_named_as_such(capsys, monkeypatch) -> None:
    monkeypatch.setenv("MUSCLE_TUI_DB", f"postgresql://u:{PASSWORD}@host:port/db")
    code, out, err = run_cli(capsys, "list")
    _assert_one_clear_line(code, out, err, "MUSCLE_TUI_DB is not a database URL")


def test_db_on_the_command_line_wins_over_muscle_tui_db(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MUSCLE_TUI_DB", f"postgresql://u:{PASSWORD}@host:port/db")
    code, out, err = run_cli(capsys, "--db", f"sqlite:///{tmp_path}/absent.db", "list")
    _assert_one_clear_line(code, out, err, "no SQLite database")


def test_the_state_never_shows_the_password() -> None:
    state = CliState(db=f"postgresql://u:{PASSWORD}@host/db")
    assert PASSWORD not in repr(state)


@pytest.mark.parametrize(
    "argv",
    [
        ["list", f"postgresql://aml:{PASSWORD}@db.example/muscle"],
        [f"postgresql://aml:{PASSWORD}@db.example/muscle"],
        ["export", "csv", "b", f"postgresql+psycopg2://aml:{PASSWORD}@db.example:5432/muscle"],
        ["export", "json", "b", "--db", f"postgresql://aml:{PASSWORD}@db.example/muscle"],
    ],
    ids=["extra-argument", "no-such-command", "extra-argument-of-a-subcommand", "db-after-the-command"],
)
def test_a_usage_error_with_a_url_never_prints_its_password(capsys, argv) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Usage: muscle-tui" in captured.err and "Error: " in captured.err
    assert PASSWORD not in captured.err
    if "--db" not in argv:
        assert "***" in captured.err


def _assert_one_clear_line(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("muscle-tui: ")
    assert "Traceback" not in err
    assert PASSWORD not in err
    for needle in needles:
        assert needle in lines[0]


def test_unreachable_server(capsys) -> None:
    with SocketPort() as port:
        pass  # the port is closed again: nothing listens there
    code, out, err = run_cli(capsys, "--db", f"postgresql://u:{PASSWORD}@127.0.0.1:{port}/muscle", "list")
    _assert_one_clear_line(code, out, err, "refused")


def test_wrong_password(capsys) -> None:
    server = RejectingServer()
    try:
        code, out, err = run_cli(
            capsys, "--db", f"postgresql://aml:{PASSWORD}@127.0.0.1:{server.port}/muscle", "list"
        )
    finally:
        server.close()
    _assert_one_clear_line(code, out, err, "password authentication failed")
    assert server.received_passwords == [PASSWORD.encode()]


@pytest.mark.postgres
def test_missing_database(pg, capsys) -> None:
    url = pg.admin.set(database="mtui_no_such_database", password=PASSWORD)
    code, out, err = run_cli(capsys, "--db", url.render_as_string(hide_password=False), "list")
    _assert_one_clear_line(code, out, err, "does not exist")


def test_malformed_url(capsys) -> None:
    code, out, err = run_cli(capsys, "--db", f"postgresql://u:{PASSWORD}@host:port/db", "list")
    _assert_one_clear_line(code, out, err, "not a database URL")


@pytest.mark.postgres
def test_database_that_is_not_muscle(pg, capsys) -> None:
    url = pg.admin.set(password=PASSWORD)
    code, out, err = run_cli(capsys, "--db", url.render_as_string(hide_password=False), "list")
    _assert_one_clear_line(code, out, err, "no MUSCLE tables")


def test_missing_sqlite_file(capsys, tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "--db", f"sqlite:///{tmp_path}/absent.db", "list")
    _assert_one_clear_line(code, out, err, "no SQLite database")


def test_console_script_prints_no_traceback(tmp_path: Path) -> None:
    env = dict(os.environ, MUSCLE_TUI_DB=f"postgresql://u:{PASSWORD}@127.0.0.1:1/x")
    done = subprocess.run(
        [sys.executable, "-m", "muscle_tui", "list"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert PASSWORD not in done.stderr


class SocketPort:
    """A free local TCP port, bound while inside the block."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.sock.close()
