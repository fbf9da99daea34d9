"""The export form's file format: CSV or Parquet, side by side as radio buttons."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from textual.app import ComposeResult
from textual.widgets import RadioButton, RadioSet

FORMATS: dict[str, tuple[str, str]] = {"csv": ("CSV", ".csv"), "parquet": ("Parquet", ".parquet")}
"""Each format's key: (its name, the suffix of its files)."""


def with_format_suffix(path: str, file_format: str) -> str:
    """`path` with its suffix changed to `file_format`'s when it ends in another format's suffix."""
    stripped = path.rstrip()
    suffix = PurePath(stripped).suffix.lower() if stripped and not stripped.endswith(("/", "\\")) else ""
    known = {file_suffix for _name, file_suffix in FORMATS.values()}
    if suffix not in known or suffix == FORMATS[file_format][1]:
        return path
    return stripped[: -len(suffix)] + FORMATS[file_format][1]


class FormatButton(RadioButton):
    """A radio button whose mark is `●` only when chosen, so the choice shows without colour too."""

    def __init__(self, label: str, value: bool, **kwargs: Any) -> None:
        super().__init__(label, value, **kwargs)
        self.BUTTON_INNER = "●" if value else " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = "●" if self.value else " "
        super().watch_value()


class FormatChoice(RadioSet):
    """CSV or Parquet (`#format-csv`, `#format-parquet`); posts RadioSet.Changed when switched."""

    DEFAULT_CSS = """
    FormatChoice {
        layout: horizontal;
        width: auto;
        height: 3;
        margin-left: 1;
        & > RadioButton {
            width: auto;
            margin-right: 1;
        }
    }
    """

    def __init__(self, file_format: str = "csv", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = file_format

    def compose(self) -> ComposeResult:
        for key, (name, _suffix) in FORMATS.items():
            yield FormatButton(name, key == self._initial, id=f"format-{key}")

    @property
    def file_format(self) -> str:
        """The key of the format chosen (`csv` or `parquet`)."""
        button = self.pressed_button
        return (button.id or "format-csv").removeprefix("format-") if button is not None else "csv"

    @property
    def format_name(self) -> str:
        """`CSV` or `Parquet`."""
        return FORMATS[self.file_format][0]
