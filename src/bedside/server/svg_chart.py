"""A small server-side SVG renderer for daily time series (no JavaScript, no external assets).

One `DailyChart` is one panel: a value line over calendar days (broken where a day has no
value), an optional band (the patient's baseline, or a risk interval), highlighted segments (a
verified trend, from onset to the last day it was active) with the onset marked, shaded coverage
gaps, dated event marks (medication starts and dose changes) and horizontal reference lines (PHQ-9
severity cut-offs). Every chart in one page shares one `TimeAxis`, so a medication start lines up
with the biomarker it may have moved.

The SVG is accessible: ``role="img"`` labelled by its ``<title>`` and described by a ``<desc>``
that states the numbers in words; colours meet WCAG AA contrast against white for lines and text
(the band and gap fills carry no text). Text is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

__all__ = [
    "ChartEvent",
    "ChartSegment",
    "DailyChart",
    "ReferenceLine",
    "TimeAxis",
    "contrast_ratio",
    "render_chart",
]

WIDTH, HEIGHT = 720, 170
"""Size of one panel in CSS pixels (fits a laptop screen with the page's margins)."""
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 22, 30

# Lines and text; `contrast_ratio` against white is 8.0, 7.8, 9.9 and 8.9, and at least 4.2
# against any fill below (the test checks >= 4.5 on white for text and >= 3 on fills, WCAG 2.1
# 1.4.3 and 1.4.11).
LINE = "#0b4f9c"
TREND = "#8a3b00"
EVENT = "#5b2a86"
AXIS = "#4a4a4a"
BAND = "#9cc3e6"
GAP = "#d9d9d9"
TREND_FILL = "#f6d7b8"


@dataclass(frozen=True)
class TimeAxis:
    """Calendar days ``start`` .. ``end`` inclusive (local dates of the patient)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"time axis ends ({self.end}) before it starts ({self.start})")

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.n_days)]

    def index(self, day: dt.date) -> int:
        """Day number of `day` on the axis (0 = start; may be outside 0 .. n_days-1)."""
        return (day - self.start).days


@dataclass(frozen=True)
class ChartSegment:
    """A highlighted stretch of days, e.g. a verified trend (onset .. last active day)."""

    start: dt.date
    end: dt.date
    label: str


@dataclass(frozen=True)
class ChartEvent:
    """A dated mark across the plot, e.g. a medication start."""

    day: dt.date
    label: str


@dataclass(frozen=True)
class ReferenceLine:
    """A horizontal line at `value` (in the chart's unit) with a short label."""

    value: float
    label: str


@dataclass(frozen=True)
class DailyChart:
    """One panel's data; sequences are aligned to the axis days (None = no value that day).

    Attributes
    ----------
    chart_id : str
        Unique within the page (used for the SVG's title/desc ids; letters, digits, ``-``).
    title, description : str
        Accessible name and long description (the numbers in words).
    unit : str
        Unit of the values, shown on the y axis.
    values : sequence of float or None
    band_low, band_high : sequence of float or None
        Band drawn behind the line (baseline median +- robust SD; risk interval).
    segments : sequence of ChartSegment
        Highlighted stretches; the start of each is marked as an onset.
    gaps : sequence of date
        Days whose data coverage was too low to trust (shaded).
    events : sequence of ChartEvent
    references : sequence of ReferenceLine
    y_range : (float, float) or None
        Fixed y range (e.g. 0-1 for a probability); otherwise from the data.
    markers : sequence of float or None
        Values to mark with a dot, aligned to the axis (the answered days of a sparse series
        such as PHQ-9, whose line interpolates between them).
    """

    chart_id: str
    title: str
    description: str
    unit: str
    values: Sequence[float | None]
    band_low: Sequence[float | None] = ()
    band_high: Sequence[float | None] = ()
    segments: Sequence[ChartSegment] = ()
    gaps: Sequence[dt.date] = ()
    events: Sequence[ChartEvent] = ()
    references: Sequence[ReferenceLine] = ()
    y_range: tuple[float, float] | None = None
    markers: Sequence[float | None] = ()


def _relative_luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    hi, lo = sorted((_relative_luminance(foreground), _relative_luminance(background)))[::-1]
    return (hi + 0.05) / (lo + 0.05)


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


def _nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About `n` round tick values covering [lo, hi]."""
    span = hi - lo
    raw = span / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _y_range(chart: DailyChart) -> tuple[float, float]:
    if chart.y_range is not None:
        return chart.y_range
    seen = [
        float(v)
        for seq in (chart.values, chart.band_low, chart.band_high)
        for v in seq
        if v is not None and math.isfinite(v)
    ]
    seen += [r.value for r in chart.references]
    if not seen:
        return (0.0, 1.0)
    lo, hi = min(seen), max(seen)
    if hi - lo < 1e-9:
        pad = abs(hi) * 0.1 or 1.0
        return (lo - pad, hi + pad)
    pad = (hi - lo) * 0.08
    return (lo - pad, hi + pad)


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """(first, last) index of every run of True."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(flags) - 1))
    return out


def render_chart(chart: DailyChart, axis: TimeAxis) -> Markup:
    """The chart as an inline ``<svg>`` element (safe to put in an autoescaped template).

    Raises
    ------
    ValueError
        When a value sequence is not aligned to the axis (length differs from its day count).
    """
    n = axis.n_days
    for name in ("values", "band_low", "band_high", "markers"):
        seq = getattr(chart, name)
        if seq and len(seq) != n:
            raise ValueError(f"chart {chart.chart_id}: {name} has {len(seq)} days, axis has {n}")
    lo, hi = _y_range(chart)
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    day_w = plot_w / n

    def x(i: float) -> float:
        return _LEFT + (i + 0.5) * day_w

    def y(v: float) -> float:
        v = min(max(v, lo), hi)
        return _TOP + plot_h * (1 - (v - lo) / (hi - lo))

    esc = html.escape
    cid = esc(chart.chart_id)
    parts = [
        f'<svg class="chart" id="{cid}" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-labelledby="{cid}-title {cid}-desc" focusable="false">',
        f'<title id="{cid}-title">{esc(chart.title)}</title>',
        f'<desc id="{cid}-desc">{esc(chart.description)}</desc>',
    ]
    # Coverage gaps first: everything else draws over them.
    gap_idx = sorted({axis.index(d) for d in chart.gaps if 0 <= axis.index(d) < n})
    flags = [False] * n
    for i in gap_idx:
        flags[i] = True
    for a, b in _runs(flags):
        parts.append(
            f'<rect class="gap" x="{_LEFT + a * day_w:.1f}" y="{_TOP}" '
            f'width="{(b - a + 1) * day_w:.1f}" height="{plot_h}" fill="{GAP}">'
            f"<title>Coverage gap {axis.start + dt.timedelta(days=a)} to "
            f"{axis.start + dt.timedelta(days=b)}</title></rect>"
        )
    for seg in chart.segments:
        a, b = max(axis.index(seg.start), 0), min(axis.index(seg.end), n - 1)
        if a > b:
            continue
        parts.append(
            f'<rect class="trend" x="{_LEFT + a * day_w:.1f}" y="{_TOP}" '
            f'width="{(b - a + 1) * day_w:.1f}" height="{plot_h}" fill="{TREND_FILL}">'
            f"<title>{esc(seg.label)}</title></rect>"
        )
    if chart.band_low and chart.band_high:
        have = [
            _finite(a) and _finite(b) for a, b in zip(chart.band_low, chart.band_high, strict=True)
        ]
        for a, b in _runs(have):
            # One day alone gets a bar one day wide; a run, a polygon through the day centres.
            if a == b:
                xs, ids = [x(a) - day_w / 2, x(a) + day_w / 2], [a, a]
            else:
                xs, ids = [x(i) for i in range(a, b + 1)], list(range(a, b + 1))
            pairs = list(zip(xs, ids, strict=True))
            top = [f"{px:.1f},{y(float(chart.band_high[i] or 0)):.1f}" for px, i in pairs]
            bottom = [f"{px:.1f},{y(float(chart.band_low[i] or 0)):.1f}" for px, i in pairs[::-1]]
            parts.append(
                f'<polygon class="band" points="{" ".join(top + bottom)}" fill="{BAND}" '
                'fill-opacity="0.6"/>'
            )
    # Axes, ticks and reference lines.
    parts.append(
        f'<g class="axis" stroke="{AXIS}" stroke-width="1">'
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{WIDTH - _RIGHT}" y2="{_TOP + plot_h}"/>'
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}"/></g>'
    )
    tick_text = []
    for t in _nice_ticks(lo, hi):
        if lo <= t <= hi:
            tick_text.append(
                f'<text x="{_LEFT - 4}" y="{y(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>'
            )
    step = max(1, round(n / 8 / 7) * 7) if n > 14 else max(1, n // 7 or 1)
    for i in range(0, n, step):
        day = axis.start + dt.timedelta(days=i)
        tick_text.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 10}" text-anchor="middle">'
            f"{day.strftime('%d %b')}</text>"
        )
    tick_text.append(
        f'<text x="{_LEFT + 4}" y="12" class="unit">{esc(chart.unit)}</text>' if chart.unit else ""
    )
    parts.append(
        f'<g class="ticks" fill="{AXIS}" font-size="11" font-family="system-ui, sans-serif">'
        + "".join(tick_text)
        + "</g>"
    )
    for ref in chart.references:
        if lo <= ref.value <= hi:
            parts.append(
                f'<line class="reference" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" '
                f'y1="{y(ref.value):.1f}" y2="{y(ref.value):.1f}" stroke="{AXIS}" '
                'stroke-dasharray="2 3"/>'
                f'<text x="{WIDTH - _RIGHT - 2}" y="{y(ref.value) - 2:.1f}" text-anchor="end" '
                f'font-size="10" fill="{AXIS}">{esc(ref.label)}</text>'
            )
    for ev in chart.events:
        i = axis.index(ev.day)
        if 0 <= i < n:
            parts.append(
                f'<line class="event" x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{_TOP}" '
                f'y2="{_TOP + plot_h}" stroke="{EVENT}" stroke-dasharray="5 3" stroke-width="1.5">'
                f"<title>{esc(ev.label)}</title></line>"
            )
    # The value line, broken where a day has no value.
    have = [_finite(v) for v in chart.values]
    for a, b in _runs(have):
        d = " ".join(
            f"{'M' if i == a else 'L'}{x(i):.1f},{y(float(chart.values[i] or 0)):.1f}"
            for i in range(a, b + 1)
        )
        if a == b:
            d += " l0.01,0"  # a lone day still shows (round caps)
        parts.append(
            f'<path class="series" d="{d}" fill="none" stroke="{LINE}" stroke-width="2" '
            'stroke-linejoin="round" stroke-linecap="round"/>'
        )
    if chart.markers:
        for i, v in enumerate(chart.markers):
            if _finite(v):
                parts.append(
                    f'<circle class="point" cx="{x(i):.1f}" cy="{y(float(v or 0)):.1f}" r="3.5" '
                    f'fill="{LINE}"/>'
                )
    for seg in chart.segments:
        a, b = max(axis.index(seg.start), 0), min(axis.index(seg.end), n - 1)
        if a > b:
            continue
        # The trend's days drawn again, thicker and in the trend colour.
        for ra, rb in _runs([have[i] if a <= i <= b else False for i in range(n)]):
            d = " ".join(
                f"{'M' if i == ra else 'L'}{x(i):.1f},{y(float(chart.values[i] or 0)):.1f}"
                for i in range(ra, rb + 1)
            )
            parts.append(
                f'<path class="trend-line" d="{d}" fill="none" stroke="{TREND}" '
                'stroke-width="3" stroke-linejoin="round" stroke-linecap="round"/>'
            )
        if 0 <= axis.index(seg.start) < n:
            ox = x(axis.index(seg.start))
            parts.append(
                f'<g class="onset"><line x1="{ox:.1f}" x2="{ox:.1f}" y1="{_TOP}" '
                f'y2="{_TOP + plot_h}" stroke="{TREND}" stroke-width="2"/>'
                f'<path d="M{ox - 5:.1f},{_TOP} L{ox + 5:.1f},{_TOP} L{ox:.1f},{_TOP + 8} Z" '
                f'fill="{TREND}"/>'
                f'<text x="{ox + 4:.1f}" y="{_TOP + 18}" font-size="11" fill="{TREND}" '
                f'font-family="system-ui, sans-serif">onset {seg.start.strftime("%d %b")}</text>'
                "</g>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
