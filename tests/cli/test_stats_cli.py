"""`muscle-tui stats BLOCK`: issue 13's JSON object (checked against plain SQL), the summary table,
and one line for a block or time zone that does not exist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from muscle_tui.cli import main
from muscle_tui.db.stats import JSON_KEYS
from tests.support.stats_reference import assert_same, expected_stats

SPREADS = {
    "results_per_session": ["min", "median", "max"],
    "duration_seconds": ["p25", "median", "p75"],
    "final_score": ["mean", "median", "min", "max"],
    "decision_time": ["p25", "median", "p75"],
}


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch) -> Path:
    """No user configuration, no MUSCLE_TUI_DB, and a fresh working directory."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def demo_db(demo_path: Path) -> str:
    return f"sqlite:///{demo_path}"


def stats_json(capsys, db: str, *args: str) -> dict:
    code, out, err = run_cli(capsys, "--db", db, "stats", *args, "--format", "json")
    assert (code, err) == (0, ""), err
    return json.loads(out)


def check_shape(figures: dict) -> None:
    """Exactly issue 13's keys; counts as integers; lists of records with their own keys."""
    assert list(figures) == list(JSON_KEYS)
    for key in ("sessions", "finished", "participants", "returning_participants", "results"):
        assert type(figures[key]) is int, key
    for key, members in SPREADS.items():
        assert list(figures[key]) == members, key
    assert all(list(day) == ["date", "started", "finished"] for day in figures["sessions_per_day"])
    assert all(list(country) == ["country", "participants"] for country in figures["countries"])


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("flags", "condition", "zone"),
    [
        ((), "TRUE", "UTC"),
        (
            ("--finished-only", "--time-zone", "Europe/Amsterdam"),
            "s.finished_at IS NOT NULL",
            "Europe/Amsterdam",
        ),
        (("--started-before", "2024-03-02"), "s.started_at < TIMESTAMPTZ '2024-03-02 00:00+00'", "UTC"),
        (
            ("--exclude-participants", "prolific_000*"),
            "NOT (p.participant_id_url IS NOT NULL AND p.participant_id_url LIKE 'prolific\\_000%')",
            "UTC",
        ),
    ],
)
@pytest.mark.parametrize("slug", ["edge_a", "edge_empty"])
def test_json_equals_sql_on_january_2025(capsys, edge_url: URL, slug, flags, condition, zone) -> None:
    figures = stats_json(capsys, edge_url.render_as_string(hide_password=False), slug, *flags)
    check_shape(figures)
    assert_same(figures, expected_stats(edge_url, slug, condition, zone))


@pytest.mark.postgres
@pytest.mark.parametrize("slug", ["block-a", "block-c-empty"])
def test_json_equals_sql_on_2026(capsys, sample2026_url: URL, slug) -> None:
    figures = stats_json(capsys, sample2026_url.render_as_string(hide_password=False), slug)
    check_shape(figures)
    assert_same(figures, expected_stats(sample2026_url, slug))


def test_json_of_the_demo_has_exactly_the_keys(capsys, demo_path: Path) -> None:
    figures = stats_json(capsys, demo_db(demo_path), "hooked-eurovision")
    check_shape(figures)
    assert figures["sessions"] > figures["finished"] > 0
    assert isinstance(figures["completion_rate"], float)
    assert all(isinstance(value, float) for value in figures["decision_time"].values())
    codes = [(-c["participants"], c["country"]) for c in figures["countries"]]
    assert codes == sorted(codes) and any(c["country"] == "" for c in figures["countries"])


def test_json_of_a_block_without_sessions_is_nulls(capsys, demo_path: Path) -> None:
    figures = stats_json(capsys, demo_db(demo_path), "musical-preferences")
    check_shape(figures)
    assert (figures["sessions"], figures["completion_rate"]) == (0, None)
    assert all(value is None for key in SPREADS for value in figures[key].values())
    assert figures["sessions_per_day"] == figures["countries"] == []


def test_table_is_a_summary_with_days_and_countries(capsys, demo_path: Path) -> None:
    code, out, err = run_cli(capsys, "--db", demo_db(demo_path), "stats", "hooked-eurovision")
    assert (code, err) == (0, "")
    figures = stats_json(capsys, demo_db(demo_path), "hooked-eurovision")
    figures_table, days_table, countries_table = out.rstrip("\n").split("\n\n")
    lines = figures_table.splitlines()
    assert lines[0].split() == ["figure", "value"]
    assert lines[1].split() == ["sessions", str(figures["sessions"])]
    assert any(line.startswith("decision time (s)") and "median" in line for line in lines)
    assert any(line.startswith("completion rate") and line.endswith("%") for line in lines)
    days = days_table.splitlines()
    assert days[0].split() == ["date", "started", "finished"]
    assert [line.split()[0] for line in days[1:]] == [d["date"] for d in figures["sessions_per_day"]]
    countries = countries_table.splitlines()
    assert countries[0].split() == ["country", "participants"]
    shown = [line.split()[0] for line in countries[1:]]
    assert shown == [c["country"] or "(none)" for c in figures["countries"]]


def test_table_of_a_block_without_sessions(capsys, demo_path: Path) -> None:
    code, out, err = run_cli(capsys, "--db", demo_db(demo_path), "stats", "musical-preferences")
    assert (code, err) == (0, "")
    assert "\n\n" not in out  # no days, no countries
    assert "completion rate         –" in out
    assert "decision time (s)       p25 – · median – · p75 –" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope",), "muscle-tui: no block with slug 'nope' in this database (muscle-tui list shows them)\n"),
        (("nope", "--format", "json"), "muscle-tui: no block with slug 'nope'"),
        (
            ("hooked-eurovision", "--time-zone", "Mars/Olympus"),
            "muscle-tui: unknown time zone 'Mars/Olympus'",
        ),
        (("hooked-eurovision", "--started-after", "soon"), "muscle-tui: started_after 'soon' is not a date"),
    ],
)
def test_bad_block_or_flag_is_one_line(capsys, demo_path: Path, args, message) -> None:
    code, out, err = run_cli(capsys, "--db", demo_db(demo_path), "stats", *args)
    assert (code, out) == (1, "")
    assert err.startswith(message) and err.count("\n") == 1


def test_help_says_what_the_figures_are(capsys) -> None:
    code, out, _ = run_cli(capsys, "stats", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "sorted by participants, most first, then by code" in text
    assert "percentile_cont" in text and "--format [table|json]" in text
    assert all(key in text for key in JSON_KEYS)
