"""Sleep regularity over a rolling week: Sleep Regularity Index and social jetlag.

Sleep Regularity Index (Phillips AJK et al. Irregular sleep/wake patterns are associated with
poorer academic performance and delayed circadian and sleep/wake timing. Sci Rep 2017;7:3216):
the probability that the patient is in the same state (asleep or awake) at two instants 24 h
apart, rescaled to -100..100: ``SRI = 200 * P(same state) - 100``. 100 is a perfectly repeated
day, 0 is chance. Here the pairs are minute ``t`` and minute ``t + 1440`` in real (UTC) time,
both valid, with the later minute in the ``window_days - 1`` noon-to-noon days ending at local
noon of the row's date (Phillips' ``N - 1`` day pairs). Noon, as for the main sleep period:
sleep belongs to the day the patient wakes up, and a state scored with Cole-Kripke and Webster's
rules depends on up to about half an hour of later data, so a window ending at midnight would
change when the next day arrives; one ending at noon is final by the end of the row's day.

Social jetlag (Wittmann M, Dinich J, Merrow M, Roenneberg T. Social jetlag: misalignment of
biological and social time. Chronobiol Int 2006;23(1-2):497-509): the absolute difference
between the mean sleep midpoint on free days and on workdays. Sleep belongs to the day the
patient wakes up, so free-day sleep ends on a Saturday or Sunday morning (Friday and Saturday
nights) and workday sleep on Monday to Friday mornings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import MinuteGrid

__all__ = ["sleep_regularity_index", "social_jetlag"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_MIN_PER_DAY = 1440


def _rolling_sum(x: npt.NDArray[Any], width: int) -> FloatArray:
    """Sum of the `width` values ending at each index (NaN before `width` values exist)."""
    cum = np.concatenate(([0.0], np.cumsum(x, dtype=np.float64)))
    out = np.full(x.size, np.nan)
    if x.size >= width:
        out[width - 1 :] = cum[width:] - cum[: x.size - width + 1]
    return out


def sleep_regularity_index(
    grid: MinuteGrid,
    asleep: BoolArray,
    *,
    valid: BoolArray | None = None,
    window_days: int = 7,
    min_coverage: float = 0.8,
) -> FloatArray:
    """SRI over the `window_days` local days ending on each day of the grid.

    Parameters
    ----------
    grid : MinuteGrid
    asleep : ndarray of bool, shape (n,)
        Sleep/wake state of each grid minute.
    valid : ndarray of bool, shape (n,), optional
        Minutes whose state is known (default: minutes with a valid count).
    window_days : int
        Days of the window (7: a rolling week); pairs end in its last ``window_days - 1`` days.
    min_coverage : float
        Minimum share of the window's possible pairs (``(window_days - 1) * 1440``) that must be
        valid; otherwise NaN.

    Returns
    -------
    ndarray of float64, shape (grid.n_days,)
        SRI, dimensionless, in [-100, 100].
    """
    ok = grid.valid if valid is None else valid
    n = asleep.size
    out = np.full(grid.n_days, np.nan)
    if n <= _MIN_PER_DAY or grid.n_days < window_days:
        return out
    pair_ok = ok[_MIN_PER_DAY:] & ok[:-_MIN_PER_DAY]
    same = (asleep[_MIN_PER_DAY:] == asleep[:-_MIN_PER_DAY]) & pair_ok
    later = slice(_MIN_PER_DAY, n)
    day = grid.day_index[later] + (grid.elapsed_min[later] >= _MIN_PER_DAY // 2)
    inside = day < grid.n_days
    day, pair_ok, same = day[inside], pair_ok[inside], same[inside]
    n_pairs = np.bincount(day, weights=pair_ok.astype(np.float64), minlength=grid.n_days)
    n_same = np.bincount(day, weights=same.astype(np.float64), minlength=grid.n_days)
    width = window_days - 1
    pairs_w = _rolling_sum(n_pairs, width)
    same_w = _rolling_sum(n_same, width)
    enough = pairs_w >= min_coverage * width * _MIN_PER_DAY
    enough[: window_days - 1] = False  # the window's first day must lie within the grid
    with np.errstate(invalid="ignore", divide="ignore"):
        sri = 200.0 * same_w / pairs_w - 100.0
    out[enough] = sri[enough]
    return out


def social_jetlag(
    midpoint_min: FloatArray,
    dates: npt.NDArray[np.datetime64],
    *,
    window_days: int = 7,
    min_free_days: int = 1,
    min_work_days: int = 2,
) -> FloatArray:
    """Absolute difference of mean free-day and workday sleep midpoints over a rolling window.

    Parameters
    ----------
    midpoint_min : ndarray of float64, shape (n_days,)
        Sleep midpoint of the sleep ending on each local day, minutes from local midnight; NaN
        when unknown.
    dates : ndarray of datetime64[D], shape (n_days,)
        Consecutive local dates of the rows.
    window_days : int
        Days ending on the row's date over which the means are taken.
    min_free_days, min_work_days : int
        Fewest known midpoints of each kind; otherwise NaN.

    Returns
    -------
    ndarray of float64, shape (n_days,)
        Social jetlag, minutes (>= 0).
    """
    n = midpoint_min.size
    # 1970-01-01 was a Thursday: weekday = (days + 3) % 7 with Monday = 0.
    weekday = (dates.astype("datetime64[D]").astype(np.int64) + 3) % 7
    free = weekday >= 5
    known = np.isfinite(midpoint_min)
    x = np.where(known, midpoint_min, 0.0)
    out = np.full(n, np.nan)
    if n < window_days:
        return out
    n_free = _rolling_sum((known & free).astype(np.float64), window_days)
    n_work = _rolling_sum((known & ~free).astype(np.float64), window_days)
    s_free = _rolling_sum(np.where(free, x, 0.0), window_days)
    s_work = _rolling_sum(np.where(free, 0.0, x), window_days)
    ok = (n_free >= min_free_days) & (n_work >= min_work_days)
    with np.errstate(invalid="ignore", divide="ignore"):
        sjl = np.abs(s_free / n_free - s_work / n_work)
    out[ok] = sjl[ok]
    return out
