"""The Textual application: opens the database in a worker and wires the screens together."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from muscle_tui.config import DatabaseTarget
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import MuscleTuiError
from muscle_tui.messages import DatabaseFailed, DatabaseOpened
from muscle_tui.screens.connecting import ConnectingScreen
from muscle_tui.screens.error import ErrorScreen
from muscle_tui.screens.experiments import ExperimentsScreen
from muscle_tui.screens.export_history import ExportHistoryScreen
from muscle_tui.screens.export_progress import running_exports
from muscle_tui.screens.help import HelpScreen
from muscle_tui.screens.palette import (
    GO_TO_BLOCK,
    GO_TO_BLOCK_HELP,
    GoToBlock,
    OffersCommands,
    open_block_picker,
)
from muscle_tui.screens.quit_prompt import QuitPrompt
from muscle_tui.text import escape_controls
from muscle_tui.user_config import current_user_config

DEMO_LABEL = "demo"


def header_label(label: str, is_demo: bool) -> str:
    """The database as the header shows it; the demo is marked as such."""
    if is_demo or label == DEMO_LABEL:
        return "demo database (built-in sample data)"
    return escape_controls(label)


class MuscleApp(App[None]):
    """muscle-tui's terminal UI.

    Give it a `target` to open (in a worker), an already opened `database`, or the one-line
    `error` that kept the database from being resolved (the app then shows only that).
    """

    TITLE = "muscle-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, system=True),
        # F1 works everywhere, dialogs and text fields included; `?` where it is not typed text.
        Binding("f1", "help", "Help", priority=True),
        Binding("question_mark", "help", "Help", show=False),
        Binding("e", "export_history", "Export history", show=False),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True),
    ]
    COMMANDS = App.COMMANDS | {GoToBlock}

    def __init__(
        self,
        target: DatabaseTarget | None = None,
        database: MuscleDatabase | None = None,
        error: str | None = None,
    ) -> None:
        super().__init__()
        if target is None and database is None and error is None:
            raise ValueError("MuscleApp needs a target, a database or an error")
        self.target = target
        self.database = database
        self.error = error
        self._owns_database = database is None
        if database is not None:
            self.sub_title = header_label(database.label, False)
        elif target is not None:
            self.sub_title = header_label(target.label, target.is_demo)
        else:
            self.sub_title = "no database"

    def get_default_screen(self) -> Screen:
        """The bottom screen says which database is opening; the others are pushed over it."""
        return ConnectingScreen(self.sub_title)

    def on_mount(self) -> None:
        for warning in current_user_config(reload=True).warnings:
            self.notify(warning, title="Config file", severity="warning", timeout=15, markup=False)
        if self.error is not None:
            self.push_screen(ErrorScreen(self.error))
        elif self.database is not None:
            self.push_screen(ExperimentsScreen(self.database))
        else:
            self._open_database()

    def on_unmount(self) -> None:
        # The screens have cancelled their own work; a statement still waiting on the server (say
        # for a lock) must not keep a worker thread, and so the process, alive.
        self.cancel_exports()
        self.interrupt_queries()
        if self._owns_database and self.database is not None:
            self.database.close()

    async def action_quit(self) -> None:
        """Quit. While an export runs, ask first (QuitPrompt); asked again while the question is
        open (a second ctrl+c, say), quit at once. A running export is cancelled (and removes its
        temporary output) before the app exits."""
        if running_exports(self).running() and not isinstance(self.screen, QuitPrompt):
            self.push_screen(QuitPrompt(), self._quit_answered)
            return
        self.quit_now()

    def _quit_answered(self, quit: bool | None) -> None:
        if quit:
            self.quit_now()

    def quit_now(self) -> None:
        """Cancel every running export and exit, without asking."""
        self.cancel_exports()
        self.exit()

    def action_help(self) -> None:
        """Show what the current screen shows and its keys (HelpScreen); on the help, close it."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen.for_screen(self.screen))

    def action_export_history(self) -> None:
        """List this run's exports (ExportHistoryScreen); on that list, close it."""
        if isinstance(self.screen, ExportHistoryScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(ExportHistoryScreen.of_app(self))

    def get_key_display(self, binding: Binding) -> str:
        """Keys as the footer and the help show them; function keys upper case (`F1`)."""
        display = super().get_key_display(binding)
        return display.upper() if re.fullmatch(r"f\d{1,2}", display) else display

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification, with control and bidirectional characters shown escaped."""
        super().notify(
            escape_controls(message),
            title=escape_controls(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def _fatal_error(self) -> None:
        """Textual's report of an unexpected exception, without the local variables its traceback
        shows by default: a local may hold a password."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _open_database(self) -> None:
        assert self.target is not None
        try:
            database = MuscleDatabase.open(self.target.url, self.target.label)
        except MuscleTuiError as exc:
            self.post_message(DatabaseFailed(str(exc)))
        except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
            self.post_message(DatabaseFailed(f"cannot open the database ({type(exc).__name__})"))
        else:
            self.post_message(DatabaseOpened(database))

    @on(DatabaseOpened)
    def _database_opened(self, message: DatabaseOpened) -> None:
        self.database = message.database
        self.push_screen(ExperimentsScreen(message.database))

    @on(DatabaseFailed)
    def _database_failed(self, message: DatabaseFailed) -> None:
        self.error = message.text
        self.push_screen(ErrorScreen(message.text))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, Help, and the commands of the screen the palette was opened over."""
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Help", "What this screen shows and every key it answers to (F1)", self.action_help
        )
        yield SystemCommand(
            "Export history", "This run's exports: paths, sizes, counts and times", self.action_export_history
        )
        if self.database is not None and not screen.is_modal:
            yield SystemCommand(GO_TO_BLOCK, GO_TO_BLOCK_HELP, partial(open_block_picker, self))
        if isinstance(screen, OffersCommands):
            yield from screen.palette_commands()

    def cancel_exports(self) -> None:
        """Ask every running export to stop; each removes its temporary output as it stops."""
        running_exports(self).cancel_all()

    def interrupt_queries(self) -> None:
        """Cancel every statement running on the database, on the server (callable from any thread,
        a signal handler included): nothing is left waiting, say for a lock, once the app is gone."""
        if self.database is not None:
            self.database.interrupt()

    def wait_for_exports(self, timeout: float) -> bool:
        """Wait until every running export has stopped and cleaned up (callable from any thread,
        a signal handler included); False when `timeout` seconds pass first."""
        return running_exports(self).wait(timeout)
