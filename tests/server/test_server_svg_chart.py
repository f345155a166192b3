"""The SVG renderer: broken lines at missing days, bands, gaps, trend onsets, accessible text."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.server import svg_chart
from bedside.server.svg_chart import (
    ChartEvent,
    ChartSegment,
    DailyChart,
    ReferenceLine,
    TimeAxis,
    contrast_ratio,
    render_chart,
)

AXIS = TimeAxis(dt.date(2026, 1, 1), dt.date(2026, 1, 10))


def _runs(values: list[float | None]) -> int:
    runs, inside = 0, False
    for v in values:
        if v is not None and not inside:
            runs += 1
        inside = v is not None
    return runs


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False)), min_size=10, max_size=10)
)
def test_one_path_per_run_of_days_with_values(values: list[float | None]) -> None:
    svg = str(render_chart(DailyChart("c", "t", "d", "min", values), AXIS))
    assert svg.count('class="series"') == _runs(values)
    for d in re.findall(r'class="series" d="([^"]+)"', svg):
        ys = [float(p.split(",")[1]) for p in re.findall(r"[ML]([\d.]+,[\d.]+)", d)]
        assert all(0 <= y <= 170 for y in ys)  # clamped inside the panel


def test_band_gaps_trend_onset_events_and_references_are_drawn() -> None:
    values: list[float | None] = [5.0, 6.0, None, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0]
    chart = DailyChart(
        chart_id="chart-sleep",
        title="Sleep <duration>",
        description="nine & a half days",
        unit="min",
        values=values,
        band_low=[4.0] * 10,
        band_high=[6.0] * 10,
        segments=[ChartSegment(dt.date(2026, 1, 6), dt.date(2026, 1, 10), "trend up")],
        gaps=[dt.date(2026, 1, 3), dt.date(2026, 1, 4), dt.date(2026, 1, 9)],
        events=[ChartEvent(dt.date(2026, 1, 2), "sertraline start")],
        references=[ReferenceLine(10.0, "cut-off")],
    )
    svg = str(render_chart(chart, AXIS))
    assert svg.startswith('<svg class="chart" id="chart-sleep" role="img"')
    assert 'aria-labelledby="chart-sleep-title chart-sleep-desc"' in svg
    assert '<title id="chart-sleep-title">Sleep &lt;duration&gt;</title>' in svg
    assert "nine &amp; a half days" in svg
    assert svg.count('class="gap"') == 2  # days 3-4 are one run, day 9 another
    assert svg.count('class="band"') == 1
    assert svg.count('class="trend-line"') == 1
    assert "onset 06 Jan" in svg
    assert svg.count('class="event"') == 1
    assert "sertraline start" in svg
    assert svg.count('class="reference"') == 1


def test_misaligned_values_are_refused_with_the_chart_named() -> None:
    with pytest.raises(ValueError, match="chart c: values has 3 days, axis has 10"):
        render_chart(DailyChart("c", "t", "d", "", [1.0, 2.0, 3.0]), AXIS)


def test_axis_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends"):
        TimeAxis(dt.date(2026, 1, 2), dt.date(2026, 1, 1))


def test_markers_mark_only_the_given_days() -> None:
    markers: list[float | None] = [None] * 10
    markers[2], markers[7] = 4.0, 12.0
    chart = DailyChart("p", "PHQ-9", "two", "score", [1.0] * 10, markers=markers, y_range=(0, 27))
    assert str(render_chart(chart, AXIS)).count('class="point"') == 2


def test_palette_meets_wcag_contrast() -> None:
    assert contrast_ratio("#000000") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff") == pytest.approx(1.0)
    for ink in (svg_chart.LINE, svg_chart.TREND, svg_chart.EVENT, svg_chart.AXIS):
        assert contrast_ratio(ink) >= 4.5  # text and lines on the white plot
        for fill in (svg_chart.BAND, svg_chart.GAP, svg_chart.TREND_FILL):
            assert contrast_ratio(ink, fill) >= 3.0  # graphics over the fills
