"""Vectorised robust location, scale and weekday effects of windows of daily values.

These array functions are the single implementation of "fit a baseline on a window" used both by
`PersonalBaseline` (one patient, shape ``(n_biomarkers, n_days)``) and by the per-patient
false-alarm calibration (thousands of simulated series, shape ``(n_series, n_biomarkers,
n_days)``), so that the simulation runs exactly the scheme the device runs.

Model of one biomarker in a window: ``x_t = m + o_{w(t)} + s e_t`` with ``m`` the median, ``o_w``
the offset of weekday ``w`` (Monday = 0) and ``s`` the robust scale. The weekday offset is the
median residual of that weekday shrunk towards 0 by ``n_w / (n_w + weekday_shrinkage)`` (with 4
Mondays in a 28-day window and the default shrinkage 4 an offset counts half), so that a noisy
weekday median does not become a fixed error in every later z-score; the scale is
``max(1.4826 MAD of x - m - o, floor)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAD_TO_SD",
    "LocationScale",
    "fit_location_scale",
    "last_valid_mask",
    "nan_median",
    "weekday_of",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

MAD_TO_SD = 1.4826
"""Factor turning a median absolute deviation into a standard-deviation estimate (normal data)."""


def nan_median(a: FloatArray) -> FloatArray:
    """Median along the last axis ignoring NaN; NaN where a row has no value.

    Sort-based (NaN sorts last), so it is exact and much faster than `numpy.nanmedian` on many
    short rows.
    """
    a = np.asarray(a, dtype=np.float64)
    if a.shape[-1] == 0:
        return np.full(a.shape[:-1], np.nan)
    n = (~np.isnan(a)).sum(axis=-1)
    s = np.sort(a, axis=-1)
    lo = np.clip((n - 1) // 2, 0, None)[..., None]
    hi = np.clip(n // 2, 0, None)[..., None]
    med = 0.5 * (np.take_along_axis(s, lo, -1) + np.take_along_axis(s, hi, -1))[..., 0]
    return np.where(n > 0, med, np.nan)


def last_valid_mask(valid: BoolArray, window: int) -> BoolArray:
    """The last `window` True entries along the last axis of `valid` (fewer if fewer exist)."""
    rev = np.cumsum(valid[..., ::-1], axis=-1)[..., ::-1]
    return valid & (rev <= window)


def weekday_of(dates: npt.NDArray[np.datetime64]) -> IntArray:
    """Weekday (Monday = 0) of each date."""
    days = dates.astype("datetime64[D]").astype(np.int64)
    # 1970-01-01 was a Thursday (3)
    return ((days + 3) % 7).astype(np.int64)


@dataclass(frozen=True)
class LocationScale:
    """Robust fit of windows of daily values (leading shape ``L``).

    Attributes
    ----------
    median : ndarray of float64, shape L
        Median, in the values' unit; NaN with no valid value.
    scale : ndarray of float64, shape L
        Floored robust SD of the weekday-adjusted residuals, in the values' unit.
    weekday_offset : ndarray of float64, shape L + (7,)
        Shrunk median residual per weekday (Monday = 0), in the values' unit; 0 when not fitted.
    n_valid : ndarray of int64, shape L
        Number of values the fit used.
    """

    median: FloatArray
    scale: FloatArray
    weekday_offset: FloatArray
    n_valid: IntArray


def fit_location_scale(
    values: FloatArray,
    first_weekday: int,
    floor: FloatArray | float,
    *,
    weekday_effects: bool = True,
    weekday_shrinkage: float = 4.0,
) -> LocationScale:
    """Fit median, weekday offsets and robust scale along the last axis (NaN = not used).

    Parameters
    ----------
    values : ndarray of float64, shape L + (n,)
        Window values of CONSECUTIVE days; NaN marks missing or excluded days.
    first_weekday : int
        Weekday of the window's first day (Monday = 0); day j has weekday
        ``(first_weekday + j) % 7``.
    floor : float or ndarray broadcastable to L
        Smallest scale allowed, in the values' unit.
    weekday_effects : bool
        Fit weekday offsets (else all offsets are 0).
    weekday_shrinkage : float
        Pseudo-count of the shrinkage of each weekday offset towards 0, in days.

    Returns
    -------
    LocationScale
    """
    x = np.asarray(values, dtype=np.float64)
    n = x.shape[-1]
    valid = ~np.isnan(x)
    n_valid = valid.sum(axis=-1).astype(np.int64)
    med = nan_median(x)
    resid = x - med[..., None]
    offsets = np.zeros((*x.shape[:-1], 7))
    if weekday_effects and n > 0:
        # pad at the front to whole weeks, so that column j of a (weeks, 7) view is one weekday:
        # one sort for all seven weekday medians
        pad = (-n) % 7
        padded = np.concatenate([np.full((*x.shape[:-1], pad), np.nan), resid], axis=-1)
        weeks = padded.reshape(*x.shape[:-1], -1, 7)
        by_day = np.swapaxes(weeks, -1, -2)  # L + (7, weeks)
        n_w = (~np.isnan(by_day)).sum(axis=-1)
        off = nan_median(by_day) * n_w / (n_w + weekday_shrinkage)
        off = np.where(n_w > 0, off, 0.0)  # column j of the padded view has weekday below
        weekdays = (first_weekday - pad + np.arange(7)) % 7
        offsets[..., weekdays] = off
        resid = resid - off[..., (np.arange(n) + pad) % 7]
    mad = nan_median(np.abs(resid))
    scale = np.maximum(MAD_TO_SD * mad, floor)
    scale = np.where(n_valid > 0, scale, np.nan)
    return LocationScale(med, scale, offsets, n_valid)
