"""One clear line, never a traceback (issue 10, items 8 and 9).

Every error a user can cause ends in one `muscle-tui: ` line on stderr and exit 1; a bug says so in
one line (`--debug` adds its traceback, never local variables). A failing stdout (full, closed, a
broken pipe), `~user` that does not exist, JSON nested deeper than Python decodes, malformed values
in a SQLite database and absurd templates are each handled or one line. Control and bidirectional
characters are shown escaped, and a path with a newline prints as one line.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from muscle_tui.cli import listing, main
from muscle_tui.cli.console import printable as cli_printable
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.csv import BUILTIN_ORDER, find_template, write_csv
from muscle_tui.export.json import write_json_bundle
from muscle_tui.screens.formatting import printable as screen_printable
from muscle_tui.text import escape_controls
from tests.conftest import SCHEMA
from tests.support.csv_blocks import BlockWriter, Result, Session, read_dicts, sqlite_database, sqlite_url
from tests.support.hardening import CHILD_TIMEOUT_SECONDS, assert_one_clear_line, child_env, run_muscle_tui

SLUG = "clear"
NO_USER = "~nosuchuser-mtui"
DEEP = 100_000
DEEP_ARRAY = "[" * DEEP + "]" * DEEP
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

csv.field_size_limit(sys.maxsize)  # the deep values are longer than csv's default field limit


def sessions() -> list[Session]:
    """Three sessions of one result each, with the JSON parts every template reads."""
    data = {"decision_time": 1.5, "config": {"a": 1}}
    return [Session(results=[Result(json_data=data)], json_data={"k": 1}) for _ in range(3)]


def corrupt(path: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Store what MUSCLE never would: SQLite checks neither types nor (here) its JSON constraints."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    for statement, parameters in statements:
        conn.execute(statement, parameters)
    conn.commit()
    conn.close()


FIRST_SESSION = "(SELECT min(id) FROM session_session)"
SECOND_SESSION = "(SELECT id FROM session_session ORDER BY id LIMIT 1 OFFSET 1)"
LAST_RESULT = "(SELECT max(id) FROM result_result WHERE session_id IS NOT NULL)"


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """A SQLite database (MUSCLE January 2025) holding the block `clear`."""
    path = sqlite_database(tmp_path / "muscle.sqlite3")
    writer = BlockWriter(sqlite_url(path))
    writer.write_block(SLUG, sessions())
    writer.close()
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    return work


@pytest.fixture
def env(tmp_path: Path, sqlite_path: Path) -> dict[str, str]:
    return child_env(tmp_path, MUSCLE_TUI_DB=f"sqlite:///{sqlite_path}")


def run_with_stdout(
    args: list[str],
    cwd: Path,
    env: dict[str, str],
    stdout: int | None,
    preexec_fn: Callable[[], None] | None = None,
) -> tuple[int, str]:
    """`python -m muscle_tui ARGS` with this stdout; (exit status, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "muscle_tui", *args],
        cwd=cwd,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        preexec_fn=preexec_fn,
    )
    return done.returncode, done.stderr


# ---------------------------------------------------------------------------------------------
# `~user` that does not exist.


@pytest.mark.parametrize(
    "args",
    [
        ["export", "csv", SLUG, "-o", f"{NO_USER}/x.csv"],
        ["export", "json", SLUG, "-o", f"{NO_USER}/x.zip"],
        ["demo", f"{NO_USER}/demo.sqlite3"],
    ],
    ids=["export-csv", "export-json", "demo"],
)
def test_an_unknown_user_in_an_output_path_is_one_line(workdir, env, args) -> None:
    done = run_muscle_tui(args, workdir, env)
    assert_one_clear_line(done.returncode, done.stdout, done.stderr, f"cannot expand {NO_USER}", "no user")
    assert list(workdir.iterdir()) == []


def test_an_unknown_user_in_an_experiments_output_directory_is_one_line(demo_path, workdir, tmp_path) -> None:
    env = child_env(tmp_path, MUSCLE_TUI_DB=f"sqlite:///{demo_path}")
    done = run_muscle_tui(
        ["export", "json", "--experiment", "musical-minds", "-o", f"{NO_USER}/d"], workdir, env
    )
    assert_one_clear_line(done.returncode, done.stdout, done.stderr, f"cannot expand {NO_USER}")
    assert list(workdir.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# stdout on a full device, closed, or a pipe whose reader has gone.

LISTINGS = {"list": ["list"], "templates": ["templates"]}
EXPORTS = {
    "export-csv": ["export", "csv", SLUG, "-o", "out.csv"],
    "export-json": ["export", "json", SLUG, "-o", "out.zip"],
}


def close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize("command", [*LISTINGS, "version", "help"])
def test_a_listing_on_a_full_stdout_is_one_line(workdir, env, command) -> None:
    args = LISTINGS.get(command, [f"--{command}"])
    with open("/dev/full", "w") as full:
        code, err = run_with_stdout(args, workdir, env, full.fileno())
    assert_one_clear_line(code, "", err, "cannot write to stdout: no space left on device")


@pytest.mark.parametrize("command", LISTINGS)
def test_a_listing_on_a_closed_stdout_is_one_line(workdir, env, command) -> None:
    code, err = run_with_stdout(LISTINGS[command], workdir, env, None, close_stdout)
    assert_one_clear_line(code, "", err, "cannot write to stdout: it is closed")


@pytest.mark.parametrize("command", LISTINGS)
def test_a_listing_into_a_broken_pipe_ends_quietly(workdir, env, command) -> None:
    """As Unix tools do when their reader has gone (`| head`): no message, status 1."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        code, err = run_with_stdout(LISTINGS[command], workdir, env, writer)
    finally:
        os.close(writer)
    assert (code, err) == (1, "")


@pytest.mark.parametrize("stdout", ["full", "closed", "broken-pipe"])
@pytest.mark.parametrize("export", EXPORTS)
def test_an_export_whose_path_cannot_be_printed_names_the_file_it_wrote(workdir, env, export, stdout) -> None:
    """The export succeeded: one line says where the file is, and why stdout did not say it."""
    reason = {
        "full": "no space left on device",
        "closed": "it is closed",
        "broken-pipe": "broken pipe",
    }[stdout]
    if stdout == "full":
        with open("/dev/full", "w") as full:
            code, err = run_with_stdout(EXPORTS[export], workdir, env, full.fileno())
    elif stdout == "closed":
        code, err = run_with_stdout(EXPORTS[export], workdir, env, None, close_stdout)
    else:
        reader, writer = os.pipe()
        os.close(reader)
        try:
            code, err = run_with_stdout(EXPORTS[export], workdir, env, writer)
        finally:
            os.close(writer)
    written = workdir / EXPORTS[export][-1]
    assert_one_clear_line(code, "", err, f"wrote {written}, but cannot print its path on stdout: {reason}")
    assert written.is_file()


# ---------------------------------------------------------------------------------------------
# A bug: one line, and its traceback (without local variables) under --debug.


def test_a_bug_is_one_line_and_debug_shows_its_traceback_without_locals(capsys, monkeypatch, sqlite_path):
    def broken(blocks):
        kept_in_a_local = "LOCAL" + "-VALUE"
        raise ZeroDivisionError(f"bad\x1b[31m\nvalue {len(kept_in_a_local)}")

    monkeypatch.setattr(listing, "block_rows", broken)
    url = f"sqlite:///{sqlite_path}"

    code = main(["--db", url, "list"])
    out, err = capsys.readouterr()
    assert_one_clear_line(
        code,
        out,
        err,
        "unexpected error (ZeroDivisionError: bad\\x1b[31m value 11); run with --debug for details",
    )

    code = main(["--debug", "--db", url, "list"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith("Traceback (most recent call last):\n")
    assert "in broken\n" in err and "ZeroDivisionError" in err
    assert "LOCAL-VALUE" not in err, "the traceback shows no local variables"
    assert "\x1b" not in err
    assert err.splitlines()[-1] == "muscle-tui: unexpected error (ZeroDivisionError: bad\\x1b[31m value 11)"


def test_debug_shows_the_traceback_of_a_users_error_too(capsys, sqlite_path) -> None:
    code = main(["--debug", "--db", f"sqlite:///{sqlite_path}", "export", "csv", "nope"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith("Traceback (most recent call last):\n")
    assert err.splitlines()[-1].startswith("muscle-tui: no block with slug 'nope'")


# ---------------------------------------------------------------------------------------------
# JSON nested deeper than Python's recursion limit: exported, the database's text as it is.


def test_sqlite_json_nested_deeper_than_python_reads_is_exported(sqlite_path, tmp_path) -> None:
    session_data = '{"k": ' + DEEP_ARRAY + "}"
    result_data = '{"decision_time": 2, "config": ' + DEEP_ARRAY + "}"
    corrupt(
        sqlite_path,
        (f"UPDATE session_session SET json_data = ? WHERE id = {FIRST_SESSION}", (session_data,)),
        (f"UPDATE session_session SET json_data = ? WHERE id = {SECOND_SESSION}", (DEEP_ARRAY,)),
        (f"UPDATE result_result SET json_data = ? WHERE id = {LAST_RESULT}", (result_data,)),
    )
    db = MuscleDatabase.open(sqlite_url(sqlite_path), "deep")
    try:
        write_json_bundle(db, SLUG, tmp_path / "out.zip")
        with zipfile.ZipFile(tmp_path / "out.zip") as bundle:
            assert f'"json_data": {session_data}, ' in bundle.read("sessions.json").decode()
            assert f'"json_data": {DEEP_ARRAY}, ' in bundle.read("sessions.json").decode()
            assert f'"json_data": {result_data}}}' in bundle.read("results.json").decode()

        for template in ("wide", "long"):
            write_csv(db, SLUG, find_template(template).selection, tmp_path / "c.csv", force=True)
            _, rows = read_dicts(tmp_path / "c.csv")
            assert [row["k"] for row in rows] == [DEEP_ARRAY, "", "1"]
            prefix = "001-" if template == "wide" else ""
            assert [row[f"{prefix}decision_time"] for row in rows] == ["1.5", "1.5", "2"]
            assert [row[f"{prefix}result_config"] for row in rows][2] == DEEP_ARRAY

        write_csv(db, SLUG, find_template("wide_json").selection, tmp_path / "j.csv", force=True)
        _, rows = read_dicts(tmp_path / "j.csv")
        assert [row["session_data"] for row in rows] == [session_data, DEEP_ARRAY, '{"k": 1}']
        assert rows[2]["001-result_data"] == result_data
    finally:
        db.close()


@pytest.mark.postgres
def test_postgres_jsonb_nested_deeper_than_python_reads_is_exported(pg, tmp_path) -> None:
    """jsonb holds 5,000 levels; `1.50` makes the bundle decode the text, which cannot be done."""
    url = pg.create("deep_json")
    pg.psql(url, "-f", str(SCHEMA / "postgres-2025-01.sql"))
    writer = BlockWriter(url)
    writer.write_block(SLUG, sessions())
    deep = "[" * 5000 + "]" * 5000
    with writer.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE session_session SET json_data = CAST(:t AS jsonb) WHERE id = {FIRST_SESSION}"),
            {"t": '{"k": ' + deep + ', "n": 1.50}'},
        )
        conn.execute(
            text(f"UPDATE result_result SET json_data = CAST(:t AS jsonb) WHERE id = {LAST_RESULT}"),
            {"t": '{"decision_time": 2, "config": ' + deep + "}"},
        )
    writer.close()
    db = MuscleDatabase.open(url, "deep")
    try:
        write_json_bundle(db, SLUG, tmp_path / "out.zip")
        with zipfile.ZipFile(tmp_path / "out.zip") as bundle:
            assert f'"json_data": {{"k": {deep}, "n": 1.50}}, ' in bundle.read("sessions.json").decode()
            assert (
                f'"json_data": {{"config": {deep}, "decision_time": 2}}}}'
                in bundle.read("results.json").decode()
            )
        write_csv(db, SLUG, find_template("wide").selection, tmp_path / "c.csv")
        _, rows = read_dicts(tmp_path / "c.csv")
        assert [row["k"] for row in rows] == [deep, "1", "1"]
        assert [row["n"] for row in rows] == ["1.5", "", ""]
        assert [row["001-result_config"] for row in rows] == ['{"a": 1}', '{"a": 1}', deep]
        write_csv(db, SLUG, find_template("wide_json").selection, tmp_path / "j.csv")
        _, rows = read_dicts(tmp_path / "j.csv")
        assert rows[0]["session_data"] == '{"k": ' + deep + ', "n": 1.50}'
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------
# Malformed values in a SQLite database: one bad row fails neither `list` nor an export.

MALFORMED = (
    (
        f"UPDATE session_session SET started_at = 'notadate', final_score = 'abc', json_data = '{{bad' "
        f"WHERE id = {FIRST_SESSION}",
        (),
    ),
    (
        "UPDATE result_result SET created_at = 'whenever', json_data = '{bad', score = 'lots', "
        f"section_id = 'nowhere' WHERE id = {LAST_RESULT}",
        (),
    ),
)


def test_a_malformed_sqlite_row_does_not_fail_list(sqlite_path, workdir, env) -> None:
    corrupt(sqlite_path, *MALFORMED)
    done = run_muscle_tui(["list"], workdir, env)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[1].split() == ["(no", "experiment)", SLUG, "3", "3", "3"]


def test_a_malformed_sqlite_row_is_exported_as_its_text(sqlite_path, tmp_path) -> None:
    corrupt(sqlite_path, *MALFORMED)
    db = MuscleDatabase.open(sqlite_url(sqlite_path), "malformed")
    try:
        write_json_bundle(db, SLUG, tmp_path / "out.zip")
        with zipfile.ZipFile(tmp_path / "out.zip") as bundle:
            files = {name: json.loads(bundle.read(name)) for name in bundle.namelist()}
        session = files["sessions.json"][0]["fields"]
        assert (session["started_at"], session["final_score"], session["json_data"]) == (
            "notadate",
            "abc",
            "{bad",
        )
        result = files["results.json"][-1]["fields"]
        assert (result["created_at"], result["score"], result["json_data"]) == ("whenever", "lots", "{bad")
        assert result["section"] == "nowhere"

        for name in BUILTIN_ORDER:
            write_csv(db, SLUG, find_template(name).selection, tmp_path / f"{name}.csv")
        _, rows = read_dicts(tmp_path / "wide_json.csv")
        assert (rows[0]["session_start"], rows[0]["final_score"], rows[0]["session_data"]) == (
            "notadate",
            "abc",
            "{bad",
        )
        assert (rows[2]["001-result_created_at"], rows[2]["001-result_data"]) == ("whenever", "{bad")
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------
# Absurd user templates never stop the others.


def test_a_deep_or_endless_template_stops_no_other(tmp_path, workdir, env) -> None:
    folder = tmp_path / "config" / "muscle-tui" / "templates"
    folder.mkdir(parents=True)
    (folder / "deep.toml").write_text("a = " + DEEP_ARRAY + "\n")
    with open(folder / "endless.toml", "wb") as endless:
        endless.truncate(50 * 1024 * 1024)
    (folder / "mine.toml").write_text(
        'name = "mine"\nlabel = "Mine"\nsession_fields = ["participant_id"]\nresult_fields = []\noptions = []\n'
    )
    done = run_muscle_tui(["templates"], workdir, env)
    assert done.returncode == 1
    assert [line.split()[0] for line in done.stdout.splitlines()[1:]] == [*BUILTIN_ORDER, "mine"]
    assert done.stderr.splitlines() == [
        f"muscle-tui: {folder / 'deep.toml'}: not valid TOML: nested too deeply to read",
        f"muscle-tui: {folder / 'endless.toml'}: larger than 1 MiB, so not a template",
    ]
    done = run_muscle_tui(["export", "csv", SLUG, "--template", "mine", "-o", "out.csv"], workdir, env)
    assert (done.returncode, done.stdout) == (0, f"{workdir / 'out.csv'}\n")


# ---------------------------------------------------------------------------------------------
# Control and bidirectional characters, everywhere they are shown.


@pytest.mark.parametrize("shown", [escape_controls, cli_printable, screen_printable])
def test_bidirectional_controls_are_shown_escaped(shown) -> None:
    for character in BIDI + "\u2028\u2029\x1b\x85":
        code = ord(character)
        escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
        assert shown(f"a{character}b") == f"a{escape}b"


def test_names_with_bidi_and_newlines_are_listed_escaped(tmp_path, workdir) -> None:
    path = sqlite_database(tmp_path / "names.sqlite3")
    writer = BlockWriter(sqlite_url(path))
    writer.write_block("evil\u202egnp.exe\nsecond line", sessions())
    writer.close()
    done = run_muscle_tui(["list"], workdir, child_env(tmp_path, MUSCLE_TUI_DB=f"sqlite:///{path}"))
    assert done.returncode == 0
    assert "evil\\u202egnp.exe second line" in done.stdout
    assert "\u202e" not in done.stdout and len(done.stdout.splitlines()) == 2


def test_a_path_in_a_message_is_shown_escaped(workdir, env) -> None:
    name = "x\u202e\u2066vsc.csv"
    (workdir / name).write_text("mine")
    done = run_muscle_tui(["export", "csv", SLUG, "-o", name], workdir, env)
    line = assert_one_clear_line(done.returncode, done.stdout, done.stderr, "already exists")
    assert "x\\u202e\\u2066vsc.csv" in line and "\u202e" not in done.stderr


def test_a_written_path_with_a_newline_prints_as_one_escaped_line(workdir, env) -> None:
    name = "two\nlines\u202e.csv"
    done = run_muscle_tui(["export", "csv", SLUG, "-o", name], workdir, env)
    assert done.returncode == 0
    assert done.stdout == f"{workdir}/two\\nlines\\u202e.csv\n"
    assert done.stderr.startswith("muscle-tui: note: the path written holds control or bidirectional")
    assert len(done.stderr.splitlines()) == 1
    assert (workdir / name).is_file()


def test_a_usage_error_shows_what_was_typed_escaped(capsys) -> None:
    code = main(["export", "csv", SLUG, "extra\u202e\u2066argument"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "Got unexpected extra argument (extra\\u202e\\u2066argument)" in err
    assert "\u202e" not in err and "\u2066" not in err
