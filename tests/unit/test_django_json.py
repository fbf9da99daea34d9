"""Django's JSON serializer rules: timestamps, floats, strings, jsonb text, and whole objects."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.sql import sqltypes

from muscle_tui.db.schema import Release, build_metadata
from muscle_tui.export.json.encoders import (
    POSTGRES_FORMATS,
    SQLITE_FORMATS,
    BackendFormats,
    Kind,
    encode_string,
    format_datetime,
    format_datetime_text,
    format_float,
    json_text_roundtrip,
    jsonb_text,
    postgres_timestamp_sql,
)
from muscle_tui.export.json.fields import (
    FEEDBACK,
    MODELS,
    PARTICIPANT,
    RESULT,
    SECTION,
    SESSION,
    SONG,
    Model,
    objects_formatter,
    select_list,
)

UTC = UTC
CET = timezone(timedelta(hours=1))


def object_text(model: Model, formats: BackendFormats, row: tuple) -> str:
    """The text of one object, from its row as `select_list` selects it on that backend."""
    return objects_formatter(model, formats)([row])


def key(value: int | None) -> str | None:
    """An integer as `select_list` selects it from SQLite: as text."""
    return None if value is None else str(value)


def django_datetime(value: datetime) -> str:
    """DjangoJSONEncoder's rule, as Django writes it, for an aware datetime in UTC."""
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


# --- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 3, 1, 11, 0, 0, tzinfo=UTC), "2024-03-01T11:00:00Z"),
        (datetime(2024, 7, 22, 10, 26, 50, 911000, tzinfo=UTC), "2024-07-22T10:26:50.911Z"),
        (datetime(2024, 3, 1, 13, 0, 0, 500, tzinfo=UTC), "2024-03-01T13:00:00.000Z"),
        (datetime(2024, 3, 1, 14, 0, 0, 999999, tzinfo=UTC), "2024-03-01T14:00:00.999Z"),
        (datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC), "2024-03-01T12:00:00.123Z"),
        (datetime(2024, 3, 1, 12, 0, 0, 1000, tzinfo=UTC), "2024-03-01T12:00:00.001Z"),
        (
            datetime(2024, 7, 22, 12, 26, 50, 911000, tzinfo=timezone(timedelta(hours=2))),
            "2024-07-22T10:26:50.911Z",
        ),
        (datetime(2024, 1, 1, 0, 30, 0, tzinfo=CET), "2023-12-31T23:30:00Z"),
        (datetime(2024, 3, 1, 11, 0, 0, 250000), "2024-03-01T11:00:00.250Z"),
    ],
)
def test_timestamp_is_utc_truncated_to_milliseconds(value: datetime, expected: str) -> None:
    assert format_datetime(value) == expected


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, CET, timezone(timedelta(hours=-7, minutes=-30))]),
    )
)
def test_timestamp_matches_djangos_encoder(value: datetime) -> None:
    assert format_datetime(value) == django_datetime(value.astimezone(UTC))


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2024-03-01 11:00:00", "2024-03-01T11:00:00Z"),
        ("2024-03-01 11:00:00.000500", "2024-03-01T11:00:00.000Z"),
        ("2024-03-01 11:07:00.123999", "2024-03-01T11:07:00.123Z"),
        ("2024-03-01T11:07:00.5+00:00", "2024-03-01T11:07:00.500Z"),
    ],
)
def test_sqlite_timestamp_text(stored: str, expected: str) -> None:
    assert format_datetime_text(stored) == expected


# --- floats and strings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "1.0"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-07, "1e-07"),
        (0.0001, "0.0001"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (12.5, "12.5"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
    ],
)
def test_float_is_pythons_repr(value: float, expected: str) -> None:
    assert format_float(value) == expected


@given(st.floats())
def test_float_matches_json_module(value: float) -> None:
    assert format_float(value) == json.dumps(value)


def test_string_is_raw_utf8_with_only_required_escapes() -> None:
    assert encode_string('ünï 🎵 "q" \\ \n\r\t\b\f \x01 \x7f /') == (
        '"ünï 🎵 \\"q\\" \\\\ \\n\\r\\t\\b\\f \\u0001 \x7f /"'
    )


@given(st.text())
def test_string_matches_json_dumps_without_ascii_escapes(value: str) -> None:
    assert encode_string(value) == json.dumps(value, ensure_ascii=False)


# --- jsonb text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jsonb", "expected"),
    [
        ('{"tiny": 0.0000001}', '{"tiny": 1e-07}'),
        ('{"a": 1.50, "b": 2}', '{"a": 1.5, "b": 2}'),
        ("[0.30000000000000004, 0.0, 5.0, -2.25]", "[0.30000000000000004, 0.0, 5.0, -2.25]"),
        ('{"big": 12345678901234567890, "neg": -3}', '{"big": 12345678901234567890, "neg": -3}'),
        ("[100000000000000000000.5]", "[1e+20]"),
        ("[0.30000000000000001]", "[0.3]"),
        ('{"version": "v1.50", "n": 1}', '{"version": "v1.50", "n": 1}'),
        ('{"a.b": [1, 2.5]}', '{"a.b": [1, 2.5]}'),
        ('"ünï 🎵"', '"ünï 🎵"'),
        ("{}", "{}"),
        ("3.10", "3.1"),
    ],
)
def test_jsonb_text_is_what_django_writes(jsonb: str, expected: str) -> None:
    assert jsonb_text(jsonb) == expected
    assert jsonb_text(jsonb) == json_text_roundtrip(jsonb)


# What PostgreSQL can hold in text and jsonb: no NUL, no lone surrogates.
STORABLE_CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(STORABLE_CHARACTERS, max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(STORABLE_CHARACTERS, max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
# Numbers as a database may hold them: trailing zeros, many digits, exponents.
number_texts = st.builds(
    lambda sign, whole, fraction, exponent: f"{sign}{whole}{'.' + fraction if fraction else ''}{exponent}",
    st.sampled_from(["", "-"]),
    st.from_regex(r"0|[1-9][0-9]{0,20}", fullmatch=True),
    st.from_regex(r"[0-9]{0,22}", fullmatch=True),
    st.sampled_from(["", "e-7", "E+5", "e-300", "e20", "e-4", "e-5", "e16"]),
)


@pytest.fixture(scope="module")
def jsonb_cursor(pg):
    """A cursor on the test server, for asking PostgreSQL how it writes jsonb and timestamps."""
    admin = pg.admin
    conn = psycopg2.connect(
        host=admin.host,
        port=admin.port or 5432,
        user=admin.username,
        password=admin.password,
        dbname=admin.database,
    )
    conn.set_session(readonly=True, autocommit=True)
    with conn.cursor() as cursor:
        yield cursor
    conn.close()


@pytest.mark.postgres
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_jsonb_fast_path_equals_round_trip(jsonb_cursor, value) -> None:
    jsonb_cursor.execute("SELECT %s::jsonb::text", (json.dumps(value),))
    text = jsonb_cursor.fetchone()[0]
    assert jsonb_text(text) == json_text_roundtrip(text)


@pytest.mark.postgres
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(numbers=st.lists(number_texts, min_size=1, max_size=4), label=st.text(STORABLE_CHARACTERS, max_size=6))
def test_jsonb_fast_path_equals_round_trip_for_stored_numbers(jsonb_cursor, numbers, label) -> None:
    document = json.dumps({f"{label}.1": label}, ensure_ascii=False)[:-1] + f', "n": [{", ".join(numbers)}]}}'
    jsonb_cursor.execute("SELECT %s::jsonb::text", (document,))
    text = jsonb_cursor.fetchone()[0]
    assert jsonb_text(text) == json_text_roundtrip(text)


@pytest.mark.postgres
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.datetimes(
        min_value=datetime(1000, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, CET, timezone(timedelta(hours=5, minutes=45))]),
    )
)
def test_postgres_timestamp_expression_matches_django(jsonb_cursor, value: datetime) -> None:
    jsonb_cursor.execute(f"SELECT {postgres_timestamp_sql('(%(t)s::timestamptz)')}", {"t": value})
    assert jsonb_cursor.fetchone()[0] == django_datetime(value.astimezone(UTC))


# --- whole objects ---------------------------------------------------------------------------

optional_text = st.none() | st.text(max_size=10)
optional_id = st.none() | st.integers(min_value=1, max_value=2**40)
optional_float = st.none() | st.floats()
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


def django_object(model: str, pk: int, fields: dict) -> str:
    """What Django's serializer writes for one object (json.dumps of its dict, ensure_ascii=False)."""
    return json.dumps({"model": model, "pk": pk, "fields": fields}, ensure_ascii=False)


@given(
    pk=st.integers(min_value=1, max_value=2**62),
    session=optional_id,
    participant=optional_id,
    section=optional_id,
    created=moments,
    texts=st.tuples(
        st.text(max_size=10), optional_text, optional_text, st.text(max_size=10), st.text(max_size=10)
    ),
    score=optional_float,
    data=st.none() | json_values,
)
def test_result_object_matches_django(pk, session, participant, section, created, texts, score, data) -> None:
    question_key, expected, given_response, comment, scoring_rule = texts
    stored = None if data is None else json.dumps(data)
    row = (
        key(pk),
        key(session),
        key(participant),
        key(section),
        created.replace(tzinfo=None).isoformat(" "),
        question_key,
        expected,
        given_response,
        comment,
        score,
        scoring_rule,
        stored,
    )
    fields = {
        "session": session,
        "participant": participant,
        "section": section,
        "created_at": django_datetime(created),
        "question_key": question_key,
        "expected_response": expected,
        "given_response": given_response,
        "comment": comment,
        "score": score,
        "scoring_rule": scoring_rule,
        "json_data": data,
    }
    assert object_text(RESULT, SQLITE_FORMATS, row) == django_object("result.result", pk, fields)


@given(
    pk=st.integers(min_value=1, max_value=2**31),
    ids=st.tuples(optional_id, optional_id, optional_id),
    started=moments,
    finished=st.none() | moments,
    score=st.floats(),
    data=st.none() | json_values,
)
def test_session_object_matches_django(pk, ids, started, finished, score, data) -> None:
    block, participant, playlist = ids
    row = (
        pk,
        block,
        participant,
        playlist,
        f'"{django_datetime(started)}"',
        None if finished is None else f'"{django_datetime(finished)}"',
        None if data is None else json.dumps(data, ensure_ascii=False),
        score,
    )
    fields = {
        "block": block,
        "participant": participant,
        "playlist": playlist,
        "started_at": django_datetime(started),
        "finished_at": None if finished is None else django_datetime(finished),
        "json_data": data,
        "final_score": score,
    }
    assert object_text(SESSION, POSTGRES_FORMATS, row) == django_object("session.session", pk, fields)


@given(
    pk=st.integers(min_value=1, max_value=2**31),
    texts=st.tuples(st.text(max_size=10), st.text(max_size=3), optional_text, optional_text),
)
def test_participant_object_matches_django(pk, texts) -> None:
    unique_hash, country_code, access_info, participant_id_url = texts
    fields = {
        "unique_hash": unique_hash,
        "country_code": country_code,
        "access_info": access_info,
        "participant_id_url": participant_id_url,
    }
    row = (pk, *texts)
    assert object_text(PARTICIPANT, POSTGRES_FORMATS, row) == django_object(
        "participant.participant", pk, fields
    )


@given(
    pk=st.integers(min_value=1, max_value=2**31),
    playlist=st.integers(min_value=1, max_value=99),
    song=optional_id,
    times=st.tuples(st.floats(), st.floats()),
    play_count=st.integers(min_value=0, max_value=10**6),
    texts=st.tuples(st.text(max_size=10), st.text(max_size=5), st.text(max_size=5)),
)
def test_section_song_and_feedback_objects_match_django(pk, playlist, song, times, play_count, texts) -> None:
    filename, tag, group = texts
    start_time, duration = times
    section_fields = {
        "playlist": playlist,
        "song": song,
        "start_time": start_time,
        "duration": duration,
        "filename": filename,
        "play_count": play_count,
        "tag": tag,
        "group": group,
    }
    row = (pk, playlist, song, start_time, duration, filename, play_count, tag, group)
    assert object_text(SECTION, POSTGRES_FORMATS, row) == django_object("section.section", pk, section_fields)
    assert object_text(SONG, POSTGRES_FORMATS, (pk, tag, group)) == django_object(
        "section.song", pk, {"artist": tag, "name": group}
    )
    assert object_text(FEEDBACK, POSTGRES_FORMATS, (pk, filename, playlist)) == django_object(
        "experiment.feedback", pk, {"text": filename, "block": playlist}
    )


@given(
    rows=st.lists(
        st.tuples(st.integers(min_value=1, max_value=2**31), optional_text, optional_text), max_size=6
    )
)
def test_a_batch_is_its_objects_joined_as_django_joins_them(rows) -> None:
    selected = [(key(pk), artist, name) for pk, artist, name in rows]
    assert objects_formatter(SONG, SQLITE_FORMATS)(selected) == ", ".join(
        django_object("section.song", pk, {"artist": artist, "name": name}) for pk, artist, name in rows
    )


# --- the field tables against the schema -----------------------------------------------------

KIND_OF_TYPE = (
    (sqltypes.Integer, Kind.INTEGER),
    (sqltypes.String, Kind.STRING),
    (sqltypes.Float, Kind.FLOAT),
    (sqltypes.DateTime, Kind.TIMESTAMP),
    (sqltypes.JSON, Kind.JSON),
)


@pytest.mark.parametrize("release", list(Release))
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.label)
def test_every_field_is_a_column_of_its_table_and_of_its_kind(model: Model, release: Release) -> None:
    table = build_metadata(release).tables[model.table]
    for field in model.fields:
        column_type = table.columns[field.column].type
        kinds = [kind for sql_type, kind in KIND_OF_TYPE if isinstance(column_type, sql_type)]
        assert kinds == [field.kind], (field, column_type)
    assert table.columns["id"].primary_key


def test_select_list_selects_the_pk_then_each_field() -> None:
    assert select_list(SONG, POSTGRES_FORMATS, "g") == 'g.id, g."artist", g."name"'
    assert (
        select_list(FEEDBACK, SQLITE_FORMATS, "f")
        == 'CAST(f.id AS TEXT), f."text", CAST(f."block_id" AS TEXT)'
    )
