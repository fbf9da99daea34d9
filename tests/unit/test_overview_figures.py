"""How the Overview tab groups days, picks ticks and writes its figures (no app, no database)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from muscle_tui.db.stats import CountryCount, DayCount
from muscle_tui.widgets.overview import figure, human_seconds, percent
from muscle_tui.widgets.overview_charts import (
    bucket_days,
    count_ticks,
    country_label,
    period_for,
    time_unit,
    top_countries,
    value_ticks,
)


def test_periods_follow_the_span() -> None:
    start = date(2025, 1, 1)
    assert period_for(start, start) == "day"
    assert period_for(start, start + timedelta(days=60)) == "day"
    assert period_for(start, start + timedelta(days=61)) == "week"
    assert period_for(start, start + timedelta(days=730)) == "week"
    assert period_for(start, start + timedelta(days=731)) == "month"


def test_days_are_filled_in_and_summed_per_week() -> None:
    days = [
        DayCount(date(2025, 9, 1), 2, 1),
        DayCount(date(2025, 9, 3), 3, 3),
        DayCount(date(2025, 11, 20), 1, 0),
    ]
    period, buckets = bucket_days(days)
    assert period == "week"
    assert buckets[0].label == "2025-09-01"  # a Monday
    assert (buckets[0].started, buckets[0].finished) == (5, 4)
    assert all(b.started == 0 for b in buckets[1:-1])
    assert buckets[-1].start == date(2025, 11, 17)
    assert [b.start - buckets[0].start for b in buckets] == [
        timedelta(days=7 * i) for i in range(len(buckets))
    ]


def test_days_are_summed_per_month_over_years() -> None:
    days = [
        DayCount(date(2023, 12, 31), 1, 1),
        DayCount(date(2024, 1, 2), 1, 0),
        DayCount(date(2026, 2, 1), 4, 2),
    ]
    period, buckets = bucket_days(days)
    assert period == "month"
    assert [b.label for b in buckets[:3]] == ["2023-12", "2024-01", "2024-02"]
    assert buckets[-1].label == "2026-02"
    assert len(buckets) == 27
    assert sum(b.started for b in buckets) == 6


def test_one_day_and_no_days() -> None:
    assert bucket_days([]) == ("day", [])
    period, buckets = bucket_days([DayCount(date(2025, 3, 4), 1, 1)])
    assert period == "day"
    assert [(b.label, b.started, b.finished) for b in buckets] == [("2025-03-04", 1, 1)]


@pytest.mark.parametrize(
    ("top", "most", "ticks"),
    [(0, 4, [0, 1]), (1, 4, [0, 1]), (7, 4, [0, 2, 4, 6, 8]), (22, 3, [0, 10, 20, 30]), (9_876, 4, None)],
)
def test_count_ticks_are_whole_and_cover_the_top(top: int, most: int, ticks: list[int] | None) -> None:
    found = count_ticks(top, most)
    if ticks is not None:
        assert found == ticks
    assert found[0] == 0 and found[-1] >= top and len(found) <= most + 2
    assert all(isinstance(tick, int) for tick in found)


def test_value_ticks_are_round() -> None:
    assert value_ticks(0.0, 30.0, 4) == ([0.0, 10.0, 20.0, 30.0], 0)
    ticks, decimals = value_ticks(0.31, 1.27, 5)
    assert decimals == 1 and ticks[0] == pytest.approx(0.4) and ticks[-1] == pytest.approx(1.2)


def test_time_unit_suits_the_longest_value() -> None:
    assert time_unit([(0.2, 9.0, 3)]) == ("s", 1.0)
    assert time_unit([(60.0, 1500.0, 3)]) == ("min", 60.0)
    assert time_unit([(60.0, 20_000.0, 3)]) == ("h", 3600.0)
    assert time_unit([(60.0, 900_000.0, 3)]) == ("d", 86400.0)
    assert time_unit([]) == ("s", 1.0)


def test_country_labels_are_literal_and_short() -> None:
    assert country_label("nl") == "nl"
    assert country_label("") == "unknown"
    assert country_label("[red]x") == "[red]x"
    assert country_label("\x1b[31mzz") == "\\x1b[31mzz"
    assert country_label("a-very-long-country") == "a-very-lo…"


def test_top_countries_sums_the_rest() -> None:
    countries = [CountryCount(code, n) for code, n in (("de", 5), ("nl", 9), ("be", 5), ("fr", 1), ("", 2))]
    assert top_countries(countries, 10) == [("nl", 9), ("be", 5), ("de", 5), ("unknown", 2), ("fr", 1)]
    assert top_countries(countries, 3) == [("nl", 9), ("be", 5), ("3 others", 8)]


def test_figures_for_people() -> None:
    assert figure(None) == "—"
    assert figure(float("nan")) == "—"
    assert figure(1234.0) == "1,234"
    assert figure(12.5) == "12.5"
    assert figure(0.333333) == "0.33"
    assert human_seconds(None) == "—"
    assert human_seconds(0.8412) == "0.84 s"
    assert human_seconds(12.34) == "12.3 s"
    assert human_seconds(365.4) == "6m 05s"
    assert human_seconds(7500) == "2h 05m"
    assert human_seconds(3 * 86400 + 4 * 3600) == "3d 04h"
    assert percent(None) == "—"
    assert percent(0.8181) == "81.8 %"
