"""CSV timestamps: one form (deviation 8), the chosen time zone with its own offsets, ids.

A small block whose sessions straddle Europe/Amsterdam's change to summer time (2024-03-31 01:00
UTC) is written on PostgreSQL and on SQLite; both must write the same text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import FilterError, SessionFilter
from muscle_tui.export.csv import CsvSelection, find_template, preview_csv, write_csv
from muscle_tui.export.json import write_json_bundle
from tests.support.csv_blocks import (
    SCHEMA,
    BlockWriter,
    Result,
    Session,
    read_dicts,
    sqlite_database,
    sqlite_url,
)

ONE_FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d")
TIMES = ("session_start", "session_end", "result_created_at")
SELECTION = CsvSelection(("session_id", *TIMES[:2]), ("result_id", TIMES[2]))


def utc(day: int, hour: int, minute: int = 0, micro: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, 0, micro, tzinfo=UTC)


SESSIONS = [
    # 00:30 UTC is 01:30 CET (+01:00); 01:30 UTC is 03:30 CEST (+02:00).
    Session(
        started_at=utc(31, 0, 30),
        finished_at=utc(31, 1, 30, 500),
        results=[Result(created_at=utc(31, 0, 45)), Result(created_at=utc(31, 1, 15, 123456))],
    ),
    Session(started_at=utc(31, 1, 30, 999999), results=[Result(created_at=utc(31, 2, 0))]),
    Session(started_at=datetime(2024, 7, 1, 12, 0, tzinfo=UTC)),
]

EXPECTED_AMSTERDAM = [
    {
        "session_start": "2024-03-31T01:30:00.000000+01:00",
        "session_end": "2024-03-31T03:30:00.000500+02:00",
        "result_created_at": "2024-03-31T01:45:00.000000+01:00",
    },
    {
        "session_start": "2024-03-31T01:30:00.000000+01:00",
        "session_end": "2024-03-31T03:30:00.000500+02:00",
        "result_created_at": "2024-03-31T03:15:00.123456+02:00",
    },
    {
        "session_start": "2024-03-31T03:30:00.999999+02:00",
        "session_end": "",
        "result_created_at": "2024-03-31T04:00:00.000000+02:00",
    },
    {"session_start": "2024-07-01T14:00:00.000000+02:00", "session_end": "", "result_created_at": ""},
]


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def dst_db(request, tmp_path_factory):
    if request.param == "postgresql":
        pg = request.getfixturevalue("pg")
        url = pg.create("csv_time_zone")
        pg.psql(url, "-f", str(SCHEMA / "postgres-2025-01.sql"))
    else:
        url = sqlite_url(sqlite_database(tmp_path_factory.mktemp("tz") / "muscle.sqlite3"))
    writer = BlockWriter(url)
    writer.write_block("dst", SESSIONS)
    writer.close()
    db = MuscleDatabase.open(url, request.param)
    yield db
    db.close()


def export(db, tmp_path, time_zone="UTC", selection=SELECTION, **kwargs):
    path = tmp_path / f"{time_zone.replace('/', '_')}.csv"
    write_csv(db, "dst", selection, path, time_zone=time_zone, force=True, **kwargs)
    return read_dicts(path)


def test_written_in_the_zone_with_its_offsets_across_a_dst_change(dst_db, tmp_path):
    header, rows = export(dst_db, tmp_path, "Europe/Amsterdam")
    assert header == ["session_id", "session_start", "session_end", "result_id", "result_created_at"]
    assert [{key: row[key] for key in TIMES} for row in rows] == EXPECTED_AMSTERDAM
    offsets = {row[key][-6:] for row in rows for key in TIMES if row[key]}
    assert offsets == {"+01:00", "+02:00"}


@pytest.mark.parametrize(
    ("zone", "summer"), [("UTC", "+00:00"), ("America/St_Johns", "-02:30"), ("Asia/Kathmandu", "+05:45")]
)
def test_same_instants_in_any_zone_and_always_one_form(dst_db, tmp_path, zone, summer):
    _, in_utc = export(dst_db, tmp_path, "UTC")
    _, in_zone = export(dst_db, tmp_path, zone)
    assert len(in_utc) == len(in_zone) == 4
    for ours, theirs in zip(in_zone, in_utc, strict=True):
        assert ours["session_id"] == theirs["session_id"] and ours["result_id"] == theirs["result_id"]
        for key in TIMES:
            assert bool(ours[key]) == bool(theirs[key])
            if ours[key]:
                assert ONE_FORM.fullmatch(ours[key]) and len(ours[key]) == 26 + 6
                assert datetime.fromisoformat(ours[key]) == datetime.fromisoformat(theirs[key])
    assert in_zone[-1]["session_start"].endswith(summer)


def test_preview_uses_the_zone(dst_db):
    preview = preview_csv(dst_db, "dst", SELECTION, limit=1, time_zone="Europe/Amsterdam")
    assert preview.rows[0][1] == "2024-03-31T01:30:00.000000+01:00"


def test_dates_of_filters_are_read_in_the_zone(dst_db, tmp_path):
    # 02:00 read in Amsterdam (CET) is 01:00 UTC; read in UTC it is 02:00 UTC; an offset wins.
    _, every = export(dst_db, tmp_path, "UTC")
    _first, second, third = dict.fromkeys(row["session_id"] for row in every)
    late = SessionFilter(started_after="2024-03-31T02:00")
    _, amsterdam = export(dst_db, tmp_path, "Europe/Amsterdam", filters=late)
    _, in_utc = export(dst_db, tmp_path, "UTC", filters=late)
    assert [row["session_id"] for row in amsterdam] == [second, third]  # 02:00 CET = 01:00 UTC
    assert [row["session_id"] for row in in_utc] == [third]
    explicit = SessionFilter(started_after="2024-03-31T02:00+01:00")
    _, rows = export(dst_db, tmp_path, "Asia/Kathmandu", filters=explicit)
    assert [row["session_id"] for row in rows] == [second, third]


def test_every_template_writes_one_timestamp_form(dst_db, tmp_path):
    for name in ("long", "wide"):
        _, rows = export(dst_db, tmp_path, "Europe/Amsterdam", find_template(name).selection)
        stamps = [v for row in rows for k, v in row.items() if k.endswith(TIMES) and v]
        assert stamps and all(ONE_FORM.fullmatch(v) for v in stamps)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "Europe"])
def test_a_bad_time_zone_is_one_clear_line(dst_db, tmp_path, zone):
    with pytest.raises(FilterError, match="time zone") as caught:
        export(dst_db, tmp_path / "x", zone)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "x").exists()
    with pytest.raises(FilterError):
        preview_csv(dst_db, "dst", SELECTION, time_zone=zone)


def test_ids_join_the_json_bundle(dst_db, tmp_path):
    _, rows = export(dst_db, tmp_path)
    bundle = tmp_path / "bundle"
    write_json_bundle(dst_db, "dst", bundle)
    sessions = {obj["pk"] for obj in json.loads((bundle / "sessions.json").read_text())}
    results = {obj["pk"]: obj["fields"] for obj in json.loads((bundle / "results.json").read_text())}
    assert {int(row["session_id"]) for row in rows} == sessions
    assert {int(row["result_id"]) for row in rows if row["result_id"]} == set(results)
    for row in rows:
        if row["result_id"]:
            fields = results[int(row["result_id"])]
            assert fields["session"] == int(row["session_id"])
            ours = datetime.fromisoformat(row["result_created_at"])
            django = datetime.fromisoformat(fields["created_at"].replace("Z", "+00:00"))  # milliseconds
            assert django == ours.replace(microsecond=ours.microsecond // 1000 * 1000)
