"""Cardiac daily table: hand-built days, neurokit2 as the HRV oracle, DST and coverage."""

from __future__ import annotations

import datetime as dt
import warnings
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bedside.biomarkers import CARDIAC_IDS, REGISTRY, daily_cardiac, merge_daily_tables
from bedside.biomarkers.cardiac import rmssd, sdnn
from bedside.domain import InputFormatError, Modality, PatientId, RRIntervalFrame, SampleFrame
from bedside.sensors.synthetic_cardiac import synthetic_cardiac

OSLO = "Europe/Oslo"
PID = PatientId("p1")


def _nk_time(rr: np.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # neurokit2/pandas emit their own notices
        import neurokit2 as nk

        out = nk.hrv_time({"RRI": rr, "RRI_Time": np.cumsum(rr) / 1000.0}, sampling_rate=1000)
    return float(out["HRV_RMSSD"].iloc[0]), float(out["HRV_SDNN"].iloc[0])


def _midnight(day: dt.date, zone: str = OSLO) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).timestamp())


def _rr_frame(start_utc: int, rr: np.ndarray) -> RRIntervalFrame:
    t = start_utc + (np.cumsum(rr) // 1000.0).astype(np.int64)
    return RRIntervalFrame(patient_id=PID, zone=OSLO, time_utc=t, rr_ms=rr)


@pytest.mark.slow  # importing neurokit2 takes about 10 CPU-seconds
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rmssd_and_sdnn_agree_with_neurokit2(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rr = 900.0 + np.cumsum(rng.normal(0, 5, 600)) + rng.normal(0, 30, 600)
    nk_rmssd, nk_sdnn = _nk_time(rr)
    assert rmssd(rr) == pytest.approx(nk_rmssd, rel=1e-9)
    assert sdnn(rr) == pytest.approx(nk_sdnn, rel=1e-9)


@pytest.mark.slow
def test_nightly_hrv_is_median_of_neurokit2_segment_values() -> None:
    rng = np.random.default_rng(7)
    day = dt.date(2024, 1, 10)
    start = _midnight(day)
    rr = 950.0 + rng.normal(0, 35, 25_000)
    rr = rr[: int(np.searchsorted(np.cumsum(rr), 6 * 3600 * 1000.0))]
    table = daily_cardiac(rr=_rr_frame(start, rr))
    assert table.date_list() == [day]
    # Oracle: neurokit2 on each 5-min segment defined by the same beat times.
    t = start + (np.cumsum(rr) // 1000.0).astype(np.int64)
    seg = (t - start) // 300
    values = [_nk_time(rr[seg == s]) for s in np.unique(seg) if (seg == s).sum() >= 3]
    full = [v for s, v in zip(np.unique(seg), values, strict=True) if rr[seg == s].sum() >= 240e3]
    arr = np.asarray(full)
    assert table.values["cardiac.rmssd_ms"][0] == pytest.approx(np.median(arr[:, 0]), rel=1e-9)
    assert table.values["cardiac.sdnn_ms"][0] == pytest.approx(np.median(arr[:, 1]), rel=1e-9)


def test_hand_built_heart_rate_day() -> None:
    day = dt.date(2024, 1, 10)
    start = _midnight(day)
    minutes = start + 60 * np.arange(1440, dtype=np.int64)
    hours = np.arange(1440) / 60.0
    bpm = np.where(hours < 6, 55.0, 75.0)
    bpm[300:330] = 50.0  # the lowest 30 minutes: 05:00-05:30
    frame = SampleFrame(PID, Modality.HEART_RATE, OSLO, minutes, bpm, 60, "hand")
    table = daily_cardiac(frame)
    assert table.coverage[Modality.HEART_RATE].tolist() == [1.0]
    assert table.values["cardiac.resting_hr_bpm"][0] == 50.0
    night = (55.0 * 330 + 50.0 * 30) / 360
    assert table.values["cardiac.nocturnal_hr_bpm"][0] == pytest.approx(night)
    assert table.values["cardiac.mean_hr_bpm"][0] == pytest.approx(bpm.mean())
    assert np.isnan(table.values["cardiac.rmssd_ms"][0])  # no RR given
    assert tuple(table.values) == CARDIAC_IDS


def test_low_coverage_day_has_coverage_and_no_values() -> None:
    day = dt.date(2024, 1, 10)
    minutes = _midnight(day) + 60 * np.arange(600, dtype=np.int64)  # 10 h of 24
    frame = SampleFrame(PID, Modality.HEART_RATE, OSLO, minutes, np.full(600, 60.0), 60, "x")
    table = daily_cardiac(frame)
    assert table.coverage[Modality.HEART_RATE][0] == pytest.approx(600 / 1440)
    assert np.isnan(table.values["cardiac.mean_hr_bpm"][0])


def test_synthetic_episode_raises_resting_hr_and_lowers_hrv() -> None:
    dates = [dt.date(2024, 3, 28) + dt.timedelta(days=i) for i in range(6)]  # spans spring DST
    severity = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    raw = synthetic_cardiac(np.random.default_rng(3), dates, OSLO, severity, patient_id="p1")
    table = daily_cardiac(raw.heart_rate, raw.rr)
    assert table.date_list() == dates
    assert table.coverage[Modality.HEART_RATE].tolist() == [1.0] * 6
    rest = table.values["cardiac.resting_hr_bpm"]
    hrv = table.values["cardiac.rmssd_ms"]
    assert rest[3:].mean() > rest[:3].mean() + 4
    assert hrv[3:].mean() < hrv[:3].mean() * 0.8
    # The cleaned nightly RMSSD recovers the generator's target within 5 %.
    np.testing.assert_allclose(hrv, raw.rmssd_target_ms, rtol=0.05)
    for key in CARDIAC_IDS:
        spec = REGISTRY[key]
        ok = table.values[key][np.isfinite(table.values[key])]
        assert ((ok >= spec.valid_min) & (ok <= spec.valid_max)).all(), key


def test_heart_rate_derived_from_rr_when_no_samples() -> None:
    day = dt.date(2024, 1, 10)
    rr = np.full(int(24 * 3600 / 0.8), 800.0)  # 75 bpm all day
    table = daily_cardiac(rr=_rr_frame(_midnight(day), rr))
    assert table.values["cardiac.mean_hr_bpm"][0] == pytest.approx(75.0)
    assert table.values["cardiac.rmssd_ms"][0] == 0.0


def test_merges_with_other_modalities_and_rejects_mixed_patients() -> None:
    day = dt.date(2024, 1, 10)
    minutes = _midnight(day) + 60 * np.arange(1440, dtype=np.int64)
    hr = SampleFrame(PID, Modality.HEART_RATE, OSLO, minutes, np.full(1440, 60.0), 60, "x")
    merged = merge_daily_tables([daily_cardiac(hr)])
    assert merged.coverage[Modality.HEART_RATE].tolist() == [1.0]
    other = RRIntervalFrame(PatientId("p2"), OSLO, minutes[:3], np.full(3, 900.0))
    with pytest.raises(InputFormatError, match="different patients"):
        daily_cardiac(hr, other)
    with pytest.raises(InputFormatError, match="heart-rate samples, RR intervals"):
        daily_cardiac()


def test_rr_frame_rejects_bad_input() -> None:
    with pytest.raises(InputFormatError, match="not positive"):
        RRIntervalFrame(PID, OSLO, np.array([0, 1]), np.array([800.0, -1.0]))
    with pytest.raises(InputFormatError, match="backwards at index 1"):
        RRIntervalFrame(PID, OSLO, np.array([5, 4]), np.array([800.0, 800.0]))
    frame = RRIntervalFrame(PID, OSLO, np.array([0, 0, 1, 10]), np.full(4, 800.0))
    assert frame.adjacent().tolist() == [False, True, True, False]
