"""Session filters (CSV-SPEC "Additions beyond MUSCLE's form"), as SQL for both backends.

A `SessionFilter` chooses a block's sessions: finished only, started in a range of dates, and not of
participants whose `participant_id_url` matches a glob. Exports apply it wherever they choose a set
of sessions, either as a SQLAlchemy clause over `session_session` (`clause`) or as SQL text over an
alias (`sql`), for queries written as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, literal, or_, select, true
from sqlalchemy.sql import ColumnElement

from muscle_tui.db.schema import MuscleSchema
from muscle_tui.errors import MuscleTuiError

FILTER_KEYS = ("finished_only", "started_after", "started_before", "exclude_participants")
DATE_FORMS = "YYYY-MM-DD or an ISO date-time such as 2025-03-01T09:00 or 2025-03-01T09:00+01:00"


class FilterError(MuscleTuiError):
    """A filter or time zone that cannot be used (one clear line)."""


def check_time_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (`Europe/Amsterdam`), or FilterError saying it is unknown."""
    if not isinstance(name, str) or not name.strip():
        raise FilterError(f"time zone must be an IANA name such as Europe/Amsterdam, not {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise FilterError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Amsterdam or UTC"
        ) from None


def parse_instant(text: str, zone: tzinfo, what: str = "date") -> datetime:
    """A date (midnight) or ISO date-time as an instant in UTC; without an offset it is read in `zone`."""
    if not isinstance(text, str):
        raise FilterError(f"{what} must be text ({DATE_FORMS}), not {text!r}")
    cleaned = text.strip()
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise FilterError(f"{what} {text!r} is not a date; use {DATE_FORMS}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def glob_to_regex(pattern: str) -> str:
    """An fnmatch glob (case-sensitive) as an anchored PostgreSQL regular expression."""
    parts = ["^"]
    for kind, text in _glob_tokens(pattern):
        if kind == "star":
            parts.append(".*")
        elif kind == "any":
            parts.append(".")
        elif kind == "set":
            negate, members = text
            body = "".join("\\" + c if c in "\\^[]" else c for c in members)
            parts.append(("[^" if negate else "[") + body + "]")
        else:
            parts.append("".join(c if c.isalnum() or c == "_" else "\\" + c for c in text))
    parts.append("$")
    return "".join(parts)


def glob_to_sqlite(pattern: str) -> str:
    """An fnmatch glob as a SQLite GLOB pattern (`[!seq]` becomes `[^seq]`)."""
    parts: list[str] = []
    for kind, text in _glob_tokens(pattern):
        if kind == "star":
            parts.append("*")
        elif kind == "any":
            parts.append("?")
        elif kind == "set":
            negate, members = text
            if not negate and members.startswith("^"):  # a literal `^`, which SQLite reads as "not"
                rest = members.lstrip("^")
                if not rest:
                    parts.append("^")
                    continue
                members = rest[:-1] + "^-" if rest.endswith("-") else rest + "^"
            if "]" in members:
                members = "]" + members.replace("]", "")
            parts.append(("[^" if negate else "[") + members + "]")
        else:
            parts.append("".join("[" + c + "]" if c in "*?[" else c for c in text))
    return "".join(parts)


def _glob_tokens(pattern: str) -> list[tuple[str, Any]]:
    """fnmatch's reading of a glob: stars, question marks, sets (negated, members) and literal text."""
    tokens: list[tuple[str, Any]] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if not tokens or tokens[-1][0] != "star":
                tokens.append(("star", None))
        elif c == "?":
            tokens.append(("any", None))
        elif c == "[":
            j = i
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                tokens.append(("text", "["))
                continue
            negate = pattern[i] == "!"
            members = pattern[i + 1 if negate else i : j]
            i = j + 1
            tokens.append(("set", (negate, members)))
        else:
            tokens.append(("text", c))
    return tokens


@dataclass(frozen=True)
class SessionFilter:
    """Which of a block's sessions an export holds. Dates are kept as the user wrote them."""

    finished_only: bool = False
    started_after: str | None = None
    started_before: str | None = None
    exclude_participants: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.finished_only, bool):
            raise FilterError(f"finished_only must be true or false, not {self.finished_only!r}")
        for name in ("started_after", "started_before"):
            value = getattr(self, name)
            if value is not None:
                parse_instant(value, UTC, name)
        globs = self.exclude_participants
        if isinstance(globs, str) or not all(isinstance(g, str) and g for g in globs):
            raise FilterError(
                f"exclude_participants must be a list of non-empty glob patterns, not {globs!r}"
            )
        object.__setattr__(self, "exclude_participants", tuple(globs))

    def is_empty(self) -> bool:
        """Whether every session passes."""
        return self == NO_FILTER

    def to_dict(self) -> dict[str, Any]:
        """The filters that are set, by key (for a template's `[filters]` table and metadata)."""
        out: dict[str, Any] = {}
        if self.finished_only:
            out["finished_only"] = True
        if self.started_after is not None:
            out["started_after"] = self.started_after
        if self.started_before is not None:
            out["started_before"] = self.started_before
        if self.exclude_participants:
            out["exclude_participants"] = list(self.exclude_participants)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionFilter:
        """The filter a `to_dict` (or a template's `[filters]` table) describes; FilterError if not one."""
        if not isinstance(data, Mapping):
            raise FilterError(f"filters must be a table, not {data!r}")
        unknown = [key for key in data if key not in FILTER_KEYS]
        if unknown:
            raise FilterError(f"unknown filter {unknown[0]!r}; known: {', '.join(FILTER_KEYS)}")
        globs = data.get("exclude_participants", ())
        if isinstance(globs, str) or not isinstance(globs, (list, tuple)):
            raise FilterError(f"exclude_participants must be a list of glob patterns, not {globs!r}")
        return cls(
            finished_only=data.get("finished_only", False),
            started_after=data.get("started_after"),
            started_before=data.get("started_before"),
            exclude_participants=tuple(globs),
        )

    def bounds(self, time_zone: str | tzinfo = "UTC") -> tuple[datetime | None, datetime | None]:
        """The start range as UTC instants (after inclusive, before exclusive), read in `time_zone`."""
        zone = check_time_zone(time_zone) if isinstance(time_zone, str) else time_zone
        after = parse_instant(self.started_after, zone, "started_after") if self.started_after else None
        before = parse_instant(self.started_before, zone, "started_before") if self.started_before else None
        return after, before

    def clause(
        self, schema: MuscleSchema, dialect: str, time_zone: str | tzinfo = "UTC"
    ) -> ColumnElement[bool]:
        """The filter over `session_session` (TRUE when empty)."""
        s = schema.table("session_session")
        p = schema.table("participant_participant").alias("fpp")
        postgres = dialect == "postgresql"
        conditions: list[ColumnElement[bool]] = []
        if self.finished_only:
            conditions.append(s.c.finished_at.is_not(None))
        after, before = self.bounds(time_zone)
        for bound, later in ((after, True), (before, False)):
            if bound is None:
                continue
            if postgres:
                conditions.append(s.c.started_at >= bound if later else s.c.started_at < bound)
            else:
                started = func.julianday(s.c.started_at)
                limit = func.julianday(literal(_sqlite_time(bound)))
                conditions.append(started >= limit if later else started < limit)
        if self.exclude_participants:
            url = p.c.participant_id_url
            matches = [
                url.op("~")(glob_to_regex(g)) if postgres else url.op("GLOB")(glob_to_sqlite(g))
                for g in self.exclude_participants
            ]
            excluded = (
                select(literal(1))
                .select_from(p)
                .where(p.c.id == s.c.participant_id, or_(*matches))
                .correlate_except(p)
                .exists()
            )
            conditions.append(~excluded)
        if not conditions:
            return true()
        return and_(*conditions)

    def sql(self, alias: str, dialect: str, time_zone: str | tzinfo = "UTC") -> tuple[str, dict[str, Any]]:
        """The filter as SQL text over `session_session` aliased `alias`, with its `:filter_*` parameters
        (`''` and no parameters when empty; otherwise text starting ` AND `)."""
        postgres = dialect == "postgresql"
        conditions: list[str] = []
        params: dict[str, Any] = {}
        if self.finished_only:
            conditions.append(f"{alias}.finished_at IS NOT NULL")
        after, before = self.bounds(time_zone)
        for name, bound, op in (("filter_after", after, ">="), ("filter_before", before, "<")):
            if bound is None:
                continue
            if postgres:
                conditions.append(f"{alias}.started_at {op} :{name}")
                params[name] = bound
            else:
                conditions.append(f"julianday({alias}.started_at) {op} julianday(:{name})")
                params[name] = _sqlite_time(bound)
        if self.exclude_participants:
            matches = []
            for i, pattern in enumerate(self.exclude_participants):
                name = f"filter_glob_{i}"
                if postgres:
                    matches.append(f"fpp.participant_id_url ~ :{name}")
                    params[name] = glob_to_regex(pattern)
                else:
                    matches.append(f"fpp.participant_id_url GLOB :{name}")
                    params[name] = glob_to_sqlite(pattern)
            conditions.append(
                "NOT EXISTS (SELECT 1 FROM participant_participant fpp "
                f"WHERE fpp.id = {alias}.participant_id AND ({' OR '.join(matches)}))"
            )
        return "".join(f" AND {condition}" for condition in conditions), params


def _sqlite_time(instant: datetime) -> str:
    """A UTC instant as the text SQLite's julianday() reads."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


NO_FILTER = SessionFilter()
