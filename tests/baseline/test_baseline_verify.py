"""active_trends and DailyTrendMonitor: detection of sustained shifts, stable series, causality."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.baseline import CusumDetector, DailyTrendMonitor, RobustBaseline, active_trends
from bedside.domain import ConfigurationError, DailyBiomarkerTable, PatientId, TrendDirection

# biomarker -> (mean, SD, sign of the adverse shift)
PROFILE = {
    "sleep.duration_min": (420.0, 40.0, -1.0),
    "activity.mean_counts": (200.0, 30.0, -1.0),
    "sleep.efficiency": (85.0, 4.0, -1.0),
    "circadian.interdaily_stability": (0.5, 0.05, -1.0),
    "sleep.waso_min": (40.0, 10.0, 1.0),
}
SHIFTED = ["sleep.duration_min", "activity.mean_counts", "sleep.efficiency"]


def _cohort_table(
    seed: int, n_days: int = 60, shift_at: int | None = None, shift_sd: float = 1.0
) -> DailyBiomarkerTable:
    rng = np.random.default_rng(seed)
    values = {}
    for b, (mean, sd, sign) in PROFILE.items():
        v = mean + sd * rng.standard_normal(n_days)
        if shift_at is not None and b in SHIFTED:
            v[shift_at:] += sign * shift_sd * sd
        values[b] = v
    dates = np.datetime64("2026-01-01") + np.arange(n_days)
    return DailyBiomarkerTable(PatientId(f"p{seed}"), "Europe/Oslo", dates, values)


def test_active_trends_finds_a_two_sd_drop() -> None:
    shifted = active_trends(_cohort_table(5, n_days=70, shift_at=40, shift_sd=2.0))
    found = {(f.biomarker, f.direction) for f in shifted}
    assert {(b, TrendDirection.DOWN) for b in SHIFTED} <= found
    assert all(f.adverse for f in shifted if f.biomarker in SHIFTED)
    dates = _cohort_table(5, n_days=70).date_list()
    for f in shifted:
        if f.biomarker in SHIFTED:
            # onset estimate: near the change (day 40), before the detection
            assert dates[30] <= f.onset_date <= f.detection_date
            assert f.detection_date >= dates[40]


def test_active_trends_short_table_is_empty() -> None:
    assert active_trends(_cohort_table(0, n_days=20)) == []


def _first_detection_delays(
    monitor: DailyTrendMonitor, seeds: range, shift_sd: float, n_days: int = 60
) -> np.ndarray:
    """Days from the shift (row 35) to the first trend of each shifted biomarker (inf: none)."""
    delays = []
    for seed in seeds:
        state = monitor.update(_cohort_table(seed, n_days=n_days, shift_at=35, shift_sd=shift_sd))
        for b in SHIFTED:
            days = [
                t
                for t, day in enumerate(state.daily_trends)
                if t >= 35 and any(f.biomarker == b for f in day)
            ]
            delays.append(days[0] - 35 if days else math.inf)
    return np.array(delays).reshape(len(seeds), len(SHIFTED))


def test_monitor_detects_sustained_one_sd_shift_within_21_days() -> None:
    delays = _first_detection_delays(DailyTrendMonitor(), range(30), shift_sd=1.0)
    # patient level: some trend in one of the three shifted biomarkers within 3 weeks
    assert (delays.min(axis=1) <= 21).mean() >= 0.9
    assert np.median(delays.min(axis=1)) <= 10
    # biomarker level
    assert (delays <= 21).mean() >= 0.6


def test_monitor_reports_the_false_alarm_rate_it_actually_has() -> None:
    monitor = DailyTrendMonitor()
    n_patients, monitored_days = 40, 60 - 28
    alarms = 0
    rates = set()
    for seed in range(n_patients):
        state = monitor.update(_cohort_table(1000 + seed))
        episodes = {
            (f.biomarker, f.direction, f.detection_date) for d in state.daily_trends for f in d
        }
        rates |= {f.false_alarm_rate_per_year for d in state.daily_trends for f in d}
        alarms += len(episodes)
    rate = monitor.false_alarm_rate_per_year(len(PROFILE))
    assert rates <= {rate}
    assert rate > 1.0 / len(PROFILE)  # more than the nominal share: estimation error is counted
    expected = rate * len(PROFILE) * n_patients * monitored_days / 365.25
    assert abs(alarms - expected) < 4 * math.sqrt(expected) + 2


def test_estimated_baseline_calibration_meets_budget_on_stable_series() -> None:
    monitor = DailyTrendMonitor(detector=CusumDetector(calibration="estimated_baseline"))
    with_trend = sum(
        any(day for day in monitor.update(_cohort_table(1000 + seed)).daily_trends)
        for seed in range(30)
    )
    # budget 1 false alarm per patient-year: ~2.6 expected over 30 x 32 monitored days
    assert with_trend <= 6
    assert monitor.false_alarm_rate_per_year(len(PROFILE)) * len(PROFILE) == pytest.approx(
        1.0, rel=0.05
    )
    delays = _first_detection_delays(monitor, range(20), shift_sd=2.0, n_days=70)
    assert (delays <= 21).mean() >= 0.9


def test_monitor_refit_schedule_and_early_days() -> None:
    table = _cohort_table(3)
    state = DailyTrendMonitor().update(table)
    assert state.refit_rows == [28, 35, 42, 49, 56]
    assert state.date == table.date_list()[-1]
    assert all(np.isnan(z[:28]).all() for z in state.z.values())
    assert all(not np.isnan(z[28:]).any() for z in state.z.values())
    early = DailyTrendMonitor().update(table.head(27))
    assert early.baseline is None
    assert early.insufficient == table.biomarker_ids
    assert early.trends == []


def test_monitor_keeps_the_episode_out_of_the_baseline() -> None:
    table = _cohort_table(4, n_days=90, shift_at=35, shift_sd=2.0)
    state = DailyTrendMonitor().update(table)
    assert state.baseline is not None
    for b in SHIFTED:
        mean, sd, _ = PROFILE[b]
        # the baseline in force at the end still describes the pre-shift level
        assert abs(state.median[b][-1] - mean) < 0.6 * sd
        assert any(f.biomarker == b for f in state.trends)
    restored = RobustBaseline.from_dict(state.baseline.to_dict())
    assert restored.median_ == state.baseline.median_


def test_monitor_rejects_bad_settings() -> None:
    with pytest.raises(ConfigurationError):
        DailyTrendMonitor(refit_every_days=0)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), cut=st.integers(1, 59), shift=st.sampled_from([None, 30]))
def test_monitor_is_causal(seed: int, cut: int, shift: int | None) -> None:
    table = _cohort_table(seed, shift_at=shift, shift_sd=1.5)
    monitor = DailyTrendMonitor(detector=CusumDetector())
    full = monitor.update(table)
    prefix = monitor.update(table.head(cut))
    assert prefix.daily_trends == full.daily_trends[:cut]
    for b in table.biomarker_ids:
        np.testing.assert_array_equal(prefix.z[b], full.z[b][:cut])
