"""Issue 14 item 8: `j` on the Experiments screen exports every block of the highlighted experiment
as a JSON bundle into one folder, under one progress screen, as `export json --experiment` does.

Update the snapshots with `pytest tests/tui/test_experiment_export.py --snapshot-update`, then look.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Static

from muscle_tui.app import MuscleApp
from muscle_tui.db.catalog import ExperimentSummary
from muscle_tui.errors import OutputError
from muscle_tui.export.experiment import plan_experiment_export
from muscle_tui.export.json import count_json_objects, default_json_name, write_json_bundle
from muscle_tui.export.progress import ExportProgress, ExportResult
from muscle_tui.screens import experiment_export as flow_module
from muscle_tui.screens.experiment_export import (
    ConfirmReplaceFilesDialog,
    ExperimentExportDialog,
    export_experiment_json,
    suggested_folder,
)
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_history import LastExport, export_history
from muscle_tui.screens.export_progress import ExportProgressScreen
from tests.support.tui import (
    WAIT_SECONDS,
    RecordingApp,
    bundle_members,
    run_async,
    toasts,
    wait_for_palette_match,
    wait_for_progress,
    wait_for_rows,
    wait_for_screen,
    wait_until,
)

SIZE = (120, 36)
EXPERIMENT = "speech-to-song-2024"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NAME = re.compile(r"(?P<slug>.+)-(?P<stamp>\d{8}T\d{6}Z)\.zip")
PROGRESS = ExportProgress("results.json", 1_200, 3_400, 2.0)


@pytest.fixture
def experiment(demo_database) -> ExperimentSummary:
    return next(e for e in demo_database.experiments() if e.slug == EXPERIMENT)


@pytest.fixture
def slugs(demo_database, experiment) -> list[str]:
    return [block.slug for block in demo_database.blocks(experiment.id)]


def last_export(screen) -> str:
    line = screen.query_one(LastExport)
    return str(line.render()) if line.display else ""


async def open_dialog(pilot: Pilot, folder: Path | str) -> ExperimentsScreen:
    """On the Experiments screen, highlight EXPERIMENT, press `j` and type `folder`."""
    await wait_for_rows(pilot, ExperimentsScreen)
    screen = pilot.app.screen
    while screen.selected_experiment.slug != EXPERIMENT:
        await pilot.press("down")
    await pilot.press("j")
    await wait_for_screen(pilot, ExperimentExportDialog)
    path = pilot.app.screen.query_one("#output-path", Input)
    path.cursor_blink = False
    path.value = str(folder)
    return screen


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if not NAME.fullmatch(p.name)]


# ---------------------------------------------------------------------------------------------
# The plan the CLI and the UI share


def test_the_plan_names_every_block_with_one_time_and_creates_the_folder(tmp_path) -> None:
    plan = plan_experiment_export(["a", "b"], tmp_path / "new", default_json_name, now=NOW)
    assert plan.created and plan.directory == tmp_path / "new" and plan.directory.is_dir()
    assert [t.path.name for t in plan.targets] == ["a-20260501T120000Z.zip", "b-20260501T120000Z.zip"]
    assert plan.existing() == []
    plan.targets[1].path.write_bytes(b"there")
    assert plan.existing() == [plan.targets[1].path]
    plan.remove_if_unused()
    assert plan.directory.is_dir(), "a folder with something in it stays"

    again = plan_experiment_export(["a"], tmp_path / "new", default_json_name, now=NOW)
    assert not again.created
    empty = plan_experiment_export(["a"], tmp_path / "empty", default_json_name, now=NOW)
    empty.remove_if_unused()
    assert not empty.directory.exists()


# ---------------------------------------------------------------------------------------------
# The flow


@run_async
async def test_j_writes_a_bundle_per_block_into_the_folder(
    demo_database, experiment, slugs, tmp_path
) -> None:
    folder = tmp_path / "out"
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, folder)
        dialog_default = app.screen.default
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen and last_export(screen) != "", "the export")
        assert last_export(screen).startswith(f"Last export: 2 bundles in {folder} (")
        assert any(note.startswith(f"Experiment exported: 2 bundles in {folder} (") for note in toasts(app))
        records = export_history(app).newest_first()[::-1]

    assert Path(dialog_default).parent == Path.cwd()
    assert dialog_default.endswith("/") and re.fullmatch(
        rf"{EXPERIMENT}-\d{{8}}T\d{{6}}Z", Path(dialog_default).name
    )
    written = sorted(folder.iterdir())
    matches = [NAME.fullmatch(p.name) for p in written]
    assert sorted(m["slug"] for m in matches) == sorted(slugs)
    assert len({m["stamp"] for m in matches}) == 1, "one time for the whole run"
    assert [(r.block, r.status, r.format, r.path) for r in records] == [
        (slug, "written", "JSON bundle", str(folder / f"{slug}-{matches[0]['stamp']}.zip")) for slug in slugs
    ]
    for record in records:
        assert record.count == count_json_objects(demo_database, record.block)
        assert record.bytes == Path(record.path).stat().st_size
    reference = write_json_bundle(demo_database, slugs[-1], tmp_path / "headless.zip")
    assert bundle_members(Path(records[-1].path)) == bundle_members(Path(reference.path))


@run_async
async def test_escape_stops_every_block_and_removes_only_the_current_one(
    demo_database, experiment, slugs, tmp_path, monkeypatch
) -> None:
    folder = tmp_path / "stopped"
    holding = threading.Event()

    def second_block_waits_for_cancel(db, slug, path, *, progress=None, cancel=None, **options):
        def hold(report: ExportProgress) -> None:
            progress(report)
            if slug == slugs[1] and not holding.is_set():
                holding.set()
                cancel.wait(WAIT_SECONDS)

        return write_json_bundle(db, slug, path, progress=hold, cancel=cancel, **options)

    monkeypatch.setattr(flow_module, "write_json_bundle", second_block_waits_for_cancel)
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, f"{folder}/")
        await pilot.press("enter")
        await wait_for_screen(pilot, ExportProgressScreen)
        progress = app.screen
        await wait_until(pilot, holding.is_set, "the second block to start")
        await wait_until(
            pilot,
            lambda: (
                progress.shown is not None and progress.shown.stage.startswith(f"block 2 of 2 ({slugs[1]})")
            ),
            "block 2 of 2 on the progress screen",
        )
        assert "the blocks already written stay" in str(progress.query_one(".dialog-hint", Static).render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen and last_export(screen) != "", "the stop")
        assert progress.cancel.is_set()
        assert last_export(screen).startswith(
            f"Last export: cancelled at block 2 of 2 ({slugs[1]}): it left nothing behind; "
            f"the 1 bundle written before it stays in {folder}"
        )
        assert any(note.startswith("Export cancelled: cancelled at block 2 of 2") for note in toasts(app))
        first, second = export_history(app).newest_first()[::-1]

    [kept] = folder.iterdir()
    assert NAME.fullmatch(kept.name)["slug"] == slugs[0]
    assert (first.block, first.status, first.path) == (slugs[0], "written", str(kept))
    assert (second.block, second.status, second.bytes) == (slugs[1], "cancelled", None)
    assert not Path(second.path).exists()
    assert leftovers(folder) == []
    assert first.count == count_json_objects(demo_database, slugs[0])


@run_async
async def test_a_failed_block_stops_the_run_and_says_what_stays(
    demo_database, experiment, slugs, tmp_path, monkeypatch
) -> None:
    folder = tmp_path / "failing"

    def second_block_fails(db, slug, path, **options):
        if slug == slugs[1]:
            raise OutputError(f"disk full while writing {path}; nothing was written")
        return write_json_bundle(db, slug, path, **options)

    monkeypatch.setattr(flow_module, "write_json_bundle", second_block_fails)
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, folder)
        await pilot.press("enter")
        await wait_until(pilot, lambda: last_export(screen) != "", "the failure")
        dialog = app.screen
        assert isinstance(dialog, ExperimentExportDialog), "the dialog stays open to try again"
        shown = str(dialog.query_one("#path-error", Static).render())
        assert shown.startswith(f"block 2 of 2 ({slugs[1]}): disk full while writing")
        assert shown.endswith(f"; the 1 bundle written before it stays in {folder}")
        assert any(note.startswith(f"Export failed: block 2 of 2 ({slugs[1]})") for note in toasts(app))
        first, second = export_history(app).newest_first()[::-1]
    assert (first.status, second.status) == ("written", "failed")
    assert second.error.startswith("disk full while writing")
    assert [p.name for p in folder.iterdir()] == [Path(first.path).name]


@run_async
async def test_existing_targets_are_replaced_only_when_confirmed_once(
    demo_database, experiment, slugs, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(flow_module, "utc_now", lambda: NOW)
    folder = tmp_path / "again"
    folder.mkdir()
    targets = [folder / default_json_name(slug, NOW) for slug in slugs]
    for target in targets:
        target.write_bytes(b"keep me")
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, folder)
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmReplaceFilesDialog)
        assert app.screen.paths == targets
        await pilot.press("n")
        await wait_for_screen(pilot, ExperimentExportDialog, "the folder dialog again")
        assert [t.read_bytes() for t in targets] == [b"keep me"] * len(targets)
        assert len(export_history(app)) == 0

        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmReplaceFilesDialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: app.screen is screen and last_export(screen) != "", "the export")
    for target in targets:
        assert "sessions.json" in bundle_members(target)
    assert sorted(p.name for p in folder.iterdir()) == sorted(t.name for t in targets)


@run_async
async def test_a_folder_that_is_a_file_is_one_line_in_the_dialog(demo_database, experiment, tmp_path) -> None:
    occupied = tmp_path / "occupied"
    occupied.write_bytes(b"a file")
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, occupied)
        await pilot.press("enter")
        dialog = app.screen
        error = dialog.query_one("#path-error", Static)
        await wait_until(pilot, lambda: error.display, "the error")
        assert "is not a directory" in str(error.render())
        dialog.query_one("#output-path", Input).value = "  "
        await pilot.press("enter")
        await wait_until(pilot, lambda: str(error.render()) == "Type a folder name.", "the empty folder")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "the experiments")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied"]
    assert len(export_history(app)) == 0


@run_async
async def test_the_palette_offers_it_and_nothing_to_export_is_a_warning(demo_database, experiment) -> None:
    app = RecordingApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        screen = app.screen
        await pilot.press("ctrl+p")
        await pilot.press(*"Export experiment as JSON")
        await wait_for_palette_match(pilot, "Export experiment as JSON")
        await pilot.press("enter")
        await wait_for_screen(pilot, ExperimentExportDialog)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "the experiments")

        empty = ExperimentSummary(99, "empty-one", "Empty", True, 0, 0, 0)
        export_experiment_json(app, demo_database, empty)
        export_experiment_json(app, demo_database, None)
        await pilot.pause()
        assert app.screen is screen
        assert any("experiment empty-one has no blocks" in note for note in toasts(app))
        assert any("No experiment selected." in note for note in toasts(app))


def test_the_folder_offered_is_the_experiment_and_the_time(experiment) -> None:
    assert suggested_folder(experiment, NOW) == f"{Path.cwd() / EXPERIMENT}-20260501T120000Z/"
    orphans = ExperimentSummary(None, "(no experiment)", "(no experiment)", False, 2, 0, 0)
    assert suggested_folder(orphans, NOW).endswith("/no-experiment-20260501T120000Z/")


def test_the_folder_offered_is_in_the_configured_export_directory(experiment, tmp_path, monkeypatch) -> None:
    config = tmp_path / "configured.toml"
    config.write_text(f'[export]\ndirectory = "{tmp_path / "exports"}"\n', encoding="utf-8")
    config.chmod(0o600)
    monkeypatch.setenv("MUSCLE_TUI_CONFIG", str(config))
    assert suggested_folder(experiment, NOW) == f"{tmp_path / 'exports' / EXPERIMENT}-20260501T120000Z/"


# ---------------------------------------------------------------------------------------------
# Snapshots: the dialog and the progress of block 2 of 2, over an empty screen, in a known folder.


class DialogHost(App[None]):
    """Only the experiment export dialog, with a fixed folder."""

    CSS_PATH = MuscleApp.CSS_PATH

    def __init__(self, database, experiment: ExperimentSummary, folder: str) -> None:
        super().__init__()
        self.database = database
        self.experiment = experiment
        self.folder = folder

    def on_mount(self) -> None:
        self.push_screen(ExperimentExportDialog(self.database, self.experiment, folder=self.folder))


async def dialog_shown(pilot: Pilot) -> None:
    await wait_for_screen(pilot, ExperimentExportDialog)
    pilot.app.screen.query_one("#output-path", Input).cursor_blink = False


def test_experiment_export_dialog(snap_compare, demo_database, experiment) -> None:
    app = DialogHost(
        demo_database, experiment, "/home/researcher/exports/speech-to-song-2024-20260501T120000Z/"
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=dialog_shown)


def test_experiment_export_progress(
    snap_compare, demo_database, experiment, slugs, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)

    def first_done_second_waits(db, slug, path, *, progress=None, cancel=None, **options):
        if slug == slugs[0]:
            return ExportResult(str(path), 1_000, 10, 0.1)
        progress(PROGRESS)
        cancel.wait(WAIT_SECONDS)
        raise flow_module.MuscleTuiError("stopped")

    monkeypatch.setattr(flow_module, "write_json_bundle", first_done_second_waits)
    expected = ExportProgress(f"block 2 of 2 ({slugs[1]}): results.json", 1_200, 3_400, 2.0)

    async def run_before(pilot: Pilot) -> None:
        await dialog_shown(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, ExportProgressScreen)
        await wait_for_progress(pilot, expected)

    assert snap_compare(
        DialogHost(demo_database, experiment, "exports/"), terminal_size=SIZE, run_before=run_before
    )
