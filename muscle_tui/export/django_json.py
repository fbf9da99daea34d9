"""Django's JSON serializer, reproduced byte for byte for the models of MUSCLE's JSON bundle.

Django's `serializers.serialize("json", …)` writes `[`, then every object as
`json.dumps({"model": …, "pk": …, "fields": {…}}, cls=DjangoJSONEncoder, ensure_ascii=False)`
joined by `", "`, then `]` (and, from Django 6 on, a newline). The functions here build the same
text directly from database rows, without building a dict per object.

Row layouts (the columns `json_bundle` selects, in this order):

- session: id, block_id, participant_id, playlist_id, started_at, finished_at, json_data, final_score
- participant: id, unique_hash, country_code, access_info, participant_id_url
- result: id, session_id, participant_id, section_id, created_at, question_key, expected_response,
  given_response, comment, score, scoring_rule, json_data
- section: id, playlist_id, song_id, start_time, duration, filename, play_count, tag, group
- song: id, artist, name
- feedback: id, text, block_id
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring

Row = Sequence
RowFormatter = Callable[[Row], str]

encode_string: Callable[[str], str] = encode_basestring
"""A JSON string literal with only what JSON requires escaped (`ensure_ascii=False`)."""

_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}

_DIGITS = "0123456789"


def format_datetime(value: datetime) -> str:
    """A timestamp as DjangoJSONEncoder writes it: UTC, milliseconds truncated, `Z`.

    There is no fraction when the microseconds are 0 (500 µs still gives `.000`).
    A naive datetime is taken to be UTC already (Django stores UTC on SQLite).
    """
    if value.utcoffset():
        value = value.astimezone(UTC)
    text = value.isoformat()
    if value.microsecond:
        return text[:23] + "Z"
    return text[:19] + "Z"


def format_datetime_text(value: str) -> str:
    """`format_datetime` for a timestamp stored as text (SQLite: `2024-03-01 11:00:00.123456`)."""
    return format_datetime(datetime.fromisoformat(value))


def format_float(value: float) -> str:
    """A float as Python's json module writes it: `repr`, and `NaN`/`Infinity`/`-Infinity`."""
    text = repr(value)
    return _NON_FINITE.get(text, text)


def dump_json_value(value: object) -> str:
    """A decoded JSON value, written as Django writes a JSONField's value."""
    return json.dumps(value, ensure_ascii=False)


def json_text_roundtrip(text: str) -> str:
    """What Django writes for a JSONField stored as this text: `json.loads`, then `json.dumps`."""
    return json.dumps(json.loads(text), ensure_ascii=False)


def jsonb_text(text: str) -> str:
    """What Django writes for a PostgreSQL jsonb value, given the value's text output (`::text`).

    jsonb's text output already has Python's separators, key order and string escaping, and its
    integers read back unchanged; only numbers with a fraction can differ (`0.0000001` is `1e-07`
    to Python, `1.50` is `1.5`). The text is used as it is when every such number is already
    Python's repr of itself, and decoded and re-encoded otherwise.
    """
    if "." not in text:
        return text
    # jsonb writes numbers without exponents, so a number with a fraction is digits, a dot and
    # digits, and every dot of a number is seen here. Dots inside strings are checked too, which
    # at worst sends a text the slow way.
    pieces = text.split(".")
    before = pieces[0]
    for after in pieces[1:]:
        if before and after and before[-1] in _DIGITS and after[0] in _DIGITS:
            integer = before[len(before.rstrip(_DIGITS)) :]
            fraction = after[: len(after) - len(after.lstrip(_DIGITS))]
            number = f"{integer}.{fraction}"
            if repr(float(number)) != number:
                return json_text_roundtrip(text)
        before = after
    return text


def sqlite_json_text(value: object) -> str:
    """What Django writes for a JSONField read from SQLite (text written with ensure_ascii=True)."""
    if isinstance(value, (str, bytes, bytearray)):
        return json_text_roundtrip(value)
    return dump_json_value(value)


def postgres_timestamp_sql(column: str) -> str:
    """A PostgreSQL expression giving a timestamptz column's text as `format_datetime` writes it.

    `MS` truncates microseconds to milliseconds; a whole second has no fraction.
    """
    return (
        f"to_char({column} AT TIME ZONE 'UTC', CASE WHEN date_trunc('second', {column}) = {column} "
        """THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"' END)"""
    )


def postgres_json_sql(column: str) -> str:
    """A PostgreSQL expression giving a jsonb column's text output, for `jsonb_text`."""
    return f"{column}::text"


def _selected_as_is(column: str) -> str:
    return column


def _text_as_is(value: str) -> str:
    return value


@dataclass(frozen=True)
class BackendFormats:
    """How one database backend's timestamps and JSON values are selected and become JSON text.

    `timestamp_sql` and `json_sql` turn a column into the expression to select; `timestamp`
    and `json_data` turn the selected (non-null) value into its JSON text.
    """

    timestamp_sql: Callable[[str], str]
    json_sql: Callable[[str], str]
    timestamp: Callable[[object], str]
    json_data: Callable[[object], str]


POSTGRES_FORMATS = BackendFormats(
    timestamp_sql=postgres_timestamp_sql,
    json_sql=postgres_json_sql,
    timestamp=_text_as_is,
    json_data=jsonb_text,
)
SQLITE_FORMATS = BackendFormats(
    timestamp_sql=_selected_as_is,
    json_sql=_selected_as_is,
    timestamp=format_datetime_text,
    json_data=sqlite_json_text,
)


@dataclass(frozen=True)
class ModelFormatters:
    """The row -> object text function of every model in the bundle, for one backend."""

    session: RowFormatter
    participant: RowFormatter
    result: RowFormatter
    section: RowFormatter
    song: RowFormatter
    feedback: RowFormatter


def model_formatters(formats: BackendFormats) -> ModelFormatters:
    """Object formatters that write timestamps and json_data the way `formats` says."""
    timestamp = formats.timestamp
    json_data = formats.json_data
    string = encode_basestring
    number = format_float

    def moment(value: object) -> str:
        return "null" if value is None else f'"{timestamp(value)}"'

    def session(row: Row) -> str:
        pk, block, participant, playlist, started, finished, data, score = row
        return (
            f'{{"model": "session.session", "pk": {pk}, "fields": {{'
            f'"block": {"null" if block is None else block}, '
            f'"participant": {"null" if participant is None else participant}, '
            f'"playlist": {"null" if playlist is None else playlist}, '
            f'"started_at": {moment(started)}, '
            f'"finished_at": {moment(finished)}, '
            f'"json_data": {"null" if data is None else json_data(data)}, '
            f'"final_score": {"null" if score is None else number(score)}}}}}'
        )

    def participant(row: Row) -> str:
        pk, unique_hash, country_code, access_info, id_url = row
        return (
            f'{{"model": "participant.participant", "pk": {pk}, "fields": {{'
            f'"unique_hash": {"null" if unique_hash is None else string(unique_hash)}, '
            f'"country_code": {"null" if country_code is None else string(country_code)}, '
            f'"access_info": {"null" if access_info is None else string(access_info)}, '
            f'"participant_id_url": {"null" if id_url is None else string(id_url)}}}}}'
        )

    def result(row: Row) -> str:
        (
            pk,
            session_id,
            participant_id,
            section,
            created,
            question_key,
            expected,
            given,
            comment,
            score,
            scoring_rule,
            data,
        ) = row
        return (
            f'{{"model": "result.result", "pk": {pk}, "fields": {{'
            f'"session": {"null" if session_id is None else session_id}, '
            f'"participant": {"null" if participant_id is None else participant_id}, '
            f'"section": {"null" if section is None else section}, '
            f'"created_at": {moment(created)}, '
            f'"question_key": {"null" if question_key is None else string(question_key)}, '
            f'"expected_response": {"null" if expected is None else string(expected)}, '
            f'"given_response": {"null" if given is None else string(given)}, '
            f'"comment": {"null" if comment is None else string(comment)}, '
            f'"score": {"null" if score is None else number(score)}, '
            f'"scoring_rule": {"null" if scoring_rule is None else string(scoring_rule)}, '
            f'"json_data": {"null" if data is None else json_data(data)}}}}}'
        )

    def section(row: Row) -> str:
        pk, playlist, song, start_time, duration, filename, play_count, tag, group = row
        return (
            f'{{"model": "section.section", "pk": {pk}, "fields": {{'
            f'"playlist": {"null" if playlist is None else playlist}, '
            f'"song": {"null" if song is None else song}, '
            f'"start_time": {"null" if start_time is None else number(start_time)}, '
            f'"duration": {"null" if duration is None else number(duration)}, '
            f'"filename": {"null" if filename is None else string(filename)}, '
            f'"play_count": {"null" if play_count is None else play_count}, '
            f'"tag": {"null" if tag is None else string(tag)}, '
            f'"group": {"null" if group is None else string(group)}}}}}'
        )

    def song(row: Row) -> str:
        pk, artist, name = row
        return (
            f'{{"model": "section.song", "pk": {pk}, "fields": {{'
            f'"artist": {"null" if artist is None else string(artist)}, '
            f'"name": {"null" if name is None else string(name)}}}}}'
        )

    def feedback(row: Row) -> str:
        pk, text, block = row
        return (
            f'{{"model": "experiment.feedback", "pk": {pk}, "fields": {{'
            f'"text": {"null" if text is None else string(text)}, '
            f'"block": {"null" if block is None else block}}}}}'
        )

    return ModelFormatters(session, participant, result, section, song, feedback)
