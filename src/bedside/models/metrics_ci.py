"""Classification metrics with 95 % intervals from a bootstrap over patients (numpy only).

Rows of one patient are correlated, so intervals resample whole patients (cluster bootstrap,
percentile method; Field and Welsh 2007): each resample draws patients with replacement and
keeps all their rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.domain import ConfigurationError
from bedside.inference import JsonValue

__all__ = ["Estimate", "auroc", "binary_scores", "cluster_bootstrap"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its 95 % interval (NaN when not computable)."""

    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def to_json(self) -> dict[str, JsonValue]:
        """JSON form; NaN becomes None."""
        return {k: (None if math.isnan(v) else v) for k, v in self.__dict__.items()}


def _average_ranks(x: FloatArray) -> FloatArray:
    """1-based ranks, ties sharing their mean rank."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    mean_rank = ends - (counts - 1) / 2.0
    out: FloatArray = mean_rank[inverse].astype(np.float64)
    return out


def auroc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count one half); NaN with one class only."""
    yy = np.asarray(y, dtype=np.float64).reshape(-1)
    ss = np.asarray(score, dtype=np.float64).reshape(-1)
    pos = yy == 1.0
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return math.nan
    ranks = _average_ranks(ss)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def binary_scores(y: npt.ArrayLike, predicted: npt.ArrayLike) -> dict[str, float]:
    """Balanced accuracy, MCC and F1 (class 1 positive) of 0/1 predictions."""
    yy = np.asarray(y, dtype=bool).reshape(-1)
    pp = np.asarray(predicted, dtype=bool).reshape(-1)
    tp = float(np.sum(pp & yy))
    fp = float(np.sum(pp & ~yy))
    tn = float(np.sum(~pp & ~yy))
    fn = float(np.sum(~pp & yy))
    sens = tp / (tp + fn) if tp + fn else math.nan
    spec = tn / (tn + fp) if tn + fp else math.nan
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return {
        "balanced_accuracy": 0.5 * (sens + spec),
        "mcc": (tp * tn - fp * fn) / denom if denom > 0 else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0,
    }


def cluster_bootstrap(
    metric: Callable[[FloatArray, FloatArray], float],
    y: npt.ArrayLike,
    score: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    n_bootstrap: int = 500,
    seed: int = 0,
) -> Estimate:
    """`metric(y, score)` on all rows with a percentile 95 % interval over patient resamples."""
    yy = np.asarray(y, dtype=np.float64).reshape(-1)
    ss = np.asarray(score, dtype=np.float64).reshape(-1)
    gg = np.asarray(groups).reshape(-1)
    if not yy.size == ss.size == gg.size:
        raise ConfigurationError("labels, scores and groups must have the same length")
    point = metric(yy, ss)
    patients, inverse = np.unique(gg, return_inverse=True)
    rows_of = [np.flatnonzero(inverse == k) for k in range(patients.size)]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_bootstrap):
        pick = rng.integers(0, patients.size, patients.size)
        rows = np.concatenate([rows_of[k] for k in pick])
        v = metric(yy[rows], ss[rows])
        if math.isfinite(v):
            values.append(v)
    if not values:
        return Estimate(point, math.nan, math.nan)
    low, high = np.percentile(values, [2.5, 97.5])
    return Estimate(point, float(low), float(high))
