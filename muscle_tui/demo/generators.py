"""Seeded row generators shared by the demo and `bench/generate.py`: participants, profile answers,
a session's trials and `json_data`, playlists with their sections and songs, and feedback.

Each takes the random generator it draws from; the order of its draws is part of the demo's content.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from muscle_tui.demo.playlists import PlaylistSpec, SectionRow
from muscle_tui.demo.specs import COUNTRY_CODES, FEEDBACK_TEXTS, INSTRUMENTS, USER_AGENTS, ProfileQuestion
from muscle_tui.demo.trials import TRIAL_MAKERS, Trial

_COUNTRIES = [code for code, _ in COUNTRY_CODES]

_COUNTRY_WEIGHTS = [weight for _, weight in COUNTRY_CODES]


def participant_row(rng: random.Random, participant_id: int) -> dict[str, Any]:
    """A `participant_participant` row: uuid-like hash, country (sometimes unknown), user agent."""
    return {
        "id": participant_id,
        "unique_hash": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "country_code": rng.choices(_COUNTRIES, _COUNTRY_WEIGHTS)[0],
        "access_info": None if rng.random() < 0.03 else rng.choice(USER_AGENTS),
        "participant_id_url": f"PROLIFIC_{participant_id:05d}" if rng.random() < 0.3 else None,
    }


class ResultRow(NamedTuple):
    """A `result_result` row; `json_data` is a dict (serialized by whoever writes the row)."""

    id: int
    created_at: datetime
    question_key: str
    expected_response: str | None
    given_response: str | None
    comment: str
    score: float | None
    scoring_rule: str
    section_id: int | None
    session_id: int | None
    participant_id: int | None
    json_data: dict[str, Any] | None


def _profile_answer(
    rng: random.Random, question: ProfileQuestion, country: str
) -> tuple[str | None, float | None]:
    if rng.random() < 0.08:
        return None, None
    if question.key == "dgf_country_of_origin":
        return (country if country in question.choices else "xx"), None
    if question.key == "msi_39_best_instrument":
        return rng.choice(INSTRUMENTS), None
    value = rng.choice(list(question.choices))
    if question.scoring == "LIKERT":
        return value, float(int(value))
    if question.scoring == "REVERSE_LIKERT":
        return value, float(8 - int(value))
    return value, None


def profile_results(
    rng: random.Random,
    participant_id: int,
    country: str,
    questions: Sequence[ProfileQuestion],
    first_result_id: int,
    answered_at: datetime,
) -> list[ResultRow]:
    """Profile answers of one participant: session null, some skipped (given_response null)."""
    rows = []
    moment = answered_at
    for offset, question in enumerate(questions):
        given, score = _profile_answer(rng, question, country)
        decision_time = rng.uniform(1.5, 12.0)
        moment += timedelta(seconds=decision_time + 0.4, microseconds=rng.randrange(1_000_000))
        result_id = first_result_id + offset
        rows.append(
            ResultRow(
                id=result_id,
                created_at=moment,
                question_key=question.key,
                expected_response=None,
                given_response=given,
                comment="",
                score=score,
                scoring_rule=question.scoring,
                section_id=None,
                session_id=None,
                participant_id=participant_id,
                json_data={
                    "key": question.key,
                    "view": question.view,
                    "style": "neutral",
                    "value": given if given is not None else "",
                    "config": {
                        "auto_advance": False,
                        "listen_first": False,
                        "response_time": 5,
                        "continue_label": "Continue",
                        "show_continue_button": True,
                    },
                    "choices": question.choices,
                    "submits": False,
                    "question": question.question,
                    "explainer": "",
                    "result_id": result_id,
                    "min_values": 1,
                    "is_skippable": question.key.startswith("dgf_"),
                    "decision_time": decision_time,
                },
            )
        )
    return rows


def session_trials(
    rng: random.Random, rules: str, sections: Sequence[SectionRow], count: int, first_result_id: int
) -> list[Trial]:
    """`count` trials of one session of a block with these rules (none for questionnaire rules)."""
    maker = TRIAL_MAKERS.get(rules)
    if maker is None or not sections:
        return []
    return list(maker(rng, sections, count, first_result_id))


def session_json(
    rng: random.Random,
    rules: str,
    experiment_slug: str,
    sections: Sequence[SectionRow],
    finished: bool,
    rounds: int,
) -> dict[str, Any]:
    """A session's `json_data` for a block with these rules, like MUSCLE's own (see EXPORTING.md)."""
    section_ids = [s.id for s in sections]
    if rules == "CATEGORIZATION":
        pair = rng.choice((1, 2))
        same = rng.random() < 0.5
        orange_first = rng.random() < 0.5
        return {
            "group": rng.choice(("S1", "S2", "C1", "C2")),
            "phase": "FINISHED" if finished else rng.choice(("training", "testing")),
            "choices": {"A": "___", "B": "___"},
            "sequence": [rng.choice(section_ids) for _ in range(rounds)],
            "stimuli_a": "ORANGE" if orange_first else "BLUE",
            "experiment": experiment_slug,
            "pair_colors": "A = Orange, B = Blue" if orange_first else "A = Blue, B = Orange",
            "button_order": rng.choice(("neutral", "neutral-inverted")),
            "button_colors": rng.choice(("Blue left, Orange right", "Orange left, Blue right")),
            "assigned_group": f"{'Same' if same else 'Crossed'} direction, Pair {pair}",
            "training_rounds": 20,
            "feedback_sequence": [rng.randrange(1, 80) for _ in range(20)],
        }
    if rules == "HOOKED":
        return {
            "plan": {
                "n_rounds": rounds,
                "sections": [
                    {"id": rng.choice(section_ids), "group": "a", "tag": "hook"} for _ in range(rounds)
                ],
            },
            "experiment": experiment_slug,
            "bonus_points": rng.choice((0, 0, 5, 10)),
        }
    if rules == "RHYTHM_DISCRIMINATION":
        return {
            "plan": rng.sample(section_ids, k=min(len(section_ids), rounds)),
            "practice": {"passed": rng.random() < 0.9, "attempts": rng.choice((1, 1, 1, 2))},
            "experiment": experiment_slug,
        }
    if rules == "SPEECH2SONG":
        language = rng.choice(("nl", "zh", "en"))
        return {
            "group": language,
            "sequence": rng.sample(section_ids, k=len(section_ids)),
            "experiment": experiment_slug,
            "repetitions": 8,
            "sound_check": "ok" if rng.random() < 0.95 else "headphones?",
        }
    return {"experiment": experiment_slug, "questions_done": rng.randrange(3, 9) if not finished else 8}


def playlist_csv(spec: PlaylistSpec) -> str:
    """The playlist's CSV as MUSCLE keeps it: artist, name, start, duration, filename, tag, group."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for s in spec.sections:
        writer.writerow([s.artist, s.name, s.start_time, s.duration, s.filename, s.tag, s.group])
    return buffer.getvalue()


@dataclass
class PlaylistRows:
    """The rows of a playlist, its sections and the songs they name."""

    playlist: dict[str, Any]
    sections: list[SectionRow]
    songs: list[dict[str, Any]]


def playlist_rows(
    rng: random.Random,
    spec: PlaylistSpec,
    playlist_id: int,
    first_section_id: int,
    songs: dict[tuple[str, str], int],
) -> PlaylistRows:
    """Rows for one playlist. `songs` maps (artist, name) to song ids across playlists; new songs join it."""
    sections = []
    new_songs = []
    for offset, s in enumerate(spec.sections):
        song_id = None
        if s.artist or s.name:
            key = (s.artist, s.name)
            if key not in songs:
                songs[key] = len(songs) + 1
                new_songs.append({"id": songs[key], "artist": s.artist, "name": s.name})
            song_id = songs[key]
        sections.append(
            SectionRow(
                first_section_id + offset,
                s.start_time,
                s.duration,
                s.filename,
                rng.randrange(0, 400),
                s.tag,
                s.group,
                playlist_id,
                song_id,
            )
        )
    playlist = {
        "id": playlist_id,
        "name": spec.name,
        "process_csv": False,
        "csv": playlist_csv(spec),
        "url_prefix": spec.url_prefix,
    }
    return PlaylistRows(playlist, sections, new_songs)


def feedback_rows(rng: random.Random, block_id: int, first_id: int, count: int) -> list[dict[str, Any]]:
    """`experiment_feedback` rows for a block."""
    return [
        {"id": first_id + i, "text": rng.choice(FEEDBACK_TEXTS), "block_id": block_id} for i in range(count)
    ]
