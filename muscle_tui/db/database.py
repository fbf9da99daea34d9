"""A MUSCLE database opened read-only: its engine, its schema release, snapshots and catalog queries."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy.engine import URL, Engine

from muscle_tui.db import catalog
from muscle_tui.db.catalog import ALL_EXPERIMENTS, BlockSummary, ExperimentSummary
from muscle_tui.db.connect import open_engine, translate_errors
from muscle_tui.db.schema import MuscleSchema, detect_schema
from muscle_tui.db.stream import Snapshot, open_snapshot


class MuscleDatabase:
    """A read-only MUSCLE database. Open it with `MuscleDatabase.open(url, label)`."""

    def __init__(self, engine: Engine, schema: MuscleSchema, url: URL, label: str) -> None:
        self.engine = engine
        self.schema = schema
        self.url = url
        self.label = label
        self._lock = threading.Lock()
        self._snapshots: set[Snapshot] = set()

    @classmethod
    def open(cls, url: URL, label: str) -> MuscleDatabase:
        """Connect, and check that this is a MUSCLE database of a known release."""
        engine = open_engine(url)
        try:
            with translate_errors("connecting to the database"), engine.connect() as conn:
                schema = detect_schema(conn)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, schema, url, label)

    def close(self) -> None:
        """Close every connection."""
        self.engine.dispose()

    @contextlib.contextmanager
    def snapshot(self, cancel: threading.Event | None = None) -> Iterator[Snapshot]:
        """One consistent, read-only view of the database (see `db.stream.Snapshot`); setting
        `cancel` cancels its running statement on the server."""
        with open_snapshot(self.engine, self.schema, cancel, self._opened, self._closed) as snap:
            yield snap

    def interrupt(self) -> None:
        """Cancel every statement running on this database's snapshots (from any thread): a
        front end that is quitting does not wait for a query stuck behind a lock."""
        with self._lock:
            snapshots = list(self._snapshots)
        for snap in snapshots:
            snap.interrupt()

    def _opened(self, snap: Snapshot) -> None:
        with self._lock:
            self._snapshots.add(snap)

    def _closed(self, snap: Snapshot) -> None:
        with self._lock:
            self._snapshots.discard(snap)

    def experiments(self, cancel: threading.Event | None = None) -> list[ExperimentSummary]:
        """Every experiment with its counts (and a row for blocks without one); setting `cancel`
        cancels the query on the server (ExportCancelled)."""
        with self.snapshot(cancel) as snap, snap.translated():
            return catalog.list_experiments(snap.conn, self.schema)

    def blocks(
        self, experiment_id: int | object | None = ALL_EXPERIMENTS, cancel: threading.Event | None = None
    ) -> list[BlockSummary]:
        """Blocks with their counts (see `catalog.list_blocks`); setting `cancel` cancels the query
        on the server (ExportCancelled)."""
        with self.snapshot(cancel) as snap, snap.translated():
            return catalog.list_blocks(snap.conn, self.schema, experiment_id)

    def block(self, slug: str) -> BlockSummary:
        """The block with this slug (NotFoundError otherwise)."""
        with self.snapshot() as snap, snap.translated():
            return catalog.find_block(snap.conn, self.schema, slug)

    def experiment(self, slug: str) -> ExperimentSummary:
        """The experiment with this slug (NotFoundError otherwise)."""
        with self.snapshot() as snap, snap.translated():
            return catalog.find_experiment(snap.conn, self.schema, slug)
