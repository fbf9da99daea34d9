"""The Overview tab of a block: a compact summary of its figures and plots drawn in the terminal.

`OverviewPane` shows "Loading…" until the screen hands it the block's `BlockStats` (computed in
the screen's worker) with `show_stats`, or one line with `show_error`. Below WIDE_COLUMNS the
summary comes first and the plots follow, one under the other, in a scrolling column; from
WIDE_COLUMNS on, the summary and the five plots share a grid of three columns and two rows.
A plot with nothing to show says so in one line instead of drawing empty axes.
"""

from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult, RenderResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static
from textual_plotext import PlotextPlot

from muscle_tui.db.stats import BlockStats
from muscle_tui.text import printable
from muscle_tui.widgets.overview_charts import (
    FINISHED,
    STARTED,
    Draw,
    bucket_days,
    draw_countries,
    draw_histogram,
    draw_periods,
    histogram_total,
    time_unit,
)

WIDE_COLUMNS = 140
LABEL_WIDTH = 15
DASH = "—"
LOADING = "Loading…"
NOTHING = "No sessions: nothing to plot."
# (card id, line shown when the plot has no data), in the order they are laid out.
CHARTS = (
    ("sessions", "No sessions."),
    ("final-score", "No finished sessions."),
    ("decision-time", "No decision times."),
    ("duration", "No finished sessions."),
    ("countries", "No participants."),
)
PERIOD_TITLES = {"day": "Sessions per day", "week": "Sessions per week", "month": "Sessions per month"}


def figure(value: float | None) -> str:
    """A count or score for people: `1,234`, `12.5`, `0.33`; '—' when missing."""
    if value is None or not math.isfinite(value):
        return DASH
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def human_seconds(value: float | None) -> str:
    """A duration for people: `0.84 s`, `12.3 s`, `6m 05s`, `2h 05m`, `3d 04h`; '—' when missing."""
    if value is None or not math.isfinite(value):
        return DASH
    if value < 10:
        return f"{value:.2f} s"
    if value < 60:
        return f"{value:.1f} s"
    whole = round(value)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s"


def percent(rate: float | None) -> str:
    """A fraction (0–1) as `81.8 %`; '—' when missing."""
    return DASH if rate is None or not math.isfinite(rate) else f"{rate * 100:.1f} %"


def count_rows(stats: BlockStats) -> list[tuple[str, str]]:
    """The summary's counts as (label, text)."""
    completion = percent(stats.completion_rate)
    return [
        ("Sessions", f"{stats.sessions:,} · {stats.finished:,} finished ({completion})"),
        ("Participants", f"{stats.participants:,} · {stats.returning_participants:,} returning"),
        ("Results", f"{stats.results:,}"),
    ]


def figure_rows(stats: BlockStats) -> list[tuple[str, ...]]:
    """The summary's spreads: a heading row (empty label), then a row per figure, twice."""
    duration, decision = stats.duration_seconds, stats.decision_time
    per_session, score = stats.results_per_session, stats.final_score
    quartiles, extremes = ("p25", "median", "p75"), ("min", "median", "max")
    return [
        ("", *quartiles, ""),
        ("Duration", *(human_seconds(duration.get(key)) for key in quartiles), ""),
        ("Decision time", *(human_seconds(decision.get(key)) for key in quartiles), ""),
        ("", *extremes, "mean"),
        ("Results/session", *(figure(per_session.get(key)) for key in extremes), ""),
        ("Final score", *(figure(score.get(key)) for key in (*extremes, "mean"))),
    ]


def summary(stats: BlockStats) -> Group:
    """The summary: counts, then quartiles and extremes in aligned columns; values literal text."""
    counts = Table.grid(padding=(0, 2))
    counts.add_column(style="bold", no_wrap=True, min_width=LABEL_WIDTH)
    counts.add_column()
    for label, value in count_rows(stats):
        counts.add_row(label, Text(printable(value)))
    figures = Table.grid(padding=(0, 2))
    figures.add_column(style="bold", no_wrap=True, min_width=LABEL_WIDTH)
    for _ in range(4):
        figures.add_column(justify="right", no_wrap=True)
    for label, *values in figure_rows(stats):
        style = "" if label else "dim italic"
        figures.add_row(label, *(Text(value, style=style) for value in values))
    return Group(counts, figures)


class Chart(PlotextPlot):
    """A plotext plot drawn afresh by its `draw` function at every render, so it fits its size."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.draw: Draw | None = None

    def show(self, draw: Draw | None) -> None:
        """Draw with `draw(plt, width, height)` from now on (None: nothing)."""
        self.draw = draw
        self.refresh()

    def render(self) -> RenderResult:
        """The plot at the widget's current size."""
        self.plt.clear_figure()
        width, height = self.size
        if self.draw is not None and width > 8 and height > 4:
            self.plt.xaxes(True, False)
            self.plt.yaxes(True, False)
            self.draw(self.plt, width, height)
        return super().render()


class OverviewPane(Widget):
    """A block's figures and plots; `show_stats`, `show_error` and `show_loading` set what it shows."""

    DEFAULT_CSS = """
    OverviewPane {
        height: 1fr;
    }
    OverviewPane #overview-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    OverviewPane #overview-status.-error {
        color: $text-error;
    }
    OverviewPane #overview-body {
        height: 1fr;
        display: none;
    }
    OverviewPane.-ready #overview-status {
        display: none;
    }
    OverviewPane.-ready #overview-body {
        display: block;
    }
    OverviewPane #overview-grid {
        height: auto;
    }
    OverviewPane .overview-card {
        height: 16;
        border: round $primary 50%;
        background: $surface;
        border-title-color: $text-primary;
        border-subtitle-color: $text-muted;
        padding: 0 1;
    }
    OverviewPane #overview-summary-card {
        height: auto;
    }
    OverviewPane .overview-empty {
        color: $text-muted;
        display: none;
    }
    OverviewPane .overview-card.-empty {
        height: auto;
    }
    OverviewPane .overview-card.-empty Chart {
        display: none;
    }
    OverviewPane #overview-nothing {
        display: none;
        padding: 1 1;
        color: $text-muted;
    }
    OverviewPane.-nothing #overview-nothing {
        display: block;
    }
    OverviewPane.-nothing .overview-chart {
        display: none;
    }
    OverviewPane .overview-card.-empty .overview-empty {
        display: block;
    }
    OverviewPane.-wide #overview-grid {
        layout: grid;
        grid-size: 3 2;
        height: 1fr;
        min-height: 28;
    }
    OverviewPane.-wide .overview-card, OverviewPane.-wide #overview-summary-card {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.stats: BlockStats | None = None
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(LOADING, id="overview-status", markup=False)
        with VerticalScroll(id="overview-body"), Vertical(id="overview-grid"):
            with Vertical(id="overview-summary-card", classes="overview-card") as summary:
                summary.border_title = "Summary"
                yield Static("", id="overview-summary")
            yield Static(NOTHING, id="overview-nothing", markup=False)
            for key, empty in CHARTS:
                with Vertical(id=f"overview-{key}", classes="overview-card overview-chart"):
                    yield Chart(id=f"overview-{key}-chart")
                    yield Static(empty, classes="overview-empty", markup=False)

    def on_mount(self) -> None:
        self._apply()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= WIDE_COLUMNS, "-wide")

    @property
    def body(self) -> VerticalScroll:
        """The scrolling part (summary and plots): focus it to scroll with the keyboard."""
        return self.query_one("#overview-body", VerticalScroll)

    @property
    def ready(self) -> bool:
        """Whether the pane shows figures (not "Loading…" or an error line)."""
        return self.stats is not None

    def show_loading(self) -> None:
        """Show "Loading…" (new figures are on their way)."""
        self.stats, self.error = None, None
        self._apply()

    def show_stats(self, stats: BlockStats) -> None:
        """Show `stats`: the summary and the plots."""
        self.stats, self.error = stats, None
        self._apply()

    def show_error(self, line: str) -> None:
        """Show one line (why the figures could not be computed) instead of the figures."""
        self.stats, self.error = None, line
        self._apply()

    def _apply(self) -> None:
        if not self.is_mounted:
            return
        status = self.query_one("#overview-status", Static)
        status.set_class(self.error is not None, "-error")
        status.update(Text(printable(self.error), no_wrap=True) if self.error is not None else LOADING)
        self.set_class(self.stats is not None, "-ready")
        if self.stats is not None:
            self._show(self.stats)

    def _show(self, stats: BlockStats) -> None:
        self.query_one("#overview-summary", Static).update(summary(stats))
        self.set_class(stats.sessions == 0, "-nothing")
        period, buckets = bucket_days(stats.sessions_per_day)
        sessions = self._card("sessions", PERIOD_TITLES[period], bool(buckets))
        sessions.border_subtitle = (
            f"[rgb{STARTED}]■[/] started  [rgb{FINISHED}]■[/] of which finished" if buckets else None
        )
        self._chart("sessions", lambda plt, w, h: draw_periods(plt, buckets, w, h) if buckets else None)
        self._histogram("final-score", "Final score · finished sessions", stats.final_score_histogram, 1.0)
        unit, seconds = time_unit(stats.decision_time_histogram)
        self._histogram("decision-time", f"Decision time ({unit})", stats.decision_time_histogram, seconds)
        unit, seconds = time_unit(stats.duration_histogram)
        self._histogram(
            "duration", f"Session duration ({unit}) · finished", stats.duration_histogram, seconds
        )
        countries = stats.countries
        card = self._card("countries", "Participants per country", bool(countries))
        card.border_subtitle = f"{len(countries):,} countries" if len(countries) > 1 else None
        self._chart("countries", lambda plt, w, h: draw_countries(plt, countries, w, h))

    def _histogram(self, key: str, title: str, bins: list[tuple[float, float, int]], scale: float) -> None:
        total = histogram_total(bins)
        card = self._card(key, title, total > 0)
        card.border_subtitle = f"n = {total:,}" if total else None
        self._chart(key, lambda plt, w, h: draw_histogram(plt, bins, w, h, scale=scale))

    def _card(self, key: str, title: str, has_data: bool) -> Vertical:
        card = self.query_one(f"#overview-{key}", Vertical)
        card.border_title = title
        card.set_class(not has_data, "-empty")
        return card

    def _chart(self, key: str, draw: Draw) -> None:
        self.query_one(f"#overview-{key}-chart", Chart).show(draw)
