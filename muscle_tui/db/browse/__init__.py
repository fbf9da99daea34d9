"""Browsing a block: its sessions (keyset pages or a stream), participants, feedback, and one
session in full. Every function reads through a `Snapshot` (`with db.snapshot(cancel) as snap:`)."""

from muscle_tui.db.browse.detail import ProfileAnswer, SessionDetail, TrialResult, session_detail
from muscle_tui.db.browse.feedback import FeedbackRow, block_feedback
from muscle_tui.db.browse.participants import ParticipantRow, count_participants, participant_page
from muscle_tui.db.browse.sessions import (
    SESSION_SORTS,
    SESSION_STATUSES,
    PageKey,
    SessionQuery,
    SessionRow,
    SessionStatus,
    count_sessions,
    iter_sessions,
    session_key,
    session_page,
)

__all__ = [
    "SESSION_SORTS",
    "SESSION_STATUSES",
    "FeedbackRow",
    "PageKey",
    "ParticipantRow",
    "ProfileAnswer",
    "SessionDetail",
    "SessionQuery",
    "SessionRow",
    "SessionStatus",
    "TrialResult",
    "block_feedback",
    "count_participants",
    "count_sessions",
    "iter_sessions",
    "participant_page",
    "session_detail",
    "session_key",
    "session_page",
]
