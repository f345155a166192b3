"""Server-side screening of client updates and the robust aggregators' one-attacker bound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bedside.domain import ConfigurationError, InsufficientDataError
from bedside.federated.robust import aggregate, screen_updates

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def test_screening_rejects_nan_inf_wrong_shape_and_absurd_norms() -> None:
    current = np.zeros(3)
    vectors = [
        np.array([0.1, 0.2, 0.3]),
        np.array([np.nan, 0.0, 0.0]),
        np.array([0.0, np.inf, 0.0]),
        np.zeros(4),
        np.array([100.0, 0.0, 0.0]),
        np.array([0.5, 0.5, 0.5]),
    ]
    s = screen_updates(current, vectors, [10, 10, 10, 10, 10, 10], max_update_norm=5.0)
    assert len(s.vectors) == 2
    assert s.weights == [10.0, 10.0]
    reasons = " | ".join(s.rejected)
    assert "client 1: non-finite" in reasons
    assert "client 2: non-finite" in reasons
    assert "client 3: shape (4,)" in reasons
    assert "client 4: update norm 100 > 5" in reasons


def test_screening_rejects_bad_weights() -> None:
    s = screen_updates(
        np.zeros(2), [np.zeros(2), np.zeros(2)], [0.0, float("nan")], max_update_norm=1
    )
    assert s.vectors == []
    assert len(s.rejected) == 2


@settings(max_examples=60, deadline=None)
@given(
    honest=arrays(np.float64, st.tuples(st.integers(4, 12), st.just(5)), elements=st.floats(-3, 3)),
    attack=arrays(np.float64, (5,), elements=finite),
    how=st.sampled_from(["median", "trimmed_mean"]),
)
def test_one_malicious_client_stays_inside_the_honest_box(
    honest: np.ndarray, attack: np.ndarray, how: str
) -> None:
    # The stated bound: with one attacker among n >= 5 clients, every coordinate of the
    # coordinate-wise median or trimmed mean lies within the honest clients' range of it.
    vectors = [*honest, attack]
    agg = aggregate(vectors, [1.0] * len(vectors), how)  # type: ignore[arg-type]
    assert np.all(agg >= honest.min(axis=0) - 1e-12)
    assert np.all(agg <= honest.max(axis=0) + 1e-12)


@settings(max_examples=60, deadline=None)
@given(
    honest=arrays(np.float64, st.tuples(st.integers(3, 12), st.just(4)), elements=st.floats(-1, 1)),
    attack=arrays(np.float64, (4,), elements=finite),
)
def test_screened_mean_moves_at_most_norm_over_n(honest: np.ndarray, attack: np.ndarray) -> None:
    current = np.zeros(4)
    vectors = [*honest, attack]
    n = len(vectors)
    s = screen_updates(current, vectors, [1.0] * n, max_update_norm=2.0)
    agg = aggregate(s.vectors, s.weights, "mean")
    honest_mean = honest.mean(axis=0)
    # Either the attacker was rejected (mean of the honest), or it counts with norm <= 2.
    assert np.linalg.norm(agg - honest_mean) <= 2.0 / n + np.linalg.norm(honest_mean) / n + 1e-9


def test_plain_mean_is_not_robust() -> None:
    honest = [np.zeros(2)] * 9
    agg = aggregate([*honest, np.array([1e6, 1e6])], [1.0] * 10, "mean")
    assert agg[0] == pytest.approx(1e5)  # why the server screens and offers robust rules


def test_aggregate_errors() -> None:
    with pytest.raises(InsufficientDataError):
        aggregate([], [], "mean")
    with pytest.raises(ConfigurationError, match="trim_fraction"):
        aggregate([np.zeros(2)] * 3, [1.0] * 3, "trimmed_mean", trim_fraction=0.5)
    with pytest.raises(ConfigurationError, match="unknown aggregator"):
        aggregate([np.zeros(2)], [1.0], "mode")  # type: ignore[arg-type]
