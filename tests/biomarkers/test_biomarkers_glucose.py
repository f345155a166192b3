"""Hand-derivable tests of the CGM metrics (Battelino et al. 2019 consensus; GMI; MAGE)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.biomarkers.glucose import (
    MGDL_PER_MMOLL,
    GlucoseMetrics,
    glucose_metrics,
    mage,
    nocturnal_daytime_split,
    to_mgdl,
)
from bedside.domain import InputFormatError

T0 = 1_700_000_000
STEP = 300
DAY_N = 288


def times(n: int, start: int = T0) -> npt.NDArray[np.int64]:
    return start + STEP * np.arange(n, dtype=np.int64)


def assert_same(a: GlucoseMetrics, b: GlucoseMetrics, rel: float = 0.0) -> None:
    for f in dataclasses.fields(GlucoseMetrics):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, float) and math.isnan(x):
            assert math.isnan(y), f.name
        else:
            assert y == pytest.approx(x, rel=rel, abs=1e-9 if rel else 0.0), f.name


def test_constant_100() -> None:
    m = glucose_metrics(np.full(DAY_N, 100.0), times(DAY_N))
    assert m.n_samples == DAY_N
    assert m.coverage == 1.0
    assert m.mean_mgdl == 100.0
    assert m.sd_mgdl == 0.0
    assert m.cv_pct == 0.0
    assert m.tir_pct == 100.0
    assert m.tbr70_pct == m.tbr54_pct == m.tar180_pct == m.tar250_pct == 0.0
    assert m.gmi_pct == pytest.approx(3.31 + 0.02392 * 100)
    assert math.isnan(m.mage_mgdl)


def test_half_and_half() -> None:
    v = np.r_[np.full(144, 100.0), np.full(144, 260.0)]
    m = glucose_metrics(v, times(DAY_N))
    assert m.tir_pct == pytest.approx(50.0)
    assert m.tar180_pct == pytest.approx(50.0)
    assert m.tar250_pct == pytest.approx(50.0)
    assert m.tbr70_pct == 0.0
    assert m.mean_mgdl == pytest.approx(180.0)
    assert m.gmi_pct == pytest.approx(3.31 + 0.02392 * 180)
    # One step, no interior turning point: no excursion.
    assert math.isnan(m.mage_mgdl)


def test_hypo_levels() -> None:
    v = np.r_[np.full(96, 50.0), np.full(96, 60.0), np.full(96, 120.0)]
    m = glucose_metrics(v, times(DAY_N))
    assert m.tbr54_pct == pytest.approx(100 / 3)
    assert m.tbr70_pct == pytest.approx(200 / 3)
    assert m.tir_pct == pytest.approx(100 / 3)


def test_mmol_equals_mgdl_after_conversion() -> None:
    rng = np.random.default_rng(1)
    mmol = rng.uniform(3.0, 15.0, DAY_N)
    a = glucose_metrics(mmol, times(DAY_N), unit="mmol/L")
    b = glucose_metrics(mmol * MGDL_PER_MMOLL, times(DAY_N), unit="mg/dL")
    assert_same(a, b)
    assert to_mgdl([5.0], "mmol/L")[0] == pytest.approx(90.091)


def test_short_gap_does_not_change_time_percentages() -> None:
    v = np.r_[np.full(144, 100.0), np.full(144, 200.0)]
    full = glucose_metrics(v, times(DAY_N))
    keep = np.ones(DAY_N, dtype=bool)
    keep[[20, 60, 100]] = False  # single missed in-range readings, in-range neighbours
    gap = glucose_metrics(v[keep], times(DAY_N)[keep], window_start_utc=T0)
    assert gap.n_samples == DAY_N - 3
    for name in ("tir_pct", "tar180_pct", "tbr70_pct", "tar250_pct"):
        assert getattr(gap, name) == pytest.approx(getattr(full, name)), name
    # Counting readings instead of time would have given 141/285, not 50 %.
    assert gap.tir_pct == pytest.approx(50.0)


def test_long_gap_is_not_attributed() -> None:
    v = np.r_[np.full(144, 100.0), np.full(144, 200.0)]
    keep = np.ones(DAY_N, dtype=bool)
    keep[10:50] = False  # 40 missing readings: the reading before covers only 2 intervals
    m = glucose_metrics(v[keep], times(DAY_N)[keep], window_start_utc=T0)
    in_range_s = (144 - 40 - 1) * STEP + 2 * STEP
    assert m.tir_pct == pytest.approx(100 * in_range_s / (in_range_s + 144 * STEP))


def test_low_coverage_gives_nan_percentages() -> None:
    n = int(0.69 * DAY_N)
    m = glucose_metrics(np.full(n, 100.0), times(n), window_start_utc=T0)
    assert m.coverage == pytest.approx(n / DAY_N)
    assert math.isnan(m.tir_pct)
    assert math.isnan(m.tbr70_pct)
    assert math.isnan(m.tar180_pct)
    assert m.mean_mgdl == 100.0
    ok = glucose_metrics(np.full(int(0.7 * DAY_N) + 1, 100.0), times(int(0.7 * DAY_N) + 1))
    assert ok.tir_pct == 100.0


def test_sinusoid_mage_is_peak_to_trough() -> None:
    k = np.arange(DAY_N)
    v = 150.0 + 50.0 * np.cos(2 * np.pi * k / 72)  # period 6 h, peaks/troughs on samples
    m = glucose_metrics(v, times(DAY_N))
    assert m.sd_mgdl < 100.0  # the excursion exceeds 1 SD
    assert m.mage_mgdl == pytest.approx(100.0)


def test_mage_ignores_small_ripples() -> None:
    big = 150.0 + 50.0 * np.cos(2 * np.pi * np.arange(DAY_N) / 72)
    ripple = 2.0 * (np.arange(DAY_N) % 2)
    assert mage(big + ripple) == pytest.approx(100.0, abs=4.0)
    # Turning points 200, 195, 200, 100, 200: the 5 mg/dL dip is below 1 SD and is removed.
    assert mage(np.array([100.0, 200.0, 195.0, 200.0, 100.0, 200.0, 100.0])) == 100.0
    # 1 mg/dL ripples exceed the SD of a ripple-only series (0.55) ...
    assert mage(np.array([100.0, 101.0, 100.0, 101.0, 100.0])) == 1.0
    # ... but not once a rise to 200 inflates the SD; the rise itself has no turning point.
    assert math.isnan(mage(np.r_[100.0, 101.0, 100.0, 101.0, 100.0, np.full(5, 200.0)]))


def test_unknown_unit_and_implausible_values_raise() -> None:
    with pytest.raises(InputFormatError, match="mg/L"):
        glucose_metrics([100.0], [T0], unit="mg/L")
    with pytest.raises(InputFormatError, match="index 1"):
        glucose_metrics([100.0, 700.0], [T0, T0 + STEP])
    with pytest.raises(InputFormatError, match="implausible"):
        glucose_metrics([1.0], [T0], unit="mmol/L")  # 18 mg/dL
    with pytest.raises(InputFormatError, match="increasing"):
        glucose_metrics([100.0, 100.0], [T0, T0])


def test_readings_outside_window_are_ignored() -> None:
    v = np.r_[np.full(DAY_N, 100.0), np.full(10, 300.0)]
    m = glucose_metrics(v, times(DAY_N + 10), window_start_utc=T0, window_end_utc=T0 + 86_400)
    assert m.n_samples == DAY_N
    assert m.tir_pct == 100.0


def test_nocturnal_daytime_split_oslo() -> None:
    zone = "Europe/Oslo"
    day = dt.date(2024, 3, 5)
    start = int(dt.datetime(2024, 3, 5, tzinfo=ZoneInfo(zone)).timestamp())
    t = times(DAY_N, start)
    v = np.where(np.arange(DAY_N) < 72, 60.0, 120.0)  # first 6 h local low
    night, rest = nocturnal_daytime_split(v, t, day=day, zone=zone)
    assert night.n_samples == 72
    assert rest.n_samples == 216
    assert night.tbr70_pct == 100.0
    assert night.coverage == 1.0
    assert rest.tir_pct == 100.0
    assert rest.coverage == 1.0


def test_nocturnal_split_on_spring_forward_day() -> None:
    zone = "Europe/Oslo"
    day = dt.date(2024, 3, 31)  # 23-hour day; 00:00-06:00 local is 5 h
    start = int(dt.datetime(2024, 3, 31, tzinfo=ZoneInfo(zone)).timestamp())
    n = 23 * 12
    night, rest = nocturnal_daytime_split(np.full(n, 100.0), times(n, start), day=day, zone=zone)
    assert night.n_samples == 60
    assert night.coverage == 1.0
    assert rest.n_samples == 216
    assert rest.coverage == 1.0


values_st = st.lists(st.integers(40, 399), min_size=5, max_size=DAY_N).map(
    lambda xs: np.asarray(xs, dtype=np.float64) + 0.5
)


@settings(max_examples=50, deadline=None)
@given(values_st, st.integers(-(10**9), 10**9), st.integers(0, DAY_N))
def test_time_offset_changes_nothing(v: npt.NDArray[np.float64], offset: int, drop: int) -> None:
    t = times(v.size)
    keep = np.arange(v.size) != drop
    a = glucose_metrics(v[keep], t[keep], window_start_utc=T0)
    b = glucose_metrics(v[keep], t[keep] + offset, window_start_utc=T0 + offset)
    assert_same(a, b)


@settings(max_examples=50, deadline=None)
@given(values_st)
def test_unit_scaling_round_trips(v: npt.NDArray[np.float64]) -> None:
    mmol = v / MGDL_PER_MMOLL
    np.testing.assert_allclose(to_mgdl(mmol, "mmol/L"), v, rtol=1e-12)
    t = times(v.size)
    a = glucose_metrics(v, t, window_start_utc=T0)
    b = glucose_metrics(mmol, t, unit="mmol/L", window_start_utc=T0)
    assert_same(a, b, rel=1e-9)


def _mage_by_the_definition(values: list[float]) -> float:
    """Reference: the turning-point elimination done literally, one excursion at a time."""
    v = np.asarray(values, dtype=np.float64)
    if v.size < 2:
        return float("nan")
    sd = float(np.std(v, ddof=1))
    u = v[np.concatenate(([True], v[1:] != v[:-1]))]
    if u.size < 3:
        return float("nan")
    d = np.diff(u)
    points = list(u[np.flatnonzero(d[:-1] * d[1:] < 0) + 1])
    while len(points) >= 2:
        amps = [abs(points[i + 1] - points[i]) for i in range(len(points) - 1)]
        k = amps.index(min(amps))
        if amps[k] > sd:
            break
        if k == 0:
            del points[0]
        elif k == len(points) - 2:
            del points[-1]
        else:
            del points[k : k + 2]
    if len(points) < 2:
        return float("nan")
    return float(np.mean(np.abs(np.diff(np.asarray(points)))))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(40, 60).map(float), min_size=0, max_size=80))
def test_mage_matches_the_literal_elimination(values: list[float]) -> None:
    from bedside.biomarkers.glucose import mage

    got, ref = mage(values), _mage_by_the_definition(values)
    assert (np.isnan(got) and np.isnan(ref)) or got == ref
