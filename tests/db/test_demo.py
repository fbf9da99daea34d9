"""The built-in demo database, `muscle-tui demo`, and the benchmark generator in bench/."""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from muscle_tui import demo
from muscle_tui.cli import main
from muscle_tui.db.connect import open_engine
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.schema import Release, build_metadata, detect_schema
from muscle_tui.demo.builder import demo_rows
from muscle_tui.demo.specs import EMPTY_BLOCK_SLUG
from muscle_tui.errors import DatabaseError, OutputError

REPO = Path(__file__).resolve().parents[2]
BENCH_SCRIPT = REPO / "bench" / "generate.py"
TABLES = (
    "experiment_experiment",
    "experiment_phase",
    "experiment_block",
    "experiment_block_playlists",
    "experiment_feedback",
    "participant_participant",
    "session_session",
    "result_result",
    "section_playlist",
    "section_section",
    "section_song",
)


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


def dump_rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {table: conn.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall() for table in TABLES}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def demo_db(demo_path: Path):
    db = MuscleDatabase.open(sqlite_url(demo_path), "demo")
    yield db
    db.close()


@pytest.fixture
def demo_sql(demo_path: Path):
    conn = sqlite3.connect(demo_path)
    yield conn
    conn.close()


# ---------------------------------------------------------------------------------------------
# The demo database


def test_demo_is_the_2026_release(demo_path: Path) -> None:
    engine = open_engine(sqlite_url(demo_path))
    try:
        with engine.connect() as conn:
            assert detect_schema(conn).release is Release.V2026
    finally:
        engine.dispose()


def test_demo_opens_read_only(demo_db: MuscleDatabase, demo_sql: sqlite3.Connection) -> None:
    before = demo_sql.execute("SELECT count(*) FROM result_result").fetchone()[0]
    with demo_db.engine.connect() as conn:
        with pytest.raises(OperationalError, match=r"readonly|read-only|query_only"):
            conn.execute(text("DELETE FROM result_result"))
    assert demo_sql.execute("SELECT count(*) FROM result_result").fetchone()[0] == before > 0


def test_demo_catalog_shows_two_experiments_and_their_blocks(demo_db: MuscleDatabase) -> None:
    experiments = demo_db.experiments()
    assert [e.slug for e in experiments] == ["musical-minds", "speech-to-song-2024"]
    assert [e.active for e in experiments] == [True, False]
    assert all(e.name and e.sessions > 0 for e in experiments)
    blocks = demo_db.blocks()
    assert len(blocks) >= 5
    assert {b.experiment_slug for b in blocks} == {e.slug for e in experiments}
    assert [b.slug for b in blocks if b.sessions == 0] == [EMPTY_BLOCK_SLUG]
    assert any(b.finished_sessions < b.sessions for b in blocks), "some sessions are unfinished"
    assert len({b.rules for b in blocks}) >= 5
    assert {"HOOKED", "CATEGORIZATION", "QUESTIONNAIRE", "SPEECH2SONG", "RHYTHM_BATTERY_FINAL"} <= {
        b.rules for b in blocks
    }
    started = [b.first_session for b in blocks if b.sessions]
    assert all(s is not None and s.year in (2024, 2025, 2026) for s in started)


def test_demo_catalog_counts_match_sql(demo_db: MuscleDatabase, demo_sql: sqlite3.Connection) -> None:
    for block in demo_db.blocks():
        sessions, finished, participants = demo_sql.execute(
            "SELECT count(*), count(finished_at), count(DISTINCT participant_id) FROM session_session "
            "WHERE block_id = ?",
            (block.id,),
        ).fetchone()
        results = demo_sql.execute(
            "SELECT count(*) FROM result_result r JOIN session_session s ON r.session_id = s.id "
            "WHERE s.block_id = ?",
            (block.id,),
        ).fetchone()[0]
        assert (block.sessions, block.finished_sessions, block.participants, block.results) == (
            sessions,
            finished,
            participants,
            results,
        ), block.slug
    trial_results = demo_sql.execute(
        "SELECT count(*) FROM result_result WHERE session_id IS NOT NULL"
    ).fetchone()[0]
    assert sum(b.results for b in demo_db.blocks()) == trial_results
    assert 20_000 <= trial_results <= 40_000
    assert 200 <= demo_sql.execute("SELECT count(*) FROM participant_participant").fetchone()[0] <= 500


def test_demo_rows_are_shaped_like_muscle(demo_sql: sqlite3.Connection) -> None:
    one = lambda query: demo_sql.execute(query).fetchone()[0]  # noqa: E731
    # Trial results: json_data as Django writes it, with decision time and widget config.
    for raw, result_id in demo_sql.execute(
        "SELECT json_data, id FROM result_result WHERE session_id IS NOT NULL ORDER BY id LIMIT 500"
    ):
        data = json.loads(raw)
        assert data["result_id"] == result_id
        assert isinstance(data["decision_time"], float) and isinstance(data["config"], dict)
        assert {"key", "view", "value", "choices"} <= data.keys()
    assert one("SELECT count(*) FROM result_result WHERE session_id IS NOT NULL AND section_id IS NULL") > 0
    # Profile answers: participant set, session null; some skipped, some scored.
    assert one("SELECT count(*) FROM result_result WHERE session_id IS NULL AND participant_id IS NULL") == 0
    keys = {
        k
        for (k,) in demo_sql.execute(
            "SELECT DISTINCT question_key FROM result_result WHERE session_id IS NULL"
        )
    }
    assert {"dgf_generation", "dgf_country_of_origin"} <= keys and any(k.startswith("msi_") for k in keys)
    assert one("SELECT count(*) FROM result_result WHERE session_id IS NULL AND given_response IS NULL") > 0
    assert one("SELECT count(*) FROM result_result WHERE session_id IS NULL AND score IS NOT NULL") > 0
    # Sessions: json_data names the block's experiment; unfinished ones have no end and score 0.
    for raw, slug in demo_sql.execute(
        "SELECT s.json_data, e.slug FROM session_session s JOIN experiment_block b ON b.id = s.block_id "
        "JOIN experiment_phase p ON p.id = b.phase_id JOIN experiment_experiment e ON e.id = p.experiment_id"
    ):
        assert json.loads(raw)["experiment"] == slug
    assert one("SELECT count(*) FROM session_session WHERE finished_at IS NULL AND final_score <> 0") == 0
    # Participants, sections, songs.
    assert one("SELECT count(*) FROM participant_participant WHERE participant_id_url IS NULL") > 0
    assert one("SELECT count(DISTINCT unique_hash) = count(*) FROM participant_participant") == 1
    assert one("SELECT count(*) FROM section_section WHERE song_id IS NULL") > 0
    assert one("SELECT count(*) FROM experiment_feedback") > 0
    names = [
        n
        for (n,) in demo_sql.execute(
            "SELECT name FROM experiment_block UNION ALL SELECT text FROM experiment_feedback"
        )
    ]
    assert any(not n.isascii() for n in names)
    assert any("," in n for n in names) and any('"' in n for n in names)


def test_demo_timestamps_are_stored_as_sqlalchemy_does(demo_path: Path, demo_sql: sqlite3.Connection) -> None:
    raw = [
        t
        for (t,) in demo_sql.execute(
            "SELECT started_at FROM session_session UNION ALL SELECT created_at FROM result_result"
        )
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", t) for t in raw)
    table = build_metadata(Release.V2026).tables["session_session"]
    engine = create_engine(f"sqlite:///{demo_path}")
    try:
        with engine.connect() as conn:
            first = conn.execute(select(table.c.started_at, table.c.json_data).order_by(table.c.id)).first()
    finally:
        engine.dispose()
    assert first is not None
    assert (
        first.started_at.tzinfo is None
        and first.started_at.isoformat(sep=" ", timespec="microseconds") == raw[0]
    )
    assert isinstance(first.json_data, dict)


def test_two_generations_are_identical(demo_path: Path, tmp_path: Path) -> None:
    again = demo.write_demo_database(tmp_path / "again.sqlite3")
    assert dump_rows(again) == dump_rows(demo_path)


def test_another_seed_gives_other_rows() -> None:
    assert demo_rows(seed=1)["result_result"][:50] != demo_rows()["result_result"][:50]


# ---------------------------------------------------------------------------------------------
# Where the demo lives


def test_demo_lives_in_the_user_data_directory() -> None:
    path = demo.demo_database_path()
    assert path.parent == platformdirs.user_data_path("muscle-tui")
    assert path.name == f"demo-v{demo.DEMO_VERSION}.sqlite3"


def test_ensure_creates_once_then_reuses(tmp_path: Path) -> None:
    path = tmp_path / "data" / "muscle-tui" / "demo-v1.sqlite3"
    assert demo.ensure_demo_database(path) == path
    stat = path.stat()
    assert demo.ensure_demo_database(path) == path
    again = path.stat()
    assert (again.st_ino, again.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary files are left"


def test_ensure_reports_an_unusable_directory_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(DatabaseError) as info:
        demo.ensure_demo_database(blocker / "demo.sqlite3")
    assert "\n" not in str(info.value) and "demo.sqlite3" in str(info.value)


def test_resolving_no_database_opens_the_demo(tmp_path: Path, monkeypatch, demo_path: Path, capsys) -> None:
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("muscle_tui.demo.demo_database_path", lambda: demo_path)
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "hooked-eurovision" in out and EMPTY_BLOCK_SLUG in out


# ---------------------------------------------------------------------------------------------
# muscle-tui demo PATH


def test_cli_writes_the_demo_and_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    path = tmp_path / "my demo.sqlite3"
    assert main(["demo", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(path)
    db = MuscleDatabase.open(sqlite_url(path), "demo")
    try:
        assert db.schema.release is Release.V2026 and len(db.experiments()) == 2
    finally:
        db.close()

    stat = path.stat()
    assert main(["demo", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "already exists" in captured.err and "--force" in captured.err
    assert path.stat().st_mtime_ns == stat.st_mtime_ns

    path.write_bytes(b"not a database")
    assert main(["demo", str(path), "--force"]) == 0
    assert capsys.readouterr().out.strip() == str(path)
    assert dump_rows(path)["experiment_experiment"]


def test_cli_reports_a_missing_directory(tmp_path: Path, capsys) -> None:
    assert main(["demo", str(tmp_path / "absent" / "demo.sqlite3")]) == 1
    captured = capsys.readouterr()
    assert "does not exist" in captured.err and captured.out == ""


def test_cli_without_path_prints_the_built_in_demo(tmp_path: Path, monkeypatch, capsys) -> None:
    target = tmp_path / "user-data" / "demo-v1.sqlite3"
    monkeypatch.setattr("muscle_tui.demo.demo_database_path", lambda: target)
    assert main(["demo"]) == 0
    assert capsys.readouterr().out.strip() == str(target)
    assert target.is_file()


def _plant_symlinks_where_others_can_write(monkeypatch, victim: Path) -> list[Path]:
    """Play another user who can write in a shared directory (like /tmp): whenever an SQLite file is
    about to be created in a directory that others may write to, put a symlink to `victim` at its name
    first. Returns the names it planted at."""
    planted: list[Path] = []
    connect = sqlite3.connect

    def connect_after_planting(database, *args, **kwargs):
        path = Path(database)
        if not path.exists() and path.parent.stat().st_mode & 0o022:
            path.symlink_to(victim)
            planted.append(path)
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect_after_planting)
    monkeypatch.setattr(sqlite3.dbapi2, "connect", connect_after_planting)  # what SQLAlchemy calls
    return planted


def test_the_demo_is_built_where_no_other_user_can_plant_a_symlink(tmp_path: Path, monkeypatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.sqlite3"
    planted = _plant_symlinks_where_others_can_write(monkeypatch, victim)
    target = demo.write_demo_database(shared / "demo.sqlite3")
    monkeypatch.undo()
    assert planted == [] and not victim.exists()
    assert target.is_file() and not target.is_symlink()
    assert dump_rows(target)["experiment_experiment"]
    assert [p.name for p in shared.iterdir()] == ["demo.sqlite3"], "the private build directory is gone"


def test_a_symlink_at_the_target_is_refused_without_replace(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    dangling = tmp_path / "would-be-created"
    for destination in (victim, dangling):
        link = tmp_path / f"link-to-{destination.name}"
        link.symlink_to(destination)
        with pytest.raises(OutputError, match="already exists"):
            demo.write_demo_database(link)
        assert link.is_symlink() and link.readlink() == destination
    assert victim.read_text() == "precious" and not dangling.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "link-to-victim.txt",
        "link-to-would-be-created",
        "victim.txt",
    ]


def test_replace_replaces_a_symlink_at_the_target_not_what_it_points_to(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "demo.sqlite3"
    link.symlink_to(victim)
    assert demo.write_demo_database(link, replace=True) == link
    assert not link.is_symlink() and dump_rows(link)["experiment_experiment"]
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.sqlite3", "victim.txt"]


# ---------------------------------------------------------------------------------------------
# bench/generate.py


def _load_bench_module():
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _bulk_ddl(url: URL) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid IN ('result_result'::regclass, 'session_session'::regclass, "
                    "'participant_participant'::regclass) "
                    "UNION ALL SELECT pg_get_indexdef(indexrelid) FROM pg_index "
                    "WHERE indrelid IN ('result_result'::regclass, 'session_session'::regclass, "
                    "'participant_participant'::regclass)"
                )
            )
            return {r[0] for r in rows}
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("release", "empty_fixture"), [(Release.JAN_2025, "empty2025_url"), (Release.V2026, "empty2026_url")]
)
def test_bench_generator_loads_a_muscle_database(pg, request, release: Release, empty_fixture: str) -> None:
    url = pg.create(f"bench_{release.value.replace('-', '_')}")
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH_SCRIPT),
            "--sessions",
            "5",
            "--results-per-session",
            "3",
            "--release",
            release.value,
            "--db-name",
            url.database,
            "--admin-url",
            pg.admin.render_as_string(hide_password=False),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "COPY 15 trial results" in done.stdout and "total" in done.stdout

    db = MuscleDatabase.open(url, "bench")
    try:
        assert db.schema.release is release
        [experiment] = db.experiments()
        assert experiment.slug == "bench" and experiment.name.startswith("Benchmark experiment")
        block = db.block("bench")
        assert (block.sessions, block.participants, block.results) == (5, 4, 15)
        assert block.name.startswith("Bench: categorization")
        with db.engine.connect() as conn:
            count = lambda query: conn.execute(text(query)).scalar_one()  # noqa: E731
            assert count("SELECT count(*) FROM result_result WHERE session_id IS NULL") == 4 * 5
            assert count("SELECT count(*) FROM section_section WHERE song_id IS NULL") > 0
            assert count("SELECT count(*) FROM experiment_feedback WHERE block_id = 1") >= 3
            assert count("SELECT count(*) FROM result_result WHERE json_data ? 'decision_time'") == 15 + 20
            assert count("SELECT count(*) FROM session_session WHERE json_data->>'experiment' = 'bench'") == 5
    finally:
        db.close()
    # The constraints and indexes set aside for the load are all back, exactly as the schema had them.
    assert _bulk_ddl(url) == _bulk_ddl(request.getfixturevalue(empty_fixture))


@pytest.mark.postgres
def test_bench_copy_format_round_trips_awkward_text(pg) -> None:
    bench = _load_bench_module()
    url = pg.create("bench_copy")
    awkward = "tab\there, back\\slash, new\nline, cr\r, “quotes”, \\N"
    document = {"q": 'say "hi"\\', "n": [1, 2.5, None], "é": "ü\n"}
    conn = bench.psycopg2.connect(**bench.libpq_params(url))
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE t (id integer, body text, doc jsonb, flag boolean, missing text)")
            rows = bench.copy_rows(
                cur,
                "t",
                ("id", "body", "doc", "flag", "missing"),
                iter([bench.copy_line((1, awkward, document, True, None))]),
            )
            assert rows == 1
            cur.execute("SELECT id, body, doc, flag, missing FROM t")
            assert cur.fetchone() == (1, awkward, document, True, None)
    finally:
        conn.close()
