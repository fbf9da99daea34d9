"""How text from users and databases is shown on a terminal, by every front end.

Control characters (C0, DEL, C1), the Unicode line and paragraph separators and the
bidirectional controls (LRM, RLM, ALM, the embeddings, overrides and isolates) are never sent on:
each is shown as a visible escape (`\\n`, `\\x1b`, `\\u202e`), so a name, path or value is one line,
cannot drive the terminal and cannot reorder what is shown after it.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_WHITESPACE_CONTROLS = re.compile(r"[\t\n\r\v\f]+")
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    named = _NAMED_ESCAPES.get(character)
    if named is not None:
        return named
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def has_controls(text: str) -> bool:
    """Whether `text` holds anything `escape_controls` would escape."""
    return _CONTROLS.search(text) is not None


def escape_controls(text: str) -> str:
    """`text` with every control and bidirectional character shown as an escape (`\\n`, `\\x1b`,
    `\\u202e`): one line that cannot drive the terminal."""
    return _CONTROLS.sub(_escape, text)


def printable(text: str | None) -> str:
    """`text` safe for a table cell or a label: line breaks and tabs as one space, every other
    control or bidirectional character as a visible escape such as `\\x1b` or `\\u202e`."""
    if not text:
        return ""
    return escape_controls(_WHITESPACE_CONTROLS.sub(" ", text))
