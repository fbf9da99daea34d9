"""SQLAlchemy Core definitions of the MUSCLE tables the exports read, and release detection.

Two MUSCLE releases are supported: January 2025, where experiment and block names live in
`experiment_*translatedcontent` tables, and 2026, where they are `name` columns.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

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


def _common_tables(md: MetaData) -> dict[str, Table]:
    tables = {
        "experiment_phase": Table(
            "experiment_phase",
            md,
            Column("id", Integer, primary_key=True),
            Column("index", Integer, nullable=False),
            Column("dashboard", Boolean, nullable=False),
            Column("randomize", Boolean, nullable=False),
            Column("experiment_id", Integer, nullable=False),
        ),
        "experiment_block_playlists": Table(
            "experiment_block_playlists",
            md,
            Column("id", Integer, primary_key=True),
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
            Column("process_csv", Boolean, nullable=False),
            Column("csv", Text, nullable=False),
            Column("url_prefix", String(128), nullable=False),
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
        Column("rounds", Integer, nullable=False),
        Column("bonus_points", Integer, nullable=False),
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
            Column("description", Text, nullable=False),
            Column("block_id", Integer, nullable=False),
        )
        Table(
            "experiment_experimenttranslatedcontent",
            md,
            Column("id", Integer, primary_key=True),
            Column("index", Integer, nullable=False),
            Column("language", String(2), nullable=False),
            Column("name", String(64), nullable=False),
            Column("description", Text, nullable=False),
            Column("experiment_id", Integer, nullable=False),
        )
    else:
        Table(
            "experiment_block",
            md,
            *_block_columns(),
            Column("name", String(64), nullable=False),
            Column("description", Text, nullable=False),
        )
        Table(
            "experiment_experiment",
            md,
            *_experiment_columns(),
            Column("name", String(64), nullable=False),
            Column("description", Text, nullable=False),
        )
    return md


# Columns muscle-tui reads; the ones a table has beyond these do not matter.
_READ_COLUMNS = {
    "experiment_phase": ("id", "index", "experiment_id"),
    "experiment_block_playlists": ("block_id", "playlist_id"),
    "experiment_feedback": ("id", "text", "block_id"),
    "participant_participant": ("id", "unique_hash", "country_code", "access_info", "participant_id_url"),
    "result_result": (
        "id",
        "created_at",
        "question_key",
        "expected_response",
        "given_response",
        "comment",
        "score",
        "scoring_rule",
        "section_id",
        "session_id",
        "participant_id",
        "json_data",
    ),
    "section_playlist": ("id", "name"),
    "section_section": (
        "id",
        "start_time",
        "duration",
        "filename",
        "play_count",
        "tag",
        "group",
        "playlist_id",
        "song_id",
    ),
    "section_song": ("id", "artist", "name"),
    "session_session": (
        "id",
        "started_at",
        "finished_at",
        "final_score",
        "block_id",
        "participant_id",
        "playlist_id",
        "json_data",
    ),
    "experiment_block": ("id", "slug", "rules", "phase_id", "index"),
    "experiment_experiment": ("id", "active", "slug"),
}
_RELEASE_COLUMNS = {
    Release.JAN_2025: {
        "experiment_blocktranslatedcontent": ("id", "language", "name", "block_id"),
        "experiment_experimenttranslatedcontent": ("id", "index", "language", "name", "experiment_id"),
    },
    Release.V2026: {
        "experiment_block": ("name",),
        "experiment_experiment": ("name",),
    },
}


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
    inspector = inspect(conn)
    names = set(inspector.get_table_names())
    interesting = set(_READ_COLUMNS) | {t for cols in _RELEASE_COLUMNS.values() for t in cols}
    found = {table: {c["name"] for c in inspector.get_columns(table)} for table in names & interesting}
    common_missing = _missing(found, _READ_COLUMNS)
    candidates = {release: _missing(found, cols) for release, cols in _RELEASE_COLUMNS.items()}
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
