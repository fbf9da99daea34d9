"""SQLAlchemy Core definitions of the MUSCLE tables the exports read, and release detection.

Two MUSCLE releases are supported: January 2025, where experiment and block names live in
`experiment_*translatedcontent` tables, and 2026, where they are `name` columns.

The tables are the only list of what muscle-tui reads: a database is of a release when it has
every column of that release's tables, except the few defined `unread` (present in MUSCLE and
needed to build a complete demo database, but never read, so not required).
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
)
from sqlalchemy.engine import Connection

from muscle_tui.errors import SchemaError


class Release(enum.Enum):
    """A MUSCLE schema release."""

    JAN_2025 = "2025-01"
    V2026 = "2026"

    @property
    def label(self) -> str:
        return {"2025-01": "MUSCLE January 2025", "2026": "MUSCLE 2026"}[self.value]


def _unread(name: str, *args: Any, **kwargs: Any) -> Column:
    """A column of MUSCLE's table that muscle-tui never reads: a database may lack it."""
    return Column(name, *args, info={"read": False}, **kwargs)


def _common_tables(md: MetaData) -> dict[str, Table]:
    tables = {
        "experiment_phase": Table(
            "experiment_phase",
            md,
            Column("id", Integer, primary_key=True),
            Column("index", Integer, nullable=False),
            _unread("dashboard", Boolean, nullable=False),
            _unread("randomize", Boolean, nullable=False),
            Column("experiment_id", Integer, nullable=False),
        ),
        "experiment_block_playlists": Table(
            "experiment_block_playlists",
            md,
            _unread("id", Integer, primary_key=True),
            Column("block_id", Integer, nullable=False),
            Column("playlist_id", Integer, nullable=False),
        ),
        "experiment_feedback": Table(
            "experiment_feedback",
            md,
            Column("id", Integer, primary_key=True),
            Column("text", Text, nullable=False),
            Column("block_id", Integer, nullable=False),
        ),
        "participant_participant": Table(
            "participant_participant",
            md,
            Column("id", Integer, primary_key=True),
            Column("unique_hash", String(64), nullable=False),
            Column("country_code", String(3), nullable=False),
            Column("access_info", String(512)),
            Column("participant_id_url", String(128)),
        ),
        "result_result": Table(
            "result_result",
            md,
            Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("question_key", String(64), nullable=False),
            Column("expected_response", String(100)),
            Column("given_response", String(100)),
            Column("comment", String(100), nullable=False),
            Column("score", Float),
            Column("scoring_rule", String(64), nullable=False),
            Column("section_id", Integer),
            Column("session_id", Integer),
            Column("participant_id", Integer),
            Column("json_data", JSON),
        ),
        "section_playlist": Table(
            "section_playlist",
            md,
            Column("id", Integer, primary_key=True),
            Column("name", String(64), nullable=False),
            _unread("process_csv", Boolean, nullable=False),
            _unread("csv", Text, nullable=False),
            _unread("url_prefix", String(128), nullable=False),
        ),
        "section_section": Table(
            "section_section",
            md,
            Column("id", Integer, primary_key=True),
            Column("start_time", Float, nullable=False),
            Column("duration", Float, nullable=False),
            Column("filename", String(255), nullable=False),
            Column("play_count", Integer, nullable=False),
            Column("tag", String(128), nullable=False),
            Column("group", String(128), nullable=False),
            Column("playlist_id", Integer, nullable=False),
            Column("song_id", Integer),
        ),
        "section_song": Table(
            "section_song",
            md,
            Column("id", Integer, primary_key=True),
            Column("artist", String(128), nullable=False),
            Column("name", String(128), nullable=False),
        ),
        "session_session": Table(
            "session_session",
            md,
            Column("id", Integer, primary_key=True),
            Column("started_at", DateTime(timezone=True), nullable=False),
            Column("finished_at", DateTime(timezone=True)),
            Column("final_score", Float, nullable=False),
            Column("block_id", Integer),
            Column("participant_id", Integer, nullable=False),
            Column("playlist_id", Integer),
            Column("json_data", JSON),
        ),
    }
    return tables


def _block_columns() -> list[Column]:
    return [
        Column("id", Integer, primary_key=True),
        Column("slug", String(64), nullable=False),
        _unread("rounds", Integer, nullable=False),
        _unread("bonus_points", Integer, nullable=False),
        Column("rules", String(64), nullable=False),
        Column("phase_id", Integer),
        Column("index", Integer, nullable=False),
    ]


def _experiment_columns() -> list[Column]:
    return [
        Column("id", Integer, primary_key=True),
        Column("active", Boolean, nullable=False),
        Column("slug", String(64)),
    ]


def build_metadata(release: Release) -> MetaData:
    """The tables muscle-tui reads, as the given release defines them."""
    md = MetaData()
    _common_tables(md)
    if release is Release.JAN_2025:
        Table("experiment_block", md, *_block_columns())
        Table("experiment_experiment", md, *_experiment_columns())
        Table(
            "experiment_blocktranslatedcontent",
            md,
            Column("id", Integer, primary_key=True),
            Column("language", String(2), nullable=False),
            Column("name", String(64), nullable=False),
            _unread("description", Text, nullable=False),
            Column("block_id", Integer, nullable=False),
        )
        Table(
            "experiment_experimenttranslatedcontent",
            md,
            Column("id", Integer, primary_key=True),
            Column("index", Integer, nullable=False),
            Column("language", String(2), nullable=False),
            Column("name", String(64), nullable=False),
            _unread("description", Text, nullable=False),
            Column("experiment_id", Integer, nullable=False),
        )
    else:
        Table(
            "experiment_block",
            md,
            *_block_columns(),
            Column("name", String(64), nullable=False),
            _unread("description", Text, nullable=False),
        )
        Table(
            "experiment_experiment",
            md,
            *_experiment_columns(),
            Column("name", String(64), nullable=False),
            _unread("description", Text, nullable=False),
        )
    return md


def read_columns(metadata: MetaData) -> dict[str, tuple[str, ...]]:
    """Each table's columns muscle-tui reads (all but the `unread` ones), in definition order."""
    return {
        table.name: tuple(column.name for column in table.columns if column.info.get("read", True))
        for table in metadata.tables.values()
    }


@functools.cache
def _wanted_columns() -> tuple[dict[str, tuple[str, ...]], dict[Release, dict[str, tuple[str, ...]]]]:
    """The columns every release reads, and those only some releases read, per release."""
    per_release = {release: read_columns(build_metadata(release)) for release in Release}
    first, *others = per_release.values()
    common = {
        table: tuple(c for c in columns if all(c in other.get(table, ()) for other in others))
        for table, columns in first.items()
        if all(table in other for other in others)
    }
    specific = {
        release: {
            table: only
            for table, columns in wanted.items()
            if (only := tuple(c for c in columns if c not in common.get(table, ())))
        }
        for release, wanted in per_release.items()
    }
    return common, specific


@dataclass(frozen=True)
class MuscleSchema:
    """A connected database's MUSCLE release and its table definitions."""

    release: Release
    metadata: MetaData

    def table(self, name: str) -> Table:
        return self.metadata.tables[name]


def _missing(found: dict[str, set[str]], wanted: dict[str, tuple[str, ...]]) -> list[str]:
    missing: list[str] = []
    for table, columns in wanted.items():
        if table not in found:
            missing.append(f"table {table}")
            continue
        missing.extend(f"column {table}.{column}" for column in columns if column not in found[table])
    return missing


def detect_schema(conn: Connection) -> MuscleSchema:
    """Tell the MUSCLE release from the database itself, or say what is missing."""
    common, specific = _wanted_columns()
    inspector = inspect(conn)
    names = set(inspector.get_table_names())
    interesting = set(common) | {t for cols in specific.values() for t in cols}
    found = {table: {c["name"] for c in inspector.get_columns(table)} for table in names & interesting}
    common_missing = _missing(found, common)
    candidates = {release: _missing(found, cols) for release, cols in specific.items()}
    if not common_missing:
        for release in (Release.V2026, Release.JAN_2025):
            if not candidates[release]:
                return MuscleSchema(release, build_metadata(release))
    if not found:
        raise SchemaError("this database holds no MUSCLE tables (is it MUSCLE's database?)")
    # Name what is missing against the release the database resembles most.
    closest = min(candidates, key=lambda r: len(candidates[r]))
    missing = common_missing + candidates[closest]
    shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
    raise SchemaError(
        f"not a MUSCLE database muscle-tui can read: missing {shown} "
        f"(expected the {Release.JAN_2025.label} or {Release.V2026.label} schema)"
    )
