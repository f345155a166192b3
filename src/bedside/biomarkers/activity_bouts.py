"""Active minutes, sedentary time and the longest sedentary bout of each local day.

Sleep is neither sedentary nor active: sedentary behaviour is low movement while awake (Tremblay
MS et al. Sedentary Behavior Research Network (SBRN) - Terminology Consensus Project. Int J Behav
Nutr Phys Act 2017;14:75). Excluded as sleep: the part of the main sleep period ending on the day
that lies within the day (see :mod:`bedside.biomarkers.sleep`), and minutes that Cole-Kripke
scores asleep with the next day's data kept out (:func:`day_scored_sleep`). The evening's
sleep cannot be told from its main sleep period, which is only known the next morning; scoring
the day on its own keeps each day's values final at its end (the device's causality contract).

Default cut-points are the ActiGraph hip counts of Matthews CE et al. (Amount of time spent in
sedentary behaviors in the United States, 2003-2004. Am J Epidemiol 2008;167(7):875-881:
sedentary < 100 counts/min) and Freedson PS, Melanson E, Sirard J (Calibration of the Computer
Science and Applications, Inc. accelerometer. Med Sci Sports Exerc 1998;30(5):777-781: moderate
or vigorous >= 1952 counts/min). Counts of other devices (wrist Actiwatch) are on other scales;
the cut-points are parameters so a deployment can set its device's, and the biomarkers are read
against the patient's own baseline, where a constant scale difference cancels.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import MinuteGrid, daily_coverage, local_midnight_utc
from bedside.biomarkers.sleep import cole_kripke

__all__ = [
    "ACTIVE_MIN_COUNTS",
    "ACTIVITY_BOUT_IDS",
    "SEDENTARY_MAX_COUNTS",
    "daily_activity_bouts",
    "day_scored_sleep",
    "sleep_period_mask",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SEDENTARY_MAX_COUNTS = 100.0
"""A waking minute with fewer counts is sedentary (Matthews et al. 2008), counts/min."""
ACTIVE_MIN_COUNTS = 1952.0
"""A waking minute with at least this many counts is active (Freedson et al. 1998), counts/min."""

_DAY_GAP_MIN = 30

ACTIVITY_BOUT_IDS = (
    "activity.active_min",
    "activity.sedentary_min",
    "activity.sedentary_bout_max_min",
)


def sleep_period_mask(grid: MinuteGrid, onset_min: FloatArray, offset_min: FloatArray) -> BoolArray:
    """Grid minutes inside the main sleep period of their own local day (the part of a period
    before the midnight starting its wake day is left out).

    Parameters
    ----------
    grid : MinuteGrid
    onset_min, offset_min : ndarray of float64, shape (grid.n_days,)
        Main sleep period of each wake day, minutes from the local midnight starting it (NaN
        when the day has none).

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    mask = np.zeros(grid.counts.size, dtype=np.bool_)
    if grid.n_days == 0:
        return mask
    mid = local_midnight_utc(
        np.arange(grid.first_day, grid.first_day + grid.n_days, dtype=np.int64), grid.zone
    )
    base = (mid - grid.start_utc) // 60
    for d in np.flatnonzero(np.isfinite(onset_min) & np.isfinite(offset_min)).tolist():
        lo = max(int(base[d] + max(onset_min[d], 0.0)), 0)
        hi = max(int(base[d] + offset_min[d]), 0)
        mask[lo:hi] = True
    return mask


def day_scored_sleep(grid: MinuteGrid) -> BoolArray:
    """Cole-Kripke sleep (with rescoring) scored with a gap at the end of every local day.

    Each day's minutes are followed by :data:`_DAY_GAP_MIN` missing minutes before the next
    day's, and the whole series is scored at once: Cole-Kripke looks 4 minutes ahead and
    Webster's rules at most one 20-minute wake run ahead, so a minute's state then depends only
    on its own and earlier days.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    n = grid.counts.size
    pos = np.arange(n, dtype=np.int64) + grid.day_index * _DAY_GAP_MIN
    padded = np.full(n + grid.n_days * _DAY_GAP_MIN, np.nan)
    padded[pos] = grid.counts
    return np.asarray(cole_kripke(padded)[pos])


def daily_activity_bouts(
    grid: MinuteGrid,
    in_sleep: BoolArray,
    *,
    min_coverage: float = 0.8,
    sedentary_max_counts: float = SEDENTARY_MAX_COUNTS,
    active_min_counts: float = ACTIVE_MIN_COUNTS,
) -> dict[str, FloatArray]:
    """Active and sedentary waking minutes per local day.

    Parameters
    ----------
    grid : MinuteGrid
    in_sleep : ndarray of bool, shape (n,)
        Sleep minutes (:func:`sleep_period_mask` or :func:`day_scored_sleep`, or both); each
        must depend only on data of its own local day for the values to be causal.
    min_coverage : float
        Values are NaN on days with a smaller share of valid minutes.
    sedentary_max_counts, active_min_counts : float
        Cut-points, counts/min (see the module notes).

    Returns
    -------
    dict of str to ndarray of float64, shape (grid.n_days,)
        ``activity.active_min`` and ``activity.sedentary_min`` (minutes of the day) and
        ``activity.sedentary_bout_max_min`` (longest run of consecutive sedentary minutes within
        the day, minutes; a gap or a non-sedentary minute ends a run).
    """
    n_days = grid.n_days
    awake = grid.valid & ~in_sleep
    counts = grid.counts
    with np.errstate(invalid="ignore"):
        sedentary = awake & (counts < sedentary_max_counts)
        active = awake & (counts >= active_min_counts)
    day = grid.day_index
    active_min = np.bincount(day[active], minlength=n_days).astype(np.float64)
    sedentary_min = np.bincount(day[sedentary], minlength=n_days).astype(np.float64)
    bout_max = np.zeros(n_days)
    if sedentary.any():
        start = sedentary.copy()
        start[1:] &= ~(sedentary[:-1] & (day[1:] == day[:-1]))
        run_id = np.cumsum(start) - 1
        lengths = np.bincount(run_id[sedentary]).astype(np.float64)
        np.maximum.at(bout_max, day[start], lengths)
    enough = daily_coverage(grid) >= min_coverage
    out = {
        "activity.active_min": active_min,
        "activity.sedentary_min": sedentary_min,
        "activity.sedentary_bout_max_min": bout_max,
    }
    return {k: np.where(enough, v, np.nan) for k, v in out.items()}
