"""The feedback participants left on a block: every text, whole, with its id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from muscle_tui.db.browse.values import block_id_of, require_block, text_value, whole
from muscle_tui.db.stream import Snapshot


@dataclass(frozen=True)
class FeedbackRow:
    """One feedback text of a block (as stored: it may hold line breaks and control characters)."""

    id: int
    text: str


def block_feedback(snap: Snapshot, block_slug: str, limit: int | None = None) -> list[FeedbackRow]:
    """The block's feedback in id order (the first `limit` of it when given); NotFoundError for an
    unknown block."""
    f = snap.schema.table("experiment_feedback")
    statement = select(f.c.id, f.c.text).where(f.c.block_id == block_id_of(snap, block_slug)).order_by(f.c.id)
    if limit is not None:
        if limit <= 0:
            require_block(snap, block_slug)
            return []
        statement = statement.limit(limit)
    rows = [FeedbackRow(whole(row[0]), text_value(row[1])) for row in snap.rows(statement)]
    if not rows:
        require_block(snap, block_slug)
    return rows
