"""Run in a child process by test_faults_tui (no tests here): drive the terminal UI with a pilot
to export the first block as JSON to OUTPUT, wait for the outcome, then check the UI still
works. Prints a JSON report on stdout.

    python tests/support/tui_fault_child.py DATABASE_URL OUTPUT

The parent limits the child first (a file size limit, no write permission), so the export
meets that fault in a real process without touching the test run itself.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from textual.widgets import DataTable, Input

from muscle_tui.config import resolve_database
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_path import ExportPathDialog
from tests.support.tui import (
    RecordingApp,
    close_failed_dialog,
    wait_for_rows,
    wait_for_screen,
    wait_until,
)

SIZE = (120, 36)


async def drive(database: MuscleDatabase, output: Path) -> dict[str, object]:
    app = RecordingApp(database=database)
    report: dict[str, object] = {}
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        await pilot.press("enter")
        await wait_for_rows(pilot, BlocksScreen)
        screen = app.screen
        await pilot.press("j")
        await wait_for_screen(pilot, ExportPathDialog)
        app.screen.query_one(Input).value = str(output)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.notes), "the export's outcome")
        report["notes"] = list(app.notes)
        await close_failed_dialog(pilot, screen)

        table = screen.query_one(DataTable)
        await pilot.press("down")
        report["cursor_moved"] = table.cursor_row == 1
        await pilot.press("escape")
        await wait_for_rows(pilot, ExperimentsScreen)
        await pilot.press("enter")
        await wait_for_rows(pilot, BlocksScreen)
        report["blocks_reloaded"] = (
            isinstance(app.screen, BlocksScreen) and app.screen.query_one(DataTable).row_count > 0
        )
    return report


def main() -> int:
    url_text, output = sys.argv[1], Path(sys.argv[2])
    target = resolve_database(db=url_text, environ={})
    database = MuscleDatabase.open(target.url, target.label)
    try:
        report = asyncio.run(drive(database, output))
    finally:
        database.close()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
