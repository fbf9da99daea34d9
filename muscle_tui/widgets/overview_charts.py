"""The Overview tab's plots, drawn with plotext: sessions per day, week or month, histograms, countries.

Each `draw_*` function draws on a cleared plotext figure of a given size (the widget calls it
whenever it renders, so ticks and labels suit the space), from numbers only; the one text that
comes from the database, a country code, goes through `printable` first. plotext's output is read
as ANSI text, never as markup. Colours are fixed RGB values, so a picture never depends on the
terminal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from muscle_tui.db.stats import CountryCount, DayCount
from muscle_tui.text import printable

STARTED = (0, 130, 200)
FINISHED = (60, 180, 75)
HISTOGRAM = (245, 130, 48)
COUNTRIES = (145, 30, 180)

WEEKS_AFTER_DAYS = 60
MONTHS_AFTER_DAYS = 730
COUNTRY_LABEL_CHARS = 10
MOST_COUNTRIES = 12

Period = Literal["day", "week", "month"]
Bins = Sequence[tuple[float, float, int]]
Plot = Any  # a textual_plotext Plot (plotext is untyped)


@dataclass(frozen=True)
class Bucket:
    """Sessions started and finished in one day, week (from Monday) or month."""

    start: date
    label: str
    started: int
    finished: int


def period_for(first: date, last: date) -> Period:
    """Days for up to WEEKS_AFTER_DAYS, then weeks, and months beyond MONTHS_AFTER_DAYS."""
    span = (last - first).days
    if span > MONTHS_AFTER_DAYS:
        return "month"
    if span > WEEKS_AFTER_DAYS:
        return "week"
    return "day"


def _period_start(day: date, period: Period) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _next_period(start: date, period: Period) -> date:
    if period == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=7 if period == "week" else 1)


def _period_label(start: date, period: Period) -> str:
    return start.strftime("%Y-%m") if period == "month" else start.isoformat()


def bucket_days(days: Sequence[DayCount]) -> tuple[Period, list[Bucket]]:
    """`days` summed per day, week or month (see `period_for`), every period from the first to the
    last one present, empty ones included."""
    if not days:
        return "day", []
    period = period_for(min(d.date for d in days), max(d.date for d in days))
    started: dict[date, int] = {}
    finished: dict[date, int] = {}
    for day in days:
        key = _period_start(day.date, period)
        started[key] = started.get(key, 0) + day.started
        finished[key] = finished.get(key, 0) + day.finished
    buckets = []
    current, last = min(started), max(started)
    while current <= last:
        buckets.append(
            Bucket(current, _period_label(current, period), started.get(current, 0), finished.get(current, 0))
        )
        current = _next_period(current, period)
    return period, buckets


def nice_step(span: float, most: int) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ step that cuts `span` into at most `most` parts."""
    raw = span / max(1, most)
    if raw <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw * (1 - 1e-9):
            return multiple * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def count_ticks(top: int, most: int) -> list[int]:
    """Whole-number ticks from 0 up to at least `top`, at most `most` steps apart."""
    step = max(1, math.ceil(nice_step(max(top, 1), most)))
    last = max(1, math.ceil(max(top, 1) / step)) * step
    return list(range(0, last + 1, step))


def value_ticks(low: float, high: float, most: int) -> tuple[list[float], int]:
    """Round ticks between `low` and `high` (at most `most + 1`) and the decimals their labels need."""
    step = nice_step(high - low, most)
    first = math.ceil(low / step - 1e-9)
    ticks = [tick * step for tick in range(first, math.floor(high / step + 1e-9) + 1)]
    return ticks, max(0, -math.floor(math.log10(step)))


def _count_label(value: int) -> str:
    return f"{value:,}"


def _plot_width(width: int, top: int) -> int:
    """Columns left for the data once the y labels (the widest count) and the frame are drawn."""
    return max(1, width - len(_count_label(top)) - 3)


def _y_counts(plt: Plot, top: int, height: int) -> int:
    ticks = count_ticks(top, max(1, (height - 3) // 3))
    plt.yticks(ticks, [_count_label(tick) for tick in ticks])
    plt.ylim(0, ticks[-1])
    return ticks[-1]


def draw_periods(plt: Plot, buckets: Sequence[Bucket], width: int, height: int) -> None:
    """Sessions started per bucket as bars, sessions finished as bars in front of them; lines
    when there are more buckets than columns."""
    if not buckets:
        return
    count = len(buckets)
    top = _y_counts(plt, max(max(b.started, b.finished) for b in buckets), height)
    area = _plot_width(width, top)
    if count > area:
        positions = list(range(count))
        plt.plot(positions, [b.started for b in buckets], color=STARTED)
        plt.plot(positions, [b.finished for b in buckets], color=FINISHED)
        plt.xlim(0, max(1, count - 1))
    else:
        half_bar = 0.5 - max(count, 7) / area  # a blank column between bars when each has three
        if half_bar < 0.15:
            half_bar = 0.5  # too narrow for gaps: the bars touch
        for color, heights in (
            (STARTED, [b.started for b in buckets]),
            (FINISHED, [b.finished for b in buckets]),
        ):
            for position, value in enumerate(heights):
                if value:
                    plt.rectangle(
                        [position - half_bar, position + half_bar],
                        [0, value],
                        color=color,
                        fill=True,
                        marker="sd",
                    )
        half = max(count, 7) / 2
        plt.xlim((count - 1) / 2 - half, (count - 1) / 2 + half)
    label_chars = len(buckets[0].label) + 3
    shown = max(1, min(count, area // label_chars))
    picks = sorted({round(i * (count - 1) / max(1, shown - 1)) for i in range(shown)})
    plt.xticks(picks, [buckets[i].label for i in picks])


def histogram_total(bins: Bins) -> int:
    """How many values a histogram holds."""
    return sum(count for _, _, count in bins)


def draw_histogram(
    plt: Plot,
    bins: Bins,
    width: int,
    height: int,
    *,
    scale: float = 1.0,
    color: tuple[int, int, int] = HISTOGRAM,
) -> None:
    """Bars spanning each bin (values divided by `scale`), counts on the y axis, round x ticks."""
    shown = [(start / scale, end / scale, count) for start, end, count in bins]
    if not histogram_total(shown):
        return
    low = min(start for start, _, _ in shown)
    high = max(end for _, end, _ in shown)
    if high <= low:
        _draw_one_value(plt, low, histogram_total(shown), height, color)
        return
    top = _y_counts(plt, max(count for _, _, count in shown), height)
    for start, end, count in shown:
        if count:
            plt.rectangle([start, end], [0, count], color=color, fill=True, marker="sd")
    plt.xlim(low, high)
    area = _plot_width(width, top)
    ticks, labels = _value_labels(low, high, area // 5)
    widest = max(len(label) for label in labels) + 2
    if len(ticks) * widest > area:
        ticks, labels = _value_labels(low, high, area // widest)
    plt.xticks(ticks, labels)


def _draw_one_value(plt: Plot, value: float, count: int, height: int, color: tuple[int, int, int]) -> None:
    """Every value is `value`: one narrow bar, labelled with it, in the middle."""
    pad = abs(value) * 0.1 or 1.0
    _y_counts(plt, count, height)
    plt.rectangle([value - pad / 8, value + pad / 8], [0, count], color=color, fill=True, marker="sd")
    plt.xlim(value - pad, value + pad)
    plt.xticks([value], [f"{value:,.2f}".rstrip("0").rstrip(".")])


def _value_labels(low: float, high: float, most: int) -> tuple[list[float], list[str]]:
    ticks, decimals = value_ticks(low, high, max(1, most))
    return ticks, [f"{tick:,.{decimals}f}" for tick in ticks]


def country_label(code: str) -> str:
    """A country code as a plot label: literal, one line, at most COUNTRY_LABEL_CHARS; 'unknown' if empty."""
    label = printable(code).strip() or "unknown"
    if len(label) > COUNTRY_LABEL_CHARS:
        label = label[: COUNTRY_LABEL_CHARS - 1] + "…"
    return label


def top_countries(countries: Sequence[CountryCount], most: int) -> list[tuple[str, int]]:
    """The `most` countries with the most participants (ties by code), the rest summed as 'others'."""
    ranked = sorted(countries, key=lambda c: (-c.participants, c.country))
    if len(ranked) <= most:
        return [(country_label(c.country), c.participants) for c in ranked]
    kept = [(country_label(c.country), c.participants) for c in ranked[: most - 1]]
    return [*kept, (f"{len(ranked) - most + 1} others", sum(c.participants for c in ranked[most - 1 :]))]


def draw_countries(plt: Plot, countries: Sequence[CountryCount], width: int, height: int) -> None:
    """Horizontal bars of participants per country, the largest on top."""
    slots = max(1, min(MOST_COUNTRIES, (height - 3) // 2))
    rows = top_countries(countries, slots)
    if not rows:
        return
    rows.reverse()
    labels = [label for label, _ in rows]
    plt.bar(labels, [count for _, count in rows], orientation="h", color=COUNTRIES, width=0.6)
    plt.ylim(len(rows) + 0.5 - slots, len(rows) + 0.5)  # few countries: thin bars from the top
    label_width = max(len(label) for label in labels)
    ticks = count_ticks(max(count for _, count in rows), max(1, (width - label_width - 3) // 8))
    plt.xticks(ticks, [_count_label(tick) for tick in ticks])
    plt.xlim(0, ticks[-1])


def time_unit(bins: Bins) -> tuple[str, float]:
    """The unit (s, min, h or d) and its length in seconds that suits a histogram of seconds."""
    high = max((end for _, end, _ in bins), default=0.0)
    for unit, seconds, below in (("s", 1.0, 120), ("min", 60.0, 7200), ("h", 3600.0, 172800)):
        if high < below:
            return unit, seconds
    return "d", 86400.0


Draw = Callable[[Plot, int, int], None]
