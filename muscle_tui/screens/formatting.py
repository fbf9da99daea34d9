"""How the screens show timestamps, sizes, durations, counts and text from the database."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from muscle_tui.text import printable


def format_timestamp(value: datetime | str | None) -> str:
    """`YYYY-MM-DD HH:MM` in UTC (naive values are taken as UTC, as MUSCLE stores them); '' for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return printable(text)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M")


def format_size(size: int) -> str:
    """A byte count for people: `512 B`, `1.5 KiB`, `12.0 MiB`."""
    if size < 1024:
        return f"{size} B"
    amount = size / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            break
        amount /= 1024
    return f"{amount:.1f} {unit}"


def format_duration(seconds: float) -> str:
    """`0:07`, `12:34` or `1:02:03`."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def number(value: int | None) -> Text:
    """A right-aligned table cell for a count ('' for None)."""
    return Text("" if value is None else f"{value:,}", justify="right")


def right(text: str) -> Text:
    """A right-aligned table cell or column label."""
    return Text(text, justify="right")


def plain(text: str | None) -> Text:
    """A table cell showing database text literally: never read as markup, controls made visible."""
    return Text(printable(text), no_wrap=True, overflow="ellipsis")


def format_date(value: datetime | str | None) -> str:
    """`YYYY-MM-DD` in UTC; '' for None."""
    return format_timestamp(value)[:10]
