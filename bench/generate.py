"""Create a large MUSCLE database in PostgreSQL for export benchmarks.

    python bench/generate.py --sessions 10000 --results-per-session 100 [--release 2026]
                             [--db-name bench_10000x100] [--admin-url postgresql://postgres@127.0.0.1/postgres]

Drops and recreates the database, loads MUSCLE's own schema (tests/reference/schema/postgres-<release>.sql)
with psql, then streams ONE experiment with ONE block (slug `bench`) of N sessions x M trial results,
their participants, profile answers, a playlist and feedback into it with COPY. Rows are shaped by the
same seeded generators as the built-in demo (muscle_tui.demo.generators). Prints the time of each step.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import URL, make_url

from muscle_tui.demo.generators import (
    ResultRow,
    feedback_rows,
    participant_row,
    playlist_rows,
    profile_results,
    session_json,
    session_trials,
)
from muscle_tui.demo.playlists import PLAYLISTS, PlaylistSpec, SectionRow, SectionSpec
from muscle_tui.demo.specs import PROFILE_QUESTIONS

REPO = Path(__file__).resolve().parent.parent
SCHEMA_DIR = REPO / "tests" / "reference" / "schema"
DEFAULT_ADMIN_URL = os.environ.get("MUSCLE_TUI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
RELEASES = ("2025-01", "2026")
BLOCK_SLUG = "bench"
EXPERIMENT_SLUG = "bench"
RULES = "CATEGORIZATION"
BASE_TIME = datetime(2025, 1, 6, 7, 0, 0)
PROFILE_PER_PARTICIPANT = 5
BULK_TABLES = ("participant_participant", "session_session", "result_result")
# (table, column) pairs MUSCLE's exports filter or join on; created when the schema lacks them.
USUAL_INDEXES = (
    ("result_result", "session_id"),
    ("result_result", "participant_id"),
    ("result_result", "section_id"),
    ("session_session", "block_id"),
    ("session_session", "participant_id"),
    ("section_section", "playlist_id"),
    ("experiment_block_playlists", "block_id"),
    ("experiment_feedback", "block_id"),
)
BENCH_PLAYLIST = PlaylistSpec(
    "Bench – categorization, pairs 1 & 2",
    "",
    (
        *PLAYLISTS["categorization"].sections,
        SectionSpec("", "", 0.0, 0.5, "CAT/click.wav", "click", "sync"),
        SectionSpec("", "", 0.0, 2.0, "CAT/silence.wav", "pause", "sync"),
    ),
)


# ---------------------------------------------------------------------------------------------
# COPY text format


def copy_text(value: Any) -> str:
    """A value as a field of PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, (dict, list)):
        return copy_json(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def copy_json(value: Any) -> str:
    """JSON for a jsonb field of COPY text format (JSON itself never holds a raw tab or newline)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("\\", "\\\\") if "\\" in text else text


def timestamp(moment: datetime) -> str:
    """A naive UTC datetime as a timestamptz literal."""
    return moment.isoformat(sep=" ") + "+00"


def copy_line(values: Iterable[Any]) -> str:
    """One row of COPY text format."""
    return "\t".join(copy_text(v) for v in values) + "\n"


class LineSource:
    """A file-like object for `copy_expert`: each read() encodes the next batch of generated lines,
    so rows stream to the server while later ones are still being generated."""

    def __init__(self, lines: Iterator[str], batch: int = 2000) -> None:
        self._lines = lines
        self._batch = batch
        self.rows = 0

    def read(self, size: int = -1) -> bytes:
        chunk = list(islice(self._lines, self._batch))
        self.rows += len(chunk)
        return "".join(chunk).encode()


def copy_rows(cur, table: str, columns: tuple[str, ...], lines: Iterator[str]) -> int:
    """Stream COPY-format lines into `table`; returns how many rows went in."""
    source = LineSource(lines)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    cur.copy_expert(statement.as_string(cur), source, size=1 << 16)
    return source.rows


def _write_lines(make_lines: Callable[[], Iterator[str]], fd: int) -> None:
    with os.fdopen(fd, "wb", buffering=1 << 20) as pipe:
        lines = make_lines()
        while chunk := list(islice(lines, 2000)):
            pipe.write("".join(chunk).encode())


def copy_generated(
    cur, table: str, columns: tuple[str, ...], make_lines: Callable[[], Iterator[str]]
) -> None:
    """COPY lines that a forked child process generates into a pipe: the generator and the server's
    COPY then run on separate cores."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    read_end, write_end = os.pipe()
    child = multiprocessing.get_context("fork").Process(target=_write_lines, args=(make_lines, write_end))
    child.start()
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            cur.copy_expert(statement.as_string(cur), pipe, size=1 << 16)
    except BaseException:
        child.kill()
        raise
    finally:
        child.join()
    if child.exitcode != 0:
        # The child died early: COPY saw a truncated stream, so the transaction must not commit.
        raise RuntimeError(f"generating {table} rows failed (exit code {child.exitcode})")


def dict_lines(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> Iterator[str]:
    """COPY lines of dict rows, in `columns` order."""
    for row in rows:
        yield copy_line(row[c] for c in columns)


# ---------------------------------------------------------------------------------------------
# The rows


@dataclass(frozen=True)
class BenchSize:
    """How much to generate."""

    sessions: int
    results_per_session: int

    @property
    def participants(self) -> int:
        return max(1, self.sessions * 4 // 5)

    @property
    def feedback(self) -> int:
        return max(3, self.sessions // 100)


RESULT_COLUMNS = ResultRow._fields
SESSION_COLUMNS = (
    "id",
    "started_at",
    "finished_at",
    "final_score",
    "block_id",
    "participant_id",
    "playlist_id",
    "json_data",
)
PARTICIPANT_COLUMNS = ("id", "unique_hash", "country_code", "access_info", "participant_id_url")
SECTION_COLUMNS = SectionRow._fields


class BenchData:
    """Generates the benchmark's rows from a seed; sessions and their trial results come in one pass."""

    def __init__(self, size: BenchSize, seed: int) -> None:
        self.size = size
        self.seed = seed
        self.rng = random.Random(f"{seed}:catalog")
        self.playlist = playlist_rows(self.rng, BENCH_PLAYLIST, 1, 1, {})
        self.participants = [participant_row(self.rng, pid) for pid in range(1, size.participants + 1)]
        self.session_participant = [
            i + 1 if i < size.participants else self.rng.randrange(1, size.participants + 1)
            for i in range(size.sessions)
        ]
        self.first_profile_id = size.sessions * size.results_per_session + 1

    def session_start(self, index: int) -> datetime:
        """When the index-th session started: spread over a year, with microseconds."""
        spread = 365 * 86400 * index / self.size.sessions + (index * 7919) % 600
        return BASE_TIME + timedelta(seconds=spread, microseconds=(index * 104729) % 1_000_000)

    def session_lines(self) -> Iterator[str]:
        """COPY lines of the sessions, in pk order."""
        rng = random.Random(f"{self.seed}:sessions")
        sections = self.playlist.sections
        for index in range(self.size.sessions):
            session_id = index + 1
            started = self.session_start(index)
            finished = rng.random() >= 0.1
            duration = timedelta(seconds=20 + self.size.results_per_session * 6.5 + rng.uniform(5, 60))
            yield copy_line(
                (
                    session_id,
                    started,
                    started + duration if finished else None,
                    float(rng.randrange(0, self.size.results_per_session + 1)) if finished else 0.0,
                    1,
                    self.session_participant[index],
                    1,
                    session_json(
                        rng, RULES, EXPERIMENT_SLUG, sections, finished, self.size.results_per_session
                    ),
                )
            )

    def result_lines(self) -> Iterator[str]:
        """COPY lines of every session's trial results, in pk order."""
        rng = random.Random(f"{self.seed}:results")
        sections = self.playlist.sections
        per_session = self.size.results_per_session
        for index in range(self.size.sessions):
            session_id = index + 1
            first_id = index * per_session + 1
            moment = self.session_start(index) + timedelta(seconds=20)
            for offset, trial in enumerate(session_trials(rng, RULES, sections, per_session, first_id)):
                moment += timedelta(seconds=trial.decision_time + 1.5)
                yield (
                    f"{first_id + offset}\t{timestamp(moment)}\t{copy_text(trial.question_key)}\t"
                    f"{copy_text(trial.expected_response)}\t{copy_text(trial.given_response)}\t"
                    f"{copy_text(trial.comment)}\t{copy_text(trial.score)}\t{copy_text(trial.scoring_rule)}\t"
                    f"{copy_text(trial.section_id)}\t{session_id}\t\\N\t{copy_json(trial.json_data)}\n"
                )

    def profile_lines(self) -> Iterator[str]:
        """COPY lines of each participant's profile answers."""
        rng = random.Random(f"{self.seed}:profiles")
        next_id = self.first_profile_id
        for participant in self.participants:
            questions = rng.sample(PROFILE_QUESTIONS, PROFILE_PER_PARTICIPANT)
            answered = BASE_TIME + timedelta(seconds=rng.randrange(365 * 86400))
            for row in profile_results(
                rng, participant["id"], participant["country_code"], questions, next_id, answered
            ):
                yield copy_line(row)
            next_id += PROFILE_PER_PARTICIPANT


def catalog_rows(release: str, size: BenchSize) -> list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
    """The experiment, its phase and block (and 2025-01 translated names), as (table, columns, rows)."""
    name = "Benchmark experiment – “bench”"
    block_name = f"Bench: categorization, {size.sessions:,} × {size.results_per_session}"
    description = 'Generated by bench/generate.py; ünïcode, commas, "quotes".'
    rows: list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] = []
    if release == "2026":
        rows.append(
            (
                "experiment_experiment",
                (
                    "id",
                    "active",
                    "slug",
                    "about_content",
                    "consent",
                    "description",
                    "disclaimer",
                    "name",
                    "privacy",
                    "social_media_message",
                    "name_en",
                    "description_en",
                    "replayable",
                ),
                [
                    (
                        1,
                        True,
                        EXPERIMENT_SLUG,
                        "",
                        "",
                        description,
                        "",
                        name,
                        "",
                        "I scored {points} points in {experiment_name}!",
                        name,
                        description,
                        False,
                    )
                ],
            )
        )
    else:
        rows.append(("experiment_experiment", ("id", "active", "slug"), [(1, True, EXPERIMENT_SLUG)]))
        rows.append(
            (
                "experiment_experimenttranslatedcontent",
                (
                    "id",
                    "index",
                    "language",
                    "name",
                    "description",
                    "consent",
                    "about_content",
                    "experiment_id",
                    "social_media_message",
                    "disclaimer",
                    "privacy",
                ),
                [
                    (1, 0, "en", name, description, "", "", 1, "", "", ""),
                    (2, 1, "nl", "Benchmarkexperiment – ‘bench’", description, "", "", 1, "", "", ""),
                ],
            )
        )
    rows.append(
        (
            "experiment_phase",
            ("id", "index", "dashboard", "randomize", "experiment_id"),
            [(1, 0, True, False, 1)],
        )
    )
    block_columns = ("id", "slug", "rounds", "bonus_points", "rules", "phase_id", "index")
    block = (1, BLOCK_SLUG, size.results_per_session, 0, RULES, 1, 0)
    if release == "2026":
        rows.append(
            (
                "experiment_block",
                (*block_columns, "description", "name", "rules_config", "name_en", "description_en"),
                [(*block, description, block_name, {}, block_name, description)],
            )
        )
    else:
        rows.append(("experiment_block", block_columns, [block]))
        rows.append(
            (
                "experiment_blocktranslatedcontent",
                ("id", "language", "name", "description", "block_id"),
                [
                    (1, "en", block_name, description, 1),
                    (2, "nl", f"Bench: categorisatie ({size.sessions})", "", 1),
                ],
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Loading


def libpq_params(url: URL) -> dict[str, Any]:
    """psycopg2 connection parameters of an SQLAlchemy URL."""
    params = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or "postgres",
        "dbname": url.database or "postgres",
    }
    if url.password:
        params["password"] = str(url.password)
    return params


def recreate_database(admin: URL, name: str) -> None:
    """Drop `name` if it exists (ending its connections) and create it empty."""
    conn = psycopg2.connect(**libpq_params(admin))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            cur.execute(
                sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name))
            )
    finally:
        conn.close()


def load_schema(url: URL, release: str) -> None:
    """Run MUSCLE's schema file through psql."""
    env = dict(os.environ)
    params = libpq_params(url)
    env.update(PGHOST=params["host"], PGPORT=str(params["port"]), PGUSER=params["user"])
    if "password" in params:
        env["PGPASSWORD"] = params["password"]
    schema = SCHEMA_DIR / f"postgres-{release}.sql"
    done = subprocess.run(
        ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", params["dbname"], "-f", str(schema)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"generate.py: loading {schema.name} failed: {done.stderr.strip().splitlines()[-1]}")


def _deferred_ddl(cur) -> tuple[list[str], list[str]]:
    """Drop the foreign keys touching the bulk tables and their plain indexes; return the DDL that
    recreates them (indexes first), to run once the rows are in."""
    cur.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE contype = 'f'
          AND (conrelid = ANY(%(tables)s::regclass[]) OR confrelid = ANY(%(tables)s::regclass[]))
        """,
        {"tables": list(BULK_TABLES)},
    )
    foreign_keys = cur.fetchall()
    cur.execute(
        """
        SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)
        FROM pg_index
        WHERE indrelid = ANY(%(tables)s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = pg_index.indexrelid)
        """,
        {"tables": list(BULK_TABLES)},
    )
    indexes = cur.fetchall()
    for table, name, _ in foreign_keys:
        cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {sql.Identifier(name).as_string(cur)}")
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    recreate = [definition for _, definition in indexes]
    constraints = [
        f"ALTER TABLE {table} ADD CONSTRAINT {sql.Identifier(name).as_string(cur)} {definition}"
        for table, name, definition in foreign_keys
    ]
    return recreate, constraints


def ensure_usual_indexes(cur) -> list[str]:
    """Create an index on each usual (table, column) no index starts with; returns those created."""
    created = []
    for table, column in USUAL_INDEXES:
        cur.execute(
            """
            SELECT 1 FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = %s::regclass AND a.attname = %s
            """,
            (table, column),
        )
        if cur.fetchone() is None:
            name = f"bench_{table}_{column}_idx"
            cur.execute(
                sql.SQL("CREATE INDEX {} ON {} ({})").format(
                    sql.Identifier(name), sql.Identifier(table), sql.Identifier(column)
                )
            )
            created.append(name)
    return created


def _reset_sequences(cur, tables: Iterable[str]) -> None:
    for table in tables:
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
        sequence = cur.fetchone()[0]
        if sequence:
            cur.execute(
                sql.SQL("SELECT setval(%s, COALESCE((SELECT max(id) FROM {}), 0) + 1, false)").format(
                    sql.Identifier(table)
                ),
                (sequence,),
            )


class Timer:
    """Prints how long each step took."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.start = time.perf_counter()
        self.last = self.start

    def step(self, what: str) -> float:
        now = time.perf_counter()
        elapsed = now - self.last
        self.last = now
        self.out(f"  {what:<44} {elapsed:8.2f} s")
        return elapsed

    def total(self) -> float:
        return time.perf_counter() - self.start


def generate(
    admin: URL,
    db_name: str,
    release: str,
    size: BenchSize,
    seed: int = 2026,
    out: Callable[[str], None] = print,
) -> URL:
    """Build the benchmark database and return its URL."""
    url = admin.set(database=db_name)
    out(
        f"bench database {db_name}: MUSCLE {release}, {size.sessions:,} sessions x "
        f"{size.results_per_session} results, {size.participants:,} participants"
    )
    timer = Timer(out)
    recreate_database(admin, db_name)
    timer.step("create database")
    load_schema(url, release)
    timer.step(f"load schema postgres-{release}.sql")

    data = BenchData(size, seed)
    conn = psycopg2.connect(**libpq_params(url))
    try:
        with conn.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '256MB'")
            cur.execute("SET synchronous_commit = off")
            recreate, constraints = _deferred_ddl(cur)
            for table, columns, rows in catalog_rows(release, size):
                copy_rows(cur, table, columns, (copy_line(r) for r in rows))
            copy_rows(
                cur,
                "section_playlist",
                ("id", "name", "process_csv", "csv", "url_prefix"),
                dict_lines([data.playlist.playlist], ("id", "name", "process_csv", "csv", "url_prefix")),
            )
            copy_rows(
                cur,
                "section_song",
                ("id", "artist", "name"),
                dict_lines(data.playlist.songs, ("id", "artist", "name")),
            )
            copy_rows(cur, "section_section", SECTION_COLUMNS, (copy_line(s) for s in data.playlist.sections))
            copy_rows(
                cur, "experiment_block_playlists", ("id", "block_id", "playlist_id"), iter(["1\t1\t1\n"])
            )
            copy_rows(
                cur,
                "experiment_feedback",
                ("id", "text", "block_id"),
                dict_lines(feedback_rows(data.rng, 1, 1, size.feedback), ("id", "text", "block_id")),
            )
            copy_rows(
                cur,
                "participant_participant",
                PARTICIPANT_COLUMNS,
                dict_lines(data.participants, PARTICIPANT_COLUMNS),
            )
            timer.step("experiment, block, playlist, participants")
            copy_generated(cur, "session_session", SESSION_COLUMNS, data.session_lines)
            timer.step(f"COPY {size.sessions:,} sessions")
            copy_generated(cur, "result_result", RESULT_COLUMNS, data.result_lines)
            timer.step(f"COPY {size.sessions * size.results_per_session:,} trial results")
            copy_generated(cur, "result_result", RESULT_COLUMNS, data.profile_lines)
            timer.step(f"COPY {size.participants * PROFILE_PER_PARTICIPANT:,} profile answers")
            for statement in recreate:
                cur.execute(statement)
            created = ensure_usual_indexes(cur)
            timer.step("indexes" + (f" (added {', '.join(created)})" if created else ""))
            for statement in constraints:
                cur.execute(statement)
            timer.step("foreign keys (validated)")
            _reset_sequences(
                cur,
                [t for t, _, _ in catalog_rows(release, size)]
                + [
                    "section_playlist",
                    "section_song",
                    "section_section",
                    "experiment_block_playlists",
                    "experiment_feedback",
                    *BULK_TABLES,
                ],
            )
        conn.commit()
        timer.step("commit")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM (ANALYZE)")
        timer.step("VACUUM (ANALYZE)")
    finally:
        conn.close()
    out(f"  {'total':<44} {timer.total():8.2f} s")
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, required=True, metavar="N", help="sessions in the block")
    parser.add_argument(
        "--results-per-session", type=int, required=True, metavar="M", help="trial results per session"
    )
    parser.add_argument("--release", choices=RELEASES, default="2026", help="MUSCLE schema (default 2026)")
    parser.add_argument(
        "--db-name", metavar="NAME", help="database to (re)create (default bench_NxM, or bench_NxM_2025_01)"
    )
    parser.add_argument(
        "--admin-url",
        metavar="URL",
        default=DEFAULT_ADMIN_URL,
        help="a database URL on the server to connect to for CREATE/DROP DATABASE "
        "(default $MUSCLE_TUI_TEST_PG or postgresql://postgres@127.0.0.1:5432/postgres)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.results_per_session < 0:
        parser.error("--sessions must be at least 1 and --results-per-session at least 0")
    size = BenchSize(args.sessions, args.results_per_session)
    name = args.db_name or f"bench_{size.sessions}x{size.results_per_session}" + (
        "" if args.release == "2026" else "_" + args.release.replace("-", "_")
    )
    admin = make_url(args.admin_url)
    if name == admin.database:
        parser.error(f"--db-name {name} is the --admin-url database; pick another name")
    try:
        url = generate(admin, name, args.release, size, args.seed)
    except (psycopg2.Error, RuntimeError) as exc:
        print(f"generate.py: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    print(url.set(drivername="postgresql").render_as_string(hide_password=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
