"""Opt-in CSV formula neutralising (`--excel-safe`, `CsvSelection.excel_safe`): a leading `'` on
cells and column names a spreadsheet would run, never on plain numbers; off by default."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from muscle_tui.cli import main
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.export.csv import (
    CsvSelection,
    find_template,
    neutralise_formula,
    preview_csv,
    read_template,
    save_template,
    template_toml,
    write_csv,
)
from muscle_tui.export.csv.cells import FORMULA_STARTS
from muscle_tui.export.csv.writer import csv_field, csv_line, excel_safe_field
from tests.support.csv_blocks import read_rows


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1:A2)", "'+SUM(A1:A2)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("- 1", "'- 1"),
        ("+-1", "'+-1"),
        ("-1,5", "'-1,5"),
        ("-٣", "'-٣"),
        ("-12", "-12"),
        ("+3.5", "+3.5"),
        ("-1.5e3", "-1.5e3"),
        ("-.5", "-.5"),
        ("1=1", "1=1"),
        (" =1", " =1"),
        ("", ""),
        (None, None),
        (-5, -5),
        (-1.5, -1.5),
        (True, True),
    ],
)
def test_what_is_neutralised(cell, written) -> None:
    assert neutralise_formula(cell) == written


def read_back(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line, newline="")))


cells = (
    st.none()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "1", ".", "e", "a", ",", '"', "'", " "]))
    | st.text()
)


@given(values=st.lists(cells, min_size=2, max_size=6))
def test_only_text_starting_like_a_formula_changes(values) -> None:
    plain = read_back(csv_line(values))
    safe = read_back(csv_line(values, excel_safe_field))
    for value, before, after in zip(values, plain, safe):
        if after != before:
            assert isinstance(value, str) and value.startswith(FORMULA_STARTS)
            assert after == "'" + before
        elif isinstance(value, str) and value.startswith(FORMULA_STARTS):
            float(value)  # kept only because it is a plain number
    assert csv_line(values) == ",".join(csv_field(v) for v in values), "off by default"


EDGE_SELECTION = CsvSelection(
    ("participant_id",), ("given_response", "result_score"), {"session_data", "convert_session_json"}
)


@pytest.fixture(scope="module")
def edge_db(edge_url):
    db = MuscleDatabase.open(edge_url, "edge")
    yield db
    db.close()


@pytest.mark.postgres
def test_the_edge_sample_is_neutralised_cells_and_column_names(edge_db, tmp_path) -> None:
    write_csv(edge_db, "edge_a", EDGE_SELECTION, tmp_path / "plain.csv")
    write_csv(edge_db, "edge_a", EDGE_SELECTION.replace(excel_safe=True), tmp_path / "safe.csv")
    plain_header, plain_rows = read_rows(tmp_path / "plain.csv")
    safe_header, safe_rows = read_rows(tmp_path / "safe.csv")

    assert "=formula_key" in plain_header
    assert safe_header == [neutralise_formula(name) for name in plain_header]
    assert "'=formula_key" in safe_header
    assert len(safe_rows) == len(plain_rows)
    changed = 0
    for plain_row, safe_row in zip(plain_rows, safe_rows):
        for before, after in zip(plain_row, safe_row):
            if before[:1] in ("=", "+", "@") or (before[:1] == "-" and not _number(before)):
                assert after == "'" + before
                changed += 1
            else:
                assert after == before
    assert changed >= 5
    flat = {cell for row in safe_rows for cell in row}
    assert {"'=1+1", "'+SUM(A1:A2)", "'@cmd", "-2"} <= flat


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.postgres
def test_the_preview_shows_what_the_file_holds(edge_db, tmp_path) -> None:
    selection = EDGE_SELECTION.replace(excel_safe=True)
    write_csv(edge_db, "edge_a", selection, tmp_path / "safe.csv")
    header, rows = read_rows(tmp_path / "safe.csv")
    preview = preview_csv(edge_db, "edge_a", selection, limit=len(rows))
    assert preview.header == header
    assert preview.rows == rows


@pytest.mark.postgres
def test_the_cli_flag_turns_it_on_and_it_is_off_by_default(edge_url, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    db = ["--db", edge_url.render_as_string(hide_password=False)]
    assert main([*db, "export", "csv", "edge_a", "--template", "long", "-o", "default.csv"]) == 0
    assert main([*db, "export", "csv", "edge_a", "--template", "long", "-o", "safe.csv", "--excel-safe"]) == 0
    capsys.readouterr()
    default = {cell for row in read_rows(tmp_path / "default.csv")[1] for cell in row}
    safe = {cell for row in read_rows(tmp_path / "safe.csv")[1] for cell in row}
    assert "=1+1" in default and "'=1+1" not in default
    assert "'=1+1" in safe and "=1+1" not in safe


def test_excel_safe_is_never_saved_in_a_template(tmp_path) -> None:
    selection = find_template("wide").selection.replace(excel_safe=True)
    assert selection.excel_safe and selection.replace(sort_columns=True).excel_safe
    assert "excel" not in template_toml("mine", "Mine", selection)
    path = save_template("mine", "Mine", selection, directory=tmp_path)
    assert read_template(path).selection == selection.replace(excel_safe=False)


def test_excel_safe_must_be_a_boolean() -> None:
    with pytest.raises(Exception, match="excel_safe must be true or false"):
        CsvSelection(excel_safe="yes")
