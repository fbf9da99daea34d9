"""How the Block and Session screens show times, scores and whole texts (literal, controls visible)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from muscle_tui.text import escape_controls, printable

_LINE_BREAKS = re.compile(r"\r\n|\r|\n|\u2028|\u2029")


def timestamp(value: datetime | None) -> str:
    """`YYYY-MM-DD HH:MM:SS` in UTC (naive values are taken as UTC); '' for None."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def score_text(value: float | None) -> str:
    """A score: `12`, `0.75`, `-3.5`; '' when there is none (or it is not a finite number)."""
    if value is None or not math.isfinite(value):
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def value_text(value: object) -> str:
    """Any value from json_data on one line: numbers as scores are, text literal, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return score_text(float(value))
    return printable(str(value))


def whole_text(text: str) -> str:
    """`text` whole, its line breaks kept and every other control character shown as an escape."""
    return "\n".join(escape_controls(line) for line in _LINE_BREAKS.split(text))
