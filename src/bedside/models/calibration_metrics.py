"""Calibration of predicted probabilities: reliability curve, Brier score, ECE (numpy only).

Definitions (binary outcome ``y`` in {0, 1}, predicted probability ``p`` in [0, 1]):

- Brier score: ``mean((p - y) ** 2)`` (unitless, 0 is perfect); reported beside the Brier score of
  always predicting the base rate, so that skill is visible.
- Reliability curve: probabilities are cut into `n_bins` equal-width bins on [0, 1]; per non-empty
  bin, the mean predicted probability, the observed event rate and the count.
- Expected calibration error (ECE): ``sum_b (n_b / n) * |observed_b - predicted_b|`` over the same
  bins (Guo et al. 2017, "On Calibration of Modern Neural Networks", ICML).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.domain import ConfigurationError

__all__ = [
    "CalibrationSummary",
    "ReliabilityBin",
    "brier_score",
    "calibration_summary",
    "expected_calibration_error",
    "reliability_curve",
]

FloatArray = npt.NDArray[np.float64]

JsonDict = dict[str, float | int | list[dict[str, float | int]]]


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of a reliability curve.

    Attributes
    ----------
    low, high : float
        Bin edges on the probability scale.
    predicted : float
        Mean predicted probability of the bin's rows.
    observed : float
        Observed event rate of the bin's rows.
    count : int
    """

    low: float
    high: float
    predicted: float
    observed: float
    count: int


def _check(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    yy = np.asarray(y, dtype=np.float64).reshape(-1)
    pp = np.asarray(p, dtype=np.float64).reshape(-1)
    if yy.shape != pp.shape:
        raise ConfigurationError(f"{yy.size} labels for {pp.size} probabilities")
    if yy.size == 0:
        raise ConfigurationError("no predictions to assess")
    if not bool(np.all((yy == 0.0) | (yy == 1.0))):
        raise ConfigurationError("labels must be 0 or 1")
    if not bool(np.all((pp >= 0.0) & (pp <= 1.0))):
        raise ConfigurationError("probabilities must lie in [0, 1]")
    return yy, pp


def brier_score(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared difference between probability and outcome (unitless)."""
    yy, pp = _check(y, p)
    return float(np.mean((pp - yy) ** 2))


def reliability_curve(y: npt.ArrayLike, p: npt.ArrayLike, n_bins: int = 10) -> list[ReliabilityBin]:
    """Equal-width reliability bins on [0, 1]; empty bins are omitted."""
    if n_bins < 1:
        raise ConfigurationError(f"n_bins must be >= 1, got {n_bins}")
    yy, pp = _check(y, p)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # p == 1.0 belongs to the last bin
    idx = np.minimum(np.searchsorted(edges, pp, side="right") - 1, n_bins - 1)
    out = []
    for b in range(n_bins):
        rows = idx == b
        n = int(rows.sum())
        if n:
            out.append(
                ReliabilityBin(
                    low=float(edges[b]),
                    high=float(edges[b + 1]),
                    predicted=float(pp[rows].mean()),
                    observed=float(yy[rows].mean()),
                    count=n,
                )
            )
    return out


def expected_calibration_error(y: npt.ArrayLike, p: npt.ArrayLike, n_bins: int = 10) -> float:
    """Count-weighted mean |observed - predicted| over equal-width bins (unitless, 0 is perfect)."""
    bins = reliability_curve(y, p, n_bins)
    total = sum(b.count for b in bins)
    return float(sum(b.count * abs(b.observed - b.predicted) for b in bins) / total)


@dataclass(frozen=True)
class CalibrationSummary:
    """Brier score (with the base-rate reference), ECE and the reliability curve of predictions."""

    n: int
    base_rate: float
    brier: float
    brier_base_rate: float
    ece: float
    bins: tuple[ReliabilityBin, ...]

    def to_json(self) -> JsonDict:
        """A JSON-ready dictionary (bins as a list of objects)."""
        return {
            "n": self.n,
            "base_rate": self.base_rate,
            "brier": self.brier,
            "brier_base_rate": self.brier_base_rate,
            "ece": self.ece,
            "reliability": [
                {
                    "low": b.low,
                    "high": b.high,
                    "predicted": b.predicted,
                    "observed": b.observed,
                    "count": b.count,
                }
                for b in self.bins
            ],
        }


def calibration_summary(y: npt.ArrayLike, p: npt.ArrayLike, n_bins: int = 10) -> CalibrationSummary:
    """All calibration figures of one set of predictions."""
    yy, pp = _check(y, p)
    rate = float(yy.mean())
    return CalibrationSummary(
        n=int(yy.size),
        base_rate=rate,
        brier=brier_score(yy, pp),
        brier_base_rate=float(np.mean((rate - yy) ** 2)),
        ece=expected_calibration_error(yy, pp, n_bins),
        bins=tuple(reliability_curve(yy, pp, n_bins)),
    )
