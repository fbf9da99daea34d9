"""Builds the demo database: every row from the specs and the seed, then the SQLite file (MUSCLE's
2026 schema), written in a private directory and renamed into place."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import sqlite3
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from muscle_tui.db.schema import Release, build_metadata
from muscle_tui.demo.generators import (
    ResultRow,
    feedback_rows,
    participant_row,
    playlist_rows,
    profile_results,
    session_json,
    session_trials,
)
from muscle_tui.demo.playlists import PLAYLISTS, SectionRow
from muscle_tui.demo.specs import (
    DEMO_SEED,
    DEMO_VERSION,
    EMPTY_BLOCK_SLUG,
    EXPERIMENTS,
    PROFILE_QUESTIONS,
    BlockSpec,
    ExperimentSpec,
)
from muscle_tui.errors import DatabaseError, OutputError

_PROFILE_BY_KEY = {q.key: q for q in PROFILE_QUESTIONS}


class _Counters:
    """The next primary key of each table."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, table: str, count: int = 1) -> int:
        first = self._next.get(table, 1)
        self._next[table] = first + count
        return first


def demo_rows(seed: int = DEMO_SEED) -> dict[str, list[dict[str, Any]]]:
    """Every row of the demo database, per table, built from the seed alone."""
    rng = random.Random(seed)
    ids = _Counters()
    tables: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (
            "experiment_experiment",
            "experiment_phase",
            "experiment_block",
            "section_playlist",
            "section_song",
            "section_section",
            "experiment_block_playlists",
            "participant_participant",
            "session_session",
            "result_result",
            "experiment_feedback",
        )
    }

    songs: dict[tuple[str, str], int] = {}
    playlist_ids: dict[str, int] = {}
    sections_of: dict[str, list[SectionRow]] = {}
    for key, spec in PLAYLISTS.items():
        rows = playlist_rows(rng, spec, ids.take("playlist"), ids.take("section", len(spec.sections)), songs)
        playlist_ids[key] = rows.playlist["id"]
        sections_of[key] = rows.sections
        tables["section_playlist"].append(rows.playlist)
        tables["section_song"].extend(rows.songs)
        tables["section_section"].extend(s._asdict() for s in rows.sections)

    participants = {}
    for participant_id in range(1, max(e.participants.stop for e in EXPERIMENTS)):
        participants[participant_id] = participant_row(rng, participant_id)
    tables["participant_participant"].extend(participants.values())
    profiled: set[tuple[int, str]] = set()

    for experiment in EXPERIMENTS:
        experiment_id = ids.take("experiment")
        tables["experiment_experiment"].append(
            {
                "id": experiment_id,
                "active": experiment.active,
                "slug": experiment.slug,
                "name": experiment.name,
                "description": experiment.description,
            }
        )
        block_ids: dict[str, int] = {}
        for phase_index, blocks in enumerate(experiment.phases):
            phase_id = ids.take("phase")
            tables["experiment_phase"].append(
                {
                    "id": phase_id,
                    "index": phase_index,
                    "dashboard": phase_index == 1,
                    "randomize": len(blocks) > 1,
                    "experiment_id": experiment_id,
                }
            )
            for block in blocks:
                block_id = ids.take("block")
                block_ids[block.slug] = block_id
                tables["experiment_block"].append(
                    {
                        "id": block_id,
                        "slug": block.slug,
                        "rounds": block.rounds,
                        "bonus_points": 0,
                        "rules": block.rules,
                        "phase_id": phase_id,
                        "index": block.index,
                        "name": block.name,
                        "description": block.description,
                    }
                )
                if block.playlist:
                    tables["experiment_block_playlists"].append(
                        {
                            "id": ids.take("block_playlist"),
                            "block_id": block_id,
                            "playlist_id": playlist_ids[block.playlist],
                        }
                    )
                feedback_count = 0 if block.slug == EMPTY_BLOCK_SLUG else rng.randrange(2, 7)
                tables["experiment_feedback"].extend(
                    feedback_rows(rng, block_id, ids.take("feedback", feedback_count), feedback_count)
                )

        for participant_id in experiment.participants:
            participant = participants[participant_id]
            moment = experiment.start + timedelta(
                seconds=rng.randrange(experiment.days * 86400), microseconds=rng.randrange(1_000_000)
            )
            for blocks in experiment.phases:
                playable = [b for b in blocks if b.slug != EMPTY_BLOCK_SLUG]
                rng.shuffle(playable)
                stopped = False
                for block in playable:
                    repeats = 2 if rng.random() < 0.04 else 1
                    for _ in range(repeats):
                        moment, finished = _demo_session(
                            rng,
                            ids,
                            tables,
                            experiment,
                            block,
                            block_ids[block.slug],
                            playlist_ids.get(block.playlist or ""),
                            sections_of.get(block.playlist or "", []),
                            participant,
                            moment,
                            profiled,
                        )
                        if not finished:
                            stopped = True
                            break
                    if stopped:
                        break
                if stopped or rng.random() > experiment.continue_chance:
                    break
    return tables


def _demo_session(
    rng: random.Random,
    ids: _Counters,
    tables: dict[str, list[dict[str, Any]]],
    experiment: ExperimentSpec,
    block: BlockSpec,
    block_id: int,
    playlist_id: int | None,
    sections: list[SectionRow],
    participant: dict[str, Any],
    started_at: datetime,
    profiled: set[tuple[int, str]],
) -> tuple[datetime, bool]:
    """Add one session with its trials and profile answers; returns when the next one starts and
    whether this one was finished."""
    session_id = ids.take("session")
    finished = rng.random() >= 0.1
    trial_count = block.trials if finished else rng.randrange(0, max(1, block.trials // 2))
    trials = session_trials(rng, block.rules, sections, trial_count, ids.take("result", 0))
    ids.take("result", len(trials))
    moment = started_at + timedelta(seconds=rng.uniform(4, 40))
    for trial in trials:
        moment += timedelta(seconds=trial.decision_time + rng.uniform(0.5, 4.0))
        tables["result_result"].append(
            ResultRow(
                id=trial.json_data["result_id"],
                created_at=moment,
                question_key=trial.question_key,
                expected_response=trial.expected_response,
                given_response=trial.given_response,
                comment=trial.comment,
                score=trial.score,
                scoring_rule=trial.scoring_rule,
                section_id=trial.section_id,
                session_id=session_id,
                participant_id=None,
                json_data=trial.json_data,
            )._asdict()
        )
    questions = [
        _PROFILE_BY_KEY[key]
        for key in block.profile_questions
        if (participant["id"], key) not in profiled or key == "dgf_country_of_origin"
    ]
    if not finished:
        questions = questions[: rng.randrange(0, len(questions) + 1)]
    if questions:
        answers = profile_results(
            rng,
            participant["id"],
            participant["country_code"],
            questions,
            ids.take("result", len(questions)),
            moment,
        )
        profiled.update((participant["id"], q.key) for q in questions)
        tables["result_result"].extend(a._asdict() for a in answers)
        moment = answers[-1].created_at
    score = sum(t.score or 0.0 for t in trials) if finished else 0.0
    tables["session_session"].append(
        {
            "id": session_id,
            "started_at": started_at,
            "finished_at": moment + timedelta(seconds=rng.uniform(1, 5)) if finished else None,
            "final_score": float(score),
            "block_id": block_id,
            "participant_id": participant["id"],
            "playlist_id": playlist_id,
            "json_data": session_json(rng, block.rules, experiment.slug, sections, finished, block.rounds),
        }
    )
    gap = (
        timedelta(minutes=rng.uniform(0.5, 20)) if rng.random() < 0.85 else timedelta(days=rng.uniform(1, 9))
    )
    return moment + gap, finished


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # SQLAlchemy's DateTime on SQLite: naive UTC text with microseconds.
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


_INDEXES = (
    ("session_session", "block_id"),
    ("session_session", "participant_id"),
    ("result_result", "session_id"),
    ("result_result", "participant_id"),
    ("result_result", "section_id"),
    ("section_section", "playlist_id"),
    ("experiment_block", "phase_id"),
    ("experiment_feedback", "block_id"),
)


def _write_sqlite(path: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
    metadata = build_metadata(Release.V2026)
    engine = create_engine(URL.create("sqlite", database=str(path)))
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for name, rows in tables.items():
            columns = [c.name for c in metadata.tables[name].columns]
            quoted = ", ".join('"' + c + '"' for c in columns)
            placeholders = ", ".join("?" for _ in columns)
            statement = f'INSERT INTO "{name}" ({quoted}) VALUES ({placeholders})'
            conn.executemany(statement, ([_sqlite_value(row[c]) for c in columns] for row in rows))
        for table, column in _INDEXES:
            conn.execute(f'CREATE INDEX "{table}_{column}_idx" ON "{table}" ("{column}")')
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()


def demo_database_path() -> Path:
    """Where the built-in demo lives: the user data directory, named by content version."""
    return platformdirs.user_data_path("muscle-tui") / f"demo-v{DEMO_VERSION}.sqlite3"


def write_demo_database(path: Path, replace: bool = False) -> Path:
    """Build the demo database at `path` and return that path.

    The file is built in a private directory (mode 0700) made beside `path`, then renamed into place:
    no reader sees a half-built file and no other user can plant a symlink at a name being written.
    Without `replace` anything already at `path`, a symlink included, is kept and OutputError raised;
    with it, the name is replaced (a symlink itself, never the file it points to).
    """
    path = Path(path).expanduser().absolute()
    try:
        workdir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    except OSError as exc:
        raise OutputError(f"cannot write the demo database in {path.parent}: {exc.strerror or exc}") from None
    try:
        built = workdir / "demo.sqlite3"
        _write_sqlite(built, demo_rows())
        with open(built, "rb") as handle:
            os.fsync(handle.fileno())
        _move_into_place(built, path, replace)
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        reason = getattr(exc, "strerror", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
        raise OutputError(f"cannot write the demo database {path}: {reason}") from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return path


def _move_into_place(built: Path, path: Path, replace: bool) -> None:
    """Give `built` the name `path`; rename(2) and link(2) act on the name and never follow a symlink."""
    if replace:
        os.replace(built, path)
        return
    try:
        os.link(built, path)
    except FileExistsError:
        raise OutputError(f"{path} already exists; use --force to replace it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
            raise
        # A file system without hard links: check, then rename (which still follows no symlink).
        if os.path.lexists(path):
            raise OutputError(f"{path} already exists; use --force to replace it") from None
        os.rename(built, path)


def ensure_demo_database(path: Path) -> Path:
    """The demo database at `path`, built on first use and reused afterwards."""
    if path.is_file():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create the demo database at {path}: {exc.strerror or exc}") from None
    try:
        return write_demo_database(path, replace=True)
    except OutputError as exc:
        raise DatabaseError(str(exc)) from None
