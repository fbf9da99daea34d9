"""The messages the Block and Session screens' workers post to the UI (small typed dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from muscle_tui.db.browse import FeedbackRow, SessionDetail
from muscle_tui.db.stats import BlockStats


@dataclass
class FeedbackLoaded(Message):
    """The block's feedback texts, by id."""

    rows: list[FeedbackRow]


@dataclass
class StatsLoaded(Message):
    """The block's statistics for the Overview tab."""

    stats: BlockStats


@dataclass
class SessionLoaded(Message):
    """One session in full, for the Session screen."""

    detail: SessionDetail


@dataclass
class BrowseFailed(Message):
    """A query of the Block or Session screen failed; `what` says which (`feedback`, `stats`,
    `session`) and `text` is the one-line reason."""

    what: str
    text: str
