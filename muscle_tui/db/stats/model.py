"""What `block_stats` returns: the figures of a block's sessions, and their JSON form (issue 13)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

Bin = tuple[float, float, int]
"""One bar of a histogram: where it starts, where it ends, and how many values fall in it."""

JSON_KEYS = (
    "sessions",
    "finished",
    "completion_rate",
    "participants",
    "returning_participants",
    "results",
    "results_per_session",
    "duration_seconds",
    "final_score",
    "decision_time",
    "sessions_per_day",
    "countries",
)
"""The keys of `BlockStats.as_json()`, in order, and no others."""

RESULTS_PER_SESSION_KEYS = ("min", "median", "max")
DURATION_KEYS = ("p25", "median", "p75")
FINAL_SCORE_KEYS = ("mean", "median", "min", "max")
DECISION_TIME_KEYS = ("p25", "median", "p75")


@dataclass(frozen=True)
class Spread:
    """How the values of one column are spread; every figure is None when there are no values.

    Percentiles interpolate linearly between the two nearest values (PostgreSQL's
    `percentile_cont`); `count` is how many values there are.
    """

    count: int = 0
    mean: float | None = None
    min: float | None = None
    p25: float | None = None
    median: float | None = None
    p75: float | None = None
    max: float | None = None

    def pick(self, keys: tuple[str, ...]) -> dict[str, float | None]:
        """The figures named by `keys` (`min`, `p25`, `median`, `p75`, `max`, `mean`), in that order."""
        return {key: getattr(self, key) for key in keys}


@dataclass(frozen=True)
class DayCount:
    """The sessions started on one day (in the chosen time zone) and how many of them finished."""

    date: date
    started: int
    finished: int


@dataclass(frozen=True)
class CountryCount:
    """How many of the block's participants have this country code (`""` when it is missing)."""

    country: str
    participants: int


@dataclass(frozen=True)
class BlockStats:
    """The statistics of a block's chosen sessions (see `block_stats`).

    `results` counts trial results (`result_result` rows of the sessions), never profile answers.
    The histograms (for plots, not in `as_json`) have at most `bins` bars, from the least to the
    greatest value, every bar included; they are empty when there are no values.
    """

    sessions: int
    finished: int
    completion_rate: float | None
    participants: int
    returning_participants: int
    results: int
    results_per_session: dict[str, float | None]
    duration_seconds: dict[str, float | None]
    final_score: dict[str, float | None]
    decision_time: dict[str, float | None]
    sessions_per_day: list[DayCount]
    countries: list[CountryCount]
    final_score_histogram: list[Bin] = field(default_factory=list)
    decision_time_histogram: list[Bin] = field(default_factory=list)
    duration_histogram: list[Bin] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The figures as issue 13's JSON object: exactly the keys of JSON_KEYS, counts as integers,
        other figures as floats (nothing rounded), a figure without data as None (`null`)."""
        return {
            "sessions": self.sessions,
            "finished": self.finished,
            "completion_rate": self.completion_rate,
            "participants": self.participants,
            "returning_participants": self.returning_participants,
            "results": self.results,
            "results_per_session": dict(self.results_per_session),
            "duration_seconds": dict(self.duration_seconds),
            "final_score": dict(self.final_score),
            "decision_time": dict(self.decision_time),
            "sessions_per_day": [
                {"date": day.date.isoformat(), "started": day.started, "finished": day.finished}
                for day in self.sessions_per_day
            ],
            "countries": [
                {"country": country.country, "participants": country.participants}
                for country in self.countries
            ],
        }
