"""The config file's defaults in the terminal UI: the JSON path dialog suggests a path in the
configured export directory (created 0700), and a config file with problems is a notification when
the app starts, the defaults applying."""

from __future__ import annotations

import stat
from pathlib import Path

from textual.widgets import Input

from muscle_tui.export.json import default_json_name
from muscle_tui.screens.export_flow import suggested_path
from muscle_tui.screens.export_path import ExportPathDialog
from muscle_tui.user_config import CONFIG_ENV_VARIABLE
from tests.support.tui import (
    RecordingApp,
    open_blocks,
    run_async,
    toasts,
    wait_for_screen,
    wait_until,
)

SIZE = (120, 36)


def configure(tmp_path: Path, monkeypatch, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    monkeypatch.setenv(CONFIG_ENV_VARIABLE, str(path))
    return path


@run_async
async def test_the_json_dialog_suggests_the_configured_directory(
    demo_database, tmp_path, monkeypatch
) -> None:
    exports = tmp_path / "exports" / "from the tui"
    configure(tmp_path, monkeypatch, f'[export]\ndirectory = "{exports}"\n')
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_blocks(pilot)
        block = screen.selected_block
        assert block is not None

        await pilot.press("j")
        await wait_for_screen(pilot, ExportPathDialog)
        suggested = Path(app.screen.query_one(Input).value)
        assert suggested.parent == exports
        assert suggested.name.startswith(f"{block.slug}-") and suggested.suffix == ".zip"
        assert stat.S_IMODE(exports.stat().st_mode) == 0o700  # created for the suggestion

        await pilot.press("enter")  # the suggestion as it is
        await wait_until(pilot, lambda: app.screen is screen and suggested.exists(), "the export to finish")
    assert not any("Config file" in note for note in toasts(app))
    assert list(work.iterdir()) == []


@run_async
async def test_a_malformed_config_is_one_notification_and_the_defaults_apply(
    demo_database, tmp_path, monkeypatch
) -> None:
    path = configure(tmp_path, monkeypatch, '[export]\ndirectory = 42\ncsv_template = "long"\n')
    monkeypatch.chdir(tmp_path)
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        await pilot.press("j")
        await wait_for_screen(pilot, ExportPathDialog)
        suggested = Path(app.screen.query_one(Input).value)
        assert suggested.parent == tmp_path  # the default: the current folder
        await pilot.press("escape")
    assert [note for note in toasts(app) if note.startswith("Config file: ")] == [
        f'Config file: {path}: [export] directory must be text (a folder such as "~/exports"), not a '
        "number; using the default (the current folder)"
    ]
    assert app.shown.count(app.notes[0]) == 1


@run_async
async def test_an_unreadable_config_is_one_notification_naming_the_file(
    demo_database, tmp_path, monkeypatch
) -> None:
    path = configure(tmp_path, monkeypatch, "[export\n")
    path.chmod(0o666)
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.shown), "the notification")
    assert app.shown == [
        f"Config file: {path}: refused: group and others can write it (mode 0666; chmod go-w makes it "
        "yours alone); using the defaults"
    ]


def test_suggested_path_follows_the_config_file(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    name = default_json_name("a-block")
    assert suggested_path(name) == tmp_path / name
    configure(tmp_path, monkeypatch, '[export]\ndirectory = "~/muscle"\n')
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert suggested_path(name) == tmp_path / "home" / "muscle" / name
