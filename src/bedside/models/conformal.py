"""Split conformal prediction sets for a binary risk model (numpy only; runs on the device).

Method (class-conditional, "Mondrian", split conformal; Vovk et al. 2005, ch. 4; Angelopoulos and
Bates 2021, "A Gentle Introduction to Conformal Prediction", section 4.1): on calibration rows the
model never trained on, the nonconformity score of a row of true class ``c`` is ``1 - p_c`` (``p_1``
the predicted probability of an episode, ``p_0 = 1 - p_1``). For each class, ``q_c`` is the
``ceil((n_c + 1)(1 - alpha)) / n_c`` empirical quantile of its ``n_c`` scores (``+inf`` when
``n_c`` is too small for the level). A new row's prediction set holds every class ``c`` with
``1 - p_c <= q_c``.

Guarantee: if calibration and test rows of class ``c`` are exchangeable, a new row of class ``c``
has its class in the set with probability at least ``1 - alpha`` (and so marginally too). Days of
one patient are not exchangeable with each other; with calibration patients drawn like test
patients the guarantee is over patient-days of new patients only approximately (the model card
reports the empirical coverage on held-out data).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.domain import ConfigurationError, InsufficientDataError

__all__ = ["CLASS_LABELS", "SplitConformal", "empirical_coverage"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CLASS_LABELS: tuple[str, str] = ("no_episode", "episode")
"""Names of class 0 and class 1 in prediction sets."""


def _quantile(scores: FloatArray, alpha: float) -> float:
    n = scores.size
    rank = math.ceil((n + 1) * (1.0 - alpha))
    if n == 0 or rank > n:
        return math.inf
    return float(np.sort(scores)[rank - 1])


@dataclass(frozen=True)
class SplitConformal:
    """Per-class conformal thresholds for probabilities of class 1.

    Attributes
    ----------
    alpha : float
        Miscoverage level; sets cover the true class with probability >= 1 - alpha.
    threshold_0, threshold_1 : float
        ``q_0`` and ``q_1`` of the module docstring (``inf`` = class always in the set).
    n_calibration_0, n_calibration_1 : int
        Calibration rows of each class.
    """

    alpha: float
    threshold_0: float
    threshold_1: float
    n_calibration_0: int
    n_calibration_1: int

    @classmethod
    def fit(cls, y: npt.ArrayLike, p: npt.ArrayLike, *, alpha: float = 0.1) -> SplitConformal:
        """Thresholds from calibration labels `y` (0/1) and probabilities of class 1 `p`."""
        if not 0.0 < alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {alpha}")
        yy = np.asarray(y, dtype=np.float64).reshape(-1)
        pp = np.asarray(p, dtype=np.float64).reshape(-1)
        if yy.shape != pp.shape:
            raise ConfigurationError(f"{yy.size} labels for {pp.size} probabilities")
        if yy.size == 0:
            raise InsufficientDataError("conformal calibration needs at least one row")
        pos = yy == 1.0
        return cls(
            alpha=alpha,
            threshold_0=_quantile(pp[~pos], alpha),
            threshold_1=_quantile(1.0 - pp[pos], alpha),
            n_calibration_0=int((~pos).sum()),
            n_calibration_1=int(pos.sum()),
        )

    def prediction_sets(self, p: npt.ArrayLike) -> BoolArray:
        """Membership of class 0 and class 1 per row, shape (n, 2)."""
        pp = np.asarray(p, dtype=np.float64).reshape(-1)
        out: BoolArray = np.column_stack([pp <= self.threshold_0, 1.0 - pp <= self.threshold_1])
        return out

    def prediction_set(self, p: float) -> list[str]:
        """Class names in the set of one probability (see `CLASS_LABELS`)."""
        row = self.prediction_sets(np.array([p]))[0]
        return [name for name, inside in zip(CLASS_LABELS, row, strict=True) if inside]

    @property
    def coverage(self) -> float:
        """The nominal coverage ``1 - alpha``."""
        return 1.0 - self.alpha

    def to_json(self) -> dict[str, float | int | None]:
        """JSON form (``None`` for an infinite threshold)."""
        return {
            "alpha": self.alpha,
            "threshold_0": None if math.isinf(self.threshold_0) else self.threshold_0,
            "threshold_1": None if math.isinf(self.threshold_1) else self.threshold_1,
            "n_calibration_0": self.n_calibration_0,
            "n_calibration_1": self.n_calibration_1,
        }

    @classmethod
    def from_json(cls, data: object) -> SplitConformal:
        """Inverse of `to_json`."""
        if not isinstance(data, dict):
            raise ConfigurationError("conformal thresholds must be a JSON object")
        try:
            t0, t1 = data["threshold_0"], data["threshold_1"]
            return cls(
                alpha=float(data["alpha"]),
                threshold_0=math.inf if t0 is None else float(t0),
                threshold_1=math.inf if t1 is None else float(t1),
                n_calibration_0=int(data["n_calibration_0"]),
                n_calibration_1=int(data["n_calibration_1"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"conformal thresholds: {exc!r}") from exc


def empirical_coverage(conformal: SplitConformal, y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Share of rows whose true class (0/1 in `y`) is in the prediction set of `p`."""
    yy = np.asarray(y, dtype=np.float64).reshape(-1).astype(np.intp)
    sets = conformal.prediction_sets(p)
    if yy.size != sets.shape[0]:
        raise ConfigurationError(f"{yy.size} labels for {sets.shape[0]} probabilities")
    if yy.size == 0:
        raise InsufficientDataError("no rows to measure coverage on")
    return float(sets[np.arange(yy.size), yy].mean())
