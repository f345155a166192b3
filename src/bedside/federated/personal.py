"""Personalisation on the device: a personal calibration head and threshold, never sent.

From the global model's log-odds ``z`` on its own labelled days, a device fits
``p = sigmoid(a * z + b)`` by penalised maximum likelihood, shrunk towards the global model
(``a = 1, b = 0``) with a Gaussian prior of precision `prior_strength` per labelled day, so a
device with few labels or a single class stays close to the global model. Its decision threshold
is the probability at which its own labelled days are best separated (Youden's J), or the
global threshold when its days hold a single class. This state lives in the ClientApp's
``context.state`` (see `bedside.federated.client_app`) and never enters a reply message.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from bedside.federated.logistic import predict_logit

__all__ = ["NEWTON_STEPS", "PersonalHead", "fit_personal_head"]

NEWTON_STEPS = 25

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PersonalHead:
    """A device's personal recalibration of the global model.

    Attributes
    ----------
    slope, offset : float
        ``p = sigmoid(slope * z + offset)`` with ``z`` the global model's log-odds.
    threshold : float
        Personal decision threshold on ``p``.
    n_days : int
        Labelled days it was fitted on.
    """

    slope: float = 1.0
    offset: float = 0.0
    threshold: float = 0.5
    n_days: int = 0

    def logit(self, w_global: FloatArray, X: FloatArray) -> FloatArray:
        """Personalised log-odds of each row."""
        out: FloatArray = self.slope * predict_logit(w_global, X) + self.offset
        return out

    def proba(self, w_global: FloatArray, X: FloatArray) -> FloatArray:
        """Personalised probability of each row."""
        out: FloatArray = expit(self.logit(w_global, X))
        return out


def fit_personal_head(
    w_global: FloatArray,
    X: FloatArray,
    y: FloatArray,
    *,
    prior_strength: float = 20.0,
    global_threshold: float = 0.5,
) -> PersonalHead:
    """Fit the personal head on the device's own labelled days (module docstring).

    Parameters
    ----------
    w_global : ndarray, shape (n_features + 1,)
    X : ndarray, shape (n, n_features)
    y : ndarray of 0/1, shape (n,)
    prior_strength : float
        Prior precision on (slope - 1, offset), in labelled days: the head moves away from the
        global model only as the device's own evidence outweighs this many days.
    global_threshold : float
    """
    if y.size == 0:
        return PersonalHead(threshold=global_threshold)
    z = predict_logit(w_global, X)
    # Newton's method on the penalised log-likelihood of (slope, offset): two parameters, the
    # prior makes the Hessian positive definite, so a few steps converge.
    theta = np.array([1.0, 0.0])
    prior = np.array([1.0, 0.0])
    Z = np.column_stack([z, np.ones_like(z)])
    for _ in range(NEWTON_STEPS):
        p = expit(Z @ theta)
        grad = Z.T @ (p - y) + prior_strength * (theta - prior)
        hess = (Z * (p * (1.0 - p))[:, None]).T @ Z + prior_strength * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta = theta - step
        if float(np.abs(step).max()) < 1e-8:
            break
    a, b = float(theta[0]), float(theta[1])
    p = expit(a * z + b)
    threshold = global_threshold
    if 0 < y.sum() < y.size:
        candidates = np.unique(p)
        tpr = np.array([(p[y == 1] >= t).mean() for t in candidates])
        fpr = np.array([(p[y == 0] >= t).mean() for t in candidates])
        threshold = float(candidates[int(np.argmax(tpr - fpr))])
    return PersonalHead(slope=a, offset=b, threshold=threshold, n_days=int(y.size))
