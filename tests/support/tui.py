"""Fixtures and helpers for the terminal UI tests: the demo database, and waiting on the app."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
import zipfile
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlalchemy.engine import URL
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from muscle_tui.app import MuscleApp
from muscle_tui.config import DatabaseTarget
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.demo import write_demo_database
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_path import ExportPathDialog

WAIT_SECONDS = 20.0
LOCKED_TABLE = "session_session"


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory) -> Path:
    """The demo database, written once per test run."""
    return write_demo_database(tmp_path_factory.mktemp("tui_demo") / "demo.sqlite3")


@pytest.fixture(scope="session")
def demo_target(demo_path: Path) -> DatabaseTarget:
    """The demo as `resolve_database` names it when nothing else is configured."""
    return DatabaseTarget(URL.create("sqlite", database=str(demo_path)), "demo", is_demo=True)


@pytest.fixture(scope="session")
def demo_database(demo_target: DatabaseTarget):
    """The demo database, opened once for the whole run."""
    database = MuscleDatabase.open(demo_target.url, demo_target.label)
    yield database
    database.close()


@pytest.fixture(scope="session")
def lock_url(pg) -> URL:
    """A PostgreSQL database of its own (MUSCLE's 2026 sample) for the tests that lock its tables."""
    from tests.conftest import DUMPS

    url = pg.create("locks")
    pg.psql(url, "-f", str(DUMPS["sample2026"]))
    return url


def _dsn(url: URL) -> str:
    return f"host={url.host} port={url.port or 5432} user={url.username} dbname={url.database}"


@contextlib.contextmanager
def table_locked(url: URL, table: str = LOCKED_TABLE) -> Iterator[None]:
    """Another session (a MUSCLE migration, say) holds an ACCESS EXCLUSIVE lock on `table`."""
    holder = psycopg2.connect(_dsn(url))
    try:
        holder.cursor().execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        holder.rollback()
        holder.close()


def lock_waiters(url: URL) -> set[tuple[int, str]]:
    """The muscle-tui statements waiting for a lock on `url`'s database, as (backend pid, start)."""
    with contextlib.closing(psycopg2.connect(_dsn(url))) as conn:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT pid, query_start::text FROM pg_stat_activity WHERE datname = %s "
            "AND application_name = 'muscle-tui' AND wait_event_type = 'Lock'",
            (url.database,),
        )
        return {(int(pid), str(start)) for pid, start in cursor.fetchall()}


def wait_until_no_lock_waiters(url: URL) -> None:
    """Outside an app (it has ended): until no muscle-tui statement waits for a lock any more."""
    deadline = time.monotonic() + WAIT_SECONDS
    pause = threading.Event()
    while waiting := lock_waiters(url):
        if time.monotonic() > deadline:
            raise AssertionError(f"muscle-tui statements still wait for the lock: {sorted(waiting)}")
        pause.wait(0.02)


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test (with its fixtures) in its own event loop; no async plugin needed."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


async def wait_until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition()` holds (workers run in threads), or fail naming `what`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)
    await pilot.pause()


async def wait_for_screen(pilot: Pilot, screen_type: type, what: str | None = None) -> None:
    """Wait until the app's active screen is a `screen_type`."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, screen_type), what or screen_type.__name__)


def table_settled(table: DataTable) -> bool:
    """Whether `table` has measured everything it was given (a DataTable sizes its columns and
    scroll area when idle, so a picture taken before then depends on timing)."""
    return not (table._require_update_dimensions or table._updated_cells or table._new_rows)


async def wait_for_rows(pilot: Pilot, screen_type: type) -> DataTable:
    """Wait until a `screen_type` is active and its table has loaded and measured its rows;
    returns the table."""

    def loaded() -> bool:
        screen = pilot.app.screen
        if not isinstance(screen, screen_type):
            return False
        tables = screen.query(DataTable)
        if not tables:
            return False
        table = tables.first()
        return not table.loading and table.row_count > 0 and table_settled(table)

    await wait_until(pilot, loaded, f"rows on {screen_type.__name__}")
    return pilot.app.screen.query_one(DataTable)


def bundle_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


class RecordingApp(MuscleApp):
    """The app, keeping every notification it is asked for (`notes`) and, as it shows them after
    its own escaping (`shown`), as `title: message`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[str] = []
        self.shown: list[str] = []

    def notify(self, message, *, title="", **kwargs) -> None:
        self.notes.append(f"{title}: {message}")
        super().notify(message, title=title, **kwargs)

    def _on_notify(self, event) -> None:
        self.shown.append(f"{event.notification.title}: {event.notification.message}")
        super()._on_notify(event)


def toasts(app: RecordingApp) -> list[str]:
    return app.notes


async def open_blocks(pilot) -> BlocksScreen:
    await wait_for_rows(pilot, ExperimentsScreen)
    await pilot.press("enter")
    await wait_for_rows(pilot, BlocksScreen)
    return pilot.app.screen


async def export_to(pilot, output: Path | str) -> None:
    """Press `j`, type `output` into the path dialog and confirm it (the dialog runs the export)."""
    await pilot.press("j")
    await wait_for_screen(pilot, ExportPathDialog)
    pilot.app.screen.query_one(Input).value = str(output)
    await pilot.press("enter")


async def wait_for_preview(pilot, screen) -> None:
    """Let pending changes reach the CSV form, then wait until its preview shows the current
    selection and the table has measured it."""
    await pilot.pause()
    await wait_until(
        pilot,
        lambda: not screen.preview_pending and table_settled(screen.query_one("#preview", DataTable)),
        "the preview",
    )


async def wait_for_progress(pilot, shown) -> None:
    """Wait until the export progress screen shows the progress report `shown`."""
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "shown", None) == shown, f"progress {shown}")


async def close_failed_dialog(pilot, screen) -> str:
    """After a failed export the path dialog stays open with the error shown in it: check that,
    press Escape, and wait for `screen` again. Returns the error the dialog showed."""
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportPathDialog), f"the path dialog stays open, not {dialog!r}"
    error = dialog.query_one("#path-error", Static)
    await wait_until(pilot, lambda: error.display, "the error in the path dialog")
    shown = str(error.render())
    await pilot.press("escape")
    await wait_until(pilot, lambda: pilot.app.screen is screen, "the screen under the path dialog")
    return shown


async def wait_for_palette_match(pilot: Pilot, text: str) -> None:
    """Wait until the command palette's first match is the command `text` (its search runs as a task)."""
    from textual.command import CommandList

    def matched() -> bool:
        lists = pilot.app.screen.query(CommandList)
        if not lists or not lists.first().option_count:
            return False
        prompt = lists.first().get_option_at_index(0).prompt
        return text in str(getattr(prompt, "plain", prompt))

    await wait_until(pilot, matched, f"the palette to offer {text!r}")
