"""The Django models of MUSCLE's JSON bundle, each described once: its fields, in the model's order.

A `Model` lists, for every field Django writes, the field's name, the table column it comes from
and its `Kind` (how the value is selected and written). Both the SELECT list of the model's rows
(`select_list`) and the text of its objects (`objects_formatter`) are made from that one table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from muscle_tui.export.json.encoders import BackendFormats, Encoder, Kind

NULL = "null"

Rows = Sequence[Sequence[Any]]
ObjectsFormatter = Callable[[Rows], str]
"""Rows selected by a model's `select_list` -> their objects' JSON text, joined by `", "`."""


@dataclass(frozen=True)
class Field:
    """One field of a Django model: its name in `fields`, its table column, and its kind."""

    name: str
    column: str
    kind: Kind


@dataclass(frozen=True)
class Model:
    """A Django model as the serializer writes it: its label, table, and fields in model order.

    The primary key is the table's `id` column, written as `pk`.
    """

    label: str
    table: str
    fields: tuple[Field, ...]


def _key(name: str) -> Field:
    """A foreign key: Django names it without `_id` and writes the plain integer pk."""
    return Field(name, f"{name}_id", Kind.INTEGER)


def _field(name: str, kind: Kind) -> Field:
    return Field(name, name, kind)


SESSION = Model(
    "session.session",
    "session_session",
    (
        _key("block"),
        _key("participant"),
        _key("playlist"),
        _field("started_at", Kind.TIMESTAMP),
        _field("finished_at", Kind.TIMESTAMP),
        _field("json_data", Kind.JSON),
        _field("final_score", Kind.FLOAT),
    ),
)
PARTICIPANT = Model(
    "participant.participant",
    "participant_participant",
    (
        _field("unique_hash", Kind.STRING),
        _field("country_code", Kind.STRING),
        _field("access_info", Kind.STRING),
        _field("participant_id_url", Kind.STRING),
    ),
)
RESULT = Model(
    "result.result",
    "result_result",
    (
        _key("session"),
        _key("participant"),
        _key("section"),
        _field("created_at", Kind.TIMESTAMP),
        _field("question_key", Kind.STRING),
        _field("expected_response", Kind.STRING),
        _field("given_response", Kind.STRING),
        _field("comment", Kind.STRING),
        _field("score", Kind.FLOAT),
        _field("scoring_rule", Kind.STRING),
        _field("json_data", Kind.JSON),
    ),
)
SECTION = Model(
    "section.section",
    "section_section",
    (
        _key("playlist"),
        _key("song"),
        _field("start_time", Kind.FLOAT),
        _field("duration", Kind.FLOAT),
        _field("filename", Kind.STRING),
        _field("play_count", Kind.INTEGER),
        _field("tag", Kind.STRING),
        _field("group", Kind.STRING),
    ),
)
SONG = Model(
    "section.song",
    "section_song",
    (
        _field("artist", Kind.STRING),
        _field("name", Kind.STRING),
    ),
)
FEEDBACK = Model(
    "experiment.feedback",
    "experiment_feedback",
    (
        _field("text", Kind.STRING),
        _key("block"),
    ),
)
MODELS: tuple[Model, ...] = (SESSION, PARTICIPANT, RESULT, SECTION, SONG, FEEDBACK)


def select_list(model: Model, formats: BackendFormats, alias: str) -> str:
    """The SELECT list of the model's rows from `<table> <alias>`: the pk, then every field."""
    columns = [formats.select(Kind.INTEGER, f"{alias}.id")]
    columns.extend(formats.select(field.kind, f'{alias}."{field.column}"') for field in model.fields)
    return ", ".join(columns)


def _encoded(values: Sequence[Any], encode: Encoder | None) -> Iterable[str]:
    """One column of a batch as JSON texts; null for None."""
    if None in values:
        if encode is None:
            return [NULL if value is None else value for value in values]
        return [NULL if value is None else encode(value) for value in values]
    return values if encode is None else map(encode, values)


def objects_formatter(model: Model, formats: BackendFormats) -> ObjectsFormatter:
    """A function from rows selected by `select_list` to their objects' text, as Django writes them.

    It works a batch at a time, column by column: each column is encoded by one `map` (nulls
    aside), then each object is joined from its pieces between the fixed texts of its keys.
    """
    labels = [f'{{"model": {json.dumps(model.label)}, "pk": ']
    openers = [', "fields": {'] + [", "] * (len(model.fields) - 1)
    labels.extend(f"{opener}{json.dumps(field.name)}: " for opener, field in zip(openers, model.fields))
    keys = tuple(repeat(label) for label in labels)
    end = repeat("}}")
    encoders = (formats.encoder(Kind.INTEGER), *(formats.encoder(field.kind) for field in model.fields))
    join_object = "".join

    def format_objects(rows: Rows) -> str:
        if not rows:
            return ""
        pieces: list[Iterable[str]] = []
        for key, encode, values in zip(keys, encoders, zip(*rows)):
            pieces.append(key)
            pieces.append(_encoded(values, encode))
        pieces.append(end)
        return ", ".join(map(join_object, zip(*pieces)))

    return format_objects
