"""Per-patient bootstrap calibration: resampling, threshold choice, and the rate it promises."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.baseline import (
    BaselineScheme,
    calibrate_cusum,
    cusum_statistics,
    excursion_maxima,
    scheme_z,
    stationary_bootstrap,
    threshold_from_maxima,
)
from bedside.domain import ConfigurationError, InsufficientDataError


def test_stationary_bootstrap_keeps_days_whole() -> None:
    pool = np.arange(30, dtype=float)[:, None] * np.array([1.0, -1.0])
    out = stationary_bootstrap(pool, 5, 100, 7.0, np.random.default_rng(0))
    assert out.shape == (5, 2, 100)
    np.testing.assert_array_equal(out[:, 1], -out[:, 0])  # rows travel together
    assert set(np.unique(out[:, 0])) <= set(range(30))
    steps = np.diff(out[:, 0], axis=1)
    assert 0.6 < float(np.mean((steps == 1) | (steps == -29))) < 0.95  # blocks of mean 7
    with pytest.raises(InsufficientDataError):
        stationary_bootstrap(np.zeros((0, 2)), 1, 5, 7.0, np.random.default_rng(0))


@given(
    maxima=st.lists(st.floats(0.0, 50.0, allow_nan=False), max_size=60),
    years=st.floats(0.5, 100.0),
    target=st.floats(0.01, 5.0),
)
def test_threshold_never_allows_more_alarms_than_the_budget(
    maxima: list[float], years: float, target: float
) -> None:
    h = threshold_from_maxima(np.array(maxima), years, target, 3.5)
    assert h >= 3.5
    assert int((np.array(maxima) > h).sum()) <= int(np.floor(target * years))


def test_excursion_maxima_counts_episodes() -> None:
    stat = np.array([[0, 1, 3, 0, 0, 2, 5, 4, 0, 6.0]])
    charts, maxima = excursion_maxima(stat)
    assert list(charts) == [0, 0, 0]
    assert list(maxima) == [3.0, 5.0, 6.0]


@pytest.mark.slow
def test_calibrated_rate_holds_on_held_out_in_control_data() -> None:
    """Independent N(0, 1) days: calibrate on each patient's first 112 days, then count the
    alarms of fresh in-control patient-years with those thresholds; the target (1 per year over
    3 biomarkers) must lie within the 95% interval of the measured rate."""
    rng = np.random.default_rng(2024)
    scheme = BaselineScheme()
    names = ["a", "b", "c"]
    alarms, years = 0, 0.0
    for patient in range(6):
        pool = rng.standard_normal((112, 3))
        cal = calibrate_cusum(pool, names, np.full(3, 1e-6), scheme, seed=patient)
        assert cal.family_rate_per_year <= 1.0
        fresh = rng.standard_normal((40, 3, scheme.start_days + 365))
        z = scheme_z(fresh, scheme, 1e-6)[..., scheme.start_days :]
        upper, lower = cusum_statistics(z, 0.5, 4.0)
        for i, b in enumerate(names):
            _, m = excursion_maxima(np.concatenate([upper[:, i], lower[:, i]]))
            alarms += int((m > cal.thresholds[b]).sum())
        years += 40 * 365 / 365.25
    rate = alarms / years
    half = 1.96 * np.sqrt(alarms) / years
    assert rate - half - 0.35 <= 1.0 <= rate + half + 0.35, rate


def test_calibration_rejects_bad_input() -> None:
    with pytest.raises(ConfigurationError):
        calibrate_cusum(np.zeros((10, 2)), ["a"], np.ones(1), BaselineScheme())
    with pytest.raises(ConfigurationError):
        calibrate_cusum(
            np.zeros((10, 1)), ["a"], np.ones(1), BaselineScheme(), target_rate_per_year=0
        )


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000))
def test_scheme_z_is_causal(seed: int) -> None:
    x = np.random.default_rng(seed).standard_normal((2, 70))
    full = scheme_z(x, BaselineScheme(), 1e-6)
    cut = scheme_z(x[:, :50], BaselineScheme(), 1e-6)
    np.testing.assert_array_equal(full[:, :50], cut)
