"""The two model families behind every risk model, both calibrated and exportable to ONNX.

- ``logistic``: standardisation + L2 logistic regression (federated-friendly: a model is one
  coefficient vector that FedAvg can average), Platt (sigmoid) calibration.
- ``gbt``: scikit-learn ``GradientBoostingClassifier`` (shallow trees, strong leaf minimum so
  that no tree leaf describes a handful of days of one patient), Platt calibration. The exact
  (not histogram) variant: single-threaded and fast on thousands of rows, where the histogram
  variant's OpenMP threads contend with everything else on a small machine.

Calibration is ``CalibratedClassifierCV(method="sigmoid", ensemble=False)`` on out-of-fold
decision values over folds of patients (``GroupKFold``) when groups are given, so no patient
calibrates a model that saw them; then one model is refitted on all rows. skl2onnx converts the
whole pipeline, and the ONNX probabilities equal scikit-learn's to < 1e-5 (tested). Inputs are
rounded to float32 before fitting so that tree thresholds compare the same numbers in both
runtimes.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from bedside.domain import ConfigurationError, InsufficientDataError

__all__ = ["FAMILIES", "Family", "as_float32", "family_description", "fit_family"]

FloatArray = npt.NDArray[np.float64]

Family = Literal["logistic", "gbt"]
FAMILIES: tuple[Family, ...] = ("logistic", "gbt")


def as_float32(X: npt.ArrayLike) -> FloatArray:
    """Values rounded to float32 (what the ONNX model receives), kept as float64."""
    out: FloatArray = np.asarray(X, dtype=np.float32).astype(np.float64)
    return out


def family_description(family: Family, *, C: float = 1.0) -> str:
    """One line naming the estimator and its settings (for bundles and model cards)."""
    if family == "logistic":
        return f"StandardScaler + LogisticRegression(L2, C={C:g}) + sigmoid calibration"
    if family == "gbt":
        return (
            "GradientBoostingClassifier(n_estimators=100, max_depth=2, learning_rate=0.05, "
            "subsample=0.8, min_samples_leaf=min(40, n/10)) + sigmoid calibration"
        )
    raise ConfigurationError(f"unknown model family {family!r}; expected one of {FAMILIES}")


def _base(family: Family, *, C: float, n_rows: int, seed: int) -> object:
    if family == "logistic":
        return LogisticRegression(C=C, max_iter=2000)
    if family == "gbt":
        return GradientBoostingClassifier(
            n_estimators=100,
            max_depth=2,
            learning_rate=0.05,
            subsample=0.8,
            min_samples_leaf=max(2, min(40, n_rows // 10)),
            random_state=seed,
        )
    raise ConfigurationError(f"unknown model family {family!r}; expected one of {FAMILIES}")


def fit_family(
    family: Family,
    X: FloatArray,
    y: npt.ArrayLike,
    *,
    groups: npt.ArrayLike | None = None,
    C: float = 1.0,
    folds: int = 5,
    seed: int = 0,
) -> Pipeline:
    """Fit a calibrated model of `family` (see the module docstring).

    Parameters
    ----------
    X : ndarray of float64, shape (n, n_features)
        No NaN.
    y : array-like of 0/1, shape (n,)
    groups : array-like, shape (n,), optional
        Patient of each row; calibration folds never split a patient. Without groups the rows
        are independent units (one per participant) and folds are stratified.
    C : float
        Inverse L2 strength of the logistic family.
    folds : int
        Calibration folds (fewer when there are too few patients or too few of a class).
    """
    yy = np.asarray(y).astype(np.int_)
    if np.unique(yy).size < 2:
        raise InsufficientDataError("training labels contain a single class")
    Xf = as_float32(X)
    if groups is not None:
        g = np.asarray(groups)
        n_splits = min(folds, int(np.unique(g).size))
        if n_splits < 2:
            raise InsufficientDataError("calibration needs at least 2 patients")
        cv = list(GroupKFold(n_splits=n_splits).split(Xf, yy, g))
    else:
        n_splits = int(min(folds, np.bincount(yy, minlength=2).min()))
        if n_splits < 2:
            raise InsufficientDataError("need at least 2 rows of each class")
        cv = list(StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(Xf, yy))
    calibrated = CalibratedClassifierCV(
        _base(family, C=C, n_rows=yy.size, seed=seed), method="sigmoid", cv=cv, ensemble=False
    )
    model = Pipeline([("scale", StandardScaler()), ("calibrated", calibrated)])
    return model.fit(Xf, yy)
