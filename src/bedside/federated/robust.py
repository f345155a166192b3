"""Server-side checks and robust aggregation of client parameter vectors (no secure aggregation).

Without secure aggregation the server sees each client's parameters and can

- reject an update that is not finite (NaN, inf) or whose change from the current global model
  has an L2 norm above `max_update_norm` (an "absurd" update: honest local training from the
  global model moves it by far less, see `bedside.federated.logistic`);
- aggregate robustly: the coordinate-wise median (Yin et al. 2018, "Byzantine-robust
  distributed learning", ICML) or the coordinate-wise trimmed mean.

Bound for one malicious client among ``n`` (tested): whatever finite vector it sends, each
coordinate of the coordinate-wise median (and of the trimmed mean with at least one value cut
per side) lies within the range of the honest clients' values of that coordinate. So the global
model moves at most to the honest clients' bounding box; with the norm check as well, even the
plain mean moves by at most ``max_update_norm / n`` from the honest mean.

Under secure aggregation the server sees only the sum: none of this applies per client.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from bedside.domain import ConfigurationError, InsufficientDataError

__all__ = [
    "AGGREGATORS",
    "Aggregator",
    "Screened",
    "aggregate",
    "screen_updates",
]

FloatArray = npt.NDArray[np.float64]

Aggregator = Literal["mean", "median", "trimmed_mean"]
AGGREGATORS: tuple[Aggregator, ...] = ("mean", "median", "trimmed_mean")


@dataclass(frozen=True)
class Screened:
    """Result of `screen_updates`: the kept vectors and weights, and why others were rejected."""

    vectors: list[FloatArray]
    weights: list[float]
    rejected: list[str]


def screen_updates(
    current: FloatArray,
    vectors: Sequence[FloatArray],
    weights: Sequence[float],
    *,
    max_update_norm: float,
    labels: Sequence[str] | None = None,
) -> Screened:
    """Drop updates that are non-finite, of the wrong shape, or move the model too far.

    Parameters
    ----------
    current : ndarray, shape (p,)
        The global parameters the clients started from.
    vectors : sequence of ndarray, shape (p,)
        The clients' returned parameters.
    weights : sequence of float
        Their aggregation weights (e.g. labelled rows); must be finite and > 0.
    max_update_norm : float
        Largest accepted L2 norm of ``vector - current`` (parameter units).
    labels : sequence of str, optional
        Names of the clients for the rejection messages.
    """
    names = list(labels) if labels is not None else [f"client {i}" for i in range(len(vectors))]
    kept: list[FloatArray] = []
    kept_w: list[float] = []
    rejected: list[str] = []
    for name, v, w in zip(names, vectors, weights, strict=True):
        arr = np.asarray(v, dtype=np.float64)
        if arr.shape != current.shape:
            rejected.append(f"{name}: shape {arr.shape}, expected {current.shape}")
        elif not np.all(np.isfinite(arr)):
            rejected.append(f"{name}: non-finite parameters (NaN or inf)")
        elif not (math.isfinite(w) and w > 0):
            rejected.append(f"{name}: invalid weight {w!r}")
        elif (norm := float(np.linalg.norm(arr - current))) > max_update_norm:
            rejected.append(f"{name}: update norm {norm:.3g} > {max_update_norm:g}")
        else:
            kept.append(arr)
            kept_w.append(float(w))
    return Screened(kept, kept_w, rejected)


def aggregate(
    vectors: Sequence[FloatArray],
    weights: Sequence[float],
    how: Aggregator,
    *,
    trim_fraction: float = 0.1,
) -> FloatArray:
    """Aggregate parameter vectors.

    Parameters
    ----------
    vectors : sequence of ndarray, shape (p,)
    weights : sequence of float
        Used by ``mean`` only (the robust rules weigh clients equally, as in FedMedian).
    how : {"mean", "median", "trimmed_mean"}
    trim_fraction : float
        Share of clients cut at each end, per coordinate, by ``trimmed_mean``; at least one
        client per side is cut whenever there are three or more.
    """
    if not vectors:
        raise InsufficientDataError("no client updates to aggregate")
    M = np.stack([np.asarray(v, dtype=np.float64) for v in vectors])
    if how == "mean":
        w = np.asarray(weights, dtype=np.float64)
        out: FloatArray = (w[:, None] * M).sum(axis=0) / w.sum()
        return out
    if how == "median":
        out = np.median(M, axis=0)
        return out
    if how == "trimmed_mean":
        if not 0.0 <= trim_fraction < 0.5:
            raise ConfigurationError(f"trim_fraction must be in [0, 0.5), got {trim_fraction}")
        n = M.shape[0]
        k = math.floor(trim_fraction * n)
        if n >= 3:
            k = max(k, 1)
        S = np.sort(M, axis=0)
        out = S[k : n - k].mean(axis=0)
        return out
    raise ConfigurationError(f"unknown aggregator {how!r}; expected one of {AGGREGATORS}")
