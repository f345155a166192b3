"""The oracle chart: the change-point likelihood ratio for a known VAR(1) and shift."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.baseline.bootstrap_calibration import threshold_from_maxima
from bedside.baseline.charts import excursion_maxima
from bedside.baseline.evaluation import DeviceCharts, evaluate_detectors, synthetic_background
from bedside.baseline.oracle_chart import OracleChart, Var1Model
from bedside.domain import ConfigurationError

_MODEL = Var1Model.from_correlation(np.array([0.3, 0.8]), np.array([[1.0, 0.4], [0.4, 1.0]]))


def test_recursion_is_the_maximum_over_change_days() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 40))
    shift = np.array([-1.0, -0.5])
    chart = OracleChart(_MODEL, shift)
    stat = chart.statistic(x)
    qinv = np.linalg.inv(_MODEL.innovation_cov)
    e = _MODEL.innovations(x)
    r = (1.0 - _MODEL.phi) * shift
    a = shift @ qinv @ e - 0.5 * shift @ qinv @ shift
    b = r @ qinv @ e - 0.5 * r @ qinv @ r
    for t in range(40):
        brute = max(a[tau] + b[tau + 1 : t + 1].sum() for tau in range(t + 1))
        assert stat[t] == pytest.approx(brute)


@given(level=st.floats(-5.0, 5.0), size=st.floats(0.2, 3.0))
@settings(max_examples=50, deadline=None)
def test_a_series_at_the_baseline_mean_or_opposite_never_scores(level: float, size: float) -> None:
    # days sitting at the mean, or moved against the shift looked for, carry no evidence for it
    shift = np.array([size, size])
    days = np.full((2, 60), -abs(level))
    assert (OracleChart(_MODEL, shift).statistic(days) < 0.0).all()


def test_a_large_step_scores_from_its_first_day() -> None:
    shift = np.array([-1.0, -1.0])
    x = np.zeros((2, 60))
    x[:, 30:] = -8.0
    stat = OracleChart(_MODEL, shift).statistic(x)
    assert stat[29] < 0.0 < 10.0 < stat[30]


def test_a_non_stationary_or_misshapen_model_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="phi"):
        Var1Model(np.array([0.3, 1.0]), np.eye(2))
    with pytest.raises(ConfigurationError, match="phi"):
        Var1Model(np.array(0.3), np.eye(1))
    with pytest.raises(ConfigurationError, match="innovation_cov"):
        Var1Model(np.array([0.3, 0.8]), np.eye(3))


def test_incomplete_days_are_refused() -> None:
    x = np.zeros((2, 10))
    x[1, 4] = np.nan
    with pytest.raises(ConfigurationError, match="complete days"):
        OracleChart(_MODEL, np.array([1.0, 0.0])).statistic(x)


def test_the_issue_formula_is_a_scale_not_a_floor() -> None:
    # independent Gaussian days, one biomarker, a known 1 SD step, one false alarm a year: the
    # oracle's median delay is well under ln(365) / (1 / 2) = 11.8 days (module docstring)
    rng = np.random.default_rng(11)
    chart = OracleChart(Var1Model(np.array([0.0]), np.array([[1.0]])), np.array([1.0]))
    _, maxima = excursion_maxima(chart.statistic(rng.standard_normal((400, 1, 365)))[:, :], 0.0)
    h = threshold_from_maxima(maxima, 400.0, 1.0, 0.0)
    x = rng.standard_normal((400, 1, 200))
    x[..., 100:] += 1.0
    hit = chart.statistic(x)[:, 100:] > h
    delays = np.where(hit.any(axis=1), hit.argmax(axis=1), 999)
    formula = math.log(365.0) / 0.5
    assert 2.0 < float(np.median(delays)) < 0.75 * formula


def test_the_evaluation_adds_the_oracle_row_on_the_synthetic_background() -> None:
    sources = synthetic_background(2, 400, np.random.default_rng(0))
    report = evaluate_detectors(
        sources, background="synthetic", n_patient_years=2, resample=False, n_series=5,
        device=DeviceCharts(estimation_pools=0), oracle=True,
    )  # fmt: skip
    oracle = [r for r in report.results if r.name.startswith("oracle")]
    assert len(oracle) == 1
    # a 2 SD episode shift moves three biomarkers by 2 SDs: the oracle sees all of it at once
    assert oracle[0].detection[("episode (3 biomarkers)", 2.0)] == 1.0
    assert "oracle" in report.to_table()
