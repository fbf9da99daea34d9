"""MUSCLE's JSON bundle of one block, byte for byte as MUSCLE writes it (JSON-SPEC.md).

`fields` describes each Django model once (its SELECT list and its objects' text are made from
that), `encoders` says how Django writes each kind of value and how each backend selects it, and
`bundle` writes the seven files from one snapshot.
"""

from muscle_tui.export.json.bundle import (
    JSON_FILES,
    count_json_objects,
    default_json_name,
    is_zip_output,
    write_json_bundle,
)

__all__ = ["JSON_FILES", "count_json_objects", "default_json_name", "is_zip_output", "write_json_bundle"]
