"""Per-patient bootstrap calibration: resampling, threshold choice, and the rate it promises."""

from __future__ import annotations

import itertools

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
from bedside.baseline.bootstrap_calibration import ESTIMATION_MARGINS, estimation_margin_for
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


def _ar1_pool(rng: np.random.Generator, n: int, phi: tuple[float, ...]) -> np.ndarray:
    ph = np.array(phi)
    x = np.zeros((n + 50, ph.size))
    for t in range(1, n + 50):
        x[t] = ph * x[t - 1] + np.sqrt(1 - ph**2) * rng.standard_normal(ph.size)
    return x[50:]


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), n_days=st.integers(20, 60))
def test_estimation_correction_never_lowers_a_threshold(seed: int, n_days: int) -> None:
    """The correction divides the budgets by an inflation clipped at 1 on the same simulation,
    so every threshold (univariate and signature) is at least the plug-in one."""
    rng = np.random.default_rng(seed)
    pool = _ar1_pool(rng, n_days, (0.3, 0.8, 0.5))
    pool[rng.random(pool.shape) < 0.1] = np.nan
    names = ["sleep.duration_min", "activity.total_counts", "circadian.interdaily_stability"]
    sig = {b: -1.0 for b in names}
    common = dict(n_series=12, sim_days=120, seed=seed, signature=sig)
    plain = calibrate_cusum(pool, names, np.full(3, 1e-6), BaselineScheme(), **common)
    fixed = calibrate_cusum(
        pool, names, np.full(3, 1e-6), BaselineScheme(), estimation_pools=2, **common
    )
    assert plain.estimation_inflation == (1.0, 1.0)
    assert all(v >= 0 for v in fixed.estimation_inflation)
    for b in names:
        assert fixed.thresholds[b] >= plain.thresholds[b]
    assert fixed.signature_threshold >= plain.signature_threshold


def test_short_autocorrelated_pools_inflate_the_plugin_rate() -> None:
    """The known direction of the estimation effect (Jensen et al. 2006): thresholds fitted to
    28-day pools of a lag-0.8 biomarker realise more alarms than they simulate, and the
    bootstrap sees it: averaged over pools, the estimated inflation exceeds 1."""
    rng = np.random.default_rng(7)
    infl = []
    for seed in range(4):
        pool = _ar1_pool(rng, 28, (0.8, 0.8))
        cal = calibrate_cusum(
            pool, ["a", "b"], np.full(2, 1e-6), BaselineScheme(), n_series=30,
            seed=seed, estimation_pools=4,
        )  # fmt: skip
        infl.append(cal.estimation_inflation[0])
    assert float(np.mean(infl)) > 1.0, infl


def test_estimation_pools_must_not_be_negative() -> None:
    with pytest.raises(ConfigurationError):
        calibrate_cusum(np.zeros((10, 1)), ["a"], np.ones(1), BaselineScheme(), estimation_pools=-1)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), n_days=st.integers(20, 60))
def test_estimation_margin_only_tightens_the_likelihood_ratio_family(
    seed: int, n_days: int
) -> None:
    """The margin multiplies the estimated inflation (same simulation, same pseudo-pools), so
    with the likelihood-ratio signature too every threshold is at least the unmargined one."""
    rng = np.random.default_rng(seed)
    pool = _ar1_pool(rng, n_days, (0.3, 0.3, 0.8))
    pool[rng.random(pool.shape) < 0.1] = np.nan
    names = ["sleep.duration_min", "activity.total_counts", "circadian.interdaily_stability"]
    common = dict(
        n_series=12, sim_days=120, seed=seed, signature={b: -1.0 for b in names},
        signature_form="likelihood_ratio", estimation_pools=2,
    )  # fmt: skip
    base = calibrate_cusum(pool, names, np.full(3, 1e-6), BaselineScheme(), **common)
    wide = calibrate_cusum(
        pool, names, np.full(3, 1e-6), BaselineScheme(), estimation_margin=1.5, **common
    )
    assert base.signature is not None
    assert base.signature.form == "likelihood_ratio"
    for b in names:
        assert wide.thresholds[b] >= base.thresholds[b]
    assert wide.signature_threshold >= base.signature_threshold
    assert wide.estimation_inflation[1] == pytest.approx(1.5 * base.estimation_inflation[1])


@pytest.mark.parametrize(
    "margin",
    [0.0, -1.0, (), ((56, 2.0), (28, 4.0)), ((0, 2.0),), ((28, 0.0),)],
    ids=["zero", "negative", "empty", "descending", "zero-days", "zero-margin"],
)
def test_bad_estimation_margins_are_refused(margin: object) -> None:
    with pytest.raises(ConfigurationError, match="margin"):
        calibrate_cusum(
            np.zeros((10, 1)), ["a"], np.ones(1), BaselineScheme(),
            estimation_margin=margin,  # type: ignore[arg-type]
        )  # fmt: skip


def test_margin_schedule_hits_its_anchors_and_is_monotone_between_them() -> None:
    """Log-log interpolation: the anchors exactly, constant beyond them, and between two
    anchors never outside their range."""
    for days, margin in ESTIMATION_MARGINS:
        assert estimation_margin_for(days) == pytest.approx(margin)
    first, last = ESTIMATION_MARGINS[0], ESTIMATION_MARGINS[-1]
    assert estimation_margin_for(1) == pytest.approx(first[1])
    assert estimation_margin_for(10 * last[0]) == pytest.approx(last[1])
    for (d0, m0), (d1, m1) in itertools.pairwise(ESTIMATION_MARGINS):
        values = [estimation_margin_for(d) for d in range(d0, d1 + 1)]
        assert min(m0, m1) - 1e-12 <= min(values)
        assert max(values) <= max(m0, m1) + 1e-12
        steps = np.diff(values)
        assert (steps <= 1e-12).all() or (steps >= -1e-12).all()


def test_a_schedule_is_its_margin_at_the_pool_length() -> None:
    """Same pool, seed and simulation: a schedule gives the thresholds of the constant margin
    it interpolates to at the pool's days."""
    rng = np.random.default_rng(3)
    pool = _ar1_pool(rng, 40, (0.3, 0.8))
    common = dict(n_series=12, sim_days=120, seed=4, estimation_pools=2)
    at = estimation_margin_for(40, ((28, 3.0), (56, 1.5)))
    scheduled = calibrate_cusum(
        pool, ["a", "b"], np.full(2, 1e-6), BaselineScheme(),
        estimation_margin=((28, 3.0), (56, 1.5)), **common,
    )  # fmt: skip
    constant = calibrate_cusum(
        pool, ["a", "b"], np.full(2, 1e-6), BaselineScheme(), estimation_margin=at, **common
    )
    assert 1.5 < at < 3.0
    assert scheduled.thresholds == constant.thresholds
    assert scheduled.estimation_inflation == constant.estimation_inflation


@pytest.mark.parametrize("parameter", ["signature_form", "univariate_form"])
def test_unknown_chart_form_is_refused_naming_the_parameter(parameter: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{parameter} must be one of"):
        calibrate_cusum(
            np.zeros((10, 1)), ["a"], np.ones(1), BaselineScheme(), **{parameter: "ewma"}
        )
