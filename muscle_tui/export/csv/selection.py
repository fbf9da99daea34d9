"""What a CSV export holds: the session fields, result fields and options of CSV-SPEC.

A `CsvSelection` is exactly MUSCLE's export form filled in; a template is a selection with a
name and a label (see `muscle_tui.export.csv.templates`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from muscle_tui.errors import MuscleTuiError

SESSION_FIELDS: dict[str, str] = {
    "session_id": "Session ID",
    "block_id": "Block ID",
    "block_name": "Block name",
    "participant_id": "Participant ID",
    "participant_country": "Participant Country",
    "participant_access_info": "Participant access info",
    "session_start": "Session start time",
    "session_end": "Session end time",
    "final_score": "Final score",
}

RESULT_FIELDS: dict[str, str] = {
    "result_id": "Result ID",
    "section_name": "Section name",
    "result_created_at": "Created time",
    "result_score": "Result score",
    "result_comment": "Result comment",
    "expected_response": "Expected response",
    "given_response": "Given response",
    "question_key": "Question key",
}

OPTIONS: dict[str, str] = {
    "export_profile": "Include participants' profile Q&A",
    "session_data": "Include session data",
    "convert_session_json": "Convert session data JSON to CSV columns",
    "decision_time": "Include result decision time",
    "result_config": "Include result configuration parameters",
    "convert_result_json": "Convert result data JSON to CSV columns",
    "wide_format": "CSV wide format (Long format is default)",
}

SORT_COLUMNS_LABEL = "Sort columns by name (MUSCLE's order)"

LAYOUTS: dict[str, str] = {
    "form": "MUSCLE's export form: the fields and options chosen",
    "muscle_2026": "MUSCLE 2026's own CSV: a fixed layout, fields and options do not apply",
}


class SelectionError(MuscleTuiError):
    """A selection names a field or option CSV-SPEC does not define."""


def _in_table_order(keys: Iterable[str], table: dict[str, str], kind: str) -> tuple[str, ...]:
    if isinstance(keys, str):
        raise SelectionError(f"{kind}s must be a list of keys, not the string {keys!r}")
    chosen = list(keys)
    for key in chosen:
        if not isinstance(key, str):
            raise SelectionError(f"{kind}s must be strings, not {key!r}")
    unknown = [key for key in chosen if key not in table]
    if unknown:
        raise SelectionError(f"unknown {kind} {unknown[0]!r}; known: {', '.join(table)}")
    wanted = set(chosen)
    return tuple(key for key in table if key in wanted)


@dataclass(frozen=True)
class CsvSelection:
    """Session fields, result fields and options of one CSV export, validated against CSV-SPEC.

    Fields and options are kept in CSV-SPEC's table order whatever order they are given in, and
    duplicates collapse, so two selections that mean the same export compare equal.
    `excel_safe` neutralises spreadsheet formulas (`cells.neutralise_formula`); it is a
    choice made per export, never saved in a template. `layout` "muscle_2026" is MUSCLE 2026's own
    fixed CSV (`muscle2026`), which ignores the fields and options.
    """

    session_fields: tuple[str, ...] = ()
    result_fields: tuple[str, ...] = ()
    options: frozenset[str] = field(default_factory=frozenset)
    sort_columns: bool = False
    excel_safe: bool = False
    layout: str = "form"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "session_fields", _in_table_order(self.session_fields, SESSION_FIELDS, "session field")
        )
        object.__setattr__(
            self, "result_fields", _in_table_order(self.result_fields, RESULT_FIELDS, "result field")
        )
        object.__setattr__(self, "options", frozenset(_in_table_order(self.options, OPTIONS, "option")))
        if not isinstance(self.sort_columns, bool):
            raise SelectionError(f"sort_columns must be true or false, not {self.sort_columns!r}")
        if not isinstance(self.excel_safe, bool):
            raise SelectionError(f"excel_safe must be true or false, not {self.excel_safe!r}")
        if not isinstance(self.layout, str) or self.layout not in LAYOUTS:
            raise SelectionError(f"unknown layout {self.layout!r}; known: {', '.join(LAYOUTS)}")

    @property
    def wide(self) -> bool:
        """One row per session (`wide_format`) rather than one per trial result."""
        return "wide_format" in self.options

    @property
    def ordered_options(self) -> tuple[str, ...]:
        """The options in CSV-SPEC's table order."""
        return tuple(key for key in OPTIONS if key in self.options)

    def has(self, option: str) -> bool:
        """Whether the option is selected (KeyError-safe: unknown options are simply absent)."""
        return option in self.options

    def replace(self, **changes: Any) -> CsvSelection:
        """A copy with some parts changed (validated again)."""
        values: dict[str, Any] = {
            "session_fields": self.session_fields,
            "result_fields": self.result_fields,
            "options": self.options,
            "sort_columns": self.sort_columns,
            "excel_safe": self.excel_safe,
            "layout": self.layout,
        }
        values.update(changes)
        return CsvSelection(**values)


def parse_key_list(text: str, table: dict[str, str], kind: str) -> tuple[str, ...]:
    """Keys from a comma-separated command-line value ('' is the empty list)."""
    keys = tuple(part.strip() for part in text.split(",") if part.strip())
    _in_table_order(keys, table, kind)
    return keys
