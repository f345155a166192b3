"""Glucose daily table: consensus worked examples per local day, DST, coverage, episodes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bedside.biomarkers import GLUCOSE_IDS, REGISTRY, daily_glucose
from bedside.domain import InputFormatError, Modality, PatientId, SampleFrame
from bedside.sensors.synthetic_glucose import synthetic_glucose

OSLO = "Europe/Oslo"


def _midnight(day: dt.date, zone: str = OSLO) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).timestamp())


def _frame(t: np.ndarray, v: np.ndarray, modality: Modality = Modality.GLUCOSE) -> SampleFrame:
    return SampleFrame(PatientId("p"), modality, OSLO, t.astype(np.int64), v, 300, "hand")


def test_worked_example_from_consensus_definitions() -> None:
    # One day of 288 five-minute readings: 00:00-06:00 at 60 mg/dL (72 readings, a quarter of
    # the day), the rest at 120 mg/dL. By the consensus definitions: TBR<70 = 25 %,
    # TBR<54 = 0 %, TIR = 75 %, TAR = 0 %; mean = (72*60 + 216*120) / 288 = 105 mg/dL;
    # GMI = 3.31 + 0.02392 * 105 (Bergenstal 2018).
    day = dt.date(2024, 1, 10)
    t = _midnight(day) + 300 * np.arange(288)
    v = np.where(np.arange(288) < 72, 60.0, 120.0)
    table = daily_glucose(_frame(t, v))
    row = {k: float(table.values[k][0]) for k in GLUCOSE_IDS}
    assert row["glucose.tbr70_pct"] == pytest.approx(25.0)
    assert row["glucose.tbr54_pct"] == 0.0
    assert row["glucose.tir_pct"] == pytest.approx(75.0)
    assert row["glucose.tar180_pct"] == 0.0
    assert row["glucose.mean_mgdl"] == pytest.approx(105.0)
    assert row["glucose.gmi_pct"] == pytest.approx(3.31 + 0.02392 * 105.0)
    assert row["glucose.night_mean_mgdl"] == 60.0
    assert row["glucose.night_tbr70_pct"] == 100.0
    assert row["glucose.day_mean_mgdl"] == 120.0
    sd = float(np.std(v, ddof=1))
    assert row["glucose.cv_pct"] == pytest.approx(100.0 * sd / 105.0)
    assert table.coverage[Modality.GLUCOSE].tolist() == [1.0]


def test_spring_forward_day_is_23_hours_with_full_coverage() -> None:
    day = dt.date(2024, 3, 31)  # Oslo: 02:00 -> 03:00
    a, b = _midnight(day), _midnight(day + dt.timedelta(days=1))
    assert b - a == 23 * 3600
    t = np.arange(a, b, 300)
    table = daily_glucose(_frame(t, np.full(t.size, 100.0)))
    assert table.date_list() == [day]
    assert table.coverage[Modality.GLUCOSE].tolist() == [1.0]
    assert table.values["glucose.tir_pct"][0] == 100.0


def test_days_below_consensus_coverage_are_null_but_reported() -> None:
    day = dt.date(2024, 1, 10)
    t = _midnight(day) + 300 * np.arange(150)  # 150 of 288 readings: 52 %
    table = daily_glucose(_frame(t, np.full(150, 100.0)))
    assert table.coverage[Modality.GLUCOSE][0] == pytest.approx(150 / 288)
    assert all(np.isnan(table.values[k][0]) for k in GLUCOSE_IDS if "night" not in k)
    assert table.values["glucose.night_mean_mgdl"][0] == 100.0  # the night itself is covered


def test_wrong_modality_and_implausible_values_are_errors() -> None:
    t = np.arange(3) * 300
    with pytest.raises(InputFormatError, match="expected a glucose frame"):
        daily_glucose(_frame(t, np.full(3, 100.0), Modality.HEART_RATE))
    with pytest.raises(InputFormatError, match="implausible glucose"):
        daily_glucose(_frame(t, np.array([100.0, 5.0, 100.0])))


def test_synthetic_episode_raises_mean_glucose() -> None:
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(8)]
    severity = np.r_[np.zeros(4), np.ones(4)]
    frame = daily_glucose(synthetic_glucose(np.random.default_rng(5), dates, OSLO, severity))
    mean = frame.values["glucose.mean_mgdl"]
    assert np.nanmean(mean[4:]) > np.nanmean(mean[:4]) + 10
    for key in GLUCOSE_IDS:
        spec = REGISTRY[key]
        ok = frame.values[key][np.isfinite(frame.values[key])]
        assert ((ok >= spec.valid_min) & (ok <= spec.valid_max)).all(), key
