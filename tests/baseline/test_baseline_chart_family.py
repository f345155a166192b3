"""The device's chart family: prewhitening, the AR(1) sieve calibration and the signature chart."""

from __future__ import annotations

import numpy as np
import pytest

from bedside.baseline import DailyTrendMonitor
from bedside.baseline.bootstrap_calibration import ar1_lag1, ar1_sieve_bootstrap
from bedside.baseline.chart_family import EPISODE_SIGNATURE, fit_signature, prewhiten
from bedside.domain import TrendDirection

from .conftest import PROFILE, make_table


def _ar1(phi: float, n: int, rng: np.random.Generator) -> np.ndarray:
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + np.sqrt(1 - phi**2) * e[t]
    return x


def test_prewhitening_an_ar1_series_leaves_independent_unit_variance_days() -> None:
    x = _ar1(0.8, 20_000, np.random.default_rng(0))
    u = prewhiten(x, 0.8)
    assert abs(np.corrcoef(u[1:-1], u[2:])[0, 1]) < 0.03
    assert np.var(u[1:]) == pytest.approx(1.0, rel=0.05)
    x[10] = np.nan
    u = prewhiten(x, 0.8)
    assert np.isnan(u[10])
    assert u[11] == x[11]
    assert u[0] == x[0]


def test_lag1_estimate_recovers_phi_and_clips_negative_to_zero() -> None:
    rng = np.random.default_rng(1)
    cols = np.stack([_ar1(0.5, 4000, rng), _ar1(-0.4, 4000, rng)], axis=1)
    phi, se = ar1_lag1(cols)
    assert phi[0] == pytest.approx(0.5, abs=0.05)
    assert phi[1] == 0.0
    assert (se > 0).all()


def test_sieve_bootstrap_keeps_the_pools_autocorrelation_and_missing_share() -> None:
    rng = np.random.default_rng(2)
    pool = np.stack([_ar1(0.8, 112, rng), rng.standard_normal(112)], axis=1)
    pool[::10, 1] = np.nan
    sims = ar1_sieve_bootstrap(pool, 200, 365, 7.0, rng)
    assert sims.shape == (200, 2, 365)
    a = sims[:, 0]
    lag1 = np.mean([np.corrcoef(s[:-1], s[1:])[0, 1] for s in a])
    assert lag1 == pytest.approx(ar1_lag1(pool)[0][0], abs=0.1)
    assert np.isnan(sims[:, 1]).mean() == pytest.approx(0.1, abs=0.03)
    assert not np.isnan(sims[:, 0]).any()


def test_the_signature_needs_two_of_its_biomarkers_and_points_its_way() -> None:
    rng = np.random.default_rng(3)
    pool = rng.standard_normal((56, 3))
    names = ["sleep.duration_min", "activity.total_counts", "sleep.efficiency"]
    sig = fit_signature(pool, names, EPISODE_SIGNATURE)
    assert sig is not None
    assert sig.biomarkers == ("sleep.duration_min", "activity.total_counts")
    assert np.linalg.norm(sig.unit_direction) == pytest.approx(1.0)
    assert (sig.unit_direction < 0).all()  # both are expected to fall
    assert fit_signature(pool, ["sleep.duration_min", "x", "y"], EPISODE_SIGNATURE) is None


def test_the_monitor_reports_a_signature_alarm_only_for_biomarkers_that_moved_its_way() -> None:
    # sleep and activity fall 1.2 SD each (too little for a univariate chart with k = 1 SD to
    # gather evidence quickly); interdaily stability does not change
    profile = dict(PROFILE)
    profile["circadian.interdaily_stability"] = (0.5, 0.05, 0.0)
    table = make_table(7, n_days=110, shift_at=70, shift_sd=1.2, profile=profile)
    state = DailyTrendMonitor(n_series=40).update(table)
    cal = state.calibration
    assert cal is not None
    assert cal.signature is not None
    after = [f for day in state.daily_trends[70:] for f in day]
    sig_rate = cal.signature_rate_per_year
    from_signature = [f for f in after if f.false_alarm_rate_per_year == pytest.approx(sig_rate)]
    # (a biomarker whose own univariate chart is already active is reported by that chart)
    assert from_signature, "the 1.2 SD episode in two signature biomarkers was not caught"
    for f in from_signature:
        assert f.direction is TrendDirection.DOWN
        assert f.robust_z < 0  # reported only for biomarkers that moved the signature's way
