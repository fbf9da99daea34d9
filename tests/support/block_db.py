"""Fixtures for the Block and Session screen tests (no tests here): the PostgreSQL database that
tests/support/block_data.py describes. Test modules register this module with
`pytest_plugins = ["tests.support.block_db"]`.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import URL

from tests.support.block_data import BUILD_SQL

_built: dict[str, URL] = {}


@pytest.fixture(scope="session")
def browse_url(pg) -> URL:
    """The database described above, built once per run."""
    if pg.run_id not in _built:
        from tests.conftest import DUMPS

        url = pg.create("browse")
        pg.psql(url, "-f", str(DUMPS["empty2026"]))
        pg.psql(url, stdin=BUILD_SQL)
        _built[pg.run_id] = url
    return _built[pg.run_id]


@pytest.fixture(scope="session")
def browse_database(browse_url):
    """That database, opened once for the run."""
    from muscle_tui.db.database import MuscleDatabase

    database = MuscleDatabase.open(browse_url, "browse")
    yield database
    database.close()
