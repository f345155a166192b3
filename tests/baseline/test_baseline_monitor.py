"""DailyTrendMonitor: calibrated per patient, coverage rules, exclusions, causality, invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bedside.baseline import BaselineScheme, DailyTrendMonitor, PersonalBaseline, TrendStatus
from bedside.domain import ConfigurationError, DailyBiomarkerTable, PatientId, TrendDirection

from .conftest import PROFILE, make_table

# small calibration simulations keep the tests fast (and without the estimation correction, which
# costs about one calibration per pseudo-pool); the evaluation uses the defaults
FAST = {"n_series": 40, "estimation_pools": 0}


def _alarm_days(state_daily: list[list[object]]) -> list[int]:
    return [t for t, day in enumerate(state_daily) if day]


@settings(max_examples=8, deadline=None)
@given(
    level=st.floats(0.0, 1e5, allow_nan=False),
    n_days=st.integers(20, 90),
)
def test_a_constant_series_never_alarms(level: float, n_days: int) -> None:
    values = {b: np.full(n_days, level) for b in PROFILE}
    dates = np.datetime64("2026-01-05") + np.arange(n_days)
    table = DailyBiomarkerTable(PatientId("c"), "Europe/Oslo", dates, values)
    state = DailyTrendMonitor(**FAST).update(table)
    assert _alarm_days(state.daily_trends) == []
    assert set(state.status) == set(PROFILE)
    assert all(s is not TrendStatus.TREND for s in state.status.values())


@settings(max_examples=6, deadline=None)
@example(seed=0, shift_at=53)
@given(seed=st.integers(0, 10_000), shift_at=st.integers(40, 70))
def test_a_step_far_above_threshold_always_alarms(seed: int, shift_at: int) -> None:
    table = make_table(seed, n_days=shift_at + 21, shift_at=shift_at, shift_sd=15.0)
    monitor = DailyTrendMonitor(**FAST)
    state = monitor.update(table)
    assert state.calibration is not None
    for b in PROFILE:
        # A weekly refit after the step can raise the threshold before the alarm (seed 0, step
        # at day 53: 12.1 -> 20.3 on day 56), so the bound uses the largest threshold in force.
        h = float(np.max(state.threshold[b][shift_at:]))
        # the charts run on prewhitened z: after its first day a step of 15 SD still shows as
        # 15 sqrt((1 - phi) / (1 + phi)) >= winsor SDs while phi <= 0.86, so each day adds at
        # least winsor - k and within ceil(h / (winsor - k)) days of the step a downward trend
        # is active (a false alarm before the step may already be)
        assert state.calibration.ar1[b] <= 0.86
        per_day = monitor.winsor - monitor.k
        window = state.daily_trends[shift_at : shift_at + int(np.ceil(h / per_day)) + 1]
        assert any(
            f.biomarker == b and f.direction is TrendDirection.DOWN for day in window for f in day
        )
        assert state.status[b] is TrendStatus.TREND
        (found,) = [f for f in state.trends if f.biomarker == b]
        assert found.direction is TrendDirection.DOWN
        assert found.adverse
        assert found.false_alarm_rate_per_year == pytest.approx(
            state.calibration.rate_per_year[b] if state.calibration else -1.0
        )


def test_reordering_patients_never_changes_any_patients_result() -> None:
    tables = [make_table(s, n_days=70, shift_at=45 if s % 2 else None) for s in range(4)]
    monitor = DailyTrendMonitor(**FAST)
    forward = {t.patient_id: monitor.update(t) for t in tables}
    backward = {t.patient_id: DailyTrendMonitor(**FAST).update(t) for t in reversed(tables)}
    for pid, state in forward.items():
        assert state.daily_trends == backward[pid].daily_trends
        assert state.calibration == backward[pid].calibration


def test_too_little_data_is_insufficient_never_silent() -> None:
    short = DailyTrendMonitor(**FAST).update(make_table(1, n_days=20))
    assert short.trends == []
    assert short.status == dict.fromkeys(PROFILE, TrendStatus.INSUFFICIENT_DATA)
    assert short.insufficient == list(PROFILE)
    table = make_table(2, n_days=70, shift_at=50, shift_sd=6.0)
    gap = {
        b: (np.where(np.arange(70) >= 60, np.nan, v) if b == "sleep.duration_min" else v)
        for b, v in table.values.items()
    }
    gappy = DailyBiomarkerTable(table.patient_id, table.zone, table.dates, gap)
    state = DailyTrendMonitor(**FAST).update(gappy)
    assert state.status["sleep.duration_min"] is TrendStatus.INSUFFICIENT_DATA
    assert all(f.biomarker != "sleep.duration_min" for f in state.trends)
    assert state.status["activity.total_counts"] is TrendStatus.TREND


def test_findings_report_the_patients_calibrated_rate() -> None:
    state = DailyTrendMonitor(**FAST).update(make_table(3, n_days=80, shift_at=50, shift_sd=3.0))
    assert state.calibration is not None
    assert state.calibration.family_rate_per_year <= 1.0
    assert state.calibration_rows[0] == 28
    assert state.trends
    for f in state.trends:
        assert f.false_alarm_rate_per_year == state.calibration.rate_per_year[f.biomarker]


def test_the_episode_is_kept_out_of_the_baseline() -> None:
    table = make_table(4, n_days=120, shift_at=40, shift_sd=2.5)
    state = DailyTrendMonitor(**FAST).update(table)
    assert isinstance(state.baseline, PersonalBaseline)
    for b, (mean, sd, _) in PROFILE.items():
        assert abs(state.median[b][-1] - mean) < 0.8 * sd
        assert any(f.biomarker == b for f in state.trends)
    back = PersonalBaseline.from_json(state.baseline.to_json())
    assert back.median_ == state.baseline.median_


@pytest.mark.slow
def test_calibration_pool_grows_beyond_the_baseline_lookback() -> None:
    """The baseline looks back 112 days, but the calibration learns from every in-control day,
    recalibrating as that pool doubles; the default estimation correction is reported."""
    table = make_table(6, n_days=240)
    state = DailyTrendMonitor(n_series=20, estimation_pools=2).update(table)
    assert state.calibration_rows == [28, 56, 112, 224]
    assert state.calibration is not None
    assert state.calibration.pool_days == 224 > DailyTrendMonitor().scheme.max_lookback_days
    assert all(v > 0 for v in state.calibration.estimation_inflation)
    with pytest.raises(ConfigurationError):
        DailyTrendMonitor(estimation_pools=-1)


def test_refit_schedule_and_early_days() -> None:
    table = make_table(5, n_days=60)
    state = DailyTrendMonitor(**FAST).update(table)
    assert state.refit_rows == [28, 35, 42, 49, 56]
    assert all(np.isnan(z[:28]).all() for z in state.z.values())
    assert all(not np.isnan(z[28:]).any() for z in state.z.values())


def test_fixed_threshold_reports_nominal_rate_and_bad_settings_fail() -> None:
    state = DailyTrendMonitor(threshold=5.0).update(
        make_table(6, n_days=70, shift_at=40, shift_sd=4)
    )
    assert state.calibration is None
    assert state.trends
    assert all(f.false_alarm_rate_per_year > 0 for f in state.trends)
    with pytest.raises(ConfigurationError):
        DailyTrendMonitor(threshold=1.0)
    with pytest.raises(ConfigurationError):
        DailyTrendMonitor(min_coverage=2.0)
    with pytest.raises(ConfigurationError, match="margin"):
        DailyTrendMonitor(estimation_margin=0.0)
    with pytest.raises(ConfigurationError, match="margin"):
        DailyTrendMonitor(estimation_margin=((56, 2.0), (28, 4.0)))


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 1000), cut=st.integers(1, 69), shift=st.sampled_from([None, 40]))
def test_monitor_is_causal(seed: int, cut: int, shift: int | None) -> None:
    table = make_table(seed, n_days=70, shift_at=shift, shift_sd=1.5)
    monitor = DailyTrendMonitor(**FAST)
    full = monitor.update(table)
    prefix = monitor.update(table.head(cut))
    assert prefix.daily_trends == full.daily_trends[:cut]
    for b in table.biomarker_ids:
        np.testing.assert_array_equal(prefix.z[b], full.z[b][:cut])


@pytest.mark.parametrize("guard", [None, 0, 21])
def test_the_guard_band_keeps_an_unalarmed_change_out_of_the_baseline(guard: int | None) -> None:
    """No alarm can fire here (threshold far out of reach), so nothing is excluded for an episode:
    only the guard band keeps the first weeks of the change out of the refits."""
    scheme = BaselineScheme() if guard is None else BaselineScheme(guard_days=guard)
    monitor = DailyTrendMonitor(threshold=60.0, scheme=scheme)
    calm = monitor.update(make_table(7, n_days=90))
    changed = monitor.update(make_table(7, n_days=90, shift_at=50, shift_sd=1.0))
    band = slice(50, 50 + max(scheme.guard_days, 14))
    same = all(np.array_equal(changed.median[b][band], calm.median[b][band]) for b in PROFILE)
    assert same == (scheme.guard_days > 0)
    assert not changed.trends
