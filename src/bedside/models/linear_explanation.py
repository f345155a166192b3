"""The numbers behind a calibrated logistic model, to explain and bound its predictions with numpy.

A `LinearExplanation` holds the standardisation, the logistic coefficients, the sigmoid calibration
(Platt: ``p = 1 / (1 + exp(a * d + b))`` on the decision value ``d``) and the covariance of the
coefficients. It needs neither scikit-learn nor onnxruntime.

Uncertainty interval
--------------------
The interval is a 95 % confidence interval for the calibrated probability that reflects only the
uncertainty of the logistic coefficients learned from finite training data: the decision value
``d = b0 + w . z`` gets the standard error ``sqrt(x' C x)`` with ``x = (1, z)`` and ``C`` the
cluster-robust (sandwich, clusters = patients) covariance of the penalised maximum-likelihood
coefficients, ``d +/- 1.96 se`` is mapped through the (monotone) calibration. It does not include
the uncertainty of the calibration map itself, nor model misspecification, nor the patient's own
day-to-day noise; conformal intervals are planned to replace it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.domain import ModelError
from bedside.inference import JsonValue

__all__ = ["LinearExplanation", "sandwich_covariance"]

FloatArray = npt.NDArray[np.float64]

Z_95 = 1.959963984540054


def _expit(x: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


@dataclass(frozen=True)
class LinearExplanation:
    """Standardisation, logistic coefficients, calibration and coefficient covariance.

    Attributes
    ----------
    feature_names : tuple of str
    mean, scale : ndarray of float64, shape (n_features,)
        Standardisation: ``z = (x - mean) / scale``.
    coef : ndarray of float64, shape (n_features,)
        Logistic coefficients on standardised features (log-odds per SD).
    intercept : float
    calibration_a, calibration_b : float
        Sigmoid calibration ``p = 1 / (1 + exp(a * d + b))``.
    covariance : ndarray of float64, shape (n_features + 1, n_features + 1)
        Covariance of (intercept, coef); see the module docstring.
    """

    feature_names: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray
    coef: FloatArray
    intercept: float
    calibration_a: float
    calibration_b: float
    covariance: FloatArray

    def __post_init__(self) -> None:
        p = len(self.feature_names)
        shapes = [self.mean.shape, self.scale.shape, self.coef.shape]
        if any(s != (p,) for s in shapes) or self.covariance.shape != (p + 1, p + 1):
            raise ModelError("linear explanation: parameter shapes do not match the features")

    def standardise(self, X: FloatArray) -> FloatArray:
        """Standardised features, shape (n, n_features)."""
        out: FloatArray = (np.asarray(X, dtype=np.float64) - self.mean) / self.scale
        return out

    def decision(self, X: FloatArray) -> FloatArray:
        """Uncalibrated log-odds ``intercept + coef . z``, shape (n,)."""
        out: FloatArray = self.intercept + self.standardise(X) @ self.coef
        return out

    def calibrate(self, decision: FloatArray) -> FloatArray:
        """Calibrated probability of a decision value."""
        return _expit(-(self.calibration_a * np.asarray(decision) + self.calibration_b))

    def probability(self, X: FloatArray) -> FloatArray:
        """Calibrated probability, shape (n,) (the ONNX model computes the same)."""
        return self.calibrate(self.decision(X))

    def interval(self, X: FloatArray, z: float = Z_95) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bounds of the probability (see the module docstring), each (n,)."""
        Zs = self.standardise(X)
        design = np.column_stack([np.ones(Zs.shape[0]), Zs])
        var = np.einsum("ij,jk,ik->i", design, self.covariance, design)
        se = np.sqrt(np.maximum(var, 0.0))
        d = self.decision(X)
        a = self.calibrate(d - z * se)
        b = self.calibrate(d + z * se)
        return np.minimum(a, b), np.maximum(a, b)

    def contributions(self, X: FloatArray) -> FloatArray:
        """Per-feature log-odds contributions ``coef * z``, shape (n, n_features).

        They are relative to the training mean of each feature (z = 0), on the uncalibrated scale.
        """
        out: FloatArray = self.standardise(X) * self.coef
        return out

    def to_json(self) -> dict[str, JsonValue]:
        """JSON form, stored in a model bundle's ``extra``."""
        return {
            "feature_names": list(self.feature_names),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "calibration_a": self.calibration_a,
            "calibration_b": self.calibration_b,
            "covariance": self.covariance.tolist(),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, JsonValue]) -> LinearExplanation:
        """Inverse of `to_json`; malformed input raises ModelError."""
        try:
            names = doc["feature_names"]
            if not isinstance(names, list):
                raise TypeError("feature_names must be a list")
            return cls(
                feature_names=tuple(str(n) for n in names),
                mean=_array(doc["mean"]),
                scale=_array(doc["scale"]),
                coef=_array(doc["coef"]),
                intercept=float(_number(doc["intercept"])),
                calibration_a=float(_number(doc["calibration_a"])),
                calibration_b=float(_number(doc["calibration_b"])),
                covariance=_array(doc["covariance"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"malformed linear explanation in bundle ({exc!r})") from exc


def _array(value: JsonValue) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


def _number(value: JsonValue) -> float:
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"expected a number, got {value!r}")


def sandwich_covariance(
    Z: FloatArray,
    y: FloatArray,
    prob: FloatArray,
    groups: Sequence[str] | npt.NDArray[np.str_],
    penalty: float,
) -> FloatArray:
    """Cluster-robust covariance of penalised logistic-regression coefficients.

    Parameters
    ----------
    Z : ndarray, shape (n, p)
        Standardised features.
    y : ndarray, shape (n,)
        0/1 labels.
    prob : ndarray, shape (n,)
        The fitted model's (uncalibrated) probabilities.
    groups : sequence of str, length n
        Cluster (patient) of each row; rows of one patient are not independent.
    penalty : float
        L2 penalty on the coefficients (``1 / C`` in scikit-learn terms), not on the intercept.

    Returns
    -------
    ndarray, shape (p + 1, p + 1)
        Covariance of (intercept, coef): ``H^-1 M H^-1`` with ``H`` the penalised Hessian and
        ``M`` the sum over patients of the outer products of their score vectors.
    """
    n, p = Z.shape
    design = np.column_stack([np.ones(n), Z])
    w = prob * (1.0 - prob)
    hessian = design.T @ (design * w[:, None])
    hessian[1:, 1:] += penalty * np.eye(p)
    scores = design * (y - prob)[:, None]
    labels = np.asarray(groups)
    _, inverse = np.unique(labels, return_inverse=True)
    per_group = np.zeros((int(inverse.max()) + 1 if n else 0, p + 1))
    np.add.at(per_group, inverse, scores)
    meat = per_group.T @ per_group
    h_inv = np.linalg.pinv(hessian)
    cov: FloatArray = h_inv @ meat @ h_inv
    return 0.5 * (cov + cov.T)
