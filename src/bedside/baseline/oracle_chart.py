"""The oracle chart: the fastest detection a known model allows, as a reference row.

The issue's bound ``ln(N K) / (D / 2)`` days treats days as independent and ignores the constants
of Lorden's argument; it is a rough scale, not a floor (on independent Gaussian days a known 1 SD
shift is caught by the chart below in a median of 6 days at one false alarm per year against a
"bound" of 11.8: tests/baseline/test_baseline_oracle_chart.py). Daily biomarkers are also
autocorrelated (a 7-day-window measure such as interdaily stability shares six of seven days with
its neighbour), which slows every detector. So the evaluation also runs the detector that knows
everything a real one has to estimate, on a background whose model is known.

For a stationary VAR(1) with diagonal lag-1 coefficients ``Phi`` and innovation covariance ``Q``
(marginal variances 1), a mean shift ``delta`` (marginal SDs) starting on day ``tau`` moves the
one-step innovation ``e_t = x_t - Phi x_{t-1}`` by ``delta`` on day ``tau`` and by
``r = (I - Phi) delta`` on every later day. The log-likelihood ratio of "changed on day tau" over
"no change" up to day ``t`` is ``a_tau + b_{tau+1} + ... + b_t`` with the Gaussian terms
``a_t = delta'Q^-1 e_t - delta'Q^-1 delta / 2`` and ``b_t = r'Q^-1 e_t - r'Q^-1 r / 2``; its
maximum over ``tau`` obeys ``S_t = max(a_t, S_{t-1} + b_t)``. Calibrated to the target rate as a
single chart (not family-wise over K charts, which favours it), it is what a detector that knows
the model, the shift's size and direction could do: a real detector should not beat it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.domain import ConfigurationError

__all__ = ["OracleChart", "Var1Model"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Var1Model:
    """A stationary VAR(1) with diagonal lag-1 coefficients, in marginal-SD units.

    Attributes
    ----------
    phi : ndarray, shape (K,)
        Lag-1 coefficient per biomarker, each in (-1, 1).
    innovation_cov : ndarray, shape (K, K)
        Covariance ``Q`` of the one-step innovations.
    """

    phi: FloatArray
    innovation_cov: FloatArray

    def __post_init__(self) -> None:
        if self.phi.ndim != 1 or np.any(np.abs(self.phi) >= 1.0):
            raise ConfigurationError("phi must be a vector with every |phi| < 1")
        k = self.phi.shape[0]
        if self.innovation_cov.shape != (k, k):
            raise ConfigurationError(f"innovation_cov must have shape ({k}, {k})")

    @classmethod
    def from_correlation(cls, phi: FloatArray, innovation_corr: FloatArray) -> Var1Model:
        """``x_t = Phi x_{t-1} + sqrt(1 - phi^2) e_t`` with ``corr(e) = innovation_corr``."""
        phi = np.asarray(phi, dtype=np.float64)
        s = np.diag(np.sqrt(1.0 - phi**2))
        return cls(phi, s @ innovation_corr @ s)

    def innovations(self, x: FloatArray) -> FloatArray:
        """One-step innovations of `x` (..., K, T) along the last axis; day 0 is its own."""
        e = x.copy()
        e[..., 1:] = x[..., 1:] - self.phi[:, None] * x[..., :-1]
        return e


@dataclass(frozen=True)
class OracleChart:
    """The change-point likelihood-ratio chart for a known model and shift (module docstring).

    Attributes
    ----------
    model : Var1Model
    shift : ndarray, shape (K,)
        The shift it looks for, marginal SDs.
    """

    model: Var1Model
    shift: FloatArray

    def statistic(self, x: FloatArray) -> FloatArray:
        """``S_t`` (nats) for complete standardised days `x` of shape (..., K, T): (..., T)."""
        if np.isnan(x).any():
            raise ConfigurationError("the oracle chart needs complete days (no NaN)")
        qinv = np.linalg.inv(self.model.innovation_cov)
        r = (1.0 - self.model.phi) * self.shift
        wa, wr = qinv @ self.shift, qinv @ r
        e = self.model.innovations(x)
        a = np.einsum("k,...kt->...t", wa, e) - 0.5 * float(self.shift @ wa)
        b = np.einsum("k,...kt->...t", wr, e) - 0.5 * float(r @ wr)
        out = np.empty(a.shape)
        s = a[..., 0]
        out[..., 0] = s
        for t in range(1, a.shape[-1]):
            s = np.maximum(a[..., t], s + b[..., t])
            out[..., t] = s
        return out
