"""`muscle-tui sessions BLOCK`: each format and each filter against plain SQL, on both schema releases
and SQLite (the demo); one clear line and exit status 1 for what cannot be listed."""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from muscle_tui.cli import main
from muscle_tui.cli import sessions as sessions_command
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from tests.support.csv_blocks import BlockWriter, Result, Session, at, sqlite_database, sqlite_url

KEYS = [
    "id",
    "participant_id",
    "participant_url_id",
    "started_at",
    "finished_at",
    "duration_seconds",
    "final_score",
    "results",
]
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$")


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    """No user templates, no MUSCLE_TUI_DB, and a fresh working directory."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def db_arg(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value + (":00" if re.search(r"[+-]\d\d$", value) else ""))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def expected_records(
    url: URL, slug: str, filters: SessionFilter = NO_FILTER, zone: str = "UTC"
) -> list[dict]:
    """The block's sessions by plain SQL, chosen and ordered (start, then id) here in Python."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT s.id, s.participant_id, p.participant_id_url, CAST(s.started_at AS TEXT), "
                    "CAST(s.finished_at AS TEXT), s.final_score, "
                    "(SELECT count(*) FROM result_result r WHERE r.session_id = s.id) "
                    "FROM session_session s JOIN experiment_block b ON b.id = s.block_id "
                    "LEFT JOIN participant_participant p ON p.id = s.participant_id WHERE b.slug = :slug"
                ),
                {"slug": slug},
            ).all()
    finally:
        engine.dispose()
    after, before = filters.bounds(zone)
    records = []
    for sid, pid, url_id, started, finished, score, results in rows:
        start, end = parse_time(started), parse_time(finished)
        if filters.finished_only and end is None:
            continue
        if (after and start < after) or (before and start >= before):
            continue
        if url_id is not None and any(fnmatch.fnmatchcase(url_id, g) for g in filters.exclude_participants):
            continue
        records.append(
            {
                "id": sid,
                "participant_id": pid,
                "participant_url_id": url_id or "",
                "started_at": start,
                "finished_at": end,
                "duration_seconds": None if end is None else (end - start).total_seconds(),
                "final_score": score,
                "results": results,
            }
        )
    return sorted(records, key=lambda r: (r["started_at"], r["id"]))


def check_records(got: list[dict], want: list[dict], zone: str = "UTC") -> None:
    assert [r["id"] for r in got] == [r["id"] for r in want]
    offset_zone = ZoneInfo(zone)
    for record, expected in zip(got, want, strict=True):
        assert list(record) == KEYS
        for key in ("participant_id", "participant_url_id", "final_score", "results"):
            assert record[key] == expected[key], key
        for key in ("started_at", "finished_at"):
            if expected[key] is None:
                assert record[key] is None
                continue
            assert ISO.match(record[key]), record[key]
            moment = datetime.fromisoformat(record[key])
            assert moment == expected[key]
            assert moment.utcoffset() == expected[key].astimezone(offset_zone).utcoffset()
        if expected["duration_seconds"] is None:
            assert record["duration_seconds"] is None
        else:
            assert record["duration_seconds"] == pytest.approx(expected["duration_seconds"], abs=0.001)


def csv_records(out: str) -> list[dict]:
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[0] == KEYS
    records = []
    for row in rows[1:]:
        values = dict(zip(KEYS, row, strict=True))
        records.append(
            {
                "id": int(values["id"]),
                "participant_id": int(values["participant_id"]),
                "participant_url_id": values["participant_url_id"],
                "started_at": values["started_at"] or None,
                "finished_at": values["finished_at"] or None,
                "duration_seconds": float(values["duration_seconds"]) if values["duration_seconds"] else None,
                "final_score": float(values["final_score"]),
                "results": int(values["results"]),
            }
        )
    return records


@pytest.fixture(params=["edge_url", "sample2026_url", "demo"])
def database(request) -> tuple[URL, list[str]]:
    """A database of each schema release and the demo (SQLite), with its blocks that hold sessions."""
    if request.param == "demo":
        url = URL.create("sqlite", database=str(request.getfixturevalue("demo_path")))
        return url, ["hooked-eurovision", "speech2song-nl-zh"]
    url = request.getfixturevalue(request.param)
    return url, (["edge_a", "edge_b"] if request.param == "edge_url" else ["block-a", "block-b"])


@pytest.mark.postgres
def test_every_format_lists_what_sql_holds(capsys, database) -> None:
    url, slugs = database
    for slug in slugs:
        want = expected_records(url, slug)
        assert want
        code, out, err = run_cli(capsys, "--db", db_arg(url), "sessions", slug, "--format", "json")
        assert (code, err) == (0, "")
        assert out.startswith("[\n") and out.endswith("\n]\n")
        check_records(json.loads(out), want)
        code, out, err = run_cli(capsys, "--db", db_arg(url), "sessions", slug, "--format", "csv")
        assert (code, err) == (0, "")
        assert "\r\n" in out
        check_records(csv_records(out), want)
        code, out, err = run_cli(capsys, "--db", db_arg(url), "sessions", slug)
        assert (code, err) == (0, "")
        lines = out.splitlines()
        assert lines[0].split() == [
            "session",
            "participant",
            "url",
            "id",
            "started",
            "finished",
            "duration",
            "score",
            "results",
        ]
        assert [int(line.split()[0]) for line in lines[1:]] == [r["id"] for r in want]
        unfinished = [line for line in lines[1:] if "unfinished" in line]
        assert len(unfinished) == sum(r["finished_at"] is None for r in want)


EDGE_FILTERS = [
    (["--finished-only"], SessionFilter(finished_only=True), "UTC"),
    (["--started-after", "2024-03-01T20:00"], SessionFilter(started_after="2024-03-01T20:00"), "UTC"),
    (["--started-before", "2024-03-02"], SessionFilter(started_before="2024-03-02"), "UTC"),
    (
        ["--started-after", "2024-03-01T23:00", "--time-zone", "Europe/Amsterdam"],
        SessionFilter(started_after="2024-03-01T23:00"),
        "Europe/Amsterdam",
    ),
    (
        ["--exclude-participants", "prolific_000*", "--exclude-participants", "*9"],
        SessionFilter(exclude_participants=("prolific_000*", "*9")),
        "UTC",
    ),
    (
        ["--finished-only", "--started-before", "2024-03-02T02:00+00:00", "--exclude-participants", "[!p]*"],
        SessionFilter(
            finished_only=True, started_before="2024-03-02T02:00+00:00", exclude_participants=("[!p]*",)
        ),
        "UTC",
    ),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("flags", "filters", "zone"), EDGE_FILTERS)
@pytest.mark.parametrize("output_format", ["json", "csv"])
def test_each_filter_chooses_what_sql_chooses(capsys, edge_url, flags, filters, zone, output_format) -> None:
    want = expected_records(edge_url, "edge_a", filters, zone)
    everything = expected_records(edge_url, "edge_a")
    assert 0 < len(want) < len(everything), "the case must leave some sessions out"
    code, out, err = run_cli(
        capsys, "--db", db_arg(edge_url), "sessions", "edge_a", "--format", output_format, *flags
    )
    assert (code, err) == (0, "")
    check_records(json.loads(out) if output_format == "json" else csv_records(out), want, zone)


def test_filters_on_sqlite(capsys, demo_path) -> None:
    url = URL.create("sqlite", database=str(demo_path))
    filters = SessionFilter(finished_only=True, started_after="2025-10-01")
    want = expected_records(url, "hooked-eurovision", filters)
    assert 0 < len(want) < len(expected_records(url, "hooked-eurovision"))
    code, out, err = run_cli(
        capsys, "--db", db_arg(url), "sessions", "hooked-eurovision", "--format", "json",
        "--finished-only", "--started-after", "2025-10-01",
    )  # fmt: skip
    assert (code, err) == (0, "")
    check_records(json.loads(out), want)


@pytest.fixture(scope="module")
def odd_block(tmp_path_factory) -> URL:
    """A SQLite block whose participant ids hold markup, escapes and line breaks; and an empty block."""
    path = sqlite_database(tmp_path_factory.mktemp("sessions_cli") / "muscle.sqlite3")
    url = sqlite_url(path)
    writer = BlockWriter(url)
    writer.write_block(
        "odd",
        [
            Session(started_at=at(i), finished_at=at(i + 60) if i else None, results=[Result()] * i)
            for i in range(5)
        ],
    )
    writer.write_block("empty", [])
    writer.close()
    engine = create_engine(url)
    with engine.begin() as conn:
        for i, value in enumerate(["[b]bold[/b]", "\x1b[31mred", "two\nlines", "tab\there", "ünï"]):
            conn.execute(
                text("UPDATE participant_participant SET participant_id_url = :v WHERE id = "
                     "(SELECT participant_id FROM session_session ORDER BY id LIMIT 1 OFFSET :i)"),
                {"v": value, "i": i},
            )  # fmt: skip
    engine.dispose()
    return url


def test_values_are_shown_literally(capsys, odd_block, monkeypatch) -> None:
    monkeypatch.setattr(sessions_command, "CHUNK_ROWS", 2)  # several chunks, one header
    code, out, err = run_cli(capsys, "--db", db_arg(odd_block), "sessions", "odd")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 6 and lines[0].startswith("session") and "\x1b" not in out
    for shown in ("[b]bold[/b]", "\\x1b[31mred", "two lines", "tab here", "ünï"):
        assert sum(shown in line for line in lines) == 1, shown
    starts = {line.index("2024-03-01") for line in lines[1:]}
    assert len(starts) == 1, "the chunks line up"
    code, out, err = run_cli(capsys, "--db", db_arg(odd_block), "sessions", "odd", "--format", "json")
    records = json.loads(out)
    assert [r["participant_url_id"] for r in records] == [
        "[b]bold[/b]",
        "\x1b[31mred",
        "two\nlines",
        "tab\there",
        "ünï",
    ]
    assert records[0]["finished_at"] is None and records[0]["duration_seconds"] is None
    assert [r["results"] for r in records] == [0, 1, 2, 3, 4]
    code, out, err = run_cli(capsys, "--db", db_arg(odd_block), "sessions", "odd", "--format", "csv")
    assert [r["participant_url_id"] for r in csv_records(out)] == [r["participant_url_id"] for r in records]


def test_an_empty_block(capsys, odd_block) -> None:
    code, out, err = run_cli(capsys, "--db", db_arg(odd_block), "sessions", "empty")
    assert code == 0 and out.split() == [
        "session",
        "participant",
        "url",
        "id",
        "started",
        "finished",
        "duration",
        "score",
        "results",
    ]
    assert err == "(no sessions)\n"
    assert run_cli(capsys, "--db", db_arg(odd_block), "sessions", "empty", "--format", "json")[1] == "[]\n"
    assert (
        run_cli(capsys, "--db", db_arg(odd_block), "sessions", "empty", "--format", "csv")[1]
        == ",".join(KEYS) + "\r\n"
    )


@pytest.mark.parametrize(
    ("args", "status", "needle"),
    [
        (["sessions", "nope"], 1, "muscle-tui: no block with slug 'nope' in this database"),
        (
            ["sessions", "odd", "--started-after", "yesterday"],
            1,
            "muscle-tui: started_after 'yesterday' is not a date",
        ),
        (["sessions", "odd", "--time-zone", "Mars/Base"], 1, "muscle-tui: unknown time zone 'Mars/Base'"),
        (["sessions", "odd", "--exclude-participants", ""], 1, "muscle-tui: exclude_participants must be"),
        (["sessions", "odd", "--format", "xml"], 2, "Invalid value for '--format'"),
        (["sessions"], 2, "Missing argument 'BLOCK_SLUG'"),
    ],
)
def test_what_cannot_be_listed_is_one_line(capsys, odd_block, args, status, needle) -> None:
    code, out, err = run_cli(capsys, "--db", db_arg(odd_block), *args)
    assert code == status and out == ""
    assert needle in err
    if status == 1:
        assert err.count("\n") == 1 and "Traceback" not in err


def test_help_names_the_command(capsys) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and "sessions" in out
    code, out, _ = run_cli(capsys, "sessions", "--help")
    for flag in (
        "--format",
        "--finished-only",
        "--started-after",
        "--started-before",
        "--exclude-participants",
        "--time-zone",
    ):
        assert flag in out
