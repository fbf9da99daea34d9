"""`muscle-tui sessions BLOCK`: one record per session of a block, streamed (flat memory at any size).

Sessions come from `db.browse.iter_sessions` (a server-side cursor) and are written `CHUNK_ROWS` at a
time: a JSON array written as it goes (one object per line), CSV, or a table whose columns widen
as wider values come (a rich table on a terminal, plain aligned text when piped).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, tzinfo
from itertools import islice

import click
from rich.box import SIMPLE_HEAD
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from muscle_tui.cli.console import is_terminal, say
from muscle_tui.cli.filter_flags import (
    filter_options,
    filters_from_flags,
    time_zone_option,
)
from muscle_tui.cli.state import CliState, pass_state
from muscle_tui.cli.stdout import writing_stdout
from muscle_tui.cli.tables import CSV, JSON, format_option, write_utf8
from muscle_tui.db.browse import SessionQuery, SessionRow, iter_sessions
from muscle_tui.db.browse.values import is_finite
from muscle_tui.db.filters import check_time_zone
from muscle_tui.text import printable

CHUNK_ROWS = 500
RECORD_KEYS = (
    "id",
    "participant_id",
    "participant_url_id",
    "started_at",
    "finished_at",
    "duration_seconds",
    "final_score",
    "results",
)
"""The keys of a session's record in `--format json` and the header of `--format csv`."""
TABLE_COLUMNS = ("session", "participant", "url id", "started", "finished", "duration", "score", "results")
RIGHT_ALIGNED = frozenset({0, 1, 5, 6, 7})
URL_COLUMN = 2
FINISHED_COLUMN = 4
"""The column a narrow terminal cuts short."""
MIN_URL_WIDTH = 8
COLUMN_GAP = 2
UNFINISHED = "unfinished"


def iso_time(moment: datetime | None, zone: tzinfo) -> str | None:
    """An instant as ISO 8601 in `zone` with microseconds: `2024-03-01T12:00:00.000000+00:00`."""
    return None if moment is None else moment.astimezone(zone).isoformat(timespec="microseconds")


def session_record(row: SessionRow, zone: tzinfo) -> dict[str, object]:
    """A session as a record for scripts (RECORD_KEYS); a number JSON cannot hold (NaN) is null."""
    return {
        "id": row.id,
        "participant_id": row.participant_id,
        "participant_url_id": row.participant_url_id,
        "started_at": iso_time(row.started_at, zone),
        "finished_at": iso_time(row.finished_at, zone),
        "duration_seconds": row.duration_seconds if is_finite(row.duration_seconds) else None,
        "final_score": row.final_score if is_finite(row.final_score) else None,
        "results": row.results,
    }


def _short_time(moment: datetime | None, zone: tzinfo) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: float | None) -> str:
    if not is_finite(seconds):
        return ""
    assert seconds is not None
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    return sign + str(timedelta(seconds=round(seconds)))


def table_cells(row: SessionRow, zone: tzinfo) -> tuple[str, ...]:
    """A session's cells in the table, in the order of TABLE_COLUMNS (control characters escaped)."""
    score = "" if row.final_score is None else f"{row.final_score:g}"
    return (
        str(row.id),
        str(row.participant_id),
        " ".join(printable(row.participant_url_id).split()),
        _short_time(row.started_at, zone),
        _short_time(row.finished_at, zone),
        _duration(row.duration_seconds) if row.finished_at is not None else UNFINISHED,
        score,
        str(row.results),
    )


def _chunks(rows: Iterable[SessionRow]) -> Iterator[list[SessionRow]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        yield chunk


def write_json(rows: Iterable[SessionRow], zone: tzinfo) -> None:
    """A JSON array of records, one object per line, written a chunk at a time."""
    opened = False
    for chunk in _chunks(rows):
        objects = ",\n  ".join(json.dumps(session_record(r, zone), ensure_ascii=False) for r in chunk)
        write_utf8(("[\n  " if not opened else ",\n  ") + objects)
        opened = True
    write_utf8("\n]\n" if opened else "[]\n")


def write_csv(rows: Iterable[SessionRow], zone: tzinfo) -> None:
    """A header row and a row per session (RFC 4180: CRLF line ends), written a chunk at a time."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(RECORD_KEYS)
    for chunk in _chunks(rows):
        writer.writerows(session_record(r, zone).values() for r in chunk)
        write_utf8(text.getvalue())
        text.seek(0)
        text.truncate()
    if text.getvalue():
        write_utf8(text.getvalue())


def plain_lines(rows: Sequence[Sequence[str]], widths: Sequence[int]) -> str:
    """Rows as aligned text columns, two spaces apart, one line each."""
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            fill = " " * max(0, widths[i] - cell_len(cell))
            cells.append(fill + cell if i in RIGHT_ALIGNED else cell + fill)
        lines.append("  ".join(cells).rstrip())
    return "".join(line + "\n" for line in lines)


def _fits(widths: Sequence[int], columns: Sequence[int], width: int) -> bool:
    """Whether these columns fit `width` cells with the url id column at its narrowest."""
    used = sum(MIN_URL_WIDTH if i == URL_COLUMN else widths[i] for i in columns)
    return used + COLUMN_GAP * len(columns) - 1 <= width


def _rich_chunk(
    rows: Sequence[Sequence[str]], widths: Sequence[int], columns: Sequence[int], width: int, header: bool
) -> Table:
    """A chunk of rows as a rich table of `columns`: every column at its width, the url id column
    cut short (…) to what the terminal leaves; cells are literal text, never markup."""
    table = Table(
        box=SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold",
        show_header=header,
    )
    # Each column takes its width and a gap of two cells (padding and divider); the last, one.
    others = sum(widths[i] for i in columns if i != URL_COLUMN) + COLUMN_GAP * len(columns) - 1
    room = max(MIN_URL_WIDTH, width - others)
    for i in columns:
        shown = min(widths[i], room) if i == URL_COLUMN else widths[i]
        table.add_column(
            TABLE_COLUMNS[i],
            justify="right" if i in RIGHT_ALIGNED else "left",
            no_wrap=True,
            overflow="ellipsis",
            min_width=shown,
            max_width=shown,
        )
    for row in rows:
        table.add_row(*(Text(row[i]) for i in columns))
    return table


class _TableWriter:
    """Chunks of rows under one header: rich on a terminal, plain aligned text otherwise.

    A terminal too narrow for every column drops `finished` (the duration column says
    `unfinished`), decided once with the first chunk so that every chunk has the same columns.
    """

    def __init__(self) -> None:
        self.widths = [cell_len(name) for name in TABLE_COLUMNS]
        self.columns: list[int] | None = None
        self.header = True

    def write(self, rows: Sequence[Sequence[str]]) -> None:
        for row in rows:
            for i, cell in enumerate(row):
                self.widths[i] = max(self.widths[i], cell_len(cell))
        with writing_stdout() as out:
            if is_terminal(out):
                console = Console(file=out)
                if self.columns is None:
                    self.columns = list(range(len(TABLE_COLUMNS)))
                    if not _fits(self.widths, self.columns, console.width):
                        self.columns.remove(FINISHED_COLUMN)
                console.print(_rich_chunk(rows, self.widths, self.columns, console.width, self.header))
            else:
                out.write(plain_lines([TABLE_COLUMNS, *rows] if self.header else rows, self.widths))
        self.header = False


def write_table(rows: Iterable[SessionRow], zone: tzinfo) -> int:
    """The sessions as a table, a chunk at a time under one header; returns how many were written.
    Columns widen as wider values come, so chunks printed earlier stay as they are."""
    table = _TableWriter()
    count = 0
    for chunk in _chunks(rows):
        table.write([table_cells(r, zone) for r in chunk])
        count += len(chunk)
    if count == 0:
        table.write([])
    return count


@click.command(
    "sessions",
    short_help="list a block's sessions, one record per session",
    help=(
        "List the sessions of block BLOCK_SLUG in order of their start, one per session: id, "
        "participant, participant_id_url, start, end, duration, final score and number of trial "
        "results. The filter flags choose sessions as the exports do. --format json prints a JSON "
        f"array with an object per session, keys {', '.join(RECORD_KEYS)} (times ISO 8601 in "
        "--time-zone, finished_at and duration_seconds null when unfinished); --format csv prints "
        "the same columns under a header row. Rows are streamed: any size of block prints in "
        "flat memory. Values are written as they are (only the table escapes control characters)."
    ),
)
@click.argument("block", metavar="BLOCK_SLUG")
@format_option(JSON, CSV)
@filter_options
@time_zone_option
@pass_state
def list_sessions(
    state: CliState,
    block: str,
    output_format: str,
    finished_only: bool | None,
    started_after: str | None,
    started_before: str | None,
    exclude_participants: tuple[str, ...],
    time_zone: str,
) -> None:
    zone = check_time_zone(time_zone)
    filters = filters_from_flags(finished_only, started_after, started_before, exclude_participants)
    query = SessionQuery(block, filters=filters, time_zone=time_zone)
    db = state.database_with_block(block)
    state.printing = True
    with db.snapshot() as snap, contextlib.closing(iter_sessions(snap, query)) as rows:
        if output_format == JSON:
            write_json(rows, zone)
        elif output_format == CSV:
            write_csv(rows, zone)
        elif write_table(rows, zone) == 0:
            say("(no sessions)")
