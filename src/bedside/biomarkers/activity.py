"""Daily activity features: the three of the Depresjon paper (mean, SD, share of zero minutes)
plus the daily total, over the valid minutes of each local calendar day.

Garcia-Ceja E et al. Depresjon: a motor activity database of depression episodes in unipolar
and bipolar patients. MMSys 2018. doi:10.1145/3204949.3208125.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import MinuteGrid, daily_coverage

__all__ = ["ACTIVITY_IDS", "DEFAULT_MIN_COVERAGE", "daily_activity"]

FloatArray = npt.NDArray[np.float64]

DEFAULT_MIN_COVERAGE = 0.8
"""Minimum share of a local day (or of a night or circadian window) with valid minutes."""

ACTIVITY_IDS = (
    "activity.total_counts",
    "activity.mean_counts",
    "activity.sd_counts",
    "activity.zero_fraction",
)


def daily_activity(
    grid: MinuteGrid, *, min_coverage: float = DEFAULT_MIN_COVERAGE
) -> dict[str, FloatArray]:
    """Activity features per local day.

    Parameters
    ----------
    grid : MinuteGrid
        Minute counts on the local calendar.
    min_coverage : float
        A day's features are NaN when less than this share of its minutes (of 1380, 1440 or
        1500) hold a valid count.

    Returns
    -------
    dict of str to ndarray of float64, shape (grid.n_days,)
        ``activity.total_counts`` (sum of counts over valid minutes, counts),
        ``activity.mean_counts`` (counts/min), ``activity.sd_counts`` (sample SD, ``ddof=1``,
        counts/min) and ``activity.zero_fraction`` (share of valid minutes with count 0).
    """
    n_days = grid.n_days
    ok = grid.valid
    day = grid.day_index[ok]
    x = grid.counts[ok]
    n = np.bincount(day, minlength=n_days).astype(np.float64)
    total = np.bincount(day, weights=x, minlength=n_days)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        dev = x - mean[day]
        ss = np.bincount(day, weights=dev * dev, minlength=n_days)
        sd = np.sqrt(ss / (n - 1.0))
        zeros = np.bincount(day, weights=(x == 0.0).astype(np.float64), minlength=n_days) / n
    sd[n < 2] = np.nan
    enough = daily_coverage(grid) >= min_coverage
    out = {
        "activity.total_counts": total,
        "activity.mean_counts": mean,
        "activity.sd_counts": sd,
        "activity.zero_fraction": zeros,
    }
    return {k: np.where(enough, v, np.nan) for k, v in out.items()}
