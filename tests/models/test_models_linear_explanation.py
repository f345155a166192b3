"""LinearExplanation: JSON round trip, interval behaviour, cluster-robust covariance."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from bedside.domain import ModelError
from bedside.models import LinearExplanation, sandwich_covariance


def _explanation(cov_scale: float = 0.01) -> LinearExplanation:
    return LinearExplanation(
        feature_names=("a", "b"),
        mean=np.array([1.0, 2.0]),
        scale=np.array([2.0, 0.5]),
        coef=np.array([0.8, -0.3]),
        intercept=-0.2,
        calibration_a=-1.1,
        calibration_b=0.1,
        covariance=cov_scale * np.eye(3),
    )


def test_json_round_trip_and_malformed() -> None:
    e = _explanation()
    back = LinearExplanation.from_json(e.to_json())
    X = np.array([[0.0, 1.0], [3.0, 2.5]])
    np.testing.assert_array_equal(back.probability(X), e.probability(X))
    with pytest.raises(ModelError):
        LinearExplanation.from_json({"feature_names": ["a"]})
    with pytest.raises(ModelError):
        LinearExplanation(("a",), np.zeros(2), np.ones(2), np.zeros(2), 0.0, 1.0, 0.0, np.eye(2))


def test_decision_and_calibration_by_hand() -> None:
    e = _explanation()
    x = np.array([[3.0, 1.5]])  # z = (1, -1)
    d = -0.2 + 0.8 * 1 + (-0.3) * (-1)
    assert e.decision(x)[0] == pytest.approx(d)
    assert e.probability(x)[0] == pytest.approx(1 / (1 + np.exp(-1.1 * d + 0.1)))
    np.testing.assert_allclose(e.contributions(x), [[0.8, 0.3]])


def test_interval_contains_probability_and_grows_with_covariance() -> None:
    X = np.random.default_rng(0).normal(size=(50, 2))
    p = _explanation().probability(X)
    lo1, hi1 = _explanation(0.01).interval(X)
    lo2, hi2 = _explanation(0.1).interval(X)
    assert np.all((lo1 <= p) & (p <= hi1))
    assert np.all(hi2 - lo2 > hi1 - lo1)
    lo0, hi0 = _explanation(0.0).interval(X)
    np.testing.assert_allclose(lo0, p)
    np.testing.assert_allclose(hi0, p)


def test_sandwich_matches_fisher_for_independent_rows_and_grows_with_clustering() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    Z = rng.normal(size=(n, 2))
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + Z @ [1.0, -0.5])))).astype(float)
    fit = LogisticRegression(C=1e6).fit(Z, y)
    prob = fit.predict_proba(Z)[:, 1]
    rows = np.array([f"r{i}" for i in range(n)])
    robust = sandwich_covariance(Z, y, prob, rows, penalty=1e-6)
    design = np.column_stack([np.ones(n), Z])
    fisher_inv = np.linalg.inv(design.T @ (design * (prob * (1 - prob))[:, None]))
    np.testing.assert_allclose(np.diag(robust), np.diag(fisher_inv), rtol=0.15)
    # the same rows duplicated 4 times within each "patient": independent-row covariance shrinks
    # by 4, the cluster-robust one stays put (duplicates carry no new information)
    Z4, y4, p4 = np.repeat(Z, 4, axis=0), np.repeat(y, 4), np.repeat(prob, 4)
    naive = sandwich_covariance(Z4, y4, p4, np.arange(4 * n).astype(str), penalty=1e-6)
    clustered = sandwich_covariance(Z4, y4, p4, np.repeat(rows, 4), penalty=1e-6)
    np.testing.assert_allclose(np.diag(clustered), np.diag(robust), rtol=1e-6)
    np.testing.assert_allclose(np.diag(naive), np.diag(robust) / 4, rtol=1e-6)
