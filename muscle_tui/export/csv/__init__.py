"""CSV export of one block, exactly as CSV-SPEC defines it, streamed.

`selection` (what an export holds) and `templates` (named selections in TOML) describe an export;
`plan` decides its header and counts, `rows` merges the ordered streams of one snapshot into rows,
`cells` turns values into cells, `writer` renders them as CSV text, and `export` holds the entry
points front ends call.
"""

from muscle_tui.export.csv.cells import neutralise_formula
from muscle_tui.export.csv.export import CsvPreview, default_csv_name, preview_csv, write_csv
from muscle_tui.export.csv.selection import (
    OPTIONS,
    RESULT_FIELDS,
    SESSION_FIELDS,
    SORT_COLUMNS_LABEL,
    CsvSelection,
    SelectionError,
    parse_key_list,
)
from muscle_tui.export.csv.templates import (
    BUILTIN_ORDER,
    DEFAULT_TEMPLATE,
    CsvTemplate,
    TemplateError,
    builtin_templates_dir,
    find_template,
    load_templates,
    read_template,
    save_template,
    template_toml,
    user_templates_dir,
    valid_template_name,
)

__all__ = [
    "BUILTIN_ORDER",
    "DEFAULT_TEMPLATE",
    "OPTIONS",
    "RESULT_FIELDS",
    "SESSION_FIELDS",
    "SORT_COLUMNS_LABEL",
    "CsvPreview",
    "CsvSelection",
    "CsvTemplate",
    "SelectionError",
    "TemplateError",
    "builtin_templates_dir",
    "default_csv_name",
    "find_template",
    "load_templates",
    "neutralise_formula",
    "parse_key_list",
    "preview_csv",
    "read_template",
    "save_template",
    "template_toml",
    "user_templates_dir",
    "valid_template_name",
    "write_csv",
]
