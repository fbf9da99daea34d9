"""What both backends share: the chosen sessions as SQL, the figures of a group, and countries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from muscle_tui.db.filters import SessionFilter
from muscle_tui.db.stats.model import Bin, CountryCount, Spread
from muscle_tui.db.stream import Snapshot

CHOSEN = """
    SELECT s.id, s.participant_id, s.started_at, s.finished_at, s.final_score
    FROM session_session s WHERE s.block_id = :block_id{chosen}
"""
"""The block's sessions that pass the filters (`{chosen}` is the filter's SQL over `s`)."""

FINITE = 1e308
"""Numbers at or beyond ±FINITE (and NaN) are left out: PostgreSQL cannot hold them as float8."""


@dataclass(frozen=True)
class Chosen:
    """Which sessions the figures are of: a block, the filters and the time zone they are read in."""

    block_id: int
    filters: SessionFilter
    time_zone: str

    def query(self, snap: Snapshot, sql: str) -> tuple[str, dict[str, Any]]:
        """`sql` with `{chosen}` replaced by the filters' condition over `s`, and its parameters."""
        condition, params = self.filters.sql("s", snap.dialect, self.time_zone)
        return sql.replace("{chosen}", condition), {"block_id": self.block_id, **params}

    def rows(self, snap: Snapshot, sql: str, **extra: Any) -> list[Any]:
        """Every row of `sql` over the chosen sessions."""
        query, params = self.query(snap, sql)
        return snap.rows(query, {**params, **extra})


@dataclass(frozen=True)
class SessionFigures:
    """The figures of the session group: counts, and the spread of three per-session columns."""

    sessions: int = 0
    finished: int = 0
    participants: int = 0
    returning_participants: int = 0
    results: int = 0
    results_per_session: Spread = field(default_factory=Spread)
    duration: Spread = field(default_factory=Spread)
    final_score: Spread = field(default_factory=Spread)
    duration_histogram: list[Bin] = field(default_factory=list)
    final_score_histogram: list[Bin] = field(default_factory=list)


def number(value: Any) -> float | None:
    """A figure as a float (None stays None)."""
    return None if value is None else float(value)


def whole(value: Any) -> int | None:
    """A count as an int (None stays None)."""
    return None if value is None else int(value)


_COUNTRIES = """
SELECT coalesce(p.country_code, '') AS country, count(*) AS participants
FROM (SELECT DISTINCT s.participant_id FROM session_session s WHERE s.block_id = :block_id{chosen}) c
LEFT JOIN participant_participant p ON p.id = c.participant_id
GROUP BY coalesce(p.country_code, '')
"""


def countries(snap: Snapshot, chosen: Chosen) -> list[CountryCount]:
    """The chosen sessions' distinct participants per country code (`""` for a missing or empty
    one), most participants first, then by code (compared as text, the same on every backend)."""
    counts = [CountryCount(str(code), int(n)) for code, n in chosen.rows(snap, _COUNTRIES)]
    return sorted(counts, key=lambda c: (-c.participants, c.country))
