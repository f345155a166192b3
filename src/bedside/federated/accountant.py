"""Rényi-DP accountant for the (Poisson-)subsampled Gaussian mechanism, and a privacy budget.

Per round, every sampled client clips its model update to L2 norm ``C`` (client side) and the
server adds Gaussian noise of standard deviation ``sigma * C / n`` to the mean of the ``n``
updates (equal weights), i.e. ``sigma * C`` to their sum: the Gaussian mechanism with noise
multiplier ``sigma`` on a sum of sensitivity ``C`` (client-level DP, add/remove one client).

RDP of one round at integer order ``alpha >= 2`` with client sampling rate ``q``
(Mironov, Talwar & Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism",
arXiv:1908.10530, Sec. 3.3, integer-order formula)::

    A = sum_{k=0..alpha} binom(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / (2 sigma^2))
    eps_rdp(alpha) = log(A) / (alpha - 1)

which is ``alpha / (2 sigma^2)`` when ``q = 1`` (Mironov 2017). RDP composes additively over
rounds. Conversion to (epsilon, delta) uses Balle et al. 2020 ("Hypothesis testing
interpretations and Renyi differential privacy", AISTATS, Thm. 21)::

    epsilon = min_alpha  rdp(alpha) + log((alpha - 1) / alpha)
                         - (log(delta) + log(alpha)) / (alpha - 1)

Caveat stated plainly: the subsampled bound assumes Poisson sampling of clients with rate q;
Flower samples a fixed number of clients without replacement. With ``q = 1`` (every client in
every round, what `bedside fl simulate` and `bedside fl evaluate` use) the bound is exact RDP
of the Gaussian mechanism and the caveat does not apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln, logsumexp

from bedside.domain import ConfigurationError

__all__ = [
    "DEFAULT_ORDERS",
    "PrivacyBudget",
    "PrivacyBudgetExceededError",
    "RdpAccountant",
    "epsilon_from_rdp",
    "noise_for_budget",
    "subsampled_gaussian_rdp",
]

FloatArray = npt.NDArray[np.float64]

DEFAULT_ORDERS: tuple[int, ...] = (*range(2, 65), 80, 96, 128, 192, 256, 512, 1024)
"""Integer Rényi orders the accountant tracks."""


class PrivacyBudgetExceededError(ConfigurationError):
    """A training round would spend more privacy than the configured budget."""


def subsampled_gaussian_rdp(
    noise_multiplier: float, sample_rate: float, orders: tuple[int, ...] = DEFAULT_ORDERS
) -> FloatArray:
    """RDP (nats) of one round at each order (module docstring), shape (len(orders),)."""
    sigma, q = float(noise_multiplier), float(sample_rate)
    if not sigma > 0:
        raise ConfigurationError(f"noise multiplier must be > 0, got {sigma}")
    if not 0.0 < q <= 1.0:
        raise ConfigurationError(f"sample rate must be in (0, 1], got {q}")
    out = np.empty(len(orders))
    for i, alpha in enumerate(orders):
        if alpha < 2:
            raise ConfigurationError(f"orders must be integers >= 2, got {alpha}")
        if q == 1.0:
            out[i] = alpha / (2.0 * sigma**2)
            continue
        k = np.arange(alpha + 1, dtype=np.float64)
        log_binom = gammaln(alpha + 1) - gammaln(k + 1) - gammaln(alpha - k + 1)
        terms = (
            log_binom
            + (alpha - k) * math.log1p(-q)
            + k * math.log(q)
            + (k * k - k) / (2.0 * sigma**2)
        )
        out[i] = float(logsumexp(terms)) / (alpha - 1)
    return out


def epsilon_from_rdp(
    rdp: FloatArray, delta: float, orders: tuple[int, ...] = DEFAULT_ORDERS
) -> tuple[float, int]:
    """Smallest epsilon over the orders for `delta` (Balle et al. 2020), and the order used."""
    if not 0.0 < delta < 1.0:
        raise ConfigurationError(f"delta must be in (0, 1), got {delta}")
    a = np.asarray(orders, dtype=np.float64)
    eps = rdp + np.log((a - 1) / a) - (math.log(delta) + np.log(a)) / (a - 1)
    i = int(np.argmin(eps))
    return max(0.0, float(eps[i])), int(orders[i])


@dataclass(frozen=True)
class PrivacyBudget:
    """A total (epsilon, delta) a training run may spend (client-level, add/remove one client)."""

    epsilon: float
    delta: float = 1e-5

    def __post_init__(self) -> None:
        if not self.epsilon > 0 or not 0 < self.delta < 1:
            raise ConfigurationError(f"invalid privacy budget {self}")


@dataclass
class RdpAccountant:
    """Accumulated RDP over the rounds run so far."""

    orders: tuple[int, ...] = DEFAULT_ORDERS
    rdp: FloatArray = field(default_factory=lambda: np.zeros(len(DEFAULT_ORDERS)))
    rounds: int = 0

    def __post_init__(self) -> None:
        if self.rdp.shape != (len(self.orders),):
            self.rdp = np.zeros(len(self.orders))

    def epsilon(self, delta: float) -> float:
        """Epsilon spent so far at `delta`."""
        return epsilon_from_rdp(self.rdp, delta, self.orders)[0]

    def epsilon_after(
        self, noise_multiplier: float, sample_rate: float, delta: float, rounds: int = 1
    ) -> float:
        """Epsilon after `rounds` more rounds at these settings (the state is unchanged)."""
        step = subsampled_gaussian_rdp(noise_multiplier, sample_rate, self.orders)
        return epsilon_from_rdp(self.rdp + rounds * step, delta, self.orders)[0]

    def step(
        self, noise_multiplier: float, sample_rate: float, budget: PrivacyBudget | None = None
    ) -> float:
        """Account one round; returns the epsilon spent so far at the budget's delta (or 1e-5).

        Raises
        ------
        PrivacyBudgetExceededError
            The round would take the total over `budget` (nothing is accounted then).
        """
        delta = 1e-5 if budget is None else budget.delta
        after = self.epsilon_after(noise_multiplier, sample_rate, delta)
        if budget is not None and after > budget.epsilon:
            raise PrivacyBudgetExceededError(
                f"round {self.rounds + 1} would spend epsilon {after:.3f} > budget "
                f"{budget.epsilon:g} (delta {budget.delta:g}); stopping"
            )
        self.rdp = self.rdp + subsampled_gaussian_rdp(noise_multiplier, sample_rate, self.orders)
        self.rounds += 1
        return after


def noise_for_budget(
    budget: PrivacyBudget, rounds: int, sample_rate: float = 1.0, *, tol: float = 1e-3
) -> float:
    """Smallest noise multiplier (to `tol` relative) whose `rounds` rounds stay within budget."""
    if rounds < 1:
        raise ConfigurationError(f"rounds must be >= 1, got {rounds}")
    acc = RdpAccountant()

    def eps(sigma: float) -> float:
        return acc.epsilon_after(sigma, sample_rate, budget.delta, rounds)

    lo, hi = 0.05, 1.0
    while eps(hi) > budget.epsilon:
        lo, hi = hi, hi * 2.0
        if hi > 1e6:
            raise ConfigurationError(f"no noise multiplier reaches {budget}")
    while hi - lo > tol * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if eps(mid) <= budget.epsilon else (mid, hi)
    return hi
