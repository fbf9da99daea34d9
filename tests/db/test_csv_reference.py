"""The CSV export against MUSCLE's own output for all ten templates (edge-variant-reference/).

Cells are compared one by one, rows matched by session (participant) and by position within the
session, under CSV-SPEC's deviations: nested values are JSON where MUSCLE wrote Python reprs (1),
`decision_time` is present without `convert_result_json` (2), column order is logical (4), rows
come in session order (6), a block without sessions still has a header (7) and timestamps are the
same instants in one form (8); every other value exactly.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.csv import BUILTIN_ORDER as ALL_BUILTINS
from muscle_tui.export.csv import SESSION_FIELDS, CsvTemplate, load_templates, write_csv
from muscle_tui.export.csv.plan import result_keys, wide_prefix

pytestmark = pytest.mark.postgres

REFERENCE = (
    Path(__file__).resolve().parent.parent / "reference" / "sample" / "2025-01" / "edge-variant-reference"
)
BLOCKS = ("edge_a", "edge_b", "edge_empty")
# MUSCLE's own form: every field but the ids muscle-tui adds (CSV-SPEC "Additions beyond MUSCLE's form").
MUSCLE_SESSION_FIELDS = [key for key in SESSION_FIELDS if key != "session_id"]
ONE_TIMESTAMP_FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d")
BUILTIN_ORDER = tuple(name for name in ALL_BUILTINS if name != "muscle_2026")  # MUSCLE's ten (its form)


def builtin_templates() -> dict[str, CsvTemplate]:
    templates, errors = load_templates(user_dir=Path("/nonexistent"))
    assert errors == []
    return {t.name: t for t in templates if t.builtin and t.name in BUILTIN_ORDER}


TEMPLATES = builtin_templates()


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return [], []
    header, body = rows[0], rows[1:]
    for row in body:
        assert len(row) == len(header), f"{path}: a row has {len(row)} cells, the header {len(header)}"
    return header, [dict(zip(header, row)) for row in body]


def same_instant(ours: str, theirs: str) -> bool | None:
    """Deviation 8: whether two timestamps are the same instant, ours in the one form (None when
    MUSCLE's cell is no timestamp)."""
    try:
        expected = datetime.fromisoformat(theirs)
    except ValueError:
        return None
    if expected.tzinfo is None or "T" not in theirs:
        return None
    if not ONE_TIMESTAMP_FORM.fullmatch(ours):
        return False
    return datetime.fromisoformat(ours) == expected


def same_cell(ours: str, theirs: str) -> bool:
    """Equal, the same instant (deviation 8), or MUSCLE's Python repr and our JSON of the same
    nested value (deviation 1).

    The repr is parsed with ast.literal_eval; our cell must parse as the same value with
    json.loads, and be exactly what json.dumps(value, ensure_ascii=False) writes. A timestamp of
    MUSCLE's must be the same instant as ours, and ours in the one form.
    """
    instant = same_instant(ours, theirs)
    if instant is not None:
        return instant
    if ours == theirs:
        return True
    try:
        expected = ast.literal_eval(theirs)
    except (ValueError, SyntaxError):
        return False
    if not isinstance(expected, (dict, list)):
        return False
    try:
        parsed = json.loads(ours)
    except json.JSONDecodeError:
        return False
    return parsed == expected and ours == json.dumps(expected, ensure_ascii=False)


def by_session(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        grouped[row["participant_id"]].append(row)
    return grouped


def deviation2_columns(template: CsvTemplate, header: list[str]) -> set[str]:
    """Our `decision_time` columns MUSCLE dropped because `convert_result_json` was not set."""
    options = template.selection.options
    if "decision_time" not in options or "convert_result_json" in options:
        return set()
    return {c for c in header if c == "decision_time" or c.endswith("-decision_time")}


@pytest.fixture(scope="module")
def variant_db(edge_variant_url):
    db = MuscleDatabase.open(edge_variant_url, "edge-variant")
    yield db
    db.close()


@pytest.fixture(scope="module")
def exports(variant_db, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Every block exported with every built-in template, once for the module."""
    out = tmp_path_factory.mktemp("csv-reference")
    paths = {}
    for block in BLOCKS:
        for name, template in TEMPLATES.items():
            path = out / f"{block}-{name}.csv"
            write_csv(variant_db, block, template.selection, path)
            paths[block, name] = path
    return paths


def test_the_ten_builtin_templates_are_muscles():
    assert tuple(TEMPLATES) == BUILTIN_ORDER


@pytest.mark.parametrize("name", BUILTIN_ORDER)
@pytest.mark.parametrize("block", ("edge_a", "edge_b"))
def test_cells_equal_muscles_reference(exports, block, name):
    template = TEMPLATES[name]
    our_header, ours = read_csv(exports[block, name])
    their_header, theirs = read_csv(REFERENCE / block / "csv" / f"{name}.csv")

    extra = deviation2_columns(template, our_header)
    assert len(our_header) == len(set(our_header))
    assert set(our_header) - extra == set(their_header)
    if (
        "decision_time" in template.selection.options
        and "convert_result_json" not in template.selection.options
    ):
        assert extra, "decision_time is honoured without convert_result_json (deviation 2)"

    our_sessions, their_sessions = by_session(ours), by_session(theirs)
    assert list(our_sessions) == sorted(our_sessions, key=int), "sessions in primary-key order"
    assert set(our_sessions) == set(their_sessions)
    compared = 0
    for session, their_rows in their_sessions.items():
        our_rows = our_sessions[session]
        assert len(our_rows) == len(their_rows), f"session of participant {session}"
        for position, (our_row, their_row) in enumerate(zip(our_rows, their_rows)):
            for column in their_header:
                assert same_cell(our_row[column], their_row[column]), (
                    f"{block}/{name}: participant {session}, row {position}, column {column!r}: "
                    f"ours {our_row[column]!r}, MUSCLE's {their_row[column]!r}"
                )
                compared += 1
    assert compared > 50


@pytest.mark.parametrize("name", [n for n in BUILTIN_ORDER if n.startswith(("long_results", "wide_results"))])
@pytest.mark.parametrize("block", ("edge_a", "edge_b"))
def test_decision_time_without_convert_matches_muscles_converted_output(exports, block, name):
    """Deviation 2: the values MUSCLE only wrote with convert_result_json, now written anyway."""
    companion = "wide" if TEMPLATES[name].selection.wide else "long"
    header, ours = read_csv(exports[block, name])
    _, theirs = read_csv(REFERENCE / block / "csv" / f"{companion}.csv")
    columns = sorted(c for c in header if c.endswith("decision_time"))
    assert columns
    filled = 0
    their_sessions = by_session(theirs)
    for session, our_rows in by_session(ours).items():
        for our_row, their_row in zip(our_rows, their_sessions[session], strict=True):
            for column in columns:
                assert our_row[column] == their_row[column]
                filled += our_row[column] != ""
    assert filled > 10


@pytest.mark.parametrize("name", BUILTIN_ORDER)
def test_nested_values_are_json_not_python_reprs(exports, name):
    """Deviation 1: every nested cell parses as JSON (MUSCLE's reprs do not)."""
    _, ours = read_csv(exports["edge_a", name])
    nested = [cell for row in ours for cell in row.values() if cell[:1] in ("{", "[")]
    if not TEMPLATES[name].selection.options & {"session_data", "result_config"}:
        return
    assert nested
    for cell in nested:
        json.loads(cell)
    assert not any("'" in cell and "None" in cell for cell in nested)


@pytest.mark.parametrize("name", BUILTIN_ORDER)
def test_block_without_sessions_has_header_of_its_session_fields(exports, name):
    """Deviation 7: MUSCLE wrote an empty line; we write the selected session fields."""
    raw = exports["edge_empty", name].read_bytes()
    assert (REFERENCE / "edge_empty" / "csv" / f"{name}.csv").read_bytes() == b"\r\n"
    expected = ",".join(TEMPLATES[name].selection.session_fields) + "\r\n"
    assert raw == expected.encode()


@pytest.mark.parametrize("name", ("long", "wide"))
def test_columns_in_logical_order(exports, name):
    """Deviation 4: session fields, profile, session json, then results (by position when wide)."""
    selection = TEMPLATES[name].selection
    header, _ = read_csv(exports["edge_a", name])
    assert header[: len(MUSCLE_SESSION_FIELDS)] == MUSCLE_SESSION_FIELDS
    keys = result_keys(selection)
    assert keys == (*selection.result_fields, "decision_time", "result_config")
    if selection.wide:
        tail = header[header.index("001-section_name") :]
        positions = len(tail) // len(keys)
        assert tail == [wide_prefix(p) + k for p in range(1, positions + 1) for k in keys]
        assert positions == 9
    else:
        assert header[-len(keys) :] == list(keys)
    profile_start = len(MUSCLE_SESSION_FIELDS)
    assert header[profile_start : profile_start + 2] == ["dgf_generation", "dgf_gender_identity"]
    assert header.index("msi_01_music_activities_score") == header.index("msi_01_music_activities") + 1
    assert header.index("group") > header.index("dgf_country_of_origin")


@pytest.mark.parametrize("name", ("long", "wide", "long_json", "wide_profile"))
def test_sort_columns_gives_muscles_header(variant_db, tmp_path, name):
    """With sort_columns the header is MUSCLE's own, byte for byte."""
    selection = TEMPLATES[name].selection.replace(sort_columns=True)
    path = tmp_path / "sorted.csv"
    write_csv(variant_db, "edge_a", selection, path)
    ours, _ = read_csv(path)
    theirs, _ = read_csv(REFERENCE / "edge_a" / "csv" / f"{name}.csv")
    extra = deviation2_columns(TEMPLATES[name], ours)
    assert [c for c in ours if c not in extra] == theirs
    assert ours == sorted(ours)


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("long", '"weird, ""key""\nline"'), ("wide_json", '""weird, \\""key\\""\\nline"": ""value, with')],
)
def test_file_is_minimal_quoted_crlf_utf8_without_bom(exports, name, quoted):
    raw = exports["edge_a", name].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    with exports["edge_a", name].open(newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    rewritten = io.StringIO()
    csv.writer(rewritten, lineterminator="\r\n").writerows(records)
    assert text == rewritten.getvalue()
    assert quoted in text
