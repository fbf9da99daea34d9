"""The JSON bundle against MUSCLE's own output, byte for byte, and how it is written."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import shutil
import sqlite3
import stat
import threading
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.errors import DatabaseError, ExportCancelled, NotFoundError, OutputError
from muscle_tui.export.files import resolve_output
from muscle_tui.export.json import (
    JSON_FILES,
    bundle,
    count_json_objects,
    default_json_name,
    is_zip_output,
    write_json_bundle,
)
from muscle_tui.export.progress import ExportProgress, ProgressReporter
from tests.support.json_reference import (
    EDGE_REFERENCE,
    REFERENCE_CASES,
    SAMPLE,
    assert_matches_reference,
    read_directory,
    read_zip,
)


@pytest.fixture(scope="module")
def databases(request):
    opened: dict[str, MuscleDatabase] = {}

    def open_(fixture: str) -> MuscleDatabase:
        if fixture not in opened:
            url: URL = request.getfixturevalue(fixture)
            opened[fixture] = MuscleDatabase.open(url, fixture)
        return opened[fixture]

    yield open_
    for db in opened.values():
        db.close()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def report_every(monkeypatch, objects: int) -> None:
    """Rate-limit the bundle's progress by objects instead of seconds: a report at most every
    `objects` objects within a stage (0: after every batch), so the reports do not depend on time."""

    class CountingReporter(ProgressReporter):
        def __init__(self, callback, cancel=None) -> None:
            super().__init__(callback, cancel, interval=objects, clock=lambda: getattr(self, "done", 0))

    monkeypatch.setattr(bundle, "ProgressReporter", CountingReporter)


@pytest.mark.postgres
@pytest.mark.parametrize(("fixture", "reference", "block"), REFERENCE_CASES)
def test_directory_bundle_is_byte_identical_to_muscle(databases, tmp_path, fixture, reference, block) -> None:
    db = databases(fixture)
    result = write_json_bundle(db, block, tmp_path / block)
    assert_matches_reference(read_directory(tmp_path / block), reference / block)
    assert result.path == str(tmp_path / block)
    assert result.count == sum(len(json.loads((tmp_path / block / n).read_bytes())) for n in JSON_FILES)
    assert result.bytes == sum((tmp_path / block / n).stat().st_size for n in JSON_FILES)


@pytest.mark.postgres
@pytest.mark.parametrize(("fixture", "reference", "block"), [REFERENCE_CASES[0], REFERENCE_CASES[-2]])
def test_zip_bundle_holds_the_same_files_deflated_in_order(
    databases, tmp_path, fixture, reference, block
) -> None:
    target = tmp_path / f"{block}.zip"
    write_json_bundle(databases(fixture), block, target)
    assert_matches_reference(read_zip(target), reference / block)
    with zipfile.ZipFile(target) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == list(JSON_FILES)
        assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
        assert {stat.S_IMODE(i.external_attr >> 16) for i in infos} == {0o600}
        assert archive.testzip() is None
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == [target.name]


@pytest.mark.postgres
def test_directory_bundle_is_private(databases, tmp_path) -> None:
    target = tmp_path / "bundle"
    write_json_bundle(databases("edge_url"), "edge_a", target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert {stat.S_IMODE((target / n).stat().st_mode) for n in JSON_FILES} == {0o600}
    assert leftovers(tmp_path) == ["bundle"]


@pytest.mark.postgres
def test_counts_and_progress(databases, tmp_path, monkeypatch) -> None:
    db = databases("edge_url")
    manifest = json.loads((EDGE_REFERENCE / "manifest.json").read_text())
    total = sum(f["n_objects"] for f in manifest["edge_a"]["json"]["files"].values())
    assert count_json_objects(db, "edge_a") == total

    monkeypatch.setattr(bundle, "FETCH_ROWS", 7)
    report_every(monkeypatch, 20)
    reports: list[ExportProgress] = []
    result = write_json_bundle(db, "edge_a", tmp_path / "a.zip", progress=reports.append)
    assert result.count == total
    untimed = [dataclasses.replace(r, elapsed=0.0) for r in reports]
    assert untimed[0] == ExportProgress(stage="sessions.json", done=0, total=total)
    assert untimed[-1] == ExportProgress(stage="feedback.json", done=total, total=total)
    assert all(r.total == total and r.stage in JSON_FILES for r in reports)
    assert list(dict.fromkeys(r.stage for r in reports)) == list(JSON_FILES)
    done = [r.done for r in reports]
    assert done == sorted(done)
    # Each stage is reported when it starts; within a stage, reports are at least 20 objects apart.
    steps = [b.done - a.done for a, b in itertools.pairwise(reports[:-1]) if a.stage == b.stage]
    assert steps and all(step >= 20 for step in steps)
    assert len(reports) < total // 20 + 3 + len(JSON_FILES)


@pytest.mark.postgres
@pytest.mark.parametrize("suffix", [".zip", ""])
def test_cancel_mid_export_leaves_nothing(databases, tmp_path, monkeypatch, suffix) -> None:
    monkeypatch.setattr(bundle, "FETCH_ROWS", 5)
    report_every(monkeypatch, 0)
    token = threading.Event()
    stages: list[str] = []

    def cancel_during_results(progress: ExportProgress) -> None:
        stages.append(progress.stage)
        if progress.stage == "results.json":
            token.set()

    with pytest.raises(ExportCancelled):
        write_json_bundle(
            databases("edge_url"),
            "edge_a",
            tmp_path / f"out{suffix}",
            progress=cancel_during_results,
            cancel=token,
        )
    assert "profiles.json" in stages and stages[-1] == "results.json"
    assert leftovers(tmp_path) == []


@pytest.mark.postgres
def test_existing_output_survives_without_force_and_is_replaced_with_it(databases, tmp_path) -> None:
    db = databases("edge_url")
    target = tmp_path / "bundle.zip"
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match="already exists; use --force"):
        write_json_bundle(db, "edge_a", target)
    assert target.read_bytes() == b"precious"
    assert leftovers(tmp_path) == ["bundle.zip"]

    write_json_bundle(db, "edge_a", target, force=True)
    assert_matches_reference(read_zip(target), EDGE_REFERENCE / "edge_a")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == ["bundle.zip"]


@pytest.mark.postgres
def test_force_replaces_a_bundle_directory_but_not_any_directory(databases, tmp_path) -> None:
    db = databases("edge_url")
    bundle = tmp_path / "bundle"
    write_json_bundle(db, "edge_b", bundle)
    write_json_bundle(db, "edge_a", bundle, force=True)
    assert_matches_reference(read_directory(bundle), EDGE_REFERENCE / "edge_a")

    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="other files"):
        write_json_bundle(db, "edge_a", home, force=True)
    assert leftovers(home) == ["thesis.tex"]
    assert leftovers(tmp_path) == ["bundle", "home"]


@pytest.mark.postgres
def test_unknown_block_writes_nothing(databases, tmp_path) -> None:
    with pytest.raises(NotFoundError, match="no block with slug 'nope'"):
        write_json_bundle(databases("edge_url"), "nope", tmp_path / "x.zip")
    with pytest.raises(NotFoundError):
        count_json_objects(databases("edge_url"), "nope")
    assert leftovers(tmp_path) == []


@pytest.mark.postgres
def test_all_files_come_from_one_snapshot(pg, tmp_path) -> None:
    """Rows committed while the export runs are in none of its files."""
    url = pg.create("json_snapshot")
    pg.psql(url, "-f", str(SAMPLE / "2025-01" / "edge.sql"))
    writer = create_engine(url, isolation_level="AUTOCOMMIT")
    db = MuscleDatabase.open(url, "snapshot")
    written: list[str] = []

    def write_meanwhile(progress: ExportProgress) -> None:
        if written:
            return
        with writer.connect() as conn:
            conn.execute(
                text(
                    "INSERT INTO participant_participant "
                    "(id, unique_hash, country_code, access_info, participant_id_url) "
                    "VALUES (9001, 'late', 'nl', '', NULL)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO session_session (id, started_at, finished_at, final_score, block_id, "
                    "participant_id, playlist_id, json_data) VALUES (9001, now(), NULL, 0, 1, 9001, 1, '{}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO result_result "
                    "(id, created_at, question_key, comment, scoring_rule, session_id, json_data) "
                    "SELECT 9000 + id, now(), 'late', '', '', id, '{}' "
                    "FROM session_session WHERE block_id = 1"
                )
            )
            conn.execute(
                text("INSERT INTO experiment_feedback (id, text, block_id) VALUES (9001, 'late', 1)")
            )
        written.append(progress.stage)

    try:
        result = write_json_bundle(db, "edge_a", tmp_path / "a", progress=write_meanwhile)
        assert written == ["sessions.json"]
        assert_matches_reference(read_directory(tmp_path / "a"), EDGE_REFERENCE / "edge_a")
        assert result.count == count_json_objects(db, "edge_a") - 1 - 1 - 19 - 1
    finally:
        db.close()
        writer.dispose()


@pytest.mark.postgres
def test_connection_lost_mid_export_is_one_line_and_leaves_nothing(
    pg, edge_url, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(bundle, "FETCH_ROWS", 5)
    report_every(monkeypatch, 0)
    admin = create_engine(pg.admin, isolation_level="AUTOCOMMIT")
    db = MuscleDatabase.open(edge_url, "edge")

    def terminate_export(progress: ExportProgress) -> None:
        if progress.stage == "profiles.json":
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name "
                        "AND application_name = 'muscle-tui' AND xact_start IS NOT NULL"
                    ),
                    {"name": edge_url.database},
                )

    try:
        with pytest.raises(DatabaseError) as info:
            write_json_bundle(db, "edge_a", tmp_path / "a.zip", progress=terminate_export)
    finally:
        db.close()
        admin.dispose()
    message = str(info.value)
    assert message.startswith("error reading the database: ") and "\n" not in message
    assert "terminating connection" in message or "server closed the connection" in message
    assert leftovers(tmp_path) == []


def test_default_output_name(tmp_path, monkeypatch) -> None:
    moment = datetime(2026, 11, 25, 13, 45, 1, 999999, tzinfo=timezone(timedelta(hours=1)))
    assert default_json_name("edge_a", moment) == "edge_a-20261125T124501Z.zip"
    assert (
        resolve_output(None, default_json_name("edge_a", moment), tmp_path)
        == tmp_path / "edge_a-20261125T124501Z.zip"
    )
    assert default_json_name("../we ird/slug", moment) == "_we_ird_slug-20261125T124501Z.zip"
    monkeypatch.chdir(tmp_path)
    named = resolve_output(None, default_json_name("block-a"))
    assert named.parent == tmp_path
    assert named.name.startswith("block-a-") and named.suffix == ".zip"
    assert datetime.strptime(named.stem.removeprefix("block-a-"), "%Y%m%dT%H%M%SZ")


def test_zip_or_directory_by_suffix() -> None:
    assert is_zip_output(Path("a/bundle.zip")) and is_zip_output(Path("BUNDLE.ZIP"))
    assert not is_zip_output(Path("bundle")) and not is_zip_output(Path("zip"))


def test_json_files_are_in_spec_order() -> None:
    assert JSON_FILES == (
        "sessions.json",
        "participants.json",
        "profiles.json",
        "results.json",
        "sections.json",
        "songs.json",
        "feedback.json",
    )


# --- SQLite (MUSCLE's development database, January 2025 schema) -----------------------------


def sqlite_copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def add_block(path: Path, with_data: bool) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        INSERT INTO experiment_experiment (id, active, slug) VALUES (1, 1, 'lite');
        INSERT INTO experiment_phase (id, dashboard, randomize, "index", experiment_id)
            VALUES (1, 0, 0, 0, 1);
        INSERT INTO experiment_block (id, slug, rounds, bonus_points, rules, phase_id, "index")
            VALUES (1, 'lite_block', 1, 0, 'RHYTHM', 1, 0);
        """
    )
    if with_data:
        conn.executescript(
            r"""
            INSERT INTO section_playlist (id, name, process_csv, csv, url_prefix)
                VALUES (1, 'Één', 0, '', '');
            INSERT INTO experiment_block_playlists (id, block_id, playlist_id) VALUES (1, 1, 1);
            INSERT INTO section_song (id, artist, name) VALUES (1, 'Björk', 'Jóga');
            INSERT INTO section_section
                (id, start_time, duration, play_count, tag, "group", playlist_id, song_id, filename)
                VALUES (1, 0.0, 1e-07, 2, 't', 'g', 1, 1, 'a.mp3');
            INSERT INTO participant_participant
                (id, unique_hash, country_code, access_info, participant_id_url)
                VALUES (1, 'h', 'nl', NULL, NULL);
            INSERT INTO session_session
                (id, started_at, finished_at, final_score, participant_id, playlist_id, json_data, block_id)
                VALUES (1, '2024-03-01 11:00:00', '2024-03-01 11:07:00.000500', 6.0, 1, 1,
                        '{"note": "\u00fcn\u00ef \ud83c\udfb5", "tiny": 1e-07,
                          "sum": 0.30000000000000004}', 1);
            INSERT INTO result_result (id, created_at, question_key, expected_response, given_response,
                                       comment, score, scoring_rule, section_id, session_id, participant_id,
                                       json_data)
                VALUES (1, '2024-03-01 11:00:20.123999', 'q', NULL, 'ü', '', 1.0, 'CORRECTNESS', 1, 1,
                        NULL, NULL),
                       (2, '2024-03-01 10:00:00', 'dgf', NULL, NULL, '', NULL, '', NULL, NULL, 1,
                        '{"a": [1, 2.50]}');
            INSERT INTO experiment_feedback (id, text, block_id) VALUES (1, 'Tab	and "quote"', 1);
            """
        )
    conn.commit()
    conn.close()


def test_sqlite_empty_block_exports_empty_files(sqlite2025_path, tmp_path) -> None:
    path = sqlite_copy(sqlite2025_path, tmp_path / "muscle.sqlite3")
    add_block(path, with_data=False)
    db = MuscleDatabase.open(URL.create("sqlite", database=str(path)), "lite")
    try:
        result = write_json_bundle(db, "lite_block", tmp_path / "out.zip")
    finally:
        db.close()
    assert read_zip(tmp_path / "out.zip") == {name: b"[]" for name in JSON_FILES}
    assert result.count == 0


def test_sqlite_empty_schema_has_no_block(sqlite2025_path, tmp_path) -> None:
    db = MuscleDatabase.open(URL.create("sqlite", database=str(sqlite2025_path)), "empty")
    try:
        with pytest.raises(NotFoundError):
            write_json_bundle(db, "anything", tmp_path / "out.zip")
    finally:
        db.close()
    assert leftovers(tmp_path) == []


def test_sqlite_values_are_written_as_django_writes_them(sqlite2025_path, tmp_path) -> None:
    path = sqlite_copy(sqlite2025_path, tmp_path / "muscle.sqlite3")
    add_block(path, with_data=True)
    db = MuscleDatabase.open(URL.create("sqlite", database=str(path)), "lite")
    try:
        write_json_bundle(db, "lite_block", tmp_path / "out")
    finally:
        db.close()
    files = {name: (tmp_path / "out" / name).read_text(encoding="utf-8") for name in JSON_FILES}
    assert files["sessions.json"] == (
        '[{"model": "session.session", "pk": 1, "fields": {"block": 1, "participant": 1, "playlist": 1, '
        '"started_at": "2024-03-01T11:00:00Z", "finished_at": "2024-03-01T11:07:00.000Z", '
        '"json_data": {"note": "ünï 🎵", "tiny": 1e-07, "sum": 0.30000000000000004}, "final_score": 6.0}}]'
    )
    assert files["results.json"] == (
        '[{"model": "result.result", "pk": 1, "fields": {"session": 1, "participant": null, "section": 1, '
        '"created_at": "2024-03-01T11:00:20.123Z", "question_key": "q", "expected_response": null, '
        '"given_response": "ü", "comment": "", "score": 1.0, "scoring_rule": "CORRECTNESS", '
        '"json_data": null}}]'
    )
    assert files["profiles.json"] == (
        '[{"model": "result.result", "pk": 2, "fields": {"session": null, "participant": 1, "section": null, '
        '"created_at": "2024-03-01T10:00:00Z", "question_key": "dgf", "expected_response": null, '
        '"given_response": null, "comment": "", "score": null, "scoring_rule": "", '
        '"json_data": {"a": [1, 2.5]}}}]'
    )
    assert files["sections.json"] == (
        '[{"model": "section.section", "pk": 1, "fields": {"playlist": 1, "song": 1, "start_time": 0.0, '
        '"duration": 1e-07, "filename": "a.mp3", "play_count": 2, "tag": "t", "group": "g"}}]'
    )
    assert files["participants.json"] == (
        '[{"model": "participant.participant", "pk": 1, "fields": {"unique_hash": "h", "country_code": "nl", '
        '"access_info": null, "participant_id_url": null}}]'
    )
    assert (
        files["songs.json"]
        == '[{"model": "section.song", "pk": 1, "fields": {"artist": "Björk", "name": "Jóga"}}]'
    )
    assert files["feedback.json"] == (
        '[{"model": "experiment.feedback", "pk": 1, "fields": {"text": "Tab\\tand \\"quote\\"", "block": 1}}]'
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_directory_is_one_clear_error(sqlite2025_path, tmp_path) -> None:
    path = sqlite_copy(sqlite2025_path, tmp_path / "muscle.sqlite3")
    add_block(path, with_data=False)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    db = MuscleDatabase.open(URL.create("sqlite", database=str(path)), "lite")
    try:
        with pytest.raises(OutputError, match="permission denied"):
            write_json_bundle(db, "lite_block", locked / "out.zip")
    finally:
        db.close()
