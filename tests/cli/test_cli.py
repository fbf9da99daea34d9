"""The `muscle-tui` command line: --version, --help, `list`, and one clear line for each error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from muscle_tui import __version__
from muscle_tui.cli import main
from tests.support.fake_pg import RejectingServer

PASSWORD = "Sup3rS3cret-pw"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"muscle-tui {__version__}"


def test_help_names_the_subcommands(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
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
    with socket_port() as port:
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


class socket_port:
    """A free local TCP port, bound while inside the block."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.sock.close()
