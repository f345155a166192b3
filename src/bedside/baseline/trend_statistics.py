"""Mann-Kendall trend test and Theil-Sen slope: the effect size of a verified trend.

The CUSUM says *that* and *when* a level changed; these say how steep the values moved over a span,
robustly (no distributional assumption, insensitive to a few wild days):

* Mann-Kendall: ``S = sum_{i<j} sign(x_j - x_i)``, variance with the tie correction
  ``(n(n-1)(2n+5) - sum_t t(t-1)(2t+5)) / 18``, continuity-corrected normal z and two-sided p
  (Mann HB. Nonparametric tests against trend. Econometrica 1945;13:245-259; Kendall MG. Rank
  Correlation Methods, 1975).
* Theil-Sen slope: median of the pairwise slopes ``(x_j - x_i) / (t_j - t_i)`` (Sen PK. Estimates
  of the regression coefficient based on Kendall's tau. J Am Stat Assoc 1968;63:1379-1389).

Missing days (NaN) are dropped; time is the day index, so gaps keep their length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

__all__ = ["MannKendall", "mann_kendall", "theil_sen_slope"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MannKendall:
    """Result of the Mann-Kendall test.

    Attributes
    ----------
    s : int
        Kendall's S statistic.
    z : float
        Continuity-corrected normal score (0 when ``s == 0`` or fewer than 3 values).
    p_value : float
        Two-sided p-value (1 with fewer than 3 values).
    n : int
        Values used.
    """

    s: int
    z: float
    p_value: float
    n: int


def _pairs(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(x, dtype=np.float64)
    t = np.arange(x.size, dtype=np.float64)
    keep = ~np.isnan(x)
    return t[keep], x[keep]


def mann_kendall(x: FloatArray) -> MannKendall:
    """Mann-Kendall test of a monotone trend in a daily series (NaN = missing)."""
    _, v = _pairs(x)
    n = int(v.size)
    if n < 3:
        return MannKendall(0, 0.0, 1.0, n)
    i, j = np.triu_indices(n, k=1)
    s = int(np.sign(v[j] - v[i]).sum())
    _, counts = np.unique(v, return_counts=True)
    ties = float((counts * (counts - 1) * (2 * counts + 5)).sum())
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    if s == 0 or var <= 0:
        return MannKendall(s, 0.0, 1.0, n)
    z = (s - math.copysign(1.0, s)) / math.sqrt(var)
    p = float(2.0 * ndtr(-abs(z)))
    return MannKendall(s, z, min(1.0, p), n)


def theil_sen_slope(x: FloatArray) -> float:
    """Median pairwise slope of a daily series, in the series' unit per day (NaN if < 2 values)."""
    t, v = _pairs(x)
    if v.size < 2:
        return math.nan
    i, j = np.triu_indices(v.size, k=1)
    return float(np.median((v[j] - v[i]) / (t[j] - t[i])))
