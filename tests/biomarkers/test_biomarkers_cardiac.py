"""Hand-derivable tests of RR cleaning, RMSSD, SDNN, and resting and nocturnal heart rate."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.biomarkers.cardiac import (
    clean_rr,
    nocturnal_heart_rate,
    resting_heart_rate,
    rmssd,
    sdnn,
)
from bedside.domain import InputFormatError

OSLO = "Europe/Oslo"


def utc_of(local: dt.datetime, zone: str = OSLO) -> int:
    """UTC seconds of a naive local wall time."""
    return int(local.replace(tzinfo=ZoneInfo(zone)).timestamp())


def test_constant_rr_has_zero_variability() -> None:
    rr = np.full(30, 800.0)
    assert rmssd(rr) == 0.0
    assert sdnn(rr) == 0.0
    assert clean_rr(rr).kept.all()


def test_alternating_rr_gives_hand_computed_values() -> None:
    rr = np.array([800.0, 900.0] * 15)
    assert rmssd(rr) == 100.0
    # 30 intervals, mean 850, every deviation is 50: SS = 30 * 2500, ddof=1.
    assert sdnn(rr) == pytest.approx(math.sqrt(30 * 2500 / 29), rel=1e-12)
    cleaned = clean_rr(rr)
    assert cleaned.n_rejected == 0
    assert rmssd(cleaned) == 100.0


def test_ectopic_beat_and_compensatory_pause_are_rejected_and_adjacency_respected() -> None:
    first = [800.0, 900.0] * 6  # ends with 900
    second = [900.0, 800.0] * 6  # starts with 900: differencing across the gap would give 0
    rr = np.array([*first, 400.0, 1200.0, *second])
    cleaned = clean_rr(rr)
    assert cleaned.n_ectopic == 2
    assert cleaned.n_too_short == 0
    assert cleaned.n_too_long == 0
    assert np.flatnonzero(~cleaned.kept).tolist() == [12, 13]
    assert cleaned.rr_ms.tolist() == [*first, *second]
    # 11 + 11 differences of +-100 ms within the two clean runs.
    assert rmssd(cleaned) == 100.0
    # Naively differencing the kept intervals adds a fabricated 0 difference.
    assert rmssd(cleaned.rr_ms) == pytest.approx(math.sqrt(22 * 100.0**2 / 23), rel=1e-12)
    assert sdnn(cleaned) == pytest.approx(math.sqrt(24 * 2500 / 23), rel=1e-12)


def test_implausible_intervals_are_counted_by_reason() -> None:
    rr = np.array([250.0, *([850.0] * 10), 2500.0, 3000.0, *([850.0] * 10), 299.0])
    cleaned = clean_rr(rr)
    assert cleaned.n_too_short == 2
    assert cleaned.n_too_long == 2
    assert cleaned.n_ectopic == 0
    assert cleaned.kept.sum() == 20
    assert not cleaned.kept[[0, 11, 12, 23]].any()
    # The range gap breaks adjacency: 9 + 9 differences remain, fewer than 19 -> NaN by default.
    assert math.isnan(rmssd(cleaned))
    assert rmssd(cleaned, min_intervals=19) == 0.0
    assert sdnn(cleaned) == 0.0


def test_too_few_intervals_give_nan() -> None:
    rr = np.array([800.0, 900.0] * 5)
    assert math.isnan(rmssd(rr))
    assert math.isnan(sdnn(rr))
    assert rmssd(rr, min_intervals=10) == 100.0
    assert math.isnan(sdnn([800.0], min_intervals=1))
    assert math.isnan(rmssd([800.0], min_intervals=1))


@pytest.mark.parametrize(
    ("rr", "needle"),
    [
        ([800.0, -5.0, 800.0], "positive"),
        ([800.0, 0.0], "positive"),
        ([800.0, float("nan")], "non-finite"),
        ([800.0, float("inf")], "non-finite"),
        ([[800.0, 800.0]], "one-dimensional"),
    ],
)
def test_invalid_rr_raises_named_error(rr: object, needle: str) -> None:
    with pytest.raises(InputFormatError, match=needle) as info:
        clean_rr(rr)  # type: ignore[arg-type]
    assert info.value.field == "rr_ms"
    with pytest.raises(InputFormatError, match=needle):
        rmssd(rr)  # type: ignore[arg-type]


def test_invalid_settings_raise() -> None:
    with pytest.raises(InputFormatError, match="min_ms"):
        clean_rr([800.0], min_ms=900.0, max_ms=800.0)


rr_lists = st.lists(
    st.floats(min_value=300.0, max_value=2000.0, allow_nan=False), min_size=20, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(rr=rr_lists, c=st.floats(min_value=0.25, max_value=4.0))
def test_scaling_and_reversal(rr: list[float], c: float) -> None:
    x = np.array(rr)
    r, s = rmssd(x), sdnn(x)
    assert rmssd(c * x) == pytest.approx(c * r, rel=1e-9, abs=1e-9)
    assert sdnn(c * x) == pytest.approx(c * s, rel=1e-9, abs=1e-9)
    assert rmssd(x[::-1]) == pytest.approx(r, rel=1e-9, abs=1e-9)
    assert sdnn(x[::-1]) == pytest.approx(s, rel=1e-9, abs=1e-9)
    # The centred-median rule is symmetric in time.
    cleaned, back = clean_rr(x), clean_rr(x[::-1])
    assert np.array_equal(cleaned.kept, back.kept[::-1])
    assert rmssd(back) == pytest.approx(rmssd(cleaned), rel=1e-9, abs=1e-9, nan_ok=True)


def _minutes(start: int, n: int) -> np.ndarray:
    return start + 60 * np.arange(n, dtype=np.int64)


def test_resting_and_nocturnal_across_spring_forward_in_oslo() -> None:
    # 30 March 2024: only 3 h of data. 31 March 2024: 23-h day (02:00 -> 03:00), full data.
    t30 = _minutes(utc_of(dt.datetime(2024, 3, 30)), 180)
    start31 = utc_of(dt.datetime(2024, 3, 31))
    t31 = _minutes(start31, 23 * 60)
    hr31 = np.full(t31.size, 60.0)
    night_end = utc_of(dt.datetime(2024, 3, 31, 6))
    assert night_end - start31 == 5 * 3600
    hr31[t31 < night_end] = 50.0
    low = (t31 >= utc_of(dt.datetime(2024, 3, 31, 4))) & (
        t31 < utc_of(dt.datetime(2024, 3, 31, 4, 30))
    )
    assert low.sum() == 30
    hr31[low] = 45.0
    t = np.concatenate([t30, t31])
    hr = np.concatenate([np.full(t30.size, 70.0), hr31])

    resting = resting_heart_rate(t, hr, OSLO)
    assert list(resting) == [dt.date(2024, 3, 30), dt.date(2024, 3, 31)]
    assert math.isnan(resting[dt.date(2024, 3, 30)])  # 3 h of a 24-h day
    assert resting[dt.date(2024, 3, 31)] == 45.0

    noct = nocturnal_heart_rate(t, hr, OSLO)
    assert math.isnan(noct[dt.date(2024, 3, 30)])  # 3 of 6 h
    # The local night lasts 5 h: 270 min at 50 and 30 min at 45 bpm; no 60-bpm minute.
    assert noct[dt.date(2024, 3, 31)] == pytest.approx((270 * 50 + 30 * 45) / 300, rel=1e-12)


def test_nocturnal_coverage_uses_the_7_hour_fall_back_night() -> None:
    start = utc_of(dt.datetime(2024, 10, 27))
    assert utc_of(dt.datetime(2024, 10, 27, 6)) - start == 7 * 3600
    full = _minutes(start, 7 * 60)
    assert nocturnal_heart_rate(full, np.full(full.size, 55.0), OSLO) == {
        dt.date(2024, 10, 27): 55.0
    }
    six_h = _minutes(start, 6 * 60)  # 360 / 420 min = 0.857 of the night
    hr = np.full(six_h.size, 55.0)
    assert nocturnal_heart_rate(six_h, hr, OSLO, min_coverage=0.85)[dt.date(2024, 10, 27)] == 55.0
    assert math.isnan(
        nocturnal_heart_rate(six_h, hr, OSLO, min_coverage=0.9)[dt.date(2024, 10, 27)]
    )


def test_resting_window_must_be_covered() -> None:
    start = utc_of(dt.datetime(2024, 6, 1))
    t = _minutes(start, 1440)
    hr = np.full(t.size, 65.0)
    hr[100] = 40.0  # one low minute: best window holding it averages (29 * 65 + 40) / 30
    keep = np.ones(t.size, dtype=bool)
    keep[600:625] = False  # a 25-min hole
    hr[625:630] = 30.0  # five 30-bpm minutes right after the hole
    out = resting_heart_rate(t[keep], hr[keep], OSLO)
    # The window starting at minute 599 holds 1 x 65 and 4 x 30 (mean 37) but covers 5 of 30
    # minutes, so it does not qualify; the lowest covered window starts at minute 625.
    assert out == {dt.date(2024, 6, 1): pytest.approx((5 * 30.0 + 25 * 65.0) / 30, rel=1e-12)}
    loose = resting_heart_rate(t[keep], hr[keep], OSLO, min_coverage=0.1)
    assert loose[dt.date(2024, 6, 1)] == pytest.approx((65.0 + 4 * 30.0) / 5, rel=1e-12)


@pytest.mark.parametrize(
    ("times", "bpm", "needle"),
    [
        ([0.0, 120.0, 60.0], [60.0, 60.0, 60.0], "strictly increasing"),
        ([0.0, 60.0, 60.0], [60.0, 60.0, 60.0], "strictly increasing"),
        ([0.0, 60.0], [60.0, -1.0], "positive"),
        ([0.0, 60.0], [60.0, float("nan")], "non-finite"),
        ([0.0, float("nan")], [60.0, 60.0], "non-finite"),
        ([0.0, 60.0], [60.0], "2 times but 1"),
    ],
)
def test_invalid_heart_rate_input_raises(times: list[float], bpm: list[float], needle: str) -> None:
    with pytest.raises(InputFormatError, match=needle):
        resting_heart_rate(times, bpm, OSLO)
    with pytest.raises(InputFormatError, match=needle):
        nocturnal_heart_rate(times, bpm, OSLO)
