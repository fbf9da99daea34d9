"""Percentiles and histograms computed as PostgreSQL computes them, for SQLite's streamed columns.

`percentile_cont` interpolates linearly between the values at the two positions around
`fraction × (count − 1)`; `width_bucket` puts a value in the bar `bins × (value − low) / (high −
low)`, the greatest value in the last bar. Both are written to give the same floats as
PostgreSQL 15's C code, so SQLite and PostgreSQL agree on the same data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from muscle_tui.db.stats.model import Bin

QUARTILES = (0.25, 0.5, 0.75)


def _positions(fraction: float, count: int) -> tuple[int, int, float]:
    """The two positions `percentile_cont(fraction)` reads of `count` sorted values, and how far
    between them the result lies."""
    where = fraction * (count - 1)
    first = math.floor(where)
    return first, math.ceil(where), where - first


def _lerp(low: float, high: float, proportion: float) -> float:
    """PostgreSQL's float8_lerp."""
    return low + (high - low) * proportion


def percentile_cont(sorted_values: Sequence[float], fraction: float) -> float | None:
    """`percentile_cont(fraction) WITHIN GROUP (ORDER BY value)` of already sorted values."""
    if not sorted_values:
        return None
    first, second, proportion = _positions(fraction, len(sorted_values))
    low = float(sorted_values[first])
    if first == second:
        return low
    return _lerp(low, float(sorted_values[second]), proportion)


def _bin_width(low: float, high: float, bins: int) -> float:
    span = high - low
    return span / bins if not math.isinf(span) else (high / 2 - low / 2) / bins * 2


def bin_index(value: float, low: float, high: float, bins: int) -> int:
    """The 0-based bar of `value` among `bins` bars from `low` to `high` (`low < high`):
    `least(width_bucket(value, low, high, bins), bins) - 1` for a value in [low, high]."""
    if value < low:
        return 0
    if value >= high:
        return bins - 1
    span = high - low
    if not math.isinf(span):
        index = int(bins * ((value - low) / span))
    else:
        index = int(bins * ((value / 2 - low / 2) / (high / 2 - low / 2)))
    return min(index, bins - 1)


def histogram(low: float | None, high: float | None, counts: Sequence[int]) -> list[Bin]:
    """Bars (start, end, count) of `counts` spread evenly from `low` to `high`; one bar when the two
    are equal, none without values."""
    if low is None or high is None or not counts or not any(counts):
        return []
    if low == high:
        return [(low, high, sum(counts))]
    bins = len(counts)
    width = _bin_width(low, high, bins)
    edges = [low + width * i for i in range(bins)] + [high]
    return [(edges[i], edges[i + 1], int(counts[i])) for i in range(bins)]


def counts_from_buckets(buckets: Iterable[Sequence[int]] | None, bins: int) -> list[int]:
    """Counts per bar from PostgreSQL's (bucket number 1…bins, count) pairs; missing bars are 0."""
    counts = [0] * bins
    for bucket, count in buckets or ():
        counts[min(max(int(bucket), 1), bins) - 1] += int(count)
    return counts


def summarise_sorted(
    values: Iterable[float],
    count: int,
    fractions: Sequence[float],
    bounds: tuple[float, float] | None = None,
    bins: int = 0,
) -> tuple[list[float | None], list[int]]:
    """Percentiles (one per fraction) of `count` values streamed in ascending order, and their
    counts per bar when `bounds` (least, greatest) and `bins` are given.

    Only the values at the positions the percentiles read are kept; without a histogram the
    stream is left as soon as the last of them has been read.
    """
    if count <= 0:
        return [None] * len(fractions), [0] * bins if bounds is not None else []
    wanted = [_positions(fraction, count) for fraction in fractions]
    needed = {position for first, second, _ in wanted for position in (first, second)}
    last = max(needed)
    kept: dict[int, float] = {}
    binned = bounds is not None and bins > 0
    counts = [0] * bins if binned else []
    low, high = bounds if bounds is not None else (0.0, 0.0)
    spread = binned and high > low
    for index, raw in enumerate(values):
        value = float(raw)
        if index in needed:
            kept[index] = value
        if binned:
            counts[bin_index(value, low, high, bins) if spread else 0] += 1
        elif index >= last:
            break
    results: list[float | None] = []
    for first, second, proportion in wanted:
        if first not in kept or second not in kept:
            results.append(None)
        elif first == second:
            results.append(kept[first])
        else:
            results.append(_lerp(kept[first], kept[second], proportion))
    return results, counts
