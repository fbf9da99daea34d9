"""The built-in demo: a small, realistic MUSCLE 2026 database in SQLite, identical on every machine.

Two experiments (one active, one archived), seven blocks (one without sessions), a few hundred
participants and about 30,000 trial results, shaped after MUSCLE's own export documentation and the
sample dumps. The rows come from a seeded random generator and fixed base timestamps, so every build
gives the same rows. `specs` says what the demo holds, `generators` makes rows (shared with
`bench/generate.py`), `builder` writes the file.
"""

from muscle_tui.demo.builder import demo_database_path, ensure_demo_database, write_demo_database
from muscle_tui.demo.specs import DEMO_VERSION

__all__ = ["DEMO_VERSION", "demo_database_path", "ensure_demo_database", "write_demo_database"]
