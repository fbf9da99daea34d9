"""One consistent, read-only view of a MUSCLE database, and rows streamed out of it.

A `Snapshot` is one `REPEATABLE READ READ ONLY` transaction (PostgreSQL; SQLite reads one file in
one transaction). Both export engines read only through it: `stream()` runs a query on a named
server-side cursor and fetches the next batch in a helper thread while the caller formats the
current one, so memory stays flat whatever the size of the block.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection, Engine, RootTransaction
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

from muscle_tui.db.catalog import BlockRef, find_block_ref
from muscle_tui.db.connect import (
    database_error,
    driver_errors,
    is_lock_timeout,
    lock_timeout_error,
    translate_errors,
)
from muscle_tui.db.schema import MuscleSchema
from muscle_tui.errors import DatabaseError, raise_if_cancelled

FETCH_ROWS = 2000
READ_AHEAD_BATCHES = 2
CANCEL_POLL_SECONDS = 0.05

Query = Executable | str
"""A SQLAlchemy statement, or SQL text (bound parameters as `:name`)."""

_cursor_numbers = itertools.count(1)


def read_ahead(
    fetch: Callable[[], Sequence[Any]], ahead: int = READ_AHEAD_BATCHES
) -> Iterator[Sequence[Any]]:
    """Batches from `fetch` (until an empty one), fetched by a helper thread `ahead` batches ahead.

    The driver waits for the server without holding the GIL, so the server produces the next
    batch while the calling thread formats the current one. A failed fetch is raised here.
    """
    batches: queue.Queue[Sequence[Any] | BaseException] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def fetch_all() -> None:
        try:
            while not stop.is_set():
                rows = fetch()
                batches.put(rows)
                if not rows:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed over to the consuming thread
            batches.put(exc)

    worker = threading.Thread(target=fetch_all, name="muscle-tui-fetch", daemon=True)
    worker.start()
    try:
        while True:
            item = batches.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                batches.get(timeout=0.05)
        worker.join()


class Snapshot:
    """The queries of one read-only transaction: small results, scalars, and streamed rows.

    `interrupt()` (any thread) cancels the running statement on the server. With a `cancel` event,
    the snapshot interrupts itself when the event is set, and a statement that fails because of it
    raises ExportCancelled rather than a database error.
    """

    def __init__(
        self, conn: Connection, schema: MuscleSchema, url: URL, cancel: threading.Event | None = None
    ) -> None:
        self.conn = conn
        self.schema = schema
        self.url = url
        self.cancel = cancel
        self.dialect = conn.dialect.name
        self.postgres = self.dialect == "postgresql"
        self._raw = conn.connection.dbapi_connection
        # Streams of one connection take turns (and the first failure among them is remembered).
        self._driver_lock = threading.Lock()
        # When the connection is lost, the first call that failed has the cause; the calls of the
        # other streams after it only say "cursor already closed".
        self._first_failure: BaseException | None = None

    def interrupt(self) -> None:
        """Cancel the statement running on this snapshot's connection, if any (thread-safe)."""
        with contextlib.suppress(Exception):
            if self.postgres:
                self._raw.cancel()  # type: ignore[union-attr]
            else:
                self._raw.interrupt()  # type: ignore[union-attr]

    @contextlib.contextmanager
    def translated(self) -> Iterator[None]:
        """Driver errors inside the block as one-line DatabaseErrors (ExportCancelled once cancelled)."""
        try:
            yield
        except DatabaseError:
            raise
        except driver_errors() as exc:
            lost = bool(getattr(self._raw, "closed", False))
            if lost:
                # Tell SQLAlchemy, so ending the transaction does not fail over it again.
                self.conn.invalidate()
            raise_if_cancelled(self.cancel)
            cause = self._first_failure if lost and self._first_failure is not None else exc
            if is_lock_timeout(cause):
                raise lock_timeout_error(self.conn.engine) from None
            raise database_error(cause) from None

    def _statement(self, query: Query) -> Executable:
        return text(query) if isinstance(query, str) else query

    def rows(self, query: Query, params: dict[str, Any] | None = None) -> list[Any]:
        """Every row of a small query."""
        with self.translated(), self._driver_lock:
            return list(self.conn.execute(self._statement(query), params or {}))

    def scalar(self, query: Query, params: dict[str, Any] | None = None) -> Any:
        """The first column of the first row (None when there is none)."""
        with self.translated(), self._driver_lock:
            return self.conn.execute(self._statement(query), params or {}).scalar()

    def block(self, slug: str) -> BlockRef:
        """The block with this slug, without counts (NotFoundError when there is none)."""
        with self.translated(), self._driver_lock:
            return find_block_ref(self.conn, self.schema, slug)

    def batches(
        self, query: Query, params: dict[str, Any] | None = None, size: int = FETCH_ROWS
    ) -> Generator[Sequence[Sequence[Any]], None, None]:
        """The query's rows, `size` at a time, as the driver returns them (no type conversion).

        On PostgreSQL a named server-side cursor is read one batch ahead in a helper thread.
        Close the iterator (or exhaust it) to release the cursor.
        """
        statement = cast(ClauseElement, self._statement(query))
        compiled = cast(SQLCompiler, statement.compile(dialect=self.conn.dialect))
        raw = self.conn.connection.dbapi_connection
        assert raw is not None
        values = compiled.construct_params(params or {})
        with self.translated():
            if self.postgres:
                cursor = raw.cursor(name=f"muscle_tui_{next(_cursor_numbers)}")
                cursor.itersize = size  # type: ignore[attr-defined]  # psycopg2's named cursor
                self._locked(cursor.execute, str(compiled), values)
            else:
                cursor = raw.cursor()
                positions = compiled.positiontup or []
                cursor.execute(str(compiled), [values[name] for name in positions])
            try:
                if self.postgres:
                    yield from read_ahead(lambda: self._locked(cursor.fetchmany, size))
                else:
                    while rows := cursor.fetchmany(size):
                        yield rows
            finally:
                # A lost connection is reported by the fetch, not by closing its cursor.
                with contextlib.suppress(Exception), self._driver_lock:
                    cursor.close()

    def _locked(self, call: Callable[..., Any], *args: Any) -> Any:
        with self._driver_lock:
            try:
                return call(*args)
            except Exception as exc:
                if self._first_failure is None:
                    self._first_failure = exc
                raise

    def stream(self, query: Query, params: dict[str, Any] | None = None) -> Iterator[Sequence[Any]]:
        """The query's rows one at a time (see `batches`)."""
        batches = self.batches(query, params)
        try:
            for batch in batches:
                yield from batch
        finally:
            batches.close()


@contextlib.contextmanager
def _interrupted_when_set(snap: Snapshot, cancel: threading.Event | None) -> Iterator[None]:
    """While the block runs, a helper thread interrupts `snap`'s statement once `cancel` is set."""
    if cancel is None:
        yield
        return
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(CANCEL_POLL_SECONDS):
            if cancel.is_set():
                snap.interrupt()
                return

    watcher = threading.Thread(target=watch, name="muscle-tui-cancel", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()
        watcher.join()


@contextlib.contextmanager
def open_snapshot(
    engine: Engine,
    schema: MuscleSchema,
    cancel: threading.Event | None = None,
    on_open: Callable[[Snapshot], None] | None = None,
    on_close: Callable[[Snapshot], None] | None = None,
) -> Iterator[Snapshot]:
    """One consistent, read-only view of the database: REPEATABLE READ READ ONLY on PostgreSQL.

    Setting `cancel` (from any thread) cancels the running statement on the server within
    CANCEL_POLL_SECONDS, and the block then raises ExportCancelled. `on_open` / `on_close` let the
    database keep track of its open snapshots. When the block fails, its error is the one raised:
    ending the transaction on a connection that was lost cannot replace it.
    """
    with translate_errors():
        raise_if_cancelled(cancel)
        if engine.dialect.name == "postgresql":
            conn = engine.connect().execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        else:
            conn = engine.connect()
        try:
            snap = Snapshot(conn, schema, engine.url, cancel)
            if on_open is not None:
                on_open(snap)
            transaction = conn.begin()
            try:
                with _interrupted_when_set(snap, cancel):
                    yield snap
            except BaseException:
                _end_quietly(conn, transaction)
                raise
            finally:
                if on_close is not None:
                    on_close(snap)
            # Read-only: ending it cannot lose anything, and the block's work (an export already
            # renamed into place) must not be reported as failed because the end failed.
            with contextlib.suppress(Exception):
                transaction.commit()
        finally:
            with contextlib.suppress(Exception):
                conn.close()


def _end_quietly(conn: Connection, transaction: RootTransaction) -> None:
    """Roll back after a failure; a connection that is gone is invalidated instead of reused."""
    try:
        transaction.rollback()
    except Exception:  # noqa: BLE001 - the block's own error is the one to report
        with contextlib.suppress(Exception):
            conn.invalidate()
