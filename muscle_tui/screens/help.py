"""F1 (or `?`): what the current screen shows and every key it answers to, built from its bindings.

Nothing here is written by hand per screen: the summary is the first paragraph of the screen's class
docstring and the keys are the screen's active bindings (the focused widget's, the screen's and the
app's), so the help cannot go stale when a binding is added or changed.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from muscle_tui.text import printable

SCREEN_GROUP = "This screen"
APP_GROUP = "Everywhere"
ACRONYMS = {"Csv": "CSV", "Json": "JSON", "Db": "DB"}
COPY_SELECTION = "screen.copy_text"
COLUMNS = 2


@dataclass(frozen=True)
class KeyHelp:
    """One action and the keys that run it, as the footer shows keys (`q ^c`, `F1 ?`)."""

    keys: str
    description: str
    enabled: bool = True


@dataclass(frozen=True)
class ScreenHelp:
    """The help of one screen: its name, what it shows, and its keys by group (in group order)."""

    title: str
    summary: str
    groups: dict[str, list[KeyHelp]]


def documented_class(screen: Screen[Any]) -> type:
    """The screen's class, or the nearest base class with a docstring: a subclass without one of
    its own (a variant for one route to the screen) is presented as the screen it varies."""
    return next((cls for cls in type(screen).__mro__ if cls.__dict__.get("__doc__")), type(screen))


def screen_title(screen: Screen[Any]) -> str:
    """`ExportCsvScreen` → `Export CSV`: the screen's class name in words."""
    name = documented_class(screen).__name__
    name = name.removesuffix("Screen") or name
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name)
    shown = [ACRONYMS.get(word, word if index == 0 else word.lower()) for index, word in enumerate(words)]
    return " ".join(shown) or name


def screen_summary(screen: Screen[Any]) -> str:
    """The first paragraph of the screen's class docstring, on one line (code quotes dropped)."""
    doc = inspect.getdoc(documented_class(screen)) or ""
    first = doc.strip().split("\n\n", 1)[0]
    return " ".join(first.replace("`", "").split())


def _active(screen: Screen[Any]) -> list[ActiveBinding]:
    """The screen's active bindings. Textual's "copy the mouse selection" gives way to what the key
    does without a selection: the app's binding for it (ctrl+c quits), unless a dialog is open."""
    app = screen.app
    active = []
    for key, item in screen.active_bindings.items():
        if item.binding.action == COPY_SELECTION:
            # The app's own bindings for the key (Textual keeps them in `_bindings`); a dialog hides them.
            shadowed = [] if screen.is_modal else app._bindings.key_to_bindings.get(key, [])
            if not shadowed:
                continue
            item = ActiveBinding(app, shadowed[0], True)
        active.append(item)
    return active


def collect_keys(screen: Screen[Any]) -> dict[str, list[KeyHelp]]:
    """The screen's active bindings that have a description, grouped (this screen, everywhere);
    the footer's bindings first, the keys of one action shown together."""
    app = screen.app
    found: dict[str, dict[tuple[str, str], tuple[list[str], bool]]] = {SCREEN_GROUP: {}, APP_GROUP: {}}
    active = _active(screen)
    active.sort(key=lambda item: (not item.binding.show, item.node is not screen))
    for item in active:
        binding = item.binding
        if not binding.description:
            continue
        actions = found[APP_GROUP if item.node is app else SCREEN_GROUP]
        keys, _ = actions.setdefault((binding.action, binding.description), ([], item.enabled))
        display = app.get_key_display(binding)
        if display not in keys:
            keys.append(display)
    return {
        group: [
            KeyHelp(" ".join(keys), description, enabled)
            for (_, description), (keys, enabled) in actions.items()
        ]
        for group, actions in found.items()
        if actions
    }


def screen_help(screen: Screen[Any]) -> ScreenHelp:
    """What the help screen shows for `screen`, as it is now (its focused widget's keys included)."""
    return ScreenHelp(screen_title(screen), screen_summary(screen), collect_keys(screen))


def _keys_table(keys: list[KeyHelp], width: int) -> Table:
    """The keys two to a row (key right-aligned, then what it does), in reading order."""
    table = Table.grid(padding=(0, 1), expand=True)
    for _ in range(COLUMNS):
        table.add_column(justify="right", no_wrap=True, min_width=width)
        table.add_column(ratio=1)
    cells: list[Text] = []
    for key in keys:
        style = "bold" if key.enabled else "dim"
        cells += [Text(printable(key.keys), style=style), Text(printable(key.description), style=style)]
    row = 2 * COLUMNS
    cells += [Text("")] * (-len(cells) % row)
    for start in range(0, len(cells), row):
        table.add_row(*cells[start : start + row])
    return table


class HelpScreen(ModalScreen[None]):
    """What a screen shows and every key it answers to; Escape, F1, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen #help {
        width: 80;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 2;
    }
    HelpScreen #help-body {
        height: auto;
    }
    HelpScreen .help-group {
        margin-top: 1;
        text-style: bold;
        color: $text-primary;
    }
    """

    BINDINGS = [
        Binding("escape,f1,question_mark,q", "close", "Close help"),
        # A modal screen hides the app's bindings: ctrl+c still quits (asking first during an export).
        Binding("ctrl+c", "app.quit", "Quit", show=False),
    ]

    def __init__(self, help: ScreenHelp) -> None:
        super().__init__()
        self.help = help

    @classmethod
    def for_screen(cls, screen: Screen[Any]) -> HelpScreen:
        """The help of `screen` as it is now."""
        return cls(screen_help(screen))

    def compose(self) -> ComposeResult:
        width = max((len(key.keys) for keys in self.help.groups.values() for key in keys), default=1)
        with VerticalScroll(id="help") as body:
            body.border_title = f"Help: {printable(self.help.title)}"
            body.border_subtitle = "Escape, F1, ? or q closes the help"
            yield Static(Text(self.help.summary or "No description."), id="help-summary")
            for group, keys in self.help.groups.items():
                yield Label(group, classes="help-group")
                yield Static(_keys_table(keys, width), classes="help-keys")

    def action_close(self) -> None:
        """Close the help and return to the screen it describes."""
        self.dismiss(None)
