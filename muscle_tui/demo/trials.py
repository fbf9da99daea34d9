"""Seeded trial generators, one per block rules: the trial results of a session, with the question
widget's `json_data` as MUSCLE stores it."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from muscle_tui.demo.playlists import SectionRow


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
        given: str | None = expected if rng.random() < 0.78 else ("B" if expected == "A" else "A")
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
