"""Small messages that workers post to the UI (thread-safe through `post_message`)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.message import Message

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.progress import ExportResult


class DatabaseOpened(Message):
    """The database opened and is a MUSCLE database."""

    def __init__(self, database: MuscleDatabase) -> None:
        super().__init__()
        self.database = database


class DatabaseFailed(Message):
    """The database could not be opened; `text` is the one-line reason."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class CatalogLoaded(Message):
    """A catalog query (experiments or blocks) returned its rows."""

    def __init__(self, rows: Sequence[object]) -> None:
        super().__init__()
        self.rows = list(rows)


class CatalogFailed(Message):
    """A catalog query failed; `text` is the one-line reason."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ExportProgressed(Message):
    """An export reached `done` of `total` objects in `stage`, `elapsed` seconds after it started."""

    def __init__(self, stage: str, done: int, total: int | None, elapsed: float) -> None:
        super().__init__()
        self.stage = stage
        self.done = done
        self.total = total
        self.elapsed = elapsed


class ExportFinished(Message):
    """An export wrote its output."""

    def __init__(self, result: ExportResult) -> None:
        super().__init__()
        self.result = result


class ExportFailed(Message):
    """An export stopped: cancelled by the user, or failed with the one-line `text`."""

    def __init__(self, text: str, cancelled: bool = False) -> None:
        super().__init__()
        self.text = text
        self.cancelled = cancelled
