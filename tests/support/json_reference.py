"""MUSCLE's reference JSON exports and how the bundle is read back, for the tests."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from muscle_tui.export.json import JSON_FILES

SAMPLE = Path(__file__).resolve().parent.parent / "reference" / "sample"
EDGE_REFERENCE = SAMPLE / "2025-01" / "edge-reference"
EDGE_VARIANT_REFERENCE = SAMPLE / "2025-01" / "edge-variant-reference"
REFERENCE_2026 = SAMPLE / "2026" / "reference"
EDGE_BLOCKS = ("edge_a", "edge_b", "edge_empty")
BLOCKS_2026 = ("block-a", "block-b", "block-c-empty")

REFERENCE_CASES = (
    [("edge_url", EDGE_REFERENCE, block) for block in EDGE_BLOCKS]
    + [("edge_variant_url", EDGE_VARIANT_REFERENCE, block) for block in EDGE_BLOCKS]
    + [("sample2026_url", REFERENCE_2026, block) for block in BLOCKS_2026]
)


def dump_like_django(objects: list, trailing_newline: bool) -> bytes:
    text_ = "[" + ", ".join(json.dumps(o, ensure_ascii=False) for o in objects) + "]"
    return (text_ + ("\n" if trailing_newline else "")).encode()


def expected_file(reference: bytes, name: str) -> bytes:
    """MUSCLE's file under JSON-SPEC's deviations: results by pk within a session (1), and each
    participant once, by pk (2). Other files are expected exactly as MUSCLE wrote them."""
    if name not in ("results.json", "participants.json"):
        return reference
    trailing_newline = reference.endswith(b"\n")
    objects = json.loads(reference)
    # Decoding and re-encoding reproduces MUSCLE's bytes, so reordering changes nothing else.
    assert dump_like_django(objects, trailing_newline) == reference
    if name == "results.json":
        session_order = list(dict.fromkeys(o["fields"]["session"] for o in objects))
        objects.sort(key=lambda o: (session_order.index(o["fields"]["session"]), o["pk"]))
    else:
        objects = sorted({o["pk"]: o for o in reversed(objects)}.values(), key=lambda o: o["pk"])
    return dump_like_django(objects, trailing_newline)


def assert_matches_reference(files: dict[str, bytes], reference_dir: Path) -> None:
    assert list(files) == list(JSON_FILES)
    for name in JSON_FILES:
        expected = expected_file((reference_dir / "json" / name).read_bytes(), name)
        assert files[name] == expected, f"{reference_dir.name}/{name} differs from MUSCLE's"


def read_directory(path: Path) -> dict[str, bytes]:
    assert sorted(p.name for p in path.iterdir()) == sorted(JSON_FILES)
    return {name: (path / name).read_bytes() for name in JSON_FILES}


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}
