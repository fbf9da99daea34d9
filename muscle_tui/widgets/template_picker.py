"""The CSV form's template row: a selector of the built-in and user templates, and *Load template*."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Label, Select

from muscle_tui.export.csv import CsvTemplate
from muscle_tui.screens.formatting import printable


def template_choice(template: CsvTemplate) -> str:
    """How the selector shows a template: its label, and whose it is unless built in."""
    label = printable(" ".join(template.label.split()))
    if template.builtin:
        return label
    if template.overrides_builtin:
        return f"{label} · user template (overrides built-in)"
    return f"{label} · user template"


class TemplatePicker(Horizontal):
    """The selector (`#template`) and its button (`#load-template`); posts `Chosen` on *Load*."""

    @dataclass
    class Chosen(Message):
        """The user asked to load `template` into the form."""

        template: CsvTemplate

    def __init__(
        self, templates: Iterable[CsvTemplate], start: str | None, *, id: str | None = None, classes: str = ""
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.templates = {template.name: template for template in templates}
        self._start = start if start in self.templates else None

    def compose(self) -> ComposeResult:
        yield Label("Template", classes="form-label")
        yield Select(
            self._options(),
            value=self._start if self._start is not None else Select.NULL,
            allow_blank=self._start is None,
            id="template",
        )
        yield Button("Load template", id="load-template")

    def _options(self) -> list[tuple[Text, str]]:
        return [(Text(template_choice(template)), name) for name, template in self.templates.items()]

    @property
    def chosen(self) -> CsvTemplate | None:
        """The template the selector shows (None when none is chosen)."""
        name = self.query_one("#template", Select).value
        return self.templates.get(name) if isinstance(name, str) else None

    def load(self) -> None:
        """Load the chosen template into the form (post `Chosen`), or say to choose one first."""
        template = self.chosen
        if template is None:
            self.notify("Choose a template first.", severity="warning")
            return
        self.post_message(self.Chosen(template))

    def set_templates(self, templates: Iterable[CsvTemplate], select: str | None = None) -> None:
        """Offer `templates`; choose `select` when it is one of them, else keep the choice."""
        selector = self.query_one("#template", Select)
        current = selector.value
        self.templates = {template.name: template for template in templates}
        selector.set_options(self._options())
        chosen = select if select in self.templates else current
        if isinstance(chosen, str) and chosen in self.templates:
            selector.value = chosen

    @on(Button.Pressed, "#load-template")
    def _load_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.load()
