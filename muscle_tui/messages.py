"""The messages workers post to the UI (thread-safe through `post_message`): small typed dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from muscle_tui.db.catalog import BlockSummary, ExperimentSummary
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.progress import ExportProgress, ExportResult


@dataclass
class DatabaseOpened(Message):
    """The database opened and is a MUSCLE database."""

    database: MuscleDatabase


@dataclass
class DatabaseFailed(Message):
    """The database could not be opened; `text` is the one-line reason."""

    text: str


@dataclass
class ExperimentsLoaded(Message):
    """The experiments query returned its rows."""

    rows: list[ExperimentSummary]


@dataclass
class BlocksLoaded(Message):
    """The blocks query of one experiment returned its rows."""

    rows: list[BlockSummary]


@dataclass
class CatalogFailed(Message):
    """A catalog query (experiments or blocks) failed; `text` is the one-line reason."""

    text: str


@dataclass
class ExportProgressed(Message):
    """An export reported how far it is (every report the engine's reporter sends)."""

    progress: ExportProgress


@dataclass
class ExportFinished(Message):
    """An export wrote its output."""

    result: ExportResult


@dataclass
class ExportFailed(Message):
    """An export stopped: cancelled by the user, or failed with the one-line `text`."""

    text: str
    cancelled: bool = False
