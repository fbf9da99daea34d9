"""What the demo database holds: its experiments and blocks, the profile questions they ask, the
participants' countries and browsers, and the feedback they leave.

The content version and the seed are here too: change either and every row changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEMO_VERSION = 1
DEMO_SEED = 20260501

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


INSTRUMENTS = (
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
