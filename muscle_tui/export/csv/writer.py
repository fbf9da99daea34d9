"""CSV text: RFC 4180, comma, quotes only where needed, CRLF, exactly as Python's csv.writer
(QUOTE_MINIMAL) writes it.

Rendering the fields here, rather than through csv.writer, lets a long export render the session
part of its rows once per session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import BinaryIO

from muscle_tui.export.csv.cells import Cell, neutralise_formula

WRITE_BUFFER_CHARS = 1 << 20
CSV_LINE_END = "\r\n"


def csv_field(value: Cell) -> str:
    """One field as csv.writer writes it: quoted (quotes doubled) if it holds `"`, `,`, CR or LF."""
    if value is None:
        return ""
    if type(value) is str:
        if '"' in value:
            return '"' + value.replace('"', '""') + '"'
        if "," in value or "\n" in value or "\r" in value:
            return '"' + value + '"'
        return value
    if type(value) is float:
        return repr(value)
    return csv_field(str(value))


def excel_safe_field(value: Cell) -> str:
    """`csv_field` of the value with any formula neutralised."""
    return csv_field(neutralise_formula(value))


def csv_line(values: Sequence[Cell], field: Callable[[Cell], str] = csv_field) -> str:
    """A record without its line end, as csv.writer writes it (a lone empty field is `""`)."""
    line = ",".join([field(value) for value in values])
    if not line and len(values) == 1:
        return '""'
    return line


class CsvLineWriter:
    """Buffers CSV records and writes them, UTF-8 encoded, to a binary file.

    A record comes as (head, tail): head + tail is the row. A head that is the same object as
    the previous record's is rendered once (the session part of a long export's rows). With
    `excel_safe`, every cell, header included, goes through `neutralise_formula`.
    """

    def __init__(self, handle: BinaryIO, width: int, excel_safe: bool = False) -> None:
        self._handle = handle
        self._lines: list[str] = []
        self._pending = 0
        self._width = width
        self._field = excel_safe_field if excel_safe else csv_field
        self._head: Sequence[Cell] | None = None
        self._head_text = ""

    def header(self, names: Sequence[str]) -> None:
        """The header record."""
        self._append(csv_line(names, self._field))

    def row(self, head: Sequence[Cell], tail: Sequence[Cell]) -> None:
        """The record head + tail; `width` (the header's) tells a lone empty field from none."""
        field = self._field
        if not head:
            self._append(csv_line(tail, field))
            return
        if head is not self._head:
            self._head = head
            self._head_text = ",".join([field(value) for value in head])
        line = self._head_text
        if tail:
            line += "," + ",".join([field(value) for value in tail])
        if not line and self._width == 1:
            line = '""'
        self._append(line)

    def _append(self, line: str) -> None:
        self._lines.append(line)
        self._pending += len(line)
        if self._pending >= WRITE_BUFFER_CHARS:
            self.flush()

    def flush(self) -> None:
        """Write out the buffered records."""
        if self._lines:
            self._lines.append("")
            self._handle.write(CSV_LINE_END.join(self._lines).encode("utf-8"))
            self._lines.clear()
            self._pending = 0
