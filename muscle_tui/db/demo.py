"""The built-in demo: a small, realistic MUSCLE 2026 database in SQLite, identical on every machine.

Two experiments (one active, one archived), seven blocks (one without sessions), a few hundred
participants and about 30,000 trial results, shaped after MUSCLE's own export documentation and the
sample dumps. The content comes from a seeded random generator and fixed base timestamps, so every
build gives the same rows.

The row-shaping helpers (`participant_row`, `profile_results`, `session_json`, `session_trials`,
`playlist_rows`) are shared with `bench/generate.py`, which loads much larger data into PostgreSQL.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import random
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import platformdirs
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from muscle_tui.db.schema import Release, build_metadata
from muscle_tui.errors import DatabaseError, OutputError

DEMO_VERSION = 1
DEMO_SEED = 20260501

# ---------------------------------------------------------------------------------------------
# Participants


COUNTRY_CODES = (
    ("nl", 30),
    ("de", 8),
    ("be", 6),
    ("gb", 6),
    ("us", 6),
    ("fr", 4),
    ("br", 4),
    ("cn", 4),
    ("tr", 3),
    ("pt", 3),
    ("es", 3),
    ("it", 2),
    ("jp", 2),
    ("za", 1),
    ("", 2),
)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.122 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.92",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
)
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


# ---------------------------------------------------------------------------------------------
# Results: trial results (session set) and profile answers (participant set)


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


@dataclass(frozen=True)
class ProfileQuestion:
    """A profile question as MUSCLE asks it; `scoring` is '', LIKERT or REVERSE_LIKERT."""

    key: str
    view: str
    question: str
    choices: dict[str, str]
    scoring: str = ""


_LIKERT_7 = {
    "1": "Completely disagree",
    "2": "Strongly disagree",
    "3": "Disagree",
    "4": "Neither agree nor disagree",
    "5": "Agree",
    "6": "Strongly agree",
    "7": "Completely agree",
}
PROFILE_QUESTIONS = (
    ProfileQuestion(
        "dgf_generation",
        "RADIOS",
        "When were you born?",
        {
            "gen_x": "1965-1980",
            "gen_z": "1997 or later",
            "boomer": "1946–1964",
            "silent": "1945 or earlier",
            "millenial": "1981–1996",
        },
    ),
    ProfileQuestion(
        "dgf_country_of_origin",
        "DROPDOWN",
        "In which country did you spend the most formative years of your childhood and youth?",
        {
            "nl": "Netherlands",
            "de": "Germany",
            "be": "Belgium",
            "gb": "United Kingdom",
            "us": "United States",
            "fr": "France",
            "br": "Brazil",
            "cn": "China",
            "tr": "Türkiye",
            "pt": "Portugal",
            "es": "Spain",
            "it": "Italy",
            "jp": "Japan",
            "za": "South Africa",
            "xx": "Other",
        },
    ),
    ProfileQuestion(
        "dgf_gender_identity",
        "RADIOS",
        "With which gender do you currently most identify?",
        {
            "male": "Man",
            "female": "Woman",
            "non_binary": "Non-binary",
            "undisclosed": "Prefer not to disclose",
        },
    ),
    ProfileQuestion(
        "dgf_education_gold_msi",
        "RADIOS",
        "What is your highest educational qualification?",
        {
            "none": "None",
            "gcse": "Secondary school",
            "a_level": "Pre-university (VWO, A-levels)",
            "undergrad": "Bachelor's degree",
            "postgrad": "Master's degree, PhD, …",
        },
    ),
    ProfileQuestion(
        "msi_01_music_activities",
        "RADIOS",
        "I spend a lot of my free time doing music-related activities.",
        _LIKERT_7,
        "LIKERT",
    ),
    ProfileQuestion(
        "msi_03_writing",
        "RADIOS",
        "I find it difficult to spot mistakes in a performance of a song, even if I know the tune.",
        _LIKERT_7,
        "REVERSE_LIKERT",
    ),
    ProfileQuestion(
        "msi_08_intensive_practice",
        "RADIOS",
        "I have had formal training in music theory for … years.",
        _LIKERT_7,
        "LIKERT",
    ),
    ProfileQuestion(
        "msi_39_best_instrument",
        "STRING",
        "The instrument I play best (including voice) is …",
        {},
    ),
)
_INSTRUMENTS = (
    "Piano",
    "gitaar",
    'Voice ("alto")',
    "erhu (二胡)",
    "drums, percussion",
    "Violine",
    "none",
    "saxofoon – tenor",
    "Ukulele",
    "bağlama",
)


def _profile_answer(
    rng: random.Random, question: ProfileQuestion, country: str
) -> tuple[str | None, float | None]:
    if rng.random() < 0.08:
        return None, None
    if question.key == "dgf_country_of_origin":
        return (country if country in question.choices else "xx"), None
    if question.key == "msi_39_best_instrument":
        return rng.choice(_INSTRUMENTS), None
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


class Trial(NamedTuple):
    """One trial of a session, before it gets its session, timestamp and primary key."""

    question_key: str
    expected_response: str | None
    given_response: str | None
    comment: str
    score: float | None
    scoring_rule: str
    section_id: int | None
    decision_time: float
    json_data: dict[str, Any]


_BUTTON_STYLE = {
    "neutral": True,
    "invisible-text": True,
    "buttons-large-gap": True,
    "buttons-large-text": True,
}
_CATEGORIZATION_CONFIG = {
    "auto_advance": True,
    "listen_first": True,
    "response_time": 5,
    "continue_label": "Verder",
    "time_pass_break": False,
    "auto_advance_timer": 2500,
    "show_continue_button": True,
}
_HOOKED_CONFIG = {
    "auto_advance": True,
    "listen_first": False,
    "response_time": 15,
    "show_continue_button": False,
}
_RHYTHM_CONFIG = {
    "auto_advance": False,
    "listen_first": True,
    "response_time": 4,
    "show_continue_button": True,
}
_S2S_CONFIG = {"auto_advance": False, "listen_first": True, "response_time": 10, "show_continue_button": True}
_S2S_CHOICES = {
    "1": "sounds exactly like speech",
    "2": "sounds somewhat like speech",
    "3": "sounds neither like speech nor like song",
    "4": "sounds somewhat like song",
    "5": "sounds exactly like song",
}


def _choice_trial(
    key: str,
    view: str,
    style: Any,
    config: dict[str, Any],
    choices: dict[str, str],
    question: str,
    expected: str | None,
    given: str | None,
    decision_time: float,
    result_id: int,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": key,
        "view": view,
        "style": style,
        "value": given if given is not None else "",
        "config": config,
        "choices": choices,
        "submits": True,
        "question": question,
        "explainer": "",
        "result_id": result_id,
        "min_values": 1,
        "is_skippable": False,
        "decision_time": decision_time,
    }
    if expected is not None:
        data["expected_response"] = expected
    return data


def _categorization_trials(
    rng: random.Random, sections: Sequence[SectionRow], count: int, first_id: int
) -> Iterator[Trial]:
    for position in range(count):
        section = sections[rng.randrange(len(sections))]
        expected = section.tag[-1] if section.tag[-1] in "AB" else "A"
        given = expected if rng.random() < 0.78 else ("B" if expected == "A" else "A")
        timed_out = rng.random() < 0.02
        if timed_out:
            given = None
        decision_time = 5.0 if timed_out else rng.uniform(0.2, 2.4)
        yield Trial(
            question_key="choice",
            expected_response=expected,
            given_response=given,
            comment="training" if position < 20 else "",
            score=1.0 if given == expected else 0.0,
            scoring_rule="CORRECTNESS",
            section_id=section.id,
            decision_time=decision_time,
            json_data=_choice_trial(
                "choice",
                "BUTTON_ARRAY",
                _BUTTON_STYLE,
                _CATEGORIZATION_CONFIG,
                {"A": "___", "B": "___"},
                "",
                expected,
                given,
                decision_time,
                first_id + position,
            ),
        )


def _hooked_trials(
    rng: random.Random, sections: Sequence[SectionRow], count: int, first_id: int
) -> Iterator[Trial]:
    position = 0
    yes_no = {"yes": "Yes", "no": "No"}
    while position < count:
        section = sections[rng.randrange(len(sections))]
        known = rng.random() < 0.55
        decision_time = rng.uniform(1.0, 14.5)
        score = float(max(1, round(15 - decision_time))) if known else 0.0
        yield Trial(
            "recognize",
            None,
            "yes" if known else "no",
            "",
            score,
            "SONG_SYNC_RECOGNITION",
            section.id,
            decision_time,
            _choice_trial(
                "recognize",
                "BUTTON_ARRAY",
                {"neutral-inverted": True},
                _HOOKED_CONFIG,
                yes_no,
                "Do you know this song?",
                None,
                "yes" if known else "no",
                decision_time,
                first_id + position,
            ),
        )
        position += 1
        if known and position < count:
            continuation = "yes" if rng.random() < 0.5 else "no"
            given = continuation if rng.random() < 0.8 else ("no" if continuation == "yes" else "yes")
            decision_time = rng.uniform(0.8, 6.0)
            yield Trial(
                "correct_place",
                continuation,
                given,
                "",
                score if given == continuation else -score,
                "SONG_SYNC_VERIFICATION",
                section.id,
                decision_time,
                _choice_trial(
                    "correct_place",
                    "BUTTON_ARRAY",
                    {"boolean": True},
                    _HOOKED_CONFIG,
                    yes_no,
                    "Did the track come back in the right place?",
                    continuation,
                    given,
                    decision_time,
                    first_id + position,
                ),
            )
            position += 1
        if rng.random() < 0.25 and position < count:
            heard = "yes" if rng.random() < 0.5 else "no"
            given = heard if rng.random() < 0.7 else ("no" if heard == "yes" else "yes")
            decision_time = rng.uniform(0.8, 8.0)
            yield Trial(
                "heard_before",
                heard,
                given,
                "",
                5.0 if given == heard else 0.0,
                "REACTION_TIME",
                section.id,
                decision_time,
                _choice_trial(
                    "heard_before",
                    "BUTTON_ARRAY",
                    {"boolean-negative-first": True},
                    _HOOKED_CONFIG,
                    {"no": "No", "yes": "Yes"},
                    "Did you hear this song in previous rounds?",
                    heard,
                    given,
                    decision_time,
                    first_id + position,
                ),
            )
            position += 1


def _rhythm_trials(
    rng: random.Random, sections: Sequence[SectionRow], count: int, first_id: int
) -> Iterator[Trial]:
    choices = {"SAME": "Same", "DIFFERENT": "Different"}
    for position in range(count):
        section = sections[rng.randrange(len(sections))]
        expected = "SAME" if section.tag == "standard" else "DIFFERENT"
        given = expected if rng.random() < 0.7 else ("DIFFERENT" if expected == "SAME" else "SAME")
        decision_time = rng.uniform(0.3, 3.8)
        yield Trial(
            "same_different",
            expected,
            given,
            "practice" if position < 4 else "",
            1.0 if given == expected else 0.0,
            "CORRECTNESS",
            section.id,
            decision_time,
            _choice_trial(
                "same_different",
                "BUTTON_ARRAY",
                {"neutral": True},
                _RHYTHM_CONFIG,
                choices,
                "Are the two rhythms the same or different?",
                expected,
                given,
                decision_time,
                first_id + position,
            ),
        )


def _speech2song_trials(
    rng: random.Random, sections: Sequence[SectionRow], count: int, first_id: int
) -> Iterator[Trial]:
    for position in range(count):
        # A few trials are sound checks without a stimulus section.
        section = None if position == 0 else sections[rng.randrange(len(sections))]
        rating = str(min(5, max(1, round(rng.gauss(1.5 + position / max(1, count) * 3, 1.1)))))
        decision_time = rng.uniform(1.0, 9.0)
        yield Trial(
            "speech2song",
            None,
            rating,
            "",
            float(rating),
            "LIKERT",
            section.id if section else None,
            decision_time,
            _choice_trial(
                "speech2song",
                "RADIOS",
                "neutral",
                _S2S_CONFIG,
                _S2S_CHOICES,
                "Does this sound like song or speech to you?",
                None,
                rating,
                decision_time,
                first_id + position,
            ),
        )


TRIAL_MAKERS = {
    "CATEGORIZATION": _categorization_trials,
    "HOOKED": _hooked_trials,
    "RHYTHM_DISCRIMINATION": _rhythm_trials,
    "SPEECH2SONG": _speech2song_trials,
}


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


# ---------------------------------------------------------------------------------------------
# Playlists, sections and songs


class SectionSpec(NamedTuple):
    """A line of a playlist's CSV: a sound and, when artist or name is given, its song."""

    artist: str
    name: str
    start_time: float
    duration: float
    filename: str
    tag: str
    group: str


class SectionRow(NamedTuple):
    """A `section_section` row."""

    id: int
    start_time: float
    duration: float
    filename: str
    play_count: int
    tag: str
    group: str
    playlist_id: int
    song_id: int | None


@dataclass(frozen=True)
class PlaylistSpec:
    """A playlist as MUSCLE's admin creates it from a CSV."""

    name: str
    url_prefix: str
    sections: tuple[SectionSpec, ...]


def _categorization_sections() -> tuple[SectionSpec, ...]:
    specs = []
    for pair in (1, 2):
        for direction, group in (("F", "SAME"), ("c", "CROSSED")):
            for index in range(1, 5):
                for letter in "AB":
                    tag = f"{index}{letter}"
                    specs.append(
                        SectionSpec(
                            f"P{pair} Training {letter}-150Hz(4.6k)-220Hz(4.1k)-290Hz(3.6k)-360Hz(3.1k)-430Hz(2.6k).wav",
                            f"C{pair - 1}T{index}{letter}",
                            0.0,
                            1.25,
                            f"CAT/C{pair + 2}F{direction}P{pair}{tag}.wav",
                            tag,
                            group,
                        )
                    )
    return tuple(specs)


def _rhythm_sections() -> tuple[SectionSpec, ...]:
    specs = []
    for meter in ("m2", "m3", "m4"):
        for index in range(1, 7):
            tag = "standard" if index % 2 else "deviant"
            specs.append(
                SectionSpec(
                    "",
                    "",
                    0.0,
                    round(2.4 + index * 0.15, 2),
                    f"rhythm/RHYTHM_DISCR/{meter}_{tag}_{index:02d}.wav",
                    tag,
                    "practice" if index == 1 else "test",
                )
            )
    return tuple(specs)


_EUROVISION = (
    ("Måneskin", "Zitti e buoni", 2021),
    ("Loreen", "Tattoo", 2023),
    ("Käärijä", "Cha Cha Cha", 2023),
    ("Duncan Laurence", "Arcade", 2019),
    ("Kalush Orchestra", "Stefania", 2022),
    ("Salvador Sobral", "Amar pelos dois", 2017),
    ("Netta", "Toy", 2018),
    ("Jamala", "1944", 2016),
    ("Nemo", "The Code", 2024),
    ("Go_A", "Шум (Shum)", 2021),
    ("Barbara Pravi", "Voilà", 2021),
    ("Mahmood & Blanco", "Brividi", 2022),
    ("S10", "De diepte", 2022),
    ("Joost Klein", "Europapa", 2024),
    ("Chanel", "SloMo", 2022),
    ("Daði Freyr", "10 Years", 2021),
    ("Lordi", "Hard Rock Hallelujah", 2006),
    ("ABBA", "Waterloo", 1974),
    ("Céline Dion", "Ne partez pas sans moi", 1988),
    ("Teach-In", "Ding-a-dong", 1975),
)


def _hooked_sections() -> tuple[SectionSpec, ...]:
    specs = []
    for artist, name, year in _EUROVISION:
        slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum()) or "song"
        specs.append(
            SectionSpec(artist, name, 45.0, 30.0, f"EUROVISION/{year}_{slug}.mp3", "chorus", str(year))
        )
        specs.append(
            SectionSpec(artist, name, 12.5, 15.0, f"EUROVISION/{year}_{slug}_verse.mp3", "verse", str(year))
        )
    specs.append(SectionSpec("", "", 0.0, 3.0, "EUROVISION/sync_click.wav", "click", "sync"))
    return tuple(specs)


def _speech2song_sections() -> tuple[SectionSpec, ...]:
    phrases = (
        ("Spreker 1 (NL)", "‘Het is een mooie dag,’ zei ze", "nl"),
        ("Spreker 2 (NL)", "Sometimes behave so strangely", "en"),
        ("Spreker 2 (NL)", "Ik ga morgen naar de markt, denk ik", "nl"),
        ("说话人 1 (ZH)", "今天天气很好", "zh"),
        ("说话人 2 (ZH)", "我们明天见，好吗？", "zh"),
        ("Speaker 3 (EN)", "Sometimes behave so strangely", "en"),
        ("Speaker 3 (EN)", 'The "quick" brown fox, again', "en"),
        ("Spreker 4 (NL)", "Één, twee, drie – vier!", "nl"),
    )
    specs = [
        SectionSpec(
            artist, name, 0.0, round(1.8 + i * 0.1, 2), f"s2s/{lang}/phrase_{i:02d}.wav", lang, "speech"
        )
        for i, (artist, name, lang) in enumerate(phrases, start=1)
    ]
    specs.append(SectionSpec("", "", 0.0, 2.0, "s2s/environmental/rain.wav", "env", "sound"))
    specs.append(SectionSpec("", "", 0.0, 2.0, "s2s/environmental/train.wav", "env", "sound"))
    return tuple(specs)


PLAYLISTS = {
    "categorization": PlaylistSpec("Categorization – pairs 1 & 2", "", _categorization_sections()),
    "rhythm": PlaylistSpec("Rhythm battery: discrimination", "", _rhythm_sections()),
    "hooked": PlaylistSpec("Eurovision, 1974–2024", "https://example.org/audio/", _hooked_sections()),
    "speech2song": PlaylistSpec("Speech-to-song (NL, ZH, EN)", "", _speech2song_sections()),
}


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


FEEDBACK_TEXTS = (
    "Leuk experiment! Maar de geluiden waren soms erg zacht.",
    'Great fun, though I wasn\'t sure if "same" meant exactly the same.',
    "很好玩，谢谢！",
    "Too long; I stopped halfway, sorry.\nThe second part felt repetitive.",
    "Could you add a progress bar? Ça serait génial.",
    "Ich kannte fast alle Lieder – Käärijä forever 🎵",
    "The buttons were hard to see on my phone, esp. in dark mode.",
    "Interesting — the phrase really started to sound like singing after a few repeats!",
    "; no comment ;",
    "Één vraag: krijg ik mijn score nog te zien?",
)


def feedback_rows(rng: random.Random, block_id: int, first_id: int, count: int) -> list[dict[str, Any]]:
    """`experiment_feedback` rows for a block."""
    return [
        {"id": first_id + i, "text": rng.choice(FEEDBACK_TEXTS), "block_id": block_id} for i in range(count)
    ]


# ---------------------------------------------------------------------------------------------
# The demo's experiments and blocks


@dataclass(frozen=True)
class BlockSpec:
    """A demo block: where it sits, which playlist it plays and how many trials a session has."""

    slug: str
    name: str
    description: str
    rules: str
    phase: int
    index: int
    playlist: str | None
    rounds: int
    trials: int
    profile_questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExperimentSpec:
    """A demo experiment: its phases (each a list of blocks) and who takes part."""

    slug: str
    name: str
    description: str
    active: bool
    start: datetime
    days: int
    participants: range
    phases: tuple[tuple[BlockSpec, ...], ...]
    continue_chance: float


_ALL_PROFILE_KEYS = tuple(q.key for q in PROFILE_QUESTIONS)
EXPERIMENTS = (
    ExperimentSpec(
        slug="musical-minds",
        name="Musical Minds – “Rhythm, Hooks & Categories”",
        description="Three short games about rhythm, memory for songs, and sound categories. Duur: ±25 min.",
        active=True,
        start=datetime(2025, 9, 1, 8, 0, 0),
        days=150,
        participants=range(1, 221),
        phases=(
            (
                BlockSpec(
                    "rhythm-discrimination",
                    "Rhythm discrimination, part 1",
                    "Same or different?",
                    "RHYTHM_DISCRIMINATION",
                    0,
                    0,
                    "rhythm",
                    30,
                    30,
                ),
            ),
            (
                BlockSpec(
                    "hooked-eurovision",
                    "Hooked on Eurovision ♪",
                    "Do you know this song?",
                    "HOOKED",
                    1,
                    0,
                    "hooked",
                    30,
                    55,
                ),
                BlockSpec(
                    "categorization-pairs",
                    'Categorization, pairs 1 & 2 ("A" or "B")',
                    "Orange or blue?",
                    "CATEGORIZATION",
                    1,
                    1,
                    "categorization",
                    80,
                    80,
                ),
            ),
            (
                BlockSpec(
                    "rhythm-battery-final",
                    "Final questions, “about you”",
                    "A few questions, then done.",
                    "RHYTHM_BATTERY_FINAL",
                    2,
                    0,
                    None,
                    8,
                    0,
                    _ALL_PROFILE_KEYS,
                ),
                BlockSpec(
                    "musical-preferences",
                    "Musical preferences (coming soon)",
                    "Which genres do you like, and why?",
                    "MUSICAL_PREFERENCES",
                    2,
                    1,
                    "hooked",
                    10,
                    0,
                ),
            ),
        ),
        continue_chance=0.82,
    ),
    ExperimentSpec(
        slug="speech-to-song-2024",
        name="Speech-to-song illusion, 2024 (archived)",
        description="Hoe herhaling spraak in zang verandert; 说话变唱歌.",
        active=False,
        start=datetime(2024, 2, 5, 9, 30, 0),
        days=60,
        participants=range(190, 301),
        phases=(
            (
                BlockSpec(
                    "s2s-intake",
                    "Intake: language & music background",
                    "Vragenlijst vooraf",
                    "QUESTIONNAIRE",
                    0,
                    0,
                    None,
                    5,
                    0,
                    (
                        "dgf_generation",
                        "dgf_country_of_origin",
                        "dgf_gender_identity",
                        "msi_01_music_activities",
                        "msi_39_best_instrument",
                    ),
                ),
            ),
            (
                BlockSpec(
                    "speech2song-nl-zh",
                    "Speech to song, NL/ZH",
                    "Speech or song?",
                    "SPEECH2SONG",
                    1,
                    0,
                    "speech2song",
                    32,
                    32,
                ),
            ),
        ),
        continue_chance=0.9,
    ),
)
EMPTY_BLOCK_SLUG = "musical-preferences"
_PROFILE_BY_KEY = {q.key: q for q in PROFILE_QUESTIONS}


class _Counters:
    """The next primary key of each table."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, table: str, count: int = 1) -> int:
        first = self._next.get(table, 1)
        self._next[table] = first + count
        return first


def demo_rows(seed: int = DEMO_SEED) -> dict[str, list[dict[str, Any]]]:
    """Every row of the demo database, per table, built from the seed alone."""
    rng = random.Random(seed)
    ids = _Counters()
    tables: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (
            "experiment_experiment",
            "experiment_phase",
            "experiment_block",
            "section_playlist",
            "section_song",
            "section_section",
            "experiment_block_playlists",
            "participant_participant",
            "session_session",
            "result_result",
            "experiment_feedback",
        )
    }

    songs: dict[tuple[str, str], int] = {}
    playlist_ids: dict[str, int] = {}
    sections_of: dict[str, list[SectionRow]] = {}
    for key, spec in PLAYLISTS.items():
        rows = playlist_rows(rng, spec, ids.take("playlist"), ids.take("section", len(spec.sections)), songs)
        playlist_ids[key] = rows.playlist["id"]
        sections_of[key] = rows.sections
        tables["section_playlist"].append(rows.playlist)
        tables["section_song"].extend(rows.songs)
        tables["section_section"].extend(s._asdict() for s in rows.sections)

    participants = {}
    for participant_id in range(1, max(e.participants.stop for e in EXPERIMENTS)):
        participants[participant_id] = participant_row(rng, participant_id)
    tables["participant_participant"].extend(participants.values())
    profiled: set[tuple[int, str]] = set()

    for experiment in EXPERIMENTS:
        experiment_id = ids.take("experiment")
        tables["experiment_experiment"].append(
            {
                "id": experiment_id,
                "active": experiment.active,
                "slug": experiment.slug,
                "name": experiment.name,
                "description": experiment.description,
            }
        )
        block_ids: dict[str, int] = {}
        for phase_index, blocks in enumerate(experiment.phases):
            phase_id = ids.take("phase")
            tables["experiment_phase"].append(
                {
                    "id": phase_id,
                    "index": phase_index,
                    "dashboard": phase_index == 1,
                    "randomize": len(blocks) > 1,
                    "experiment_id": experiment_id,
                }
            )
            for block in blocks:
                block_id = ids.take("block")
                block_ids[block.slug] = block_id
                tables["experiment_block"].append(
                    {
                        "id": block_id,
                        "slug": block.slug,
                        "rounds": block.rounds,
                        "bonus_points": 0,
                        "rules": block.rules,
                        "phase_id": phase_id,
                        "index": block.index,
                        "name": block.name,
                        "description": block.description,
                    }
                )
                if block.playlist:
                    tables["experiment_block_playlists"].append(
                        {
                            "id": ids.take("block_playlist"),
                            "block_id": block_id,
                            "playlist_id": playlist_ids[block.playlist],
                        }
                    )
                feedback_count = 0 if block.slug == EMPTY_BLOCK_SLUG else rng.randrange(2, 7)
                tables["experiment_feedback"].extend(
                    feedback_rows(rng, block_id, ids.take("feedback", feedback_count), feedback_count)
                )

        for participant_id in experiment.participants:
            participant = participants[participant_id]
            moment = experiment.start + timedelta(
                seconds=rng.randrange(experiment.days * 86400), microseconds=rng.randrange(1_000_000)
            )
            for blocks in experiment.phases:
                playable = [b for b in blocks if b.slug != EMPTY_BLOCK_SLUG]
                rng.shuffle(playable)
                stopped = False
                for block in playable:
                    repeats = 2 if rng.random() < 0.04 else 1
                    for _ in range(repeats):
                        moment, finished = _demo_session(
                            rng,
                            ids,
                            tables,
                            experiment,
                            block,
                            block_ids[block.slug],
                            playlist_ids.get(block.playlist or ""),
                            sections_of.get(block.playlist or "", []),
                            participant,
                            moment,
                            profiled,
                        )
                        if not finished:
                            stopped = True
                            break
                    if stopped:
                        break
                if stopped or rng.random() > experiment.continue_chance:
                    break
    return tables


def _demo_session(
    rng: random.Random,
    ids: _Counters,
    tables: dict[str, list[dict[str, Any]]],
    experiment: ExperimentSpec,
    block: BlockSpec,
    block_id: int,
    playlist_id: int | None,
    sections: list[SectionRow],
    participant: dict[str, Any],
    started_at: datetime,
    profiled: set[tuple[int, str]],
) -> tuple[datetime, bool]:
    """Add one session with its trials and profile answers; returns when the next one starts and
    whether this one was finished."""
    session_id = ids.take("session")
    finished = rng.random() >= 0.1
    trial_count = block.trials if finished else rng.randrange(0, max(1, block.trials // 2))
    trials = session_trials(rng, block.rules, sections, trial_count, ids.take("result", 0))
    ids.take("result", len(trials))
    moment = started_at + timedelta(seconds=rng.uniform(4, 40))
    for trial in trials:
        moment += timedelta(seconds=trial.decision_time + rng.uniform(0.5, 4.0))
        tables["result_result"].append(
            ResultRow(
                id=trial.json_data["result_id"],
                created_at=moment,
                question_key=trial.question_key,
                expected_response=trial.expected_response,
                given_response=trial.given_response,
                comment=trial.comment,
                score=trial.score,
                scoring_rule=trial.scoring_rule,
                section_id=trial.section_id,
                session_id=session_id,
                participant_id=None,
                json_data=trial.json_data,
            )._asdict()
        )
    questions = [
        _PROFILE_BY_KEY[key]
        for key in block.profile_questions
        if (participant["id"], key) not in profiled or key == "dgf_country_of_origin"
    ]
    if not finished:
        questions = questions[: rng.randrange(0, len(questions) + 1)]
    if questions:
        answers = profile_results(
            rng,
            participant["id"],
            participant["country_code"],
            questions,
            ids.take("result", len(questions)),
            moment,
        )
        profiled.update((participant["id"], q.key) for q in questions)
        tables["result_result"].extend(a._asdict() for a in answers)
        moment = answers[-1].created_at
    score = sum(t.score or 0.0 for t in trials) if finished else 0.0
    tables["session_session"].append(
        {
            "id": session_id,
            "started_at": started_at,
            "finished_at": moment + timedelta(seconds=rng.uniform(1, 5)) if finished else None,
            "final_score": float(score),
            "block_id": block_id,
            "participant_id": participant["id"],
            "playlist_id": playlist_id,
            "json_data": session_json(rng, block.rules, experiment.slug, sections, finished, block.rounds),
        }
    )
    gap = (
        timedelta(minutes=rng.uniform(0.5, 20)) if rng.random() < 0.85 else timedelta(days=rng.uniform(1, 9))
    )
    return moment + gap, finished


# ---------------------------------------------------------------------------------------------
# Writing the SQLite file


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # SQLAlchemy's DateTime on SQLite: naive UTC text with microseconds.
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


_INDEXES = (
    ("session_session", "block_id"),
    ("session_session", "participant_id"),
    ("result_result", "session_id"),
    ("result_result", "participant_id"),
    ("result_result", "section_id"),
    ("section_section", "playlist_id"),
    ("experiment_block", "phase_id"),
    ("experiment_feedback", "block_id"),
)


def _write_sqlite(path: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
    metadata = build_metadata(Release.V2026)
    engine = create_engine(f"sqlite:///{path}")
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for name, rows in tables.items():
            columns = [c.name for c in metadata.tables[name].columns]
            quoted = ", ".join('"' + c + '"' for c in columns)
            placeholders = ", ".join("?" for _ in columns)
            statement = f'INSERT INTO "{name}" ({quoted}) VALUES ({placeholders})'
            conn.executemany(statement, ([_sqlite_value(row[c]) for c in columns] for row in rows))
        for table, column in _INDEXES:
            conn.execute(f'CREATE INDEX "{table}_{column}_idx" ON "{table}" ("{column}")')
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()


def demo_database_path() -> Path:
    """Where the built-in demo lives: the user data directory, named by content version."""
    return platformdirs.user_data_path("muscle-tui") / f"demo-v{DEMO_VERSION}.sqlite3"


def write_demo_database(path: Path, *, replace: bool = True) -> Path:
    """Build the demo database at `path`: built beside it under a temporary name, then renamed into
    place, so no reader ever sees a half-built file. With `replace=False` an existing file is kept
    and OutputError raised."""
    path = Path(path).expanduser().absolute()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write the demo database in {path.parent}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()
        _write_sqlite(tmp, demo_rows())
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputError(f"{path} already exists; use --force to replace it") from None
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        reason = getattr(exc, "strerror", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
        raise OutputError(f"cannot write the demo database {path}: {reason}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path


def ensure_demo_database(path: Path) -> Path:
    """The demo database at `path`, built on first use and reused afterwards."""
    if path.is_file():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create the demo database at {path}: {exc.strerror or exc}") from None
    try:
        return write_demo_database(path)
    except OutputError as exc:
        raise DatabaseError(str(exc)) from None
