"""Never the wrong database, silently: a database choice that cannot be used (an empty --db or
MUSCLE_TUI_DB, a ./.env that cannot be read or parsed or lacks SQL_DATABASE, an --env-file that is a
folder, a URL with unknown or malformed parameters) ends in one line and exit 1, and the demo is not
opened; when the demo is used headless, one line on stderr says so.
"""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

import pytest

from muscle_tui.cli import main
from muscle_tui.cli.tui import build_app
from muscle_tui.screens.error import ErrorScreen
from tests.support.hardening import (
    assert_one_clear_line,
    child_env,
    drop_root_write_override,
    run_muscle_tui,
    url_text,
)
from tests.support.tui import run_async, wait_for_screen

SIZE = (100, 30)
COMMANDS = {
    "list": ["list"],
    "export-csv": ["export", "csv", "edge_a"],
    "export-json": ["export", "json", "x"],
}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def demo_opened(tmp_path: Path, monkeypatch) -> list[Path]:
    """The demo's paths as muscle-tui opens them (none, if all goes well); the demo lives in
    `tmp_path` so that building it would show."""
    opened: list[Path] = []
    path = tmp_path / "data" / "demo.sqlite3"

    def record(demo: Path) -> Path:
        opened.append(demo)
        raise AssertionError("the demo database was opened")

    monkeypatch.setattr("muscle_tui.demo.demo_database_path", lambda: path)
    monkeypatch.setattr("muscle_tui.demo.ensure_demo_database", record)
    return opened


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    """An empty current directory and no database in the environment."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return work


def _env(text: str | bytes):
    def write(work: Path) -> None:
        path = work / ".env"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    return write


def _nothing(work: Path) -> None:
    pass


def _dangling_env(work: Path) -> None:
    (work / ".env").symlink_to(work / "moved-away.env")


# (the arguments before the command, what to put in the working directory, MUSCLE_TUI_DB, words)
CASES = {
    "empty --db": (["--db", ""], _nothing, None, "--db is empty"),
    "blank --db": (["--db", "   "], _nothing, None, "--db is empty"),
    "empty MUSCLE_TUI_DB": ([], _nothing, "", "MUSCLE_TUI_DB is empty"),
    "empty MUSCLE_TUI_DB beside a usable .env": ([], _env("SQL_DATABASE=m\n"), "", "MUSCLE_TUI_DB is empty"),
    ".env not UTF-8": ([], _env(b"SQL_DATABASE=muscle\nSQL_HOST=h\xf6st\n"), None, "line 2 is not UTF-8"),
    ".env unparseable": (
        [],
        _env('SQL_DATABASE=muscle\nSQL_PASSWORD="pw\n'),
        None,
        "line 2 cannot be parsed",
    ),
    ".env without SQL_DATABASE": ([], _env("SQL_DATABSE=muscle\n"), None, "no SQL_DATABASE"),
    ".env of another project": ([], _env("DEBUG=1\nSECRET_KEY=x\n"), None, "its keys: DEBUG, SECRET_KEY"),
    ".env with an empty SQL_DATABASE": ([], _env("SQL_DATABASE=\n"), None, "an empty SQL_DATABASE"),
    ".env linking to nothing": ([], _dangling_env, None, "cannot read"),
    "--env-file a folder": (["--env-file", "."], _nothing, None, "is a folder"),
    "--env-file missing": (["--env-file", "absent.env"], _nothing, None, "no such file"),
    "unknown URL parameter": (
        ["--db", "postgresql://u@127.0.0.1:1/m?foo=bar"],
        _nothing,
        None,
        "unknown URL parameter foo",
    ),
    "malformed timeout": (
        ["--db", "postgres://u@127.0.0.1:1/m?connect_timeout=abc"],
        _nothing,
        None,
        "whole",
    ),
    "malformed sslmode": ([], _nothing, "postgresql://u@127.0.0.1:1/m?sslmode=nonsense", "sslmode must be"),
    "repeated sslmode": (
        ["--db", "postgresql://u@h/m?sslmode=allow&sslmode=require"],
        _nothing,
        None,
        "once",
    ),
    "malformed port": (["--db", "postgresql://u@127.0.0.1/m?port=x"], _nothing, None, "host and port"),
    "SQLite parameters": (["--db", "sqlite:///demo.sqlite3?mode=rwc"], _nothing, None, "no ?parameters"),
}


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_an_unusable_choice_is_an_error_not_the_demo(
    capsys, workdir, monkeypatch, demo_opened, case, command
) -> None:
    options, prepare, environment, words = CASES[case]
    prepare(workdir)
    before = sorted(p.name for p in workdir.iterdir())
    if environment is not None:
        monkeypatch.setenv("MUSCLE_TUI_DB", environment)
    code, out, err = run_cli(capsys, *options, *COMMANDS[command])
    assert_one_clear_line(code, out, err, words)
    assert demo_opened == []
    assert sorted(p.name for p in workdir.iterdir()) == before


def test_a_env_file_without_sql_database_says_how_to_go_on(capsys, workdir, demo_opened) -> None:
    (workdir / ".env").write_text("SQL_DATABSE=muscle\nSQL_PASSWORD=hunter2\n")
    code, out, err = run_cli(capsys, "list")
    line = assert_one_clear_line(code, out, err, "SQL_DATABSE", "--db", "MUSCLE_TUI_DB")
    assert "hunter2" not in line and "muscle," not in line, "names only, never values"


def test_an_unreadable_env_file_is_an_error_not_the_demo(tmp_path: Path) -> None:
    """As any user (root's override of file modes dropped): `./.env` exists but cannot be read."""
    work = tmp_path / "work"
    work.mkdir()
    env = work / ".env"
    env.write_text("SQL_DATABASE=muscle\n")
    env.chmod(0)
    try:
        done = run_muscle_tui(["list"], work, child_env(tmp_path), preexec_fn=drop_root_write_override)
    finally:
        env.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert_one_clear_line(done.returncode, done.stdout, done.stderr, "cannot read", "Permission denied")
    assert not (tmp_path / "data").exists(), "the demo was built"


def test_the_demo_used_headless_is_said_in_one_line(capsys, workdir, monkeypatch, demo_path) -> None:
    monkeypatch.setattr("muscle_tui.demo.demo_database_path", lambda: demo_path)
    code, out, err = run_cli(capsys, "list")
    assert code == 0 and "hooked-eurovision" in out
    assert err == f"muscle-tui: no database configured; using the built-in demo database ({demo_path})\n"


def test_a_folder_named_env_is_no_database_choice(capsys, workdir, monkeypatch, demo_path) -> None:
    """A virtualenv called `.env` is common: the demo opens, and says so."""
    (workdir / ".env").mkdir()
    monkeypatch.setattr("muscle_tui.demo.demo_database_path", lambda: demo_path)
    code, out, err = run_cli(capsys, "list")
    assert code == 0 and "hooked-eurovision" in out and "built-in demo database" in err


@run_async
async def test_the_ui_shows_the_error_instead_of_the_demo(workdir, demo_opened) -> None:
    app = build_app(argparse.Namespace(db=""))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ErrorScreen)
    assert app.target is None and app.error is not None and "--db is empty" in app.error
    assert demo_opened == []


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgres+psycopg2"])
def test_postgres_urls_open_postgresql(capsys, workdir, edge_url, scheme) -> None:
    url = url_text(edge_url).replace("postgresql+psycopg2", scheme, 1)
    code, out, err = run_cli(capsys, "--db", url, "list")
    assert (code, err) == (0, "")
    assert "edge_a" in out
