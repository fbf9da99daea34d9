"""Hardening of the terminal UI (issue 10): a query stuck behind another session's lock never makes
it deaf, a crash report shows no local variables, the CSV form names each export when it runs, and
control or bidirectional characters are shown escaped everywhere."""

from __future__ import annotations

import contextlib
import io
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy.engine import URL
from textual.widgets import DataTable, Input, Select, Static

from muscle_tui.app import MuscleApp, header_label
from muscle_tui.config import DatabaseTarget
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.screens import experiments as experiments_module
from muscle_tui.screens import export_csv as export_csv_module
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.confirm_replace import ConfirmReplaceDialog
from muscle_tui.screens.error import ErrorScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_csv import ExportCsvScreen
from muscle_tui.screens.export_path import ExportPathDialog
from muscle_tui.screens.export_progress import ExportProgressScreen
from muscle_tui.screens.quit_prompt import QuitPrompt
from muscle_tui.widgets.selection_form import SelectionForm
from tests.support.hardening import PASSWORD, leftovers
from tests.support.tui import (
    RecordingApp,
    export_to,
    lock_waiters,
    open_blocks,
    run_async,
    table_locked,
    wait_for_preview,
    wait_for_rows,
    wait_for_screen,
    wait_until,
    wait_until_no_lock_waiters,
)

SIZE = (120, 40)
# Long enough that a test which does not cancel the statement cannot pass by waiting it out.
PATIENT_LOCK_TIMEOUT = "120"
CANCELLED_NOTE = "Export cancelled: Nothing was written."
EVIL = "\u202e"


@pytest.fixture
def lock_database(lock_url, monkeypatch):
    """The locks database, opened with a lock timeout far longer than any test."""
    monkeypatch.setenv("MUSCLE_TUI_LOCK_TIMEOUT", PATIENT_LOCK_TIMEOUT)
    database = MuscleDatabase.open(lock_url, "locks")
    yield database
    database.close()


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    """A private user config directory: no test reads the real user templates."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


async def open_csv_form(pilot) -> ExportCsvScreen:
    """The CSV form of the highlighted block, its preview shown."""
    await pilot.press("c")
    await wait_for_screen(pilot, ExportCsvScreen)
    form = pilot.app.screen
    await wait_for_preview(pilot, form)
    return form


async def wait_for_lock_waiter(pilot, url: URL, what: str) -> set[tuple[int, str]]:
    """Until a muscle-tui statement waits for the lock; returns the waiting statements."""
    await wait_until(pilot, lambda: bool(lock_waiters(url)), what)
    return lock_waiters(url)


# ---------------------------------------------------------------------------------------------
# No hang: exports and catalog loads stuck behind a lock.


@pytest.mark.postgres
@pytest.mark.parametrize("export", ["json", "csv"])
@run_async
async def test_escape_cancels_an_export_stuck_behind_a_lock(
    lock_url, lock_database, tmp_path, export
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    app = RecordingApp(database=lock_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        if export == "csv":
            screen = await open_csv_form(pilot)
        with table_locked(lock_url):
            if export == "json":
                await export_to(pilot, out / "out.zip")
            else:
                screen.query_one("#output-path", Input).value = str(out / "out.csv")
                await pilot.press("ctrl+r")
            await wait_for_screen(pilot, ExportProgressScreen)
            await wait_for_lock_waiter(pilot, lock_url, "the export to wait for the lock")
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen, "the screen the export started from")
            assert lock_waiters(lock_url) == set(), "the export's statement was cancelled"
            await wait_until(pilot, lambda: bool(app.shown), "the cancel notice")
            assert app.shown == [CANCELLED_NOTE], "one notice, saying it once"
            assert leftovers(out) == []
            if export == "json":
                await pilot.press("down")
                assert screen.query_one(DataTable).cursor_row == 1, "the UI answers while the lock is held"
        if export == "json":
            await pilot.press("r")
            await wait_for_rows(pilot, BlocksScreen)


@pytest.mark.postgres
@pytest.mark.parametrize(("key", "answer"), [("q", "y"), ("ctrl+c", "ctrl+c")])
@run_async
async def test_q_and_ctrl_c_cancel_an_export_stuck_behind_a_lock_and_quit(
    lock_url, lock_database, tmp_path, key, answer
) -> None:
    app = RecordingApp(database=lock_database)
    with contextlib.ExitStack() as lock:
        async with app.run_test(size=SIZE) as pilot:
            await open_blocks(pilot)
            lock.enter_context(table_locked(lock_url))
            await export_to(pilot, tmp_path / "out.zip")
            await wait_for_screen(pilot, ExportProgressScreen)
            await wait_for_lock_waiter(pilot, lock_url, "the export to wait for the lock")
            await pilot.press(key)
            await wait_for_screen(pilot, QuitPrompt)  # "An export is running: cancel it and quit?"
            await pilot.press(answer)
            assert app.return_code == 0, f"{key}, then {answer}, quits"
        assert app.wait_for_exports(20.0), "the export stopped and cleaned up"
        wait_until_no_lock_waiters(lock_url)
    assert leftovers(tmp_path) == []


@pytest.mark.postgres
@run_async
async def test_escape_from_blocks_stuck_behind_a_lock_cancels_their_query(lock_url, lock_database) -> None:
    app = RecordingApp(database=lock_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        with table_locked(lock_url):
            await pilot.press("enter")
            await wait_for_screen(pilot, BlocksScreen)
            await wait_for_lock_waiter(pilot, lock_url, "the blocks to wait for the lock")
            await pilot.press("escape")
            await wait_for_screen(pilot, ExperimentsScreen)
            await wait_until(pilot, lambda: not lock_waiters(lock_url), "the blocks query to be cancelled")
        await pilot.press("enter")
        await wait_for_rows(pilot, BlocksScreen)
    assert not any(note.startswith("Cannot list") for note in app.notes), app.notes


@pytest.mark.postgres
@run_async
async def test_quitting_while_the_experiments_wait_for_a_lock_cancels_their_query(
    lock_url, lock_database
) -> None:
    app = RecordingApp(database=lock_database)
    with table_locked(lock_url):
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_lock_waiter(pilot, lock_url, "the experiments to wait for the lock")
            await pilot.press("q")
            assert app.return_code == 0
        wait_until_no_lock_waiters(lock_url)


@pytest.mark.postgres
@run_async
async def test_a_csv_preview_stuck_behind_a_lock_is_cancelled_when_superseded_or_closed(
    lock_url, lock_database
) -> None:
    app = RecordingApp(database=lock_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        form = await open_csv_form(pilot)
        with table_locked(lock_url):
            fields = form.query_one(SelectionForm)
            fields.set_chosen("participant_country", False)
            first = await wait_for_lock_waiter(pilot, lock_url, "the preview to wait for the lock")
            fields.set_chosen("participant_country", True)

            def superseded() -> bool:
                waiting = lock_waiters(lock_url)
                return bool(waiting) and not waiting & first

            await wait_until(pilot, superseded, "the newer preview to replace the older one")
            assert form.preview_pending
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen, "the blocks")
            await wait_until(pilot, lambda: not lock_waiters(lock_url), "the preview to be cancelled")
    assert not any("Preview" in note for note in app.notes), app.notes


# ---------------------------------------------------------------------------------------------
# A crash report shows no local variables.


@run_async
async def test_an_unexpected_exception_prints_a_traceback_without_local_variables(
    demo_database, monkeypatch
) -> None:
    def exploding_cell(text):
        password = PASSWORD  # a local an unexpected exception must not show
        raise RuntimeError(f"unexpected ({len(password)})")

    monkeypatch.setattr(experiments_module, "plain", exploding_cell)
    app = MuscleApp(database=demo_database)
    printed = io.StringIO()
    app.error_console = Console(file=printed, width=120, color_system=None)
    with pytest.raises(RuntimeError, match="unexpected"):
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.return_code is not None, "the app to stop")
    report = printed.getvalue()
    assert "Traceback" in report and "exploding_cell" in report, report
    assert PASSWORD not in report


# ---------------------------------------------------------------------------------------------
# The CSV form names each export when it runs.


@run_async
async def test_the_csv_output_name_follows_the_template_and_the_time_of_each_export(
    demo_database, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    clock = [datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)]
    monkeypatch.setattr(export_csv_module, "utc_now", lambda: clock[0])

    def at(hour: int) -> str:
        clock[0] = clock[0].replace(hour=hour)
        return f"20261125T{hour:02d}0000Z"

    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        form = await open_csv_form(pilot)
        slug = form.block.slug
        path = form.query_one("#output-path", Input)
        assert Path(path.value) == tmp_path / f"{slug}-wide-20261125T120000Z.csv"

        stamp = at(13)
        form.query_one("#template", Select).value = "long"
        await wait_until(pilot, lambda: form.template_name == "long", "the template long")
        await wait_for_preview(pilot, form)
        assert Path(path.value).name == f"{slug}-long-{stamp}.csv"

        written = []
        for hour in (14, 15):
            stamp = at(hour)
            form.last_result = None
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: form.last_result is not None, f"the export at {hour}h")
            written.append(Path(form.last_result.path).name)
            assert Path(path.value).name == written[-1]
        assert written == [f"{slug}-long-20261125T140000Z.csv", f"{slug}-long-20261125T150000Z.csv"]

        at(16)
        path.value = "sub/"
        form.last_result = None
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: form.last_result is not None, "the export into a folder")
        assert form.last_result.path == str(tmp_path / "sub" / f"{slug}-long-20261125T160000Z.csv")

        at(17)
        path.value = "mine.csv"
        form.query_one("#template", Select).value = "wide"
        await wait_until(pilot, lambda: form.template_name == "wide", "the template wide")
        await wait_for_preview(pilot, form)
        assert path.value == "mine.csv", "a path the user typed is kept"
    assert not any("Replace" in note for note in app.notes)


@pytest.mark.parametrize("where", ["json", "csv"])
@run_async
async def test_escape_on_replace_returns_to_the_path(demo_database, tmp_path, where) -> None:
    output = tmp_path / ("taken.zip" if where == "json" else "taken.csv")
    output.write_bytes(b"keep me")
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        if where == "json":
            await export_to(pilot, output)
        else:
            form = await open_csv_form(pilot)
            form.query_one("#output-path", Input).value = str(output)
            await pilot.click("#export")
        await wait_for_screen(pilot, ConfirmReplaceDialog)
        await pilot.press("escape")
        expected = ExportPathDialog if where == "json" else ExportCsvScreen
        await wait_for_screen(pilot, expected, "the path again")
        path = app.screen.query_one("#output-path", Input)
        assert path.value == str(output)
        assert app.focused is path
    assert output.read_bytes() == b"keep me"
    assert app.notes == []


# ---------------------------------------------------------------------------------------------
# Control and bidirectional characters are shown escaped.


def rendered(widget) -> str:
    return str(widget.render())


@pytest.fixture
def evil_demo(demo_path, tmp_path) -> MuscleDatabase:
    """A copy of the demo whose first block's name holds a right-to-left override and a newline."""
    path = tmp_path / "evil.sqlite3"
    shutil.copyfile(demo_path, path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE experiment_block SET name = ? WHERE id = 1", (f"Evil{EVIL}eman\nline two",))
        conn.commit()
    database = MuscleDatabase.open(URL.create("sqlite", database=str(path)), "evil")
    yield database
    database.close()


def assert_escaped(text: str) -> None:
    assert EVIL not in text and "\n" not in text, repr(text)
    assert "\\u202e" in text, repr(text)


@run_async
async def test_names_with_controls_are_shown_escaped(evil_demo) -> None:
    app = RecordingApp(database=evil_demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        block = screen.selected_block
        assert block is not None and EVIL in block.name
        table = screen.query_one(DataTable)
        assert_escaped(str(table.get_cell(block.slug, "name")))
        assert_escaped(rendered(screen.query_one("#details", Static)))
        form = await open_csv_form(pilot)
        assert_escaped(rendered(form.query_one("#heading", Static)))


@run_async
async def test_paths_with_controls_are_shown_escaped_in_dialogs_and_notices(demo_database, tmp_path) -> None:
    missing = tmp_path / f"no{EVIL}dir\nhere" / "out.zip"
    taken = tmp_path / f"taken{EVIL}\nfile.zip"
    taken.write_bytes(b"keep me")
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        await export_to(pilot, missing)
        dialog = app.screen
        assert isinstance(dialog, ExportPathDialog)
        error = dialog.query_one("#path-error", Static)
        await wait_until(pilot, lambda: error.display and bool(app.shown), "the error")
        assert_escaped(rendered(error))
        assert "\\n" in rendered(error), "a newline in a path shows as \\n"
        [notice] = app.shown
        assert notice.startswith("Export failed: ")
        assert_escaped(notice)

        dialog.query_one(Input).value = str(taken)
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmReplaceDialog)
        labels = [rendered(label) for label in app.screen.query(".dialog-label")]
        assert any("taken" in label for label in labels)
        for label in labels:
            assert_escaped(label)
        await pilot.press("escape")
        await wait_for_screen(pilot, ExportPathDialog)
    assert taken.read_bytes() == b"keep me"


@run_async
async def test_the_error_screen_and_the_header_show_controls_escaped(tmp_path) -> None:
    app = MuscleApp(error=f"cannot read {tmp_path}/odd{EVIL}\nname")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ErrorScreen)
        assert_escaped(rendered(app.screen.query_one("#error-text", Static)))
    assert_escaped(header_label(f"db{EVIL}\nname", False))
    target = DatabaseTarget(URL.create("sqlite", database=str(tmp_path / f"db{EVIL}\nname")), "--db")
    app = MuscleApp(target=target)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ErrorScreen)
        assert_escaped(app.sub_title)
        assert_escaped(rendered(app.screen_stack[0].query_one("#connecting-label", Static)))
