"""The Session screen: a session's fields, its json_data tree, its trial results with the highlighted
result's json_data, its participant's profile answers; values literal; a missing session in one line."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from muscle_tui.app import MuscleApp
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.session import SessionScreen
from muscle_tui.widgets.json_tree import STYLES, JsonTree
from tests.support.block_data import (
    MARKUP_JSON_TEXT,
    MARKUP_URL,
)
from tests.support.block_ui import wait_for_session
from tests.support.tui import RecordingApp, run_async, wait_for_rows, wait_until

# The PostgreSQL database these tests browse (fixtures browse_url, browse_database).
pytest_plugins = ["tests.support.block_db"]

SIZE = (120, 36)


def plain(table: DataTable, row: int) -> list[str]:
    return [str(getattr(cell, "plain", cell)) for cell in table.get_row_at(row)]


def labels(tree: JsonTree) -> list[str]:
    return [child.label.plain for child in tree.root.children]


async def open_session(pilot, database, session_id: int) -> SessionScreen:
    await wait_for_rows(pilot, ExperimentsScreen)
    pilot.app.push_screen(SessionScreen(database, session_id))
    return await wait_for_session(pilot)


@run_async
async def test_fields_results_and_profile(browse_database) -> None:
    app = MuscleApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_session(pilot, browse_database, 8)
        assert str(screen.query_one("#session-heading", Static).render()) == "Session 8 of block thousand"
        assert str(screen.query_one("#session-fields", Static).render()) == (
            "participant 8 (P0008) · started 2025-01-01 08:00:00 · finished 2025-01-01 08:01:08\n"
            "duration 1:08 · final score 6 · 3 results"
        )
        results = screen.query_one("#results", DataTable)
        assert results.row_count == 3 and app.focused is results
        assert plain(results, 0) == [
            "1",
            "same_different",
            "",
            "",
            "SAME",
            "DIFFERENT",
            "0",
            "2.5",
            "2025-01-01 08:00:05",
        ]
        assert plain(results, 1)[5:8] == ["SAME", "1", "3.5"]

        tree = screen.query_one("#result-json", JsonTree)
        assert tree.root.label.plain.startswith("json_data of result 81 (#1): {…} 3 keys")
        assert sorted(labels(tree)) == ["config: {…} 1 key", "decision_time: 2.5", 'value: "SAME"']
        config = next(child for child in tree.root.children if child.label.plain.startswith("config"))
        assert config.is_expanded and [c.label.plain for c in config.children] == ["listen_first: true"]

        await pilot.press("down")
        await wait_until(
            pilot, lambda: "result 82 (#2)" in tree.root.label.plain, "the second result's json_data"
        )
        assert "decision_time: 3.5" in labels(tree)

        session_tree = screen.query_one("#session-json", JsonTree)
        assert labels(session_tree) == ["plan: […] 3 items"]
        assert [c.label.plain for c in session_tree.root.children[0].children] == [
            "[0]: 1",
            "[1]: 2",
            "[2]: 3",
        ]

        profile = screen.query_one("#profile", DataTable)
        assert [plain(profile, row) for row in range(profile.row_count)] == [
            ["dgf_generation", "gen_z", ""],
            ["msi_01_music_activities", "5", "5"],
        ]

        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentsScreen), "the screen below")


@run_async
async def test_markup_and_controls_are_shown_literally(browse_database) -> None:
    app = RecordingApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_session(pilot, browse_database, 7)
        fields = str(screen.query_one("#session-fields", Static).render())
        assert fields.startswith(f"participant 7 ({MARKUP_URL}) · ")
        note = next(
            child
            for child in screen.query_one("#session-json", JsonTree).root.children
            if child.data == MARKUP_JSON_TEXT
        )
        assert note.label.plain == 'note: "[red]not red[/red]\\u001b[2J"'
        assert "\x1b" not in note.label.plain
        assert not app.notes


@run_async
async def test_unfinished_session_without_results(browse_database) -> None:
    app = MuscleApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_session(pilot, browse_database, 10)
        fields = str(screen.query_one("#session-fields", Static).render())
        assert "· unfinished\n" in fields and "duration" not in fields
        assert fields.endswith("final score 20 · 0 results")
        assert str(screen.query_one("#results-title", Static).render()) == "No trial results."
        assert not screen.query_one("#result-json", JsonTree).display
        assert str(screen.query_one("#profile-title", Static).render()) == "No profile answers."


@run_async
async def test_a_missing_session_is_one_line(browse_database) -> None:
    app = RecordingApp(database=browse_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        screen = SessionScreen(browse_database, 999_999)
        app.push_screen(screen)

        def failed() -> bool:
            fields = screen.query("#session-fields")
            return bool(fields) and str(fields.first(Static).render()) != "Loading…"

        await wait_until(pilot, failed, "the failure")
        assert str(screen.query_one("#session-fields", Static).render()) == (
            "no session with id 999999 in this database"
        )
        assert app.notes == ["Cannot show the session: no session with id 999999 in this database"]


class TreeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield JsonTree("value", id="tree")


@run_async
async def test_json_tree_styles_values_and_fills_nodes_when_opened() -> None:
    app = TreeApp()
    value = {"deep": {"deeper": {"deepest": [1, 2.5, None, True, "[b]x[/b]\n"]}}, "n": 3}
    async with app.run_test() as pilot:
        tree = app.query_one(JsonTree)
        tree.show_json("data", value)
        deep = tree.root.children[0]
        deeper = deep.children[0]
        assert deep.is_expanded and not deeper.is_expanded and not deeper.children

        deeper.expand()
        await wait_until(pilot, lambda: bool(deeper.children), "the node's children")
        deepest = deeper.children[0]
        deepest.expand()
        await wait_until(pilot, lambda: len(deepest.children) == 5, "the list's items")
        items = [child.label for child in deepest.children]
        assert [item.plain for item in items] == [
            "[0]: 1",
            "[1]: 2.5",
            "[2]: null",
            "[3]: true",
            '[4]: "[b]x[/b]\\n"',
        ]
        styles = [str(item.spans[-1].style) if item.spans else "" for item in items]
        assert styles == [
            STYLES["number"],
            STYLES["number"],
            STYLES["literal"],
            STYLES["literal"],
            STYLES["string"],
        ]
        key = tree.root.children[1].label
        assert isinstance(key, Text) and key.spans[0].style == "bold" and key.plain == "n: 3"
