"""MUSCLE's 7-file JSON bundle of one block, streamed from one read-only snapshot.

What each file holds and in which order is JSON-SPEC.md; the text of each object is Django's
serializer's (see `django_json`). Rows go from a server-side cursor straight into the output a
batch at a time, so memory stays flat whatever the size of the block.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import Connection

from muscle_tui.db.catalog import find_block_ref
from muscle_tui.db.connect import error_line, snapshot, translate_errors
from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.schema import Release
from muscle_tui.errors import DatabaseError, OutputError
from muscle_tui.export.django_json import (
    POSTGRES_FORMATS,
    SQLITE_FORMATS,
    BackendFormats,
    ModelFormatters,
    RowFormatter,
    model_formatters,
)
from muscle_tui.export.output import atomic_directory, atomic_file, default_output_path, private_file
from muscle_tui.export.progress import CancelToken, ExportProgress, ExportResult, ProgressCallback
from muscle_tui.export.streaming import prefetched_batches

JSON_FILES: tuple[str, ...] = (
    "sessions.json",
    "participants.json",
    "profiles.json",
    "results.json",
    "sections.json",
    "songs.json",
    "feedback.json",
)

FETCH_ROWS = 2000
PREFETCH_BATCHES = 2
WRITE_AHEAD_CHUNKS = 4
PROGRESS_EVERY = 1000
ZIP_SUFFIX = ".zip"
# Level 1 deflates about twice as fast as the default 6, for zips a quarter larger.
ZIP_COMPRESSLEVEL = 1


@dataclass(frozen=True)
class _FileQuery:
    """One bundle file: the rows it holds (`FROM … WHERE …`), their columns, order and model."""

    name: str
    columns: str
    source: str
    order: str
    model: str

    def select(self) -> str:
        return f"SELECT {self.columns} {self.source} ORDER BY {self.order}"

    def count(self) -> str:
        return f"SELECT count(*) {self.source}"


def _file_queries(block_id: int, formats: BackendFormats) -> tuple[_FileQuery, ...]:
    block = int(block_id)
    ts, js = formats.timestamp_sql, formats.json_sql
    sessions = f"SELECT id FROM session_session WHERE block_id = {block}"
    participants = f"SELECT participant_id FROM session_session WHERE block_id = {block}"
    playlists = f"SELECT playlist_id FROM experiment_block_playlists WHERE block_id = {block}"
    result_columns = (
        f"r.id, r.session_id, r.participant_id, r.section_id, {ts('r.created_at')}, r.question_key, "
        f"r.expected_response, r.given_response, r.comment, r.score, r.scoring_rule, {js('r.json_data')}"
    )
    return (
        _FileQuery(
            "sessions.json",
            f"s.id, s.block_id, s.participant_id, s.playlist_id, {ts('s.started_at')}, "
            f"{ts('s.finished_at')}, {js('s.json_data')}, s.final_score",
            f"FROM session_session s WHERE s.block_id = {block}",
            "s.id",
            "session",
        ),
        _FileQuery(
            "participants.json",
            "p.id, p.unique_hash, p.country_code, p.access_info, p.participant_id_url",
            f"FROM participant_participant p WHERE p.id IN ({participants})",
            "p.id",
            "participant",
        ),
        _FileQuery(
            "profiles.json",
            result_columns,
            f"FROM result_result r WHERE r.participant_id IN ({participants})",
            "r.participant_id, r.id",
            "result",
        ),
        _FileQuery(
            "results.json",
            result_columns,
            f"FROM result_result r WHERE r.session_id IN ({sessions})",
            "r.session_id, r.id",
            "result",
        ),
        _FileQuery(
            "sections.json",
            "x.id, x.playlist_id, x.song_id, x.start_time, x.duration, x.filename, x.play_count, "
            'x.tag, x."group"',
            "FROM section_section x JOIN section_playlist pl ON pl.id = x.playlist_id "
            f"WHERE x.playlist_id IN ({playlists})",
            "pl.name, x.id",
            "section",
        ),
        _FileQuery(
            "songs.json",
            "g.id, g.artist, g.name",
            "FROM section_song g WHERE g.id IN "
            f"(SELECT song_id FROM section_section WHERE playlist_id IN ({playlists}))",
            "g.id",
            "song",
        ),
        _FileQuery(
            "feedback.json",
            "f.id, f.text, f.block_id",
            f"FROM experiment_feedback f WHERE f.block_id = {block}",
            "f.id",
            "feedback",
        ),
    )


def default_json_output(block_slug: str, directory: Path | None = None, now: datetime | None = None) -> Path:
    """`<directory>/<block slug>-<UTC timestamp>.zip`, e.g. `edge_a-20261125T124501Z.zip`."""
    return default_output_path((block_slug,), ZIP_SUFFIX, directory, now)


class _Snapshot:
    """The DBAPI side of one `snapshot()` transaction: block lookup, counts, streamed rows."""

    def __init__(self, db: MuscleDatabase, conn: Connection) -> None:
        self.db = db
        self.conn = conn
        self.postgres = db.engine.dialect.name == "postgresql"
        self.raw = conn.connection.dbapi_connection
        self.errors = db.engine.dialect.dbapi.Error
        self.formats = POSTGRES_FORMATS if self.postgres else SQLITE_FORMATS
        self.formatters: ModelFormatters = model_formatters(self.formats)
        self._cursors = 0

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self.errors as exc:
            if getattr(self.raw, "closed", False):
                # Lost: tell SQLAlchemy, so ending the transaction does not fail over it again.
                self.conn.invalidate()
            raise DatabaseError(f"error reading the database: {error_line(exc, self.db.url)}") from None

    def scalars(self, sql: str) -> tuple:
        with self._translated():
            cursor = self.raw.cursor()
            try:
                cursor.execute(sql)
                return tuple(cursor.fetchone() or ())
            finally:
                cursor.close()

    def queries(self, block_slug: str) -> tuple[_FileQuery, ...]:
        """The seven files' queries for the block with this slug (NotFoundError if none)."""
        return _file_queries(self.block_id(block_slug), self.formats)

    def block_id(self, slug: str) -> int:
        with translate_errors(self.db.url):
            return find_block_ref(self.conn, self.db.schema, slug).id

    def counts(self, queries: tuple[_FileQuery, ...]) -> dict[str, int]:
        values = self.scalars("SELECT " + ", ".join(f"({q.count()})" for q in queries))
        return {q.name: int(v) for q, v in zip(queries, values)}

    def batches(self, query: _FileQuery) -> Iterator[list[tuple]]:
        sql = query.select()
        with self._translated():
            if self.postgres:
                self._cursors += 1
                cursor = self.raw.cursor(name=f"muscle_tui_json_{self._cursors}")
                cursor.itersize = FETCH_ROWS
            else:
                cursor = self.raw.cursor()
            try:
                cursor.execute(sql)
                if self.postgres:
                    yield from prefetched_batches(lambda: cursor.fetchmany(FETCH_ROWS), PREFETCH_BATCHES)
                else:
                    while rows := cursor.fetchmany(FETCH_ROWS):
                        yield rows
            finally:
                # A lost connection is reported by the fetch, not by closing its cursor.
                with contextlib.suppress(self.errors):
                    cursor.close()

    def formatter(self, query: _FileQuery) -> RowFormatter:
        return getattr(self.formatters, query.model)


class _BackgroundWriter:
    """Hands chunks to a helper thread that writes them to `out` (compressing, for a zip member).

    zlib and file writes release the GIL, so compression and disk writes overlap the formatting
    of the next rows. A failed write is raised from the next `write` or from `finish`.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=WRITE_AHEAD_CHUNKS)
        self._error: BaseException | None = None
        self._abandoned = False
        self._worker = threading.Thread(target=self._drain, name="muscle-tui-write", daemon=True)
        self._worker.start()

    def _drain(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            if self._error is None and not self._abandoned:
                try:
                    self._out.write(chunk)
                except BaseException as exc:  # noqa: BLE001 - raised in the formatting thread
                    self._error = exc

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._chunks.put(chunk)

    def finish(self) -> None:
        """Wait until every chunk is written; raise the first write error."""
        self._chunks.put(None)
        self._worker.join()
        if self._error is not None:
            raise self._error

    def abandon(self) -> None:
        """Stop without writing what is still queued."""
        self._abandoned = True
        self._chunks.put(None)
        self._worker.join()


@contextlib.contextmanager
def _background_writes(out: BinaryIO) -> Iterator[_BackgroundWriter]:
    writer = _BackgroundWriter(out)
    try:
        yield writer
    except BaseException:
        writer.abandon()
        raise
    writer.finish()


class _Progress:
    """Counts objects across the bundle and reports at most every PROGRESS_EVERY of them."""

    def __init__(self, total: int, callback: ProgressCallback | None, cancel: CancelToken | None) -> None:
        self.total = total
        self.done = 0
        self.callback = callback
        self.cancel = cancel
        self._reported = 0

    def check(self) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()

    def advance(self, stage: str, objects: int) -> None:
        self.done += objects
        self.check()
        if self.callback is not None and self.done - self._reported >= PROGRESS_EVERY:
            self._reported = self.done
            self.callback(ExportProgress(stage=stage, done=self.done, total=self.total))

    def report(self, stage: str) -> None:
        if self.callback is not None:
            self._reported = self.done
            self.callback(ExportProgress(stage=stage, done=self.done, total=self.total))


def _write_json_file(
    out: BinaryIO | _BackgroundWriter,
    batches: Iterator[list[tuple]],
    formatter: RowFormatter,
    trailing_newline: bool,
    on_batch: Callable[[int], None],
) -> None:
    out.write(b"[")
    separator = ""
    for rows in batches:
        text = separator + ", ".join(map(formatter, rows))
        out.write(text.encode("utf-8", "backslashreplace"))
        separator = ", "
        on_batch(len(rows))
    out.write(b"]\n" if trailing_newline else b"]")


def is_zip_output(output: Path) -> bool:
    """Whether the bundle goes to a zip file (the path ends in .zip) or to a directory."""
    return output.name.lower().endswith(ZIP_SUFFIX)


MemberOpener = Callable[[str], contextlib.AbstractContextManager[BinaryIO]]
"""Opens one bundle file for writing, by name."""


def _bundle_members(output: Path, force: bool) -> contextlib.AbstractContextManager[MemberOpener]:
    if is_zip_output(output):
        return _zip_members(output, force)
    _refuse_foreign_directory(output, force)
    return _directory_members(output, force)


def _refuse_foreign_directory(output: Path, force: bool) -> None:
    """--force may replace an earlier bundle directory, never a directory holding anything else."""
    if not (force and output.is_dir()):
        return
    foreign = [child.name for child in output.iterdir() if child.name not in JSON_FILES]
    if foreign:
        raise OutputError(
            f"{output} is a directory holding other files than a JSON bundle; "
            "not replacing it (name a new directory, or a path ending in .zip)"
        )


@contextlib.contextmanager
def _zip_members(output: Path, force: bool) -> Iterator[MemberOpener]:
    with atomic_file(output, force=force) as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            stamp = time.localtime()[:6]

            def member(name: str) -> contextlib.AbstractContextManager[BinaryIO]:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info._compresslevel = ZIP_COMPRESSLEVEL  # public as compress_level from 3.13
                info.external_attr = 0o100600 << 16
                return archive.open(info, "w", force_zip64=True)

            yield member


@contextlib.contextmanager
def _directory_members(output: Path, force: bool) -> Iterator[MemberOpener]:
    with atomic_directory(output, force=force) as directory:
        yield lambda name: private_file(directory / name)


def _output_size(path: Path) -> int:
    if path.is_dir():
        return sum(child.stat().st_size for child in path.iterdir())
    return path.stat().st_size


def count_json_objects(db: MuscleDatabase, block_slug: str) -> int:
    """How many objects the block's bundle holds, all seven files together."""
    with snapshot(db.engine) as conn:
        source = _Snapshot(db, conn)
        queries = source.queries(block_slug)
        return sum(source.counts(queries).values())


def write_json_bundle(
    db: MuscleDatabase,
    block_slug: str,
    output: Path,
    *,
    force: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Write the block's JSON bundle to `output`: a zip when it ends in `.zip`, else a directory.

    Everything comes from one read-only snapshot. The output appears only when complete (mode
    0600), never replaces an existing file unless `force`, and nothing is left behind on error or
    cancellation (ExportCancelled). An unknown slug raises NotFoundError.
    """
    started = time.monotonic()
    output = Path(output).expanduser()
    trailing_newline = db.schema.release is Release.V2026
    with snapshot(db.engine) as conn:
        source = _Snapshot(db, conn)
        queries = source.queries(block_slug)
        counts = source.counts(queries)
        tracker = _Progress(sum(counts.values()), progress, cancel)
        tracker.check()
        tracker.report(queries[0].name)
        with _bundle_members(output, force) as open_member:
            for query in queries:
                with (
                    open_member(query.name) as member,
                    _background_writes(member) as out,
                    contextlib.closing(source.batches(query)) as batches,
                ):
                    _write_json_file(
                        out,
                        batches,
                        source.formatter(query),
                        trailing_newline,
                        lambda objects, stage=query.name: tracker.advance(stage, objects),
                    )
            tracker.check()
        tracker.report(queries[-1].name)
    final = output.absolute()
    return ExportResult(
        path=str(final),
        bytes=_output_size(final),
        count=tracker.done,
        seconds=time.monotonic() - started,
    )
