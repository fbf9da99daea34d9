"""MUSCLE's 7-file JSON bundle of one block, streamed from one read-only snapshot.

What each file holds and in which order is JSON-SPEC.md; the text of each object is Django's
serializer's (see `fields` and `encoders`). Rows go from the snapshot's cursor straight into the
output a batch at a time, so memory stays flat whatever the size of the block.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from muscle_tui.db.schema import Release
from muscle_tui.db.stream import Snapshot
from muscle_tui.export.files import Notices, atomic_directory, atomic_file, default_file_name, private_file
from muscle_tui.export.json.encoders import BackendFormats, backend_formats
from muscle_tui.export.json.fields import (
    FEEDBACK,
    PARTICIPANT,
    RESULT,
    SECTION,
    SESSION,
    SONG,
    Model,
    ObjectsFormatter,
    objects_formatter,
    select_list,
)
from muscle_tui.export.progress import ExportResult, ProgressCallback, ProgressReporter

FETCH_ROWS = 2000
WRITE_AHEAD_CHUNKS = 4
ZIP_SUFFIX = ".zip"
# Level 1 deflates about twice as fast as the default 6, for zips a quarter larger.
ZIP_COMPRESSLEVEL = 1

# `{chosen}` is the session filter over `session_session fs` (`{chosen_s}`: over `s`), empty without one.
_SESSIONS = "SELECT fs.id FROM session_session fs WHERE fs.block_id = :block_id{chosen}"
_PARTICIPANTS = "SELECT fs.participant_id FROM session_session fs WHERE fs.block_id = :block_id{chosen}"
_PLAYLISTS = "SELECT playlist_id FROM experiment_block_playlists WHERE block_id = :block_id"


@dataclass(frozen=True)
class BundleFile:
    """One file of the bundle: which rows of its model it holds (`:block_id` the block) and their order."""

    name: str
    model: Model
    alias: str
    where: str
    order: str
    join: str = ""

    def rows(self, chosen: SessionSql) -> str:
        """`FROM … WHERE …` of the file's rows, of the sessions `chosen` says."""
        where = self.where.replace("{chosen}", chosen.over_fs).replace("{chosen_s}", chosen.over_s)
        return f"FROM {self.model.table} {self.alias}{self.join} WHERE {where}"

    def select(self, formats: BackendFormats, chosen: SessionSql) -> str:
        """The query of the file's rows, in order, selected as `formats` says."""
        fields = select_list(self.model, formats, self.alias)
        return f"SELECT {fields} {self.rows(chosen)} ORDER BY {self.order}"

    def count(self, chosen: SessionSql) -> str:
        """The query of how many objects the file holds."""
        return f"SELECT count(*) {self.rows(chosen)}"


@dataclass(frozen=True)
class SessionSql:
    """A session filter as SQL text over the aliases the bundle's queries use, and its parameters."""

    over_fs: str = ""
    over_s: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, filters: SessionFilter, dialect: str) -> SessionSql:
        """The bundle's SQL of `filters` (dates read in UTC: the bundle is in UTC)."""
        over_fs, params = filters.sql("fs", dialect)
        over_s, _ = filters.sql("s", dialect)
        return cls(over_fs, over_s, params)


BUNDLE_FILES: tuple[BundleFile, ...] = (
    BundleFile("sessions.json", SESSION, "s", "s.block_id = :block_id{chosen_s}", "s.id"),
    BundleFile("participants.json", PARTICIPANT, "p", f"p.id IN ({_PARTICIPANTS})", "p.id"),
    BundleFile(
        "profiles.json", RESULT, "r", f"r.participant_id IN ({_PARTICIPANTS})", "r.participant_id, r.id"
    ),
    BundleFile("results.json", RESULT, "r", f"r.session_id IN ({_SESSIONS})", "r.session_id, r.id"),
    BundleFile(
        "sections.json",
        SECTION,
        "x",
        f"x.playlist_id IN ({_PLAYLISTS})",
        "pl.name, x.id",
        join=" JOIN section_playlist pl ON pl.id = x.playlist_id",
    ),
    BundleFile(
        "songs.json",
        SONG,
        "g",
        f"g.id IN (SELECT song_id FROM section_section WHERE playlist_id IN ({_PLAYLISTS}))",
        "g.id",
    ),
    BundleFile("feedback.json", FEEDBACK, "f", "f.block_id = :block_id", "f.id"),
)
JSON_FILES: tuple[str, ...] = tuple(file.name for file in BUNDLE_FILES)


def default_json_name(block_slug: str, now: datetime | None = None) -> str:
    """`<block slug>-<UTC timestamp>.zip`, e.g. `edge_a-20261125T124501Z.zip`."""
    return default_file_name((block_slug,), ZIP_SUFFIX, now)


def is_zip_output(output: Path) -> bool:
    """Whether the bundle goes to a zip file (the path ends in .zip) or to a directory."""
    return output.name.lower().endswith(ZIP_SUFFIX)


def _count_objects(snap: Snapshot, block_id: int, chosen: SessionSql) -> int:
    query = "SELECT " + ", ".join(f"({file.count(chosen)})" for file in BUNDLE_FILES)
    [counts] = snap.rows(query, {"block_id": block_id, **chosen.params})
    return sum(int(count) for count in counts)


def count_json_objects(db: MuscleDatabase, block_slug: str, filters: SessionFilter = NO_FILTER) -> int:
    """How many objects the block's bundle of the sessions passing `filters` holds, all seven files
    together (NotFoundError if none)."""
    with db.snapshot() as snap:
        return _count_objects(snap, snap.block(block_slug).id, SessionSql.of(filters, snap.dialect))


class _BackgroundWriter:
    """Hands chunks to a helper thread that writes them to `out` (compressing, for a zip member).

    zlib and file writes release the GIL, so compression and disk writes overlap the formatting
    of the next rows. A failed write is raised from the next `write` or from `finish`.
    """

    def __init__(self, out: IO[bytes]) -> None:
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
        """Queue `chunk` for writing; raise the first write error."""
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
def _background_writes(out: IO[bytes]) -> Iterator[_BackgroundWriter]:
    writer = _BackgroundWriter(out)
    try:
        yield writer
    except BaseException:
        writer.abandon()
        raise
    writer.finish()


def _write_json_file(
    out: _BackgroundWriter,
    batches: Iterable[Sequence[Sequence[Any]]],
    format_objects: ObjectsFormatter,
    trailing_newline: bool,
    reporter: ProgressReporter,
) -> None:
    out.write(b"[")
    first = True
    for rows in batches:
        if not first:
            out.write(b", ")
        out.write(format_objects(rows).encode("utf-8", "backslashreplace"))
        first = False
        reporter.advance(len(rows))
    out.write(b"]\n" if trailing_newline else b"]")


MemberOpener = Callable[[str], contextlib.AbstractContextManager[IO[bytes]]]
"""Opens one bundle file for writing, by name."""


def _bundle_members(
    output: Path, force: bool, notices: Notices
) -> contextlib.AbstractContextManager[MemberOpener]:
    if is_zip_output(output):
        return _zip_members(output, force, notices)
    return _directory_members(output, force, notices)


@contextlib.contextmanager
def _zip_members(output: Path, force: bool, notices: Notices) -> Iterator[MemberOpener]:
    with atomic_file(output, force=force, notices=notices) as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            stamp = time.localtime()[:6]

            def member(name: str) -> contextlib.AbstractContextManager[IO[bytes]]:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info._compresslevel = ZIP_COMPRESSLEVEL  # type: ignore[attr-defined]  # public from 3.13
                info.external_attr = 0o100600 << 16
                return archive.open(info, "w", force_zip64=True)

            yield member


@contextlib.contextmanager
def _directory_members(output: Path, force: bool, notices: Notices) -> Iterator[MemberOpener]:
    # --force replaces an earlier bundle folder (its seven files only), never a folder holding anything else.
    with atomic_directory(output, force=force, replaceable=JSON_FILES, notices=notices) as directory:
        yield lambda name: private_file(directory / name)


def _output_size(path: Path) -> int:
    if path.is_dir():
        return sum(child.stat().st_size for child in path.iterdir())
    return path.stat().st_size


def write_json_bundle(
    db: MuscleDatabase,
    block_slug: str,
    output: Path,
    *,
    filters: SessionFilter = NO_FILTER,
    force: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ExportResult:
    """Write the block's JSON bundle to `output`: a zip when it ends in `.zip`, else a directory.

    Everything comes from one read-only snapshot. The output appears only when complete (mode
    0600), never replaces an existing file unless `force` (OutputExists), and nothing is left
    behind on error or cancellation (ExportCancelled). An unknown slug raises NotFoundError.
    With `filters`, the bundle holds the sessions that pass, their results, their participants and
    those participants' profile answers; sections, songs and feedback as without a filter.
    """
    started = time.monotonic()
    output = Path(output).expanduser()
    trailing_newline = db.schema.release is Release.V2026
    reporter = ProgressReporter(progress, cancel)
    notices: Notices = []
    with db.snapshot(cancel) as snap:
        block_id = snap.block(block_slug).id
        chosen = SessionSql.of(filters, snap.dialect)
        params = {"block_id": block_id, **chosen.params}
        total = _count_objects(snap, block_id, chosen)
        formats = backend_formats(snap.postgres)
        reporter.check()
        with _bundle_members(output, force, notices) as open_member:
            for file in BUNDLE_FILES:
                reporter.begin(file.name, total)
                with (
                    open_member(file.name) as member,
                    _background_writes(member) as out,
                    contextlib.closing(
                        snap.batches(file.select(formats, chosen), params, FETCH_ROWS)
                    ) as rows,
                ):
                    _write_json_file(
                        out, rows, objects_formatter(file.model, formats), trailing_newline, reporter
                    )
            reporter.check()
    reporter.finish()
    final = output.absolute()
    return ExportResult(
        path=str(final),
        bytes=_output_size(final),
        count=reporter.done,
        seconds=time.monotonic() - started,
        notices=tuple(notices),
    )
