"""The CSV form's template row: a selector of the built-in and user templates that applies at once.

Choosing a template posts `Chosen`; the form applies it. The last entry, *custom*, is what the
selector shows while the form differs from the template last applied (`show_custom`); choosing it
changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, Select

from muscle_tui.db.filters import SessionFilter
from muscle_tui.errors import MuscleTuiError
from muscle_tui.export.csv import (
    BUILTIN_ORDER,
    DEFAULT_TEMPLATE,
    CsvSelection,
    CsvTemplate,
    load_templates,
    save_template,
    user_templates_dir,
)
from muscle_tui.screens.confirm_replace import ConfirmReplaceDialog
from muscle_tui.screens.formatting import printable
from muscle_tui.screens.save_template import SaveTemplateDialog
from muscle_tui.user_config import current_user_config

CUSTOM = "(custom)"
"""The selector's value for *custom* (no template name can be spelled so)."""
CUSTOM_LABEL = "custom"


def template_choice(template: CsvTemplate) -> str:
    """How the selector shows a template: its label, and whose it is unless built in."""
    label = printable(" ".join(template.label.split()))
    if template.builtin:
        return label
    if template.overrides_builtin:
        return f"{label} · user template (overrides built-in)"
    return f"{label} · user template"


def start_template(
    templates: dict[str, CsvTemplate], remembered: str | None
) -> tuple[str | None, str | None]:
    """The template the form opens on, and a line saying why the config's choice was not used (or
    None): the remembered one while it exists, else the config's `[export] csv_template`, else `wide`."""
    if remembered in templates:
        return remembered, None
    config = current_user_config()
    wanted = config.csv_template_or_default
    if wanted in templates:
        return wanted, None
    fallback = DEFAULT_TEMPLATE if DEFAULT_TEMPLATE in templates else next(iter(templates), None)
    problem = None
    if config.csv_template is not None:
        problem = config.key_problem("csv_template", f"no template is named {wanted!r}; using {fallback}")
    return fallback, problem


class TemplatePicker(Horizontal):
    """The selector (`#template`); posts `Chosen` when the user chooses a template in it, and
    `Saved` when `save_as` saved the form as a template."""

    @dataclass
    class Chosen(Message):
        """The user chose `template`: the form applies it."""

        template: CsvTemplate

    @dataclass
    class CustomChosen(Message):
        """The user chose *custom* in the selector (the form says again what it shows)."""

    @dataclass
    class Saved(Message):
        """The form was saved as the user template `name` (now offered and shown)."""

        name: str

    def __init__(
        self, templates: Iterable[CsvTemplate], start: str | None, *, id: str | None = None, classes: str = ""
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.templates = {template.name: template for template in templates}
        self._start = start if start in self.templates else CUSTOM

    def compose(self) -> ComposeResult:
        yield Label("Template", classes="form-label")
        yield Select(self._options(), value=self._start, allow_blank=False, id="template")

    def _options(self) -> list[tuple[Text, str]]:
        listed = [(Text(template_choice(template)), name) for name, template in self.templates.items()]
        return [*listed, (Text(CUSTOM_LABEL), CUSTOM)]

    @property
    def selector(self) -> Select[str]:
        """The selector itself."""
        return self.query_one("#template", Select)

    @property
    def chosen(self) -> CsvTemplate | None:
        """The template the selector shows (None while it shows *custom*)."""
        name = self.selector.value
        return self.templates.get(name) if isinstance(name, str) else None

    @property
    def shows_custom(self) -> bool:
        """Whether the selector shows *custom*."""
        return self.selector.value == CUSTOM

    def show(self, name: str) -> None:
        """Show the template `name` (or *custom*, `CUSTOM`) without applying anything."""
        value = name if name in self.templates else CUSTOM
        if self.selector.value != value:
            with self.prevent(Select.Changed):
                self.selector.value = value

    def set_templates(self, templates: Iterable[CsvTemplate], select: str | None = None) -> None:
        """Offer `templates`; show `select` when it is one of them, else keep what is shown (the
        form is not changed)."""
        current = self.selector.value
        self.templates = {template.name: template for template in templates}
        chosen = select if select in self.templates else current
        with self.prevent(Select.Changed):
            self.selector.set_options(self._options())
            self.selector.value = chosen if isinstance(chosen, str) and chosen in self.templates else CUSTOM

    @on(Select.Changed, "#template")
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        template = self.templates.get(event.value) if isinstance(event.value, str) else None
        self.post_message(self.CustomChosen() if template is None else self.Chosen(template))

    @work(exclusive=True, group="csv-template")
    async def save_as(self, selection: CsvSelection, filters: SessionFilter) -> None:
        """Ask for a name (and before replacing a user template), save `selection` and `filters`
        as a user template, offer it and post `Saved`."""
        directory = user_templates_dir()
        reserved = set(BUILTIN_ORDER) | {t.name for t in self.templates.values() if t.builtin}
        answer = await self.app.push_screen_wait(SaveTemplateDialog(directory, reserved))
        if answer is None:
            return
        name, label = answer
        path = directory / f"{name}.toml"
        replace = path.exists()
        if replace and not await self.app.push_screen_wait(ConfirmReplaceDialog(path)):
            return
        try:
            saved = save_template(
                name, label, selection, filters=filters, replace=replace, directory=directory
            )
        except MuscleTuiError as exc:
            self.notify(str(exc), title="Template not saved", severity="error", markup=False)
            return
        templates, _errors = load_templates()
        self.set_templates(templates, select=name)
        self.post_message(self.Saved(name))
        self.notify(str(saved), title=f"Template {name!r} saved", timeout=5, markup=False)
