"""The preview's block facts: learned once, reused while only the selection changes, and never
changing what a preview shows.

The statements each preview sends through SQLAlchemy are recorded with a `before_cursor_execute`
listener: the facts' queries (block lookup, counts, profile keys, session json keys) all go that
way, while the rows are read through the driver's own cursors. So a preview that reuses the facts
sends none of them, and one under other filters or another time zone sends them again. Both schema
releases on PostgreSQL (edge: January 2025, sample2026: 2026) and the SQLite demo.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import SessionFilter
from muscle_tui.export.csv import BUILTIN_ORDER, CsvPreview, load_templates, preview_csv, write_csv
from muscle_tui.export.csv.facts import BlockFacts
from tests.support.csv_blocks import read_rows

TEMPLATES = {t.name: t.selection for t in load_templates(user_dir=Path("/nonexistent"))[0] if t.builtin}
WIDE = TEMPLATES["wide"]
LONG_PROFILE = TEMPLATES["long_profile"]
MUSCLE_2026 = TEMPLATES["muscle_2026"]
FINISHED = SessionFilter(finished_only=True)
# What only the facts' queries say: the block lookup, the counts, profile and session json keys.
FACT_MARKERS = ("experiment_block", "count(", "any_scored", "jsonb_object_keys", "json_each")


@pytest.fixture(scope="module")
def edge(edge_url):
    db = MuscleDatabase.open(edge_url, "edge")
    yield db
    db.close()


@pytest.fixture(scope="module")
def sample2026(sample2026_url):
    db = MuscleDatabase.open(sample2026_url, "sample2026")
    yield db
    db.close()


BACKENDS = [
    pytest.param("edge", "edge_a", marks=pytest.mark.postgres, id="postgres-2025-01"),
    pytest.param("sample2026", "block-a", marks=pytest.mark.postgres, id="postgres-2026"),
    pytest.param("demo_database", "rhythm-discrimination", id="sqlite-demo"),
]


@pytest.fixture
def database(request) -> MuscleDatabase:
    """The database a BACKENDS case names (its fixture's name is the first parameter)."""
    return request.getfixturevalue(request.param)


@contextlib.contextmanager
def recorded(db: MuscleDatabase) -> Iterator[list[str]]:
    """The statements sent through SQLAlchemy on `db` while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def fact_queries(statements: list[str]) -> list[str]:
    return [s for s in statements if any(marker in s for marker in FACT_MARKERS)]


def file_start(db: MuscleDatabase, slug: str, selection, tmp_path: Path, **options) -> tuple:
    """The header, the data rows and the row count of the file `write_csv` writes."""
    path = tmp_path / "export.csv"
    result = write_csv(db, slug, selection, path, force=True, datapackage=False, **options)
    header, rows = read_rows(path)
    assert result.count == len(rows)
    return header, rows


def assert_start_of(preview: CsvPreview, header: list[str], rows: list[list[str]], limit: int) -> None:
    assert preview.header == header
    assert preview.rows == rows[:limit]
    assert (preview.total_columns, preview.total_rows) == (len(header), len(rows))


@pytest.mark.parametrize(("database", "slug"), BACKENDS, indirect=["database"])
def test_a_preview_with_the_facts_runs_none_of_their_queries(database, slug) -> None:
    with recorded(database) as first:
        learned = preview_csv(database, slug, WIDE, 5)
    assert fact_queries(first), "the first preview learns the facts"
    facts = learned.facts
    assert isinstance(facts, BlockFacts) and facts.fits(slug, SessionFilter(), "UTC")
    assert facts.profile_columns is not None and facts.session_json_keys is not None

    with recorded(database) as second:
        again = preview_csv(database, slug, LONG_PROFILE.replace(excel_safe=True), 5, facts=facts)
    assert fact_queries(second) == []
    # Only the transaction's settings: the time zone and JIT (PostgreSQL), BEGIN (SQLite).
    assert all(s.startswith("select set_config(") or s == "begin" for s in second), second
    assert again.rows, "the rows are still read"
    assert again == preview_csv(database, slug, LONG_PROFILE.replace(excel_safe=True), 5)
    assert again.facts is facts


@pytest.mark.parametrize(("database", "slug"), BACKENDS, indirect=["database"])
def test_other_filters_or_another_time_zone_learn_the_facts_again(database, slug) -> None:
    facts = preview_csv(database, slug, WIDE, 5).facts
    for options in ({"filters": FINISHED}, {"time_zone": "Europe/Amsterdam"}):
        with recorded(database) as statements:
            preview = preview_csv(database, slug, WIDE, 5, facts=facts, **options)
        assert fact_queries(statements), f"{options} runs the facts' queries again"
        assert preview == preview_csv(database, slug, WIDE, 5, **options)
        assert preview.facts is not None
        assert preview.facts.fits(
            slug, options.get("filters", SessionFilter()), options.get("time_zone", "UTC")
        )


@pytest.mark.parametrize(("database", "slug"), BACKENDS, indirect=["database"])
def test_muscle_2026_previews_again_without_a_query(database, slug) -> None:
    first = preview_csv(database, slug, MUSCLE_2026, 5, facts=preview_csv(database, slug, WIDE, 1).facts)
    with recorded(database) as statements:
        again = preview_csv(database, slug, MUSCLE_2026.replace(excel_safe=True), 3, facts=first.facts)
    assert statements == []
    assert again.rows == first.rows[:3] and again.total_rows == first.total_rows
    more = preview_csv(database, slug, MUSCLE_2026, 8, facts=again.facts)  # more rows than were kept
    assert more == preview_csv(database, slug, MUSCLE_2026, 8) and len(more.rows) == 8


@pytest.mark.parametrize("template", BUILTIN_ORDER)
@pytest.mark.parametrize(("database", "slug"), BACKENDS, indirect=["database"])
def test_a_preview_with_reused_facts_is_the_start_of_the_export(database, slug, template, tmp_path) -> None:
    """Facts learned under another selection (and under MUSCLE 2026's layout) change nothing."""
    selection = TEMPLATES[template]
    other = MUSCLE_2026 if template != "muscle_2026" else WIDE
    facts = preview_csv(database, slug, WIDE, 2).facts
    facts = preview_csv(database, slug, other, 2, facts=facts).facts
    header, rows = file_start(database, slug, selection, tmp_path)
    assert_start_of(preview_csv(database, slug, selection, 7, facts=facts), header, rows, 7)


@pytest.mark.parametrize(("database", "slug"), BACKENDS, indirect=["database"])
def test_filtered_previews_with_their_facts_are_the_start_of_the_export(database, slug, tmp_path) -> None:
    options = {"filters": FINISHED, "time_zone": "Asia/Kolkata"}
    facts = preview_csv(database, slug, LONG_PROFILE, 1, **options).facts
    for selection in (WIDE, LONG_PROFILE.replace(sort_columns=True), MUSCLE_2026):
        header, rows = file_start(database, slug, selection, tmp_path, **options)
        preview = preview_csv(database, slug, selection, 4, facts=facts, **options)
        assert_start_of(preview, header, rows, 4)
        facts = preview.facts


@pytest.mark.postgres
def test_facts_of_another_block_are_ignored(sample2026) -> None:
    facts = preview_csv(sample2026, "block-a", WIDE, 3).facts
    for selection in (WIDE, MUSCLE_2026):
        preview = preview_csv(sample2026, "block-b", selection, 3, facts=facts)
        assert preview == preview_csv(sample2026, "block-b", selection, 3)
        assert preview.facts is not None and preview.facts.block_slug == "block-b"


@pytest.mark.postgres
def test_an_empty_block_previews_with_and_without_facts(sample2026) -> None:
    first = preview_csv(sample2026, "block-c-empty", LONG_PROFILE, 5)
    assert (first.rows, first.total_rows) == ([], 0)
    assert first.facts is not None and first.facts.sessions == 0
    again = preview_csv(sample2026, "block-c-empty", WIDE, 5, facts=first.facts)
    assert again == preview_csv(sample2026, "block-c-empty", WIDE, 5)
    layout = preview_csv(sample2026, "block-c-empty", MUSCLE_2026, 5, facts=again.facts)
    assert (layout.rows, layout.total_rows) == ([], 0)
    with recorded(sample2026) as statements:
        assert preview_csv(sample2026, "block-c-empty", MUSCLE_2026, 20, facts=layout.facts) == layout
    assert statements == [], "no rows at all are all the rows: nothing to read again"


def test_facts_are_not_part_of_a_previews_value(demo_database) -> None:
    with_facts = preview_csv(demo_database, "rhythm-discrimination", WIDE, 2)
    assert with_facts.facts is not None
    assert with_facts == CsvPreview(
        with_facts.header, with_facts.rows, with_facts.total_columns, with_facts.total_rows
    )
    assert "facts" not in repr(with_facts)
