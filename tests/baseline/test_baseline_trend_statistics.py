"""Mann-Kendall and Theil-Sen against scipy's independent implementations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from bedside.baseline.trend_statistics import mann_kendall, theil_sen_slope


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(-5, 5), min_size=3, max_size=40))
def test_mann_kendall_s_is_kendalls_tau_numerator(values: list[int]) -> None:
    x = np.array(values, dtype=float)
    mk = mann_kendall(x)
    t = np.arange(x.size)
    i, j = np.triu_indices(x.size, k=1)
    assert mk.s == int(np.sign(x[j] - x[i]).sum())
    if np.unique(x).size > 1:
        # tau-b = S / sqrt(n0 (n0 - n2)); time has no ties, the values' ties give n2
        tau_b = stats.kendalltau(t, x).statistic
        n0 = x.size * (x.size - 1) / 2
        _, counts = np.unique(x, return_counts=True)
        n2 = float((counts * (counts - 1) / 2).sum())
        assert mk.s == pytest.approx(tau_b * np.sqrt(n0 * (n0 - n2)), abs=1e-6)
    assert 0.0 <= mk.p_value <= 1.0


def test_theil_sen_matches_scipy_and_skips_missing_days() -> None:
    rng = np.random.default_rng(0)
    x = 2.0 * np.arange(30) + rng.standard_t(2, 30)
    assert theil_sen_slope(x) == pytest.approx(stats.theilslopes(x, np.arange(30)).slope)
    gappy = x.copy()
    gappy[[3, 10, 11]] = np.nan
    keep = ~np.isnan(gappy)
    expected = stats.theilslopes(gappy[keep], np.arange(30)[keep]).slope
    assert theil_sen_slope(gappy) == pytest.approx(expected)


def test_a_clear_trend_is_significant_and_noise_is_not() -> None:
    assert mann_kendall(np.arange(20, dtype=float)).p_value < 1e-6
    assert mann_kendall(np.array([1.0, 2.0])).p_value == 1.0
    assert mann_kendall(np.ones(10)).p_value == 1.0
