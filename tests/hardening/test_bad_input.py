"""Bad input fails cleanly: malformed URLs, a silent server, databases that are not (all) MUSCLE's,
slugs full of SQL, broken templates, json_data that is not an object, control characters and
very long values. One clear line each, never the password, nothing written.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import socket
import sqlite3
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from textual.widgets import DataTable, Input, Static

from muscle_tui.app import MuscleApp
from muscle_tui.cli import main
from muscle_tui.cli.listing import format_table
from muscle_tui.cli.tui import build_app
from muscle_tui.db.catalog import BlockSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import DatabaseError, NotFoundError, SchemaError
from muscle_tui.export.csv import (
    BUILTIN_ORDER,
    OPTIONS,
    RESULT_FIELDS,
    SESSION_FIELDS,
    CsvSelection,
    find_template,
    preview_csv,
    write_csv,
)
from muscle_tui.export.json import count_json_objects, write_json_bundle
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.error import ErrorScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_path import ExportPathDialog
from tests.conftest import DUMPS
from tests.support.csv_blocks import (
    BlockWriter,
    Result,
    Session,
    read_dicts,
    read_rows,
    sqlite_database,
    sqlite_url,
)
from tests.support.hardening import PASSWORD, assert_one_clear_line, url_text, with_password
from tests.support.json_reference import EDGE_REFERENCE, assert_matches_reference, read_zip
from tests.support.tui import RecordingApp, run_async, wait_for_rows, wait_for_screen, wait_until

SIZE = (120, 36)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An empty current directory, private config, no database in the environment."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return work


COMMANDS = {
    "list": ["list"],
    "export-csv": ["export", "csv", "edge_a"],
    "export-json": ["export", "json", "edge_a"],
    "export-experiment": ["export", "json", "--experiment", "edge_experiment"],
}


# ---------------------------------------------------------------------------------------------
# Malformed URLs and a server that does not answer.


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"postgresql://aml:{PASSWORD}@host:notaport/muscle", "--db is not a database URL"),
        (f"postgresql://aml:{PASSWORD}@[::1/muscle", "--db is not a database URL"),
        (PASSWORD, "--db is not a database URL"),
        (f"mysql://aml:{PASSWORD}@host/muscle", "names a mysql database"),
    ],
)
@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
def test_a_malformed_url_is_one_line_for_every_command(capsys, workdir, command, url, words) -> None:
    code, out, err = run_cli(capsys, "--db", url, *COMMANDS[command])
    line = assert_one_clear_line(code, out, err, words)
    assert "aml" not in line, "the URL is not echoed: it may hold a password"
    assert list(workdir.iterdir()) == []


def test_a_malformed_env_file_is_one_line(capsys, workdir) -> None:
    (workdir / ".env").write_text(
        f"SQL_DATABASE=muscle\nSQL_USER=aml\nSQL_PASSWORD={PASSWORD}\nSQL_PORT=five\n"
    )
    code, out, err = run_cli(capsys, "export", "csv", "edge_a")
    assert_one_clear_line(code, out, err, ".env: SQL_PORT is not a number")
    assert sorted(p.name for p in workdir.iterdir()) == [".env"]


class SilentServer:
    """Accepts TCP connections (the kernel does) and never says a word."""

    def __enter__(self) -> int:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.sock.close()


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
def test_a_server_that_does_not_answer_times_out(capsys, workdir, monkeypatch, command) -> None:
    monkeypatch.setenv("MUSCLE_TUI_CONNECT_TIMEOUT", "1")
    with SilentServer() as port:
        code, out, err = run_cli(
            capsys, "--db", f"postgresql://aml:{PASSWORD}@127.0.0.1:{port}/m", *COMMANDS[command]
        )
    assert_one_clear_line(code, out, err, "error connecting to the database", "timeout")
    assert list(workdir.iterdir()) == []


@run_async
async def test_the_ui_shows_a_silent_servers_timeout(monkeypatch) -> None:
    monkeypatch.setenv("MUSCLE_TUI_CONNECT_TIMEOUT", "1")
    with SilentServer() as port:
        app = build_app(argparse.Namespace(db=f"postgresql://aml:{PASSWORD}@127.0.0.1:{port}/m"))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_screen(pilot, ErrorScreen)
            shown = str(app.screen.query_one("#error-text", Static).render())
    assert "timeout" in shown and PASSWORD not in shown and PASSWORD not in app.sub_title


# ---------------------------------------------------------------------------------------------
# Databases that are not MUSCLE's, or miss a column.


@pytest.mark.postgres
@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
def test_a_database_that_is_not_muscles_is_one_line(pg, capsys, workdir, command) -> None:
    code, out, err = run_cli(capsys, "--db", url_text(with_password(pg.admin)), *COMMANDS[command])
    assert_one_clear_line(code, out, err, "no MUSCLE tables")
    assert list(workdir.iterdir()) == []


@pytest.fixture(scope="module")
def edge_without_json_data(pg) -> URL:
    url = pg.create("edge_no_json_data")
    pg.psql(url, "-f", str(DUMPS["edge"]))
    pg.psql(url, "-c", "ALTER TABLE result_result DROP COLUMN json_data")
    return with_password(url)


@pytest.mark.postgres
@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
def test_a_muscle_database_missing_a_column_is_one_line(
    edge_without_json_data, capsys, workdir, command
) -> None:
    code, out, err = run_cli(capsys, "--db", url_text(edge_without_json_data), *COMMANDS[command])
    assert_one_clear_line(
        code, out, err, "not a MUSCLE database muscle-tui can read", "column result_result.json_data"
    )
    assert list(workdir.iterdir()) == []


def _sqlite_block(tmp_path: Path) -> Path:
    path = sqlite_database(tmp_path / "template.sqlite3")
    writer = BlockWriter(sqlite_url(path))
    writer.write_block(
        "b",
        [
            Session(
                json_data={"k": 1},
                results=[Result(given_response="x", song="s", json_data={"decision_time": 1})],
            )
        ],
    )
    writer.close()
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        INSERT INTO experiment_experiment (id, active, slug) VALUES (1, 1, 'e');
        INSERT INTO experiment_phase (id, dashboard, randomize, "index", experiment_id) VALUES (1, 0, 0, 0, 1);
        UPDATE experiment_block SET phase_id = 1;
        INSERT INTO experiment_block_playlists (block_id, playlist_id) SELECT b.id, p.id FROM experiment_block b, section_playlist p;
        INSERT INTO experiment_feedback (text, block_id) SELECT 'f', id FROM experiment_block;
        """
    )
    conn.commit()
    conn.close()
    return path


def _columns(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [
            (table, row[1])
            for table in tables
            if table.startswith(("experiment_", "participant_", "result_", "section_", "session_"))
            for row in conn.execute(f'PRAGMA table_info("{table}")')
        ]
    finally:
        conn.close()


EVERYTHING = CsvSelection(tuple(SESSION_FIELDS), tuple(RESULT_FIELDS), frozenset(OPTIONS) - {"wide_format"})


def test_any_missing_column_is_named_when_the_database_opens_never_mid_export(tmp_path) -> None:
    """Rename away each column of MUSCLE's tables in turn: either muscle-tui does not read it (every
    export still works) or opening says which column is missing, before anything is written."""
    template = _sqlite_block(tmp_path)
    named = 0
    undetected: list[str] = []
    for table, column in _columns(template):
        path = shutil.copyfile(template, tmp_path / "damaged.sqlite3")
        conn = sqlite3.connect(path)
        conn.execute(f'ALTER TABLE "{table}" RENAME COLUMN "{column}" TO "{column}_gone"')
        conn.commit()
        conn.close()
        out = tmp_path / "out"
        out.mkdir()
        try:
            db = MuscleDatabase.open(sqlite_url(path), "damaged")
        except SchemaError as exc:
            assert f"column {table}.{column}" in str(exc) or f"table {table}" in str(exc), (
                table,
                column,
                exc,
            )
            named += 1
        else:
            try:
                db.experiments()
                db.blocks()
                write_csv(db, "b", EVERYTHING, out / "long.csv")
                write_csv(
                    db,
                    "b",
                    EVERYTHING.replace(options=EVERYTHING.options | {"wide_format"}),
                    out / "wide.csv",
                )
                write_json_bundle(db, "b", out / "bundle.zip")
            except DatabaseError as exc:
                undetected.append(f"{table}.{column}: {exc}")
            finally:
                db.close()
        shutil.rmtree(out)
    assert undetected == [], "missing, not detected at open, failed mid-export:\n" + "\n".join(undetected)
    assert named >= 40


# ---------------------------------------------------------------------------------------------
# Slugs full of SQL: every query is parameterised.

SQL_SLUGS = [
    "x'; drop table result_result; --",
    "x' OR '1'='1",
    "edge_a' --",
    'edge_a"; --',
    "edge_%",
    "édge_a",
]


@pytest.fixture(scope="module")
def edge_db(edge_url):
    db = MuscleDatabase.open(edge_url, "edge")
    yield db
    db.close()


def _result_count(url: URL) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM result_result")).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("slug", SQL_SLUGS)
def test_a_slug_full_of_sql_is_just_an_unknown_slug(edge_url, edge_db, capsys, workdir, slug) -> None:
    before = _result_count(edge_url)
    for command in (["export", "csv"], ["export", "json"], ["export", "json", "--experiment"]):
        code, out, err = run_cli(capsys, "--db", url_text(with_password(edge_url)), *command, slug)
        assert_one_clear_line(code, out, err, f"slug {slug!r} in this database")
    for lookup in (
        lambda: edge_db.block(slug),
        lambda: edge_db.experiment(slug),
        lambda: preview_csv(edge_db, slug, EVERYTHING),
        lambda: count_json_objects(edge_db, slug),
    ):
        with pytest.raises(NotFoundError):
            lookup()
    assert list(workdir.iterdir()) == []
    assert _result_count(edge_url) == before


@pytest.fixture(scope="module")
def quoted_slug_url(pg) -> URL:
    """The edge sample with block edge_b renamed to a slug full of quotes and SQL comments."""
    url = pg.create("edge_quoted_slug")
    pg.psql(url, "-f", str(DUMPS["edge"]))
    pg.psql(url, "-c", "UPDATE experiment_block SET slug = 'o''brien\"; --' WHERE slug = 'edge_b'")
    return url


@pytest.mark.postgres
def test_a_block_whose_slug_holds_quotes_exports_like_any_other(
    quoted_slug_url, edge_db, capsys, workdir
) -> None:
    slug = "o'brien\"; --"
    db = url_text(quoted_slug_url)
    code, _out, err = run_cli(capsys, "--db", db, "export", "json", slug, "-o", "b.zip")
    assert (code, err) == (0, "")
    assert_matches_reference(read_zip(workdir / "b.zip"), EDGE_REFERENCE / "edge_b")
    code, _out, err = run_cli(capsys, "--db", db, "export", "csv", slug, "-o", "b.csv", "--template", "long")
    assert (code, err) == (0, "")
    write_csv(edge_db, "edge_b", find_template("long").selection, workdir / "edge_b.csv")
    assert (workdir / "b.csv").read_bytes() == (workdir / "edge_b.csv").read_bytes()


# ---------------------------------------------------------------------------------------------
# Malformed and half-valid templates.

TEMPLATES = {
    "not TOML": ('name = "t"\nlabel = "T"\nsession_fields = ["block_id"\n', ":3: not valid TOML"),
    "unknown option among valid ones": (
        'name = "t"\nlabel = "T"\nsession_fields = ["block_id"]\nresult_fields = []\n'
        'options = ["wide_format", "drop_tables"]\n',
        ":5: unknown option 'drop_tables' in options",
    ),
    "wrong type": (
        'name = "t"\nlabel = "T"\nsession_fields = "block_id"\nresult_fields = []\noptions = []\n',
        ":3: session_fields must be a list of strings",
    ),
    "missing key": (
        'name = "t"\nlabel = "T"\nsession_fields = []\nresult_fields = []\n',
        "missing key 'options'",
    ),
    "excel_safe is no template key": (
        'name = "t"\nlabel = "T"\nsession_fields = []\nresult_fields = []\noptions = []\nexcel_safe = true\n',
        ":6: unknown key 'excel_safe'",
    ),
    "empty": ("", "missing key 'name'"),
    "not UTF-8": (b'name = "t\xff"\n', "not UTF-8 text"),
}


@pytest.mark.postgres
@pytest.mark.parametrize("case", TEMPLATES, ids=list(TEMPLATES))
def test_a_broken_template_is_one_line_naming_the_file(edge_url, capsys, workdir, tmp_path, case) -> None:
    content, words = TEMPLATES[case]
    template = tmp_path / "mine.toml"
    template.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, out, err = run_cli(
        capsys,
        "--db",
        url_text(with_password(edge_url)),
        "export",
        "csv",
        "edge_a",
        "--template",
        str(template),
    )
    assert_one_clear_line(code, out, err, f"{template}", words)
    assert list(workdir.iterdir()) == []


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["missing.toml", "a-directory.toml"])
def test_a_template_path_that_is_not_a_file_is_one_line(edge_url, capsys, workdir, tmp_path, where) -> None:
    path = tmp_path / where
    if where.startswith("a-directory"):
        path.mkdir()
    code, out, err = run_cli(
        capsys, "--db", url_text(edge_url), "export", "csv", "edge_a", "--template", str(path)
    )
    assert_one_clear_line(code, out, err, f"{path}: cannot read")
    assert list(workdir.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# json_data that is not an object; control characters; very long values.

CONTROL = 'bell\x07 esc\x1b[31m \x01\x02 del\x7f nel\x85 ls\u2028 tab\t cr\r lf\n crlf\r\n "q" c,=1+1'
LONG_VALUE = "long " + "é" * 2_000_000
RESULT_JSON = [
    "text",
    7,
    ["x", 1],
    None,
    {"decision_time": "slow", "config": {"k": CONTROL}},
    {"decision_time": 0.5, "config": LONG_VALUE},
]
SESSION_JSON = ["a string", 42, [1, "two"], None, {"=key\x1b": CONTROL, "long": LONG_VALUE}]


def awkward_sessions(nul: bool) -> list[Session]:
    first = CONTROL + ("\x00nul" if nul else "")
    results = [
        Result(json_data=data, given_response=response, created_at=Session().started_at.replace(second=i))
        for i, (data, response) in enumerate(zip(RESULT_JSON, [first, "7", None, "", "-2+3", "=SUM(A1)"]))
    ]
    return [Session(json_data=SESSION_JSON[0], results=results)] + [
        Session(json_data=data) for data in SESSION_JSON[1:]
    ]


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def awkward_db(request, tmp_path_factory):
    """A block `awkward` whose json_data are strings, numbers, arrays, nulls and objects, with
    control characters (NUL too, where the database can hold it) and 2-million-character values."""
    if request.param == "postgresql":
        pg = request.getfixturevalue("pg")
        url = pg.create("awkward")
        pg.psql(url, "-f", str(DUMPS["empty2025"]))
    else:
        url = sqlite_url(sqlite_database(tmp_path_factory.mktemp("awkward") / "muscle.sqlite3"))
    writer = BlockWriter(url)
    writer.write_block("awkward", awkward_sessions(nul=request.param == "sqlite"))
    writer.close()
    db = MuscleDatabase.open(url, "awkward")
    yield db, request.param == "sqlite"
    db.close()


@pytest.fixture
def long_csv_fields():
    """Let Python's csv module read the 2-million-character cells."""
    previous = csv.field_size_limit(sys.maxsize)
    yield
    csv.field_size_limit(previous)


def test_awkward_values_survive_the_csv_export(awkward_db, tmp_path, long_csv_fields) -> None:
    db, nul = awkward_db
    first = CONTROL + ("\x00nul" if nul else "")
    write_csv(db, "awkward", EVERYTHING, tmp_path / "long.csv")
    header, rows = read_dicts(tmp_path / "long.csv")
    assert len(rows) == 6 + 4
    assert [row["given_response"] for row in rows[:6]] == [first, "7", "", "", "-2+3", "=SUM(A1)"]
    assert [row["decision_time"] for row in rows[:6]] == ["", "", "", "", "slow", "0.5"]
    assert json.loads(rows[4]["result_config"]) == {"k": CONTROL}
    assert rows[5]["result_config"] == LONG_VALUE
    assert "=key\x1b" in header
    assert [row["=key\x1b"] for row in rows] == [""] * 9 + [CONTROL]
    assert rows[-1]["long"] == LONG_VALUE

    kept = EVERYTHING.replace(options={"session_data", "result_config"})
    write_csv(db, "awkward", kept, tmp_path / "kept.csv")
    _, kept_rows = read_dicts(tmp_path / "kept.csv")
    assert [row["result_data"] for row in kept_rows[:4]] == ["text", "7", '["x", 1]', ""]
    assert [json.loads(row["result_data"]) for row in kept_rows[4:6]] == RESULT_JSON[4:6]
    assert kept_rows[0]["session_data"] == "a string"
    assert [row["session_data"] for row in kept_rows[6:9]] == ["42", '[1, "two"]', ""]
    assert json.loads(kept_rows[9]["session_data"]) == SESSION_JSON[4]

    for name in BUILTIN_ORDER:
        for excel_safe in (False, True):
            selection = find_template(name).selection.replace(excel_safe=excel_safe)
            result = write_csv(db, "awkward", selection, tmp_path / f"{name}-{excel_safe}.csv")
            assert result.count == len(read_rows(tmp_path / f"{name}-{excel_safe}.csv")[1])


def test_awkward_values_survive_the_json_bundle(awkward_db, tmp_path) -> None:
    db, nul = awkward_db
    write_json_bundle(db, "awkward", tmp_path / "bundle.zip")
    files = {name: json.loads(body) for name, body in read_zip(tmp_path / "bundle.zip").items()}
    results = [r["fields"] for r in files["results.json"]]
    assert [r["json_data"] for r in results] == RESULT_JSON
    assert results[0]["given_response"] == CONTROL + ("\x00nul" if nul else "")
    assert results[5]["json_data"]["config"] == LONG_VALUE
    assert [s["fields"]["json_data"] for s in files["sessions.json"]] == SESSION_JSON
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        assert archive.testzip() is None


# ---------------------------------------------------------------------------------------------
# Names with markup and terminal control sequences, shown by the UI and by `list`.

HOSTILE_NAME = "[DRAFT] beat [/] \x1b]0;PWNED\x07 \x1b[2J [@click=app.quit]click[/] " + "L" * 3000


@pytest.fixture
def hostile_names(demo_path, tmp_path) -> Path:
    """The demo database with an experiment and a block named to break a terminal UI."""
    path = shutil.copyfile(demo_path, tmp_path / "hostile.sqlite3")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE experiment_experiment SET name = ? WHERE id = 1", (HOSTILE_NAME,))
    conn.execute("UPDATE experiment_block SET name = ? WHERE id = 1", (HOSTILE_NAME,))
    conn.commit()
    conn.close()
    return path


def _shown(app: MuscleApp) -> str:
    """Everything the current screen shows: its tables' cells and its text."""
    parts = [str(static.render()) for static in app.screen.query(Static)]
    for table in app.screen.query(DataTable):
        parts += [str(cell) for row in table.rows for cell in table.get_row(row)]
    return "\n".join(parts)


@run_async
async def test_markup_and_escape_sequences_in_names_are_shown_literally(hostile_names, tmp_path) -> None:
    database = MuscleDatabase.open(sqlite_url(hostile_names), "hostile")
    app = RecordingApp(database=database)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await wait_for_rows(pilot, ExperimentsScreen)
            shown = _shown(app)
            assert "[DRAFT] beat [/] \\x1b]0;PWNED\\x07 \\x1b[2J [@click=app.quit]click[/]" in shown
            assert "\x1b" not in shown
            await pilot.press("enter")
            await wait_for_rows(pilot, BlocksScreen)
            shown = _shown(app)
            assert "[DRAFT] beat [/] \\x1b]0;PWNED" in shown and "\x1b" not in shown
            unwritable = tmp_path / "no [/] such [bold]dir" / "x.zip"
            await pilot.press("j")
            await wait_for_screen(pilot, ExportPathDialog)
            app.screen.query_one(Input).value = str(unwritable)
            await pilot.press("enter")
            await wait_until(pilot, lambda: bool(app.screen.query("Toast")), "the failure notice")
            [toast] = app.screen.query("Toast")
            assert str(unwritable.parent) in str(toast.render()), (
                "the path is shown as typed, not read as markup"
            )
            await pilot.press("escape")  # the path dialog, kept open after a failed export
            await wait_for_rows(pilot, BlocksScreen)
            await pilot.press("escape")
            await wait_for_rows(pilot, ExperimentsScreen)
    finally:
        database.close()
    assert app.return_code in (None, 0)


def test_list_never_sends_control_characters_to_the_terminal() -> None:
    block = BlockSummary(
        id=1,
        slug="b\x1b[2J",
        name="name \x1b]0;PWNED\x07\ttab\nline",
        rules="R",
        experiment_id=1,
        experiment_slug="e",
        phase_index=0,
        index=0,
        sessions=1,
        finished_sessions=1,
        participants=1,
        results=1,
        first_session=None,
        last_session=None,
    )
    table = format_table([block])
    assert "\x1b" not in table and "\x07" not in table
    assert "b\\x1b[2J" in table and "name \\x1b]0;PWNED\\x07 tab line" in table
