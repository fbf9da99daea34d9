"""The demo's playlists: each a list of sections (sound files, some naming a song), as MUSCLE's admin
makes them from a CSV, and the `section_section` row they become."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class SectionSpec(NamedTuple):
    """A line of a playlist's CSV: a sound and, when artist or name is given, its song."""

    artist: str
    name: str
    start_time: float
    duration: float
    filename: str
    tag: str
    group: str


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
                            f"P{pair} Training {letter}-150Hz(4.6k)-220Hz(4.1k)-290Hz(3.6k)"
                            "-360Hz(3.1k)-430Hz(2.6k).wav",
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
