"""Cortisol day metrics: hand-derived worked examples (Pruessner et al. 2003 AUC formulas)."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.biomarkers import REGISTRY
from bedside.biomarkers.cortisol import (
    CORTISOL_IDS,
    NMOL_PER_L_PER_UG_PER_DL,
    auc_ground,
    auc_increase,
    cortisol_day,
    daily_cortisol,
    to_nmol_per_l,
)
from bedside.domain import DataQualityWarning, InputFormatError, Modality, PatientId, SampleFrame

ZONE = "Europe/Oslo"
DAY = dt.date(2026, 3, 10)
WAKE = int(dt.datetime.combine(DAY, dt.time(7), tzinfo=ZoneInfo(ZONE)).timestamp())
# Worked example: waking, +30, +45, +60 min, then 5, 10 and 15 h after waking.
MINUTES = np.array([0, 30, 45, 60, 300, 600, 900], dtype=np.int64)
NMOL = np.array([10.0, 20.0, 18.0, 14.0, 8.0, 5.0, 3.0])
# AUCg(0-60) = 15*30 + 19*15 + 16*15 = 975; AUCi = 975 - 10*60 = 375.
CAR_AUCI = 375.0
# Slope over (0 h, 10), (5 h, 8), (10 h, 5), (15 h, 3): Sxy = -60, Sxx = 125.
SLOPE = -60.0 / 125.0
# AUCg(0-900) = 975 + 11*240 + 6.5*300 + 4*300 = 6765 nmol/L.min over 900 min.
MEAN = 6765.0 / 900.0


def frame(times: npt.NDArray[np.int64], values: npt.NDArray[np.float64]) -> SampleFrame:
    return SampleFrame(PatientId("p1"), Modality.CORTISOL, ZONE, times, values, epoch_s=3600)


def test_auc_formulas_by_hand() -> None:
    assert auc_ground([0, 30, 45, 60], [10, 20, 18, 14]) == pytest.approx(975.0)
    assert auc_increase([0, 30, 45, 60], [10, 20, 18, 14]) == pytest.approx(375.0)
    assert auc_increase([0, 30], [10, 10]) == 0.0
    assert auc_increase([0, 60], [10, 4]) == pytest.approx(-180.0)  # falls: negative
    assert auc_ground([5], [3.0]) == 0.0
    assert math.isnan(auc_increase([], []))


def test_worked_example_day() -> None:
    table = daily_cortisol(frame(WAKE + 60 * MINUTES, NMOL))
    assert table.date_list() == [DAY]
    assert table.values["cortisol.car_auci"][0] == pytest.approx(CAR_AUCI)
    assert table.values["cortisol.diurnal_slope_per_h"][0] == pytest.approx(SLOPE)
    assert table.values["cortisol.mean_nmol_l"][0] == pytest.approx(MEAN)
    assert table.coverage[Modality.CORTISOL][0] == 1.0  # 7 samples >= 5 expected
    assert set(table.values) == set(CORTISOL_IDS)


def test_micrograms_per_decilitre_give_the_same_metrics() -> None:
    nmol = daily_cortisol(frame(WAKE + 60 * MINUTES, NMOL))
    ug = daily_cortisol(frame(WAKE + 60 * MINUTES, NMOL / NMOL_PER_L_PER_UG_PER_DL), unit="µg/dL")
    for key in CORTISOL_IDS:
        assert ug.values[key][0] == pytest.approx(nmol.values[key][0])
    assert to_nmol_per_l([1.0], "ug/dL")[0] == pytest.approx(27.59)


@pytest.mark.parametrize(
    ("values", "unit", "match"),
    [
        ([10.0], "ng/mL", "unknown cortisol unit 'ng/mL'"),
        ([10.0, -1.0], "nmol/L", "index 1"),
        ([10.0, math.nan], "nmol/L", "index 1"),
        ([100.0], "ug/dL", "implausible cortisol 100.0 ug/dL at index 0"),
    ],
)
def test_bad_units_and_values_are_named(values: list[float], unit: str, match: str) -> None:
    with pytest.raises(InputFormatError, match=match):
        to_nmol_per_l(values, unit, source="saliva.csv")


def test_late_first_sample_voids_the_car_only() -> None:
    # Wake given as 20 min before the first sample: over the 15-minute limit (Stalder 2016).
    day = cortisol_day(WAKE + 60 * MINUTES, NMOL, WAKE - 20 * 60)
    assert math.isnan(day.car_auci)
    # Without a valid waking sample the slope uses only samples after the window, which now
    # ends 40 min after the first sample: those at 65, 80, 320, 620 and 920 min after waking.
    hours = np.array([65, 80, 320, 620, 920]) / 60.0
    assert day.diurnal_slope_per_h == pytest.approx(np.polyfit(hours, NMOL[2:], 1)[0])


def test_too_few_car_samples_or_short_span_give_nan() -> None:
    two_car = cortisol_day(WAKE + 60 * MINUTES[[0, 1, 4, 5, 6]], NMOL[[0, 1, 4, 5, 6]], WAKE)
    assert math.isnan(two_car.car_auci)
    assert not math.isnan(two_car.diurnal_slope_per_h)
    morning = cortisol_day(WAKE + 60 * MINUTES[:5], NMOL[:5], WAKE)  # spans 5 h < 6 h
    assert morning.car_auci == pytest.approx(CAR_AUCI)
    assert math.isnan(morning.diurnal_slope_per_h)


def test_given_wake_time_and_pre_wake_samples() -> None:
    night = WAKE - 3 * 3600  # a 04:00 sample is set aside, loudly
    times = np.concatenate(([night], WAKE + 60 * MINUTES))
    values = np.concatenate(([30.0], NMOL))
    with pytest.warns(DataQualityWarning, match="1 cortisol sample"):
        table = daily_cortisol(frame(times, values), wake_times_utc={DAY: WAKE})
    assert table.values["cortisol.car_auci"][0] == pytest.approx(CAR_AUCI)
    assert table.values["cortisol.mean_nmol_l"][0] == pytest.approx(MEAN)


def test_coverage_and_missing_days() -> None:
    day2 = WAKE + 2 * 86400  # 12 March; 11 March has no samples
    times = np.concatenate((WAKE + 60 * MINUTES, [day2, day2 + 1800]))
    values = np.concatenate((NMOL, [12.0, 18.0]))
    table = daily_cortisol(frame(times, values))
    assert table.n_days == 3
    np.testing.assert_allclose(table.coverage[Modality.CORTISOL], [1.0, 0.0, 0.4])
    assert np.isnan(table.values["cortisol.mean_nmol_l"][1])
    assert table.values["cortisol.mean_nmol_l"][2] == pytest.approx(15.0)
    assert math.isnan(table.values["cortisol.car_auci"][2])  # 2 samples < 3
    half = daily_cortisol(frame(times, values), expected_samples_per_day=14)
    assert half.coverage[Modality.CORTISOL][0] == pytest.approx(0.5)


def test_empty_frame_and_bad_settings() -> None:
    empty = frame(np.array([], dtype=np.int64), np.array([], dtype=np.float64))
    assert daily_cortisol(empty).n_days == 0
    with pytest.raises(InputFormatError, match="expected samples"):
        daily_cortisol(empty, expected_samples_per_day=0)


def test_registry_entries() -> None:
    for key in CORTISOL_IDS:
        spec = REGISTRY[key]
        assert spec.modality is Modality.CORTISOL
        assert spec.citation


@settings(max_examples=40, deadline=None)
@given(
    shift=st.floats(-5.0, 50.0),
    days=st.integers(-400, 400),
    scale=st.floats(0.2, 5.0),
)
def test_invariances(shift: float, days: int, scale: float) -> None:
    base = daily_cortisol(frame(WAKE + 60 * MINUTES, NMOL))
    # Adding a constant leaves change measures alone and raises the mean by it.
    moved = daily_cortisol(frame(WAKE + 60 * MINUTES, NMOL + shift + 6.0))
    for key in ("cortisol.car_auci", "cortisol.diurnal_slope_per_h"):
        assert moved.values[key][0] == pytest.approx(base.values[key][0], abs=1e-9)
    assert moved.values["cortisol.mean_nmol_l"][0] == pytest.approx(MEAN + shift + 6.0)
    # Scaling scales every metric; shifting whole days shifts dates and nothing else
    # (the local wake clock time is kept, so DST differences are applied to the instants).
    day = DAY + dt.timedelta(days=days)
    wake = int(dt.datetime.combine(day, dt.time(7), tzinfo=ZoneInfo(ZONE)).timestamp())
    other = daily_cortisol(frame(wake + 60 * MINUTES, NMOL * scale))
    assert other.date_list() == [day]
    for key in CORTISOL_IDS:
        assert other.values[key][0] == pytest.approx(base.values[key][0] * scale)
