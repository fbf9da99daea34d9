"""The command palette: each screen's own commands (the app collects them) and "Go to block…".

"Go to block…" searches every block of the database by slug and name with Textual's fuzzy
matcher. The blocks are read from the catalog in a worker thread the first time a search needs
them, so the palette never waits on the database; closing the palette cancels that query.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, runtime_checkable

from textual.app import App, SystemCommand
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.style import Style
from textual.types import IgnoreReturnCallbackType
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from muscle_tui.db.catalog import BlockSummary, ExperimentSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import ExportCancelled, MuscleTuiError
from muscle_tui.screens.block import BlockScreen
from muscle_tui.screens.blocks import BlocksScreen
from muscle_tui.text import printable

GO_TO_BLOCK = "Go to block…"
GO_TO_BLOCK_HELP = "Search every block of the database by its slug and name"
BLOCK_HELP = "Open this block (Escape then shows its experiment's blocks)"
PICKER_PLACEHOLDER = "Go to block… (type part of a block's slug or name)"
NAME_WIDTH = 48
MATCH_STYLE = Style(reverse=True)


@runtime_checkable
class OffersCommands(Protocol):
    """A screen with commands of its own for the palette while it is active."""

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The screen's commands."""
        ...


@runtime_checkable
class HasDatabase(Protocol):
    """The app, once its database is open (None before)."""

    database: MuscleDatabase | None


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class BlockChoice:
    """A block the palette can go to, with its experiment and the text the fuzzy matcher reads."""

    block: BlockSummary
    experiment: ExperimentSummary

    @property
    def candidate(self) -> str:
        """`slug · name` as shown (controls escaped, long names shortened): what a query matches."""
        name = _shorten(printable(self.block.name), NAME_WIDTH)
        slug = printable(self.block.slug)
        return f"{slug} · {name}" if name else slug

    @property
    def where(self) -> str:
        """The experiment the block belongs to, as shown after it."""
        return _shorten(printable(self.experiment.name or self.experiment.slug), NAME_WIDTH)


def load_block_choices(database: MuscleDatabase, cancel: threading.Event) -> list[BlockChoice]:
    """Every block of the database with its experiment, in catalog order (runs in a thread; setting
    `cancel` stops the queries on the server)."""
    experiments = {experiment.id: experiment for experiment in database.experiments(cancel=cancel)}
    choices = []
    for block in database.blocks(cancel=cancel):
        experiment = experiments.get(block.experiment_id)
        if experiment is not None:
            choices.append(BlockChoice(block, experiment))
    return choices


def _display(choice: BlockChoice, offsets: Iterable[int] = ()) -> Content:
    """`Go to block slug · name  (experiment)`, the matched letters highlighted; literal text."""
    candidate = Content(choice.candidate)
    for offset in offsets:
        candidate = candidate.stylize(MATCH_STYLE, offset, offset + 1)
    return Content.assemble("Go to block ", candidate, ("  in " + choice.where, "dim"))


def go_to_block(app: App[Any], database: MuscleDatabase | None, choice: BlockChoice) -> None:
    """Open the chosen block (the Block screen) over the blocks of its experiment, where the cursor
    is on that block: Escape goes back there, as if the block had been chosen from the list."""
    if database is not None:
        app.push_screen(BlocksScreen(database, choice.experiment, highlight=choice.block.slug))
        app.push_screen(BlockScreen(database, choice.block, choice.experiment))


def open_block_picker(app: App[Any]) -> None:
    """A palette of the blocks only: every block listed, the query searching their slugs and names."""
    app.push_screen(CommandPalette(providers=[BlockPicker], placeholder=PICKER_PLACEHOLDER))


class GoToBlock(Provider):
    """Blocks for the command palette: fuzzy search over every block's slug and name.

    Offered on full screens only (not over a dialog or an export in progress). The blocks are
    loaded once per palette, in a worker thread, when a search first needs them. ("Go to block…",
    which opens a palette of the blocks only, is one of the app's commands.)
    """

    _cancel: threading.Event | None = None
    _loading: Worker[list[BlockChoice]] | None = None

    @property
    def database(self) -> MuscleDatabase | None:
        """The app's database, when it is open and the palette was opened over a full screen."""
        app = self.app
        if self.screen.is_modal or not isinstance(app, HasDatabase):
            return None
        return app.database

    async def shutdown(self) -> None:
        """The palette closed: stop the blocks query if it still runs."""
        if self._cancel is not None:
            self._cancel.set()

    async def choices(self) -> list[BlockChoice]:
        """Every block (loaded in a thread on first use; [] without a database or on failure)."""
        database = self.database
        if database is None:
            return []
        if self._loading is None:
            self._cancel = threading.Event()
            self._loading = self.app.run_worker(
                partial(load_block_choices, database, self._cancel),
                thread=True,
                exit_on_error=False,
                group="go-to-block",
                description="the blocks for Go to block",
            )
        try:
            # Shielded: a search is cancelled at each key typed; the load goes on for the next one.
            return await asyncio.shield(self._loading.wait())
        except WorkerFailed as failure:
            error = failure.error
            if not isinstance(error, ExportCancelled):
                reason = str(error) if isinstance(error, MuscleTuiError) else type(error).__name__
                self.app.notify(reason, title="Cannot list the blocks", severity="error", markup=False)
            self._loading = None
            return []
        except WorkerCancelled:
            return []

    def _command(self, choice: BlockChoice) -> IgnoreReturnCallbackType:
        return partial(go_to_block, self.app, self.database, choice)

    async def search(self, query: str) -> Hits:
        """The blocks whose slug and name match `query`, with the matched letters highlighted."""
        matcher = self.matcher(query)
        for choice in await self.choices():
            score, offsets = matcher.fuzzy_search.match(matcher.query, choice.candidate)
            if score > 0:
                display = _display(choice, offsets)
                yield Hit(score, display, self._command(choice), text=choice.candidate, help=BLOCK_HELP)


class BlockPicker(GoToBlock):
    """The palette "Go to block…" opens: every block listed, the query searching them."""

    async def discover(self) -> Hits:
        """Every block, in the order of the catalog."""
        for choice in await self.choices():
            yield DiscoveryHit(
                _display(choice), self._command(choice), text=choice.candidate, help=BLOCK_HELP
            )
