"""The device's chart family: prewhitening, the AR(1) sieve calibration and the signature chart."""

from __future__ import annotations

import numpy as np
import pytest

from bedside.baseline import DailyTrendMonitor
from bedside.baseline.bootstrap_calibration import ar1_lag1, ar1_sieve_bootstrap, calibrate_cusum
from bedside.baseline.chart_family import (
    EPISODE_SIGNATURE,
    SIGNATURE_FORM,
    fit_signature,
    likelihood_ratio_path,
    prewhiten,
    signature_statistic,
    signature_terms,
    univariate_terms,
)
from bedside.baseline.oracle_chart import OracleChart, Var1Model
from bedside.baseline.scheme import BaselineScheme
from bedside.domain import ConfigurationError, DailyBiomarkerTable, PatientId, TrendDirection

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


def _var1_days(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(K=3, n) Gaussian VAR(1) days in marginal SDs, its phi and innovation covariance."""
    phi = np.array([0.3, 0.3, 0.8])
    corr = 0.4 + 0.6 * np.eye(3)
    s = np.diag(np.sqrt(1 - phi**2))
    q = s @ corr @ s
    e = rng.standard_normal((n, 3)) @ np.linalg.cholesky(q).T
    x = np.zeros((3, n))
    x[:, 0] = rng.standard_normal(3)
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + e[t]
    return x, phi, q


NAMES = ["sleep.duration_min", "activity.total_counts", "circadian.interdaily_stability"]


def test_likelihood_ratio_signature_from_a_long_pool_is_the_known_model_chart() -> None:
    rng = np.random.default_rng(11)
    x, phi, q = _var1_days(20_000, rng)
    sig = fit_signature(
        x.T, NAMES, EPISODE_SIGNATURE, form="likelihood_ratio", shrinkage=0.0,
        winsor=50.0, innovation_clip=50.0,
    )  # fmt: skip
    assert sig is not None
    assert sig.form == "likelihood_ratio"
    assert sig.phi == pytest.approx(phi, abs=0.03)
    days = x[:, :3000]
    oracle = OracleChart(Var1Model(phi, q), -np.ones(3)).statistic(days)
    device = signature_statistic(days, sig, 50.0)
    assert np.isneginf(device[0])  # no innovation on the first day: no change can start yet
    assert np.abs(device[1:] - oracle[1:]).max() < 0.05 * np.abs(oracle[1:]).max()


def test_likelihood_ratio_weighs_a_steps_first_day_and_skips_days_without_innovations() -> None:
    rng = np.random.default_rng(12)
    x, _, _ = _var1_days(200, rng)
    sig = fit_signature(x.T, NAMES, EPISODE_SIGNATURE, form="likelihood_ratio")
    assert sig is not None
    a, b = signature_terms(x[:, 100:110], sig, 4.0)
    assert np.isnan(a[0])
    assert np.isnan(b[0])
    step = x[:, 100:130].copy()
    step[:, 10:] -= 1.0
    sa, sb = signature_terms(step, sig, 4.0)
    ca, cb = signature_terms(x[:, 100:130], sig, 4.0)
    # on the step's first day the onset term gains more than the continuation term does later,
    # most of all through interdaily stability (phi 0.8: its innovation moves by the whole step)
    assert sa[10] - ca[10] > 2 * ((sb - cb)[11:].mean())
    gap = x[:, 100:140].copy()
    gap[:, 20:25] = np.nan
    path = likelihood_ratio_path(*signature_terms(gap, sig, 4.0))
    # a day with no innovation leaves S unchanged (it needs the day and the one before)
    assert (path[20:26] == path[19]).all()
    with pytest.raises(ConfigurationError):
        fit_signature(x.T, NAMES, EPISODE_SIGNATURE, form="ewma")


def test_calibration_and_monitor_run_the_likelihood_ratio_form_by_default() -> None:
    rng = np.random.default_rng(13)
    x, _, _ = _var1_days(112, rng)
    cal = calibrate_cusum(
        x.T, NAMES, np.full(3, 1e-6), BaselineScheme(), k=1.0, n_series=20,
        signature=EPISODE_SIGNATURE, signature_form="likelihood_ratio",
    )  # fmt: skip
    assert cal.signature is not None
    assert cal.signature.form == "likelihood_ratio"
    assert np.isfinite(cal.signature_threshold)
    assert cal.signature_threshold > 0
    assert DailyTrendMonitor().signature_form == SIGNATURE_FORM == "likelihood_ratio"
    with pytest.raises(ConfigurationError):
        DailyTrendMonitor(signature_form="ewma")


def test_univariate_likelihood_ratio_terms_match_the_one_biomarker_oracle() -> None:
    rng = np.random.default_rng(14)
    x, phi, q = _var1_days(3000, rng)
    sd = np.sqrt(np.diag(q))
    a, b = univariate_terms(x, phi, sd, -2.0, 50.0, innovation_clip=50.0)
    path = likelihood_ratio_path(a, b)
    for j in range(3):
        oracle = OracleChart(Var1Model(phi[j : j + 1], q[j : j + 1, j : j + 1]), np.array([-2.0]))
        # the oracle takes day 0 as its own innovation, which S forgets once a_t takes over
        assert np.allclose(path[j, 50:], oracle.statistic(x[j : j + 1])[50:], atol=1e-8)


def test_monitor_with_likelihood_ratio_univariate_charts_catches_a_step_and_not_a_constant() -> (
    None
):
    monitor = DailyTrendMonitor(
        n_series=20, estimation_pools=0, univariate_form="likelihood_ratio", signature=None
    )
    state = monitor.update(make_table(21, n_days=90, shift_at=60, shift_sd=6.0))
    cal = state.calibration
    assert cal is not None
    assert cal.univariate_form == "likelihood_ratio"
    assert set(cal.lag1) == set(PROFILE)
    for b in PROFILE:
        found = [f for f in state.trends if f.biomarker == b]
        assert found, b
        assert found[0].direction is TrendDirection.DOWN
        assert found[0].false_alarm_rate_per_year == pytest.approx(cal.rate_per_year[b])
    values = {b: np.full(90, 7.0) for b in PROFILE}
    flat = DailyBiomarkerTable(
        PatientId("c"), "Europe/Oslo", np.datetime64("2026-01-05") + np.arange(90), values
    )
    assert not any(monitor.update(flat).daily_trends)
    with pytest.raises(ConfigurationError):
        DailyTrendMonitor(univariate_form="likelihood_ratio", threshold=10.0)
