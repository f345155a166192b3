"""RDP accountant of the subsampled Gaussian and the privacy budget."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from bedside.domain import ConfigurationError
from bedside.federated.accountant import (
    PrivacyBudget,
    PrivacyBudgetExceededError,
    RdpAccountant,
    noise_for_budget,
    subsampled_gaussian_rdp,
)


def _exact_gaussian_epsilon(mu: float, delta: float) -> float:
    """Exact epsilon of a Gaussian mechanism with sensitivity/sd = mu (Balle & Wang 2018)."""

    def delta_of(eps: float) -> float:
        return float(norm.cdf(-eps / mu + mu / 2) - math.exp(eps) * norm.cdf(-eps / mu - mu / 2))

    return float(brentq(lambda e: delta_of(e) - delta, 0.0, 100.0))


def test_full_participation_is_the_gaussian_closed_form() -> None:
    orders = (2, 3, 10, 64)
    rdp = subsampled_gaussian_rdp(2.0, 1.0, orders)
    assert rdp == pytest.approx([a / (2 * 4.0) for a in orders])


def test_binomial_sum_at_q_one_matches_closed_form() -> None:
    # q slightly below 1 must approach the closed form continuously.
    near = subsampled_gaussian_rdp(1.5, 1 - 1e-9, (2, 8, 32))
    assert near == pytest.approx([a / (2 * 1.5**2) for a in (2, 8, 32)], rel=1e-6)


@pytest.mark.parametrize(("sigma", "rounds"), [(1.0, 1), (3.0, 5), (9.0, 5), (1.5, 20)])
def test_epsilon_bounds_the_exact_gaussian_epsilon_and_is_not_loose(
    sigma: float, rounds: int
) -> None:
    # T rounds of the full-participation Gaussian mechanism are one Gaussian mechanism with
    # mu = sqrt(T) / sigma; RDP's epsilon must be an upper bound and a reasonably tight one.
    acc = RdpAccountant()
    eps = acc.epsilon_after(sigma, 1.0, 1e-5, rounds)
    exact = _exact_gaussian_epsilon(math.sqrt(rounds) / sigma, 1e-5)
    assert exact <= eps <= 1.3 * exact


def test_subsampling_amplifies_and_composition_adds() -> None:
    full = RdpAccountant().epsilon_after(1.0, 1.0, 1e-5, 10)
    sampled = RdpAccountant().epsilon_after(1.0, 0.05, 1e-5, 10)
    assert sampled < full
    a = RdpAccountant()
    eps = [a.step(1.0, 0.05) for _ in range(4)]
    assert eps == sorted(eps)
    assert eps[0] < eps[-1]
    assert a.rounds == 4
    assert np.allclose(a.rdp, 4 * subsampled_gaussian_rdp(1.0, 0.05))


def test_budget_is_enforced_per_round() -> None:
    budget = PrivacyBudget(2.0)
    a = RdpAccountant()
    sigma = noise_for_budget(budget, 3)
    for _ in range(3):
        assert a.step(sigma, 1.0, budget) <= 2.0
    with pytest.raises(PrivacyBudgetExceededError, match="round 4 would spend"):
        a.step(sigma, 1.0, budget)
    assert a.rounds == 3


def test_noise_for_budget_is_tight() -> None:
    budget = PrivacyBudget(4.0)
    sigma = noise_for_budget(budget, 5)
    acc = RdpAccountant()
    assert acc.epsilon_after(sigma, 1.0, 1e-5, 5) <= 4.0
    assert acc.epsilon_after(sigma * 0.99, 1.0, 1e-5, 5) > 4.0 * 0.99


def test_invalid_settings() -> None:
    with pytest.raises(ConfigurationError):
        subsampled_gaussian_rdp(0.0, 0.5)
    with pytest.raises(ConfigurationError):
        subsampled_gaussian_rdp(1.0, 1.5)
    with pytest.raises(ConfigurationError):
        PrivacyBudget(-1.0)
