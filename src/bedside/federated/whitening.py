"""A fixed linear reparametrisation of the episode features that makes federated training converge.

The episode features are strongly correlated (the 7- and 14-day means of one biomarker; the
coverage share with the intercept): on a 100-patient synthetic cohort the eigenvalues of the
second-moment matrix of (features, 1) span 1.1e-3 to 5.8, and FedAvg's local gradient steps
crawl along the weak directions (pooled AUROC 0.62 after 8 rounds against 0.74 centralised,
measured 2026-11-27). Whitening the features, ``(x - mean) @ W`` with ``W = cov^(-1/2)``, with the
mean and covariance of a *reference* cohort (a synthetic cohort of another seed, never a
federation member's data) fixes the conditioning. It is part of the model's definition, like a
published scaler: every device applies the same transform, and `fold_into` maps a whitened
model back onto the raw features (a logistic model stays a logistic model), which is what the
exported ONNX model computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from bedside.domain import ConfigurationError, InsufficientDataError
from bedside.federated.device_data import DeviceData

__all__ = ["Whitening"]

FloatArray = npt.NDArray[np.float64]

RIDGE = 1e-6
"""Added to the covariance's diagonal so constant features do not blow up W."""


@dataclass(frozen=True)
class Whitening:
    """``x -> (x - mean) @ matrix`` (unitless).

    Attributes
    ----------
    mean : ndarray, shape (p,)
    matrix : ndarray, shape (p, p)
        Symmetric inverse square root of the reference covariance.
    """

    mean: FloatArray
    matrix: FloatArray

    def __post_init__(self) -> None:
        p = self.mean.shape[0]
        if self.matrix.shape != (p, p) or not np.all(np.isfinite(self.matrix)):
            raise ConfigurationError(
                f"whitening matrix of shape {self.matrix.shape} for {p} features"
            )

    @classmethod
    def fit(cls, X: FloatArray) -> Whitening:
        """From reference rows X, shape (n, p), n > p."""
        if X.ndim != 2 or X.shape[0] <= X.shape[1]:
            raise InsufficientDataError(f"whitening needs more rows than features, got {X.shape}")
        cov = np.cov(X, rowvar=False) + RIDGE * np.eye(X.shape[1])
        vals, vecs = np.linalg.eigh(cov)
        return cls(mean=X.mean(axis=0), matrix=(vecs * vals**-0.5) @ vecs.T)

    @classmethod
    def of_clients(cls, clients: Sequence[DeviceData]) -> Whitening:
        """From the training rows of a reference cohort's clients."""
        return cls.fit(np.concatenate([c.X for c in clients]))

    def apply(self, X: FloatArray) -> FloatArray:
        """Whitened rows."""
        out: FloatArray = (X - self.mean) @ self.matrix
        return out

    def apply_to(self, client: DeviceData) -> DeviceData:
        """The client's data, training and held-out rows whitened."""
        return replace(client, X=self.apply(client.X), X_test=self.apply(client.X_test))

    def fold_into(self, w: FloatArray) -> FloatArray:
        """Parameters on the raw features giving the same log-odds as `w` on whitened ones."""
        coef = self.matrix @ w[:-1]
        return np.concatenate([coef, [w[-1] - float(self.mean @ coef)]])

    def to_json(self) -> dict[str, list[float] | list[list[float]]]:
        """JSON form (for the model bundle)."""
        return {"mean": self.mean.tolist(), "matrix": self.matrix.tolist()}
