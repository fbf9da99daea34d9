"""Issue 14: the help screen (F1, `?`), generated from the bindings, and the command palette's own
commands and "Go to block…" (fuzzy search over every block's slug and name).

Update the snapshots with `pytest tests/tui/test_help_palette.py --snapshot-update`, then look at them.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import threading
from pathlib import Path

from rich.console import Console
from textual.binding import Binding
from textual.command import CommandInput, CommandList, CommandPalette
from textual.fuzzy import Matcher
from textual.pilot import Pilot
from textual.widgets import Input, Static

from muscle_tui.app import MuscleApp
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.screens.block import BlockScreen
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_path import ExportPathDialog
from muscle_tui.screens.help import APP_GROUP, SCREEN_GROUP, HelpScreen, KeyHelp, screen_help
from muscle_tui.screens.palette import GO_TO_BLOCK, BlockPicker, GoToBlock, load_block_choices
from tests.support.csv_blocks import sqlite_url
from tests.support.tui import (
    RecordingApp,
    open_blocks,
    run_async,
    wait_for_palette_match,
    wait_for_rows,
    wait_for_screen,
    wait_until,
)

SIZE = (120, 36)
HELP_SIZE = (100, 30)
QUERY = "s2s"


def palette_settled(pilot: Pilot, count: int | None = None) -> bool:
    """Whether the palette has gathered its commands (`count` of them, when given) and shows them."""
    screen = pilot.app.screen
    if not isinstance(screen, CommandPalette) or not screen.has_class("-ready"):
        return False
    options = screen.query_one(CommandList).option_count
    return options > 0 and (count is None or options == count)


async def open_palette(pilot: Pilot, query: str = "") -> CommandPalette:
    """Press ctrl+p (and type `query`); the palette's input does not blink, for the snapshots."""
    await pilot.press("ctrl+p")
    await wait_for_screen(pilot, CommandPalette)
    palette = pilot.app.screen
    palette.query_one(CommandInput).cursor_blink = False
    if query:
        await pilot.press(*query)
    return palette


def matching_blocks(database: MuscleDatabase, query: str) -> list[str]:
    """The slugs of the blocks "Go to block…" offers for `query`, best first."""
    matcher = Matcher(query)
    scored = [
        (matcher.match(c.candidate), c.block.slug) for c in load_block_choices(database, threading.Event())
    ]
    return [slug for score, slug in sorted(scored, key=lambda item: -item[0]) if score > 0]


# ---------------------------------------------------------------------------------------------
# Help


def test_help_of_the_experiments_screen(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await wait_for_rows(pilot, ExperimentsScreen)
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=HELP_SIZE, run_before=run_before)


class ExperimentsWithExtras(ExperimentsScreen):
    """Experiments, and two more keys.

    Only the first paragraph is the help's summary.
    """

    BINDINGS = [
        Binding("x", "extra", "Extra thing"),
        Binding("ctrl+y,z", "hidden", "Hidden extra", show=False),
    ]

    def action_extra(self) -> None:
        """Nothing: the binding only has to appear in the help."""

    def action_hidden(self) -> None:
        """Nothing either."""


@run_async
async def test_the_help_is_generated_from_the_screens_bindings_and_docstring(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        app.push_screen(ExperimentsWithExtras(demo_database))
        await wait_for_rows(pilot, ExperimentsWithExtras)
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)
        help = app.screen.help
        assert help.summary == "Experiments, and two more keys."
        assert help.title == "Experiments with extras"
        screen_keys = help.groups[SCREEN_GROUP]
        assert KeyHelp("x", "Extra thing") in screen_keys
        assert KeyHelp("^y z", "Hidden extra") in screen_keys, "keys the footer hides are listed too"
        assert KeyHelp("r", "Reload") in screen_keys, "and those the screen inherits"
        assert KeyHelp("q ^c ^q", "Quit") in help.groups[APP_GROUP]
        assert KeyHelp("F1 ?", "Help") in help.groups[APP_GROUP]
        console = Console(width=80, file=io.StringIO(), record=True)
        for widget in app.screen.query(".help-keys").results(Static):
            console.print(widget.content)
        shown = console.export_text()
        assert "x Extra thing" in shown and "^y z Hidden extra" in shown


@run_async
async def test_f1_and_question_mark_open_the_help_and_escape_f1_question_mark_q_close_it(
    demo_database,
) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        screen = app.screen
        for opener, closer in [
            ("f1", "f1"),
            ("question_mark", "escape"),
            ("f1", "question_mark"),
            ("f1", "q"),
        ]:
            await pilot.press(opener)
            await wait_for_screen(pilot, HelpScreen, f"the help after {opener}")
            await pilot.press(closer)
            await wait_until(pilot, lambda: app.screen is screen, f"the help to close on {closer}")
        assert app.return_code is None, "q closed the help, it did not quit"
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)
        await pilot.press("ctrl+c")
        assert app.return_code == 0, "ctrl+c quits from the help too"


@run_async
async def test_f1_opens_the_help_of_a_dialog_even_in_its_text_field(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        await pilot.press("j")
        await wait_for_screen(pilot, ExportPathDialog)
        dialog = app.screen
        field = dialog.query_one(Input)
        await pilot.press("question_mark")
        assert app.screen is dialog and field.value.endswith("?"), "`?` is typed text in a field"
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)
        assert app.screen.help.title == "Export path dialog"
        assert KeyHelp("esc", "Cancel") in app.screen.help.groups[SCREEN_GROUP]
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is dialog, "the dialog again")


@run_async
async def test_the_palette_offers_help(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        await open_palette(pilot, "Help")
        await wait_for_palette_match(pilot, "Help")
        await pilot.press("enter")
        await wait_for_screen(pilot, HelpScreen)
        assert app.screen.help.title == "Blocks"


# ---------------------------------------------------------------------------------------------
# The palette


def test_palette_on_the_blocks_screen(snap_compare, demo_database) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_blocks(pilot)
        await open_palette(pilot)
        await wait_until(pilot, lambda: palette_settled(pilot), "the palette's commands")

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=SIZE, run_before=run_before)


def test_go_to_block_matches_a_typed_query(snap_compare, demo_database) -> None:
    expected = matching_blocks(demo_database, QUERY)
    assert expected[:2] == ["s2s-intake", "speech2song-nl-zh"], "the query matches slugs fuzzily"

    async def run_before(pilot: Pilot) -> None:
        await open_blocks(pilot)
        await open_palette(pilot, QUERY)
        await wait_for_palette_match(pilot, expected[0])
        await wait_until(pilot, lambda: palette_settled(pilot, len(expected)), "every matching block")

    assert snap_compare(MuscleApp(database=demo_database), terminal_size=SIZE, run_before=run_before)


@run_async
async def test_choosing_a_block_opens_its_experiment_with_the_block_highlighted(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        assert matching_blocks(demo_database, "nlzh")[0] == "speech2song-nl-zh"
        await open_palette(pilot, "nlzh")
        await wait_for_palette_match(pilot, "speech2song-nl-zh")
        await pilot.press("enter")
        await wait_for_screen(pilot, BlockScreen)
        assert app.screen.block.slug == "speech2song-nl-zh"
        await pilot.press("escape")
        await wait_for_rows(pilot, BlocksScreen)
        screen = app.screen
        assert screen.experiment.slug == "speech-to-song-2024"
        assert screen_help(screen).title == "Blocks", "presented as the Blocks screen it is"
        await wait_until(
            pilot,
            lambda: screen.selected_block is not None and screen.selected_block.slug == "speech2song-nl-zh",
            "the chosen block under the cursor",
        )
        await pilot.press("escape")
        await wait_for_screen(pilot, ExperimentsScreen)


@run_async
async def test_go_to_block_lists_every_block_and_searches_them(demo_database) -> None:
    every = [choice.block.slug for choice in load_block_choices(demo_database, threading.Event())]
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        await open_palette(pilot, "go to block")
        await wait_for_palette_match(pilot, GO_TO_BLOCK)
        await pilot.press("enter")
        await wait_until(pilot, lambda: palette_settled(pilot, len(every)), "every block in the picker")
        picker = app.screen.query_one(CommandList)
        listed = [str(picker.get_option_at_index(i).prompt) for i in range(picker.option_count)]
        assert all(any(slug in line for line in listed) for slug in every)
        await pilot.press(*"hooked")
        await wait_for_palette_match(pilot, "hooked-eurovision")
        await pilot.press("enter")
        await wait_for_screen(pilot, BlockScreen)
        assert app.screen.block.slug == "hooked-eurovision"


@run_async
async def test_the_experiments_screen_offers_its_commands(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_rows(pilot, ExperimentsScreen)
        await pilot.press("down")
        await open_palette(pilot, "Open experiment")
        await wait_for_palette_match(pilot, "Open experiment")
        await pilot.press("enter")
        await wait_for_rows(pilot, BlocksScreen)
        assert app.screen.experiment.slug == "speech-to-song-2024"
        await pilot.press("escape")
        await wait_for_screen(pilot, ExperimentsScreen)
        await open_palette(pilot, "Reload experiments")
        await wait_for_palette_match(pilot, "Reload experiments")
        await pilot.press("enter")
        await wait_for_rows(pilot, ExperimentsScreen)


@run_async
async def test_go_to_block_is_offered_over_full_screens_only(demo_database) -> None:
    app = MuscleApp(database=demo_database)
    async with app.run_test(size=SIZE) as pilot:
        await open_blocks(pilot)
        over_blocks = GoToBlock(app.screen)
        assert [hit.text async for hit in over_blocks.search("hooked")] == [
            "hooked-eurovision · Hooked on Eurovision ♪"
        ]
        assert GO_TO_BLOCK in {command.title for command in app.get_system_commands(app.screen)}
        await pilot.press("j")
        await wait_for_screen(pilot, ExportPathDialog)
        assert [hit async for hit in GoToBlock(app.screen).search("hooked")] == []
        assert [hit async for hit in BlockPicker(app.screen).discover()] == []
        assert GO_TO_BLOCK not in {command.title for command in app.get_system_commands(app.screen)}


HOSTILE = "[b]bold[/b] [@click=app.quit]x[/] \x1b[2J"


@run_async
async def test_block_names_are_shown_literally_in_the_palette(demo_path, tmp_path) -> None:
    path = shutil.copyfile(demo_path, tmp_path / "hostile.sqlite3")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE experiment_block SET name = ? WHERE slug = 'hooked-eurovision'", (HOSTILE,))
    conn.close()
    database = MuscleDatabase.open(sqlite_url(Path(path)), "hostile")
    app = RecordingApp(database=database)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_rows(pilot, ExperimentsScreen)
            await open_palette(pilot, "hooked")
            await wait_for_palette_match(pilot, "hooked-eurovision")
            prompt = app.screen.query_one(CommandList).get_option_at_index(0).prompt
            shown = str(getattr(prompt, "plain", prompt))
            assert "[b]bold[/b] [@click=app.quit]x[/] \\x1b[2J" in shown
            assert "\x1b" not in shown
    finally:
        database.close()
