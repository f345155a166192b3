"""Nonparametric rest-activity rhythm measures: IS, IV, RA, L5, M10 and the L5/M10 onsets.

Definitions follow pyActigraphy 1.2.2 (``BaseRaw.IS``, ``IV``, ``RA``, ``L5``, ``M10`` with their
defaults ``binarize=True, threshold=4, freq='1h'``), which implements Van Someren et al. 1999:

* Binarisation: a minute is active (1) when its count is ``> threshold`` (default 4), else 0;
  missing minutes stay missing.
* IS and IV use hourly bins holding the *sum* of the binarised minutes (active minutes per
  hour). Bins start at the start of the analysed span (pyActigraphy's ``origin='start'``); the
  daily table's windows start at local midnight, so their bins are clock hours.
  ``IS = var(mean profile by clock hour) / var(hourly values)`` and
  ``IV = mean(squared successive differences) / var(hourly values)``, both variances with
  ``ddof=1`` (pandas' default), so IS of a perfectly periodic signal over ``d`` whole days is
  ``(24 d - 1) / (23 d)``, slightly above 1, and IV of alternating values is ``4 (N - 1) / N``.
* L5 and M10 are the lowest 5-h and highest 10-h mean of the average daily profile at minute
  resolution (mean of the binarised minutes at each wall-clock minute of day), windows wrapping
  around midnight; RA = (M10 - L5) / (M10 + L5). Onsets are the wall-clock minute of day
  (0..1439) at which the window starts, the earliest one on ties.

Deliberate differences from pyActigraphy, which indexes data by local wall-clock time:

* Bins follow real time. On a spring-forward day the missing wall-clock hour does not exist here,
  whereas pyActigraphy creates an empty hourly bin whose sum is 0 (a spurious hour of rest).
  On a fall-back day the repeated hour forms two bins here (pyActigraphy cannot index it).
* A bin without any valid minute is missing (NaN) here; pyActigraphy sums it to 0. A bin with
  some valid minutes holds their sum in both (missing minutes count as inactive).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import MinuteGrid, day_lengths_min, minute_grid
from bedside.domain import SampleFrame

__all__ = [
    "CIRCADIAN_IDS",
    "DEFAULT_THRESHOLD",
    "NonparametricMeasures",
    "nonparametric_from_grid",
    "nonparametric_measures",
    "rolling_nonparametric",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_THRESHOLD = 4.0
"""pyActigraphy's default binarisation threshold: a minute with more than 4 counts is active."""

CIRCADIAN_IDS = (
    "circadian.interdaily_stability",
    "circadian.intradaily_variability",
    "circadian.relative_amplitude",
    "circadian.l5",
    "circadian.m10",
    "circadian.l5_onset_min",
    "circadian.m10_onset_min",
)

_L5_MIN = 300
_M10_MIN = 600


@dataclass(frozen=True, slots=True)
class NonparametricMeasures:
    """Nonparametric rest-activity measures of one span (NaN when not computable).

    Attributes
    ----------
    interdaily_stability : float
        IS, dimensionless (about 0..1.04, see module notes).
    intradaily_variability : float
        IV, dimensionless (0..4; about 2 for white noise).
    relative_amplitude : float
        RA, dimensionless in [0, 1].
    l5, m10 : float
        Mean binarised activity (fraction of active minutes) of the least active 5 h and the most
        active 10 h of the average day; in counts/min when ``binarize=False``.
    l5_onset_min, m10_onset_min : float
        Wall-clock minute of day (0..1439) at which L5 / M10 start.
    """

    interdaily_stability: float
    intradaily_variability: float
    relative_amplitude: float
    l5: float
    m10: float
    l5_onset_min: float
    m10_onset_min: float

    def as_dict(self) -> dict[str, float]:
        """Values keyed by the registry ids (``circadian.*``)."""
        return dict(
            zip(
                CIRCADIAN_IDS,
                (
                    self.interdaily_stability,
                    self.intradaily_variability,
                    self.relative_amplitude,
                    self.l5,
                    self.m10,
                    self.l5_onset_min,
                    self.m10_onset_min,
                ),
                strict=True,
            )
        )


_NAN_MEASURES = NonparametricMeasures(*([float("nan")] * 7))


def _activity(counts: FloatArray, binarize: bool, threshold: float) -> FloatArray:
    if not binarize:
        return counts
    out = (counts > threshold).astype(np.float64)
    out[np.isnan(counts)] = np.nan
    return out


def _var(x: FloatArray) -> float:
    ok = x[np.isfinite(x)]
    return float(np.var(ok, ddof=1)) if ok.size > 1 else float("nan")


def _is_iv(hour_values: FloatArray, hour_slot: IntArray) -> tuple[float, float]:
    """IS and IV of hourly values with their clock-hour slots, pyActigraphy's formulas."""
    total_var = _var(hour_values)
    if not np.isfinite(total_var) or total_var == 0.0:
        return float("nan"), float("nan")
    ok = np.isfinite(hour_values)
    n = np.bincount(hour_slot[ok], minlength=24).astype(np.float64)
    s = np.bincount(hour_slot[ok], weights=hour_values[ok], minlength=24)
    profile = s[n > 0] / n[n > 0]
    interdaily = _var(profile) / total_var
    diffs = np.diff(hour_values)
    diffs = diffs[np.isfinite(diffs)]
    intradaily = float(np.mean(diffs**2)) / total_var if diffs.size else float("nan")
    return interdaily, intradaily


def _lmx(minute_values: FloatArray, wall_min: IntArray) -> tuple[float, float, float, float]:
    """L5, L5 onset, M10, M10 onset from the average daily profile at minute resolution."""
    ok = np.isfinite(minute_values)
    if not bool(ok.any()):
        return (float("nan"),) * 4
    n = np.bincount(wall_min[ok], minlength=1440).astype(np.float64)
    s = np.bincount(wall_min[ok], weights=minute_values[ok], minlength=1440)
    profile = np.zeros(1440)
    np.divide(s, n, out=profile, where=n > 0)  # an unobserved minute adds 0, as in pandas
    cum = np.concatenate(([0.0], np.cumsum(np.concatenate((profile, profile)))))
    starts = np.arange(1440)
    sums5 = np.round(cum[starts + _L5_MIN] - cum[starts], 9)
    sums10 = np.round(cum[starts + _M10_MIN] - cum[starts], 9)
    i5 = int(np.argmin(sums5))
    i10 = int(np.argmax(sums10))
    l5 = float(profile[np.arange(i5, i5 + _L5_MIN) % 1440].sum()) / _L5_MIN
    m10 = float(profile[np.arange(i10, i10 + _M10_MIN) % 1440].sum()) / _M10_MIN
    return l5, float(i5), m10, float(i10)


def _measures(
    minute_values: FloatArray,
    wall_min: IntArray,
    hour_values: FloatArray,
    hour_slot: IntArray,
) -> NonparametricMeasures:
    interdaily, intradaily = _is_iv(hour_values, hour_slot)
    l5, l5_on, m10, m10_on = _lmx(minute_values, wall_min)
    denom = m10 + l5
    ra = (m10 - l5) / denom if np.isfinite(denom) and denom > 0 else float("nan")
    return NonparametricMeasures(interdaily, intradaily, ra, l5, m10, l5_on, m10_on)


def _hour_bins(
    grid: MinuteGrid, values: FloatArray, lo: int, hi: int, phase_s: int
) -> tuple[FloatArray, IntArray]:
    """Sums of `values` over hour bins of grid minutes [lo, hi), bins starting at `phase_s`.

    Returns the bin sums (NaN without any valid minute) and each bin's clock-hour slot 0..23.
    """
    idx = np.arange(lo, hi, dtype=np.int64)
    off = grid.offset_s[lo:hi]
    wall_s = idx * 60 + grid.start_utc + off - phase_s
    key = np.floor_divide(wall_s, 3600)
    change = np.ones(key.size, dtype=bool)
    change[1:] = (key[1:] != key[:-1]) | (off[1:] != off[:-1])
    bin_id = np.cumsum(change) - 1
    n_bins = int(bin_id[-1]) + 1 if bin_id.size else 0
    v = values[lo:hi]
    ok = np.isfinite(v)
    n_ok = np.bincount(bin_id[ok], minlength=n_bins)
    sums: FloatArray = np.bincount(bin_id[ok], weights=v[ok], minlength=n_bins).astype(np.float64)
    sums[n_ok == 0] = np.nan
    slot = np.mod(key[change], 24).astype(np.int64)
    return sums, slot


def nonparametric_from_grid(
    grid: MinuteGrid,
    lo: int = 0,
    hi: int | None = None,
    *,
    binarize: bool = True,
    threshold: float = DEFAULT_THRESHOLD,
) -> NonparametricMeasures:
    """Measures over grid minutes ``[lo, hi)``, hourly bins anchored at minute `lo`.

    Parameters
    ----------
    grid : MinuteGrid
    lo, hi : int
        Grid minute range (default: the whole grid).
    binarize : bool
        Binarise minutes (count > `threshold` -> 1) first, as pyActigraphy does by default.
    threshold : float
        Binarisation threshold in counts/min (default 4).
    """
    hi = grid.counts.size if hi is None else hi
    if hi - lo < 2:
        return _NAN_MEASURES
    values = _activity(grid.counts, binarize, threshold)
    phase = int((grid.start_utc + lo * 60 + int(grid.offset_s[lo])) % 3600)
    hv, hs = _hour_bins(grid, values, lo, hi, phase)
    return _measures(values[lo:hi], grid.wall_min[lo:hi], hv, hs)


def _to_utc_seconds(moment: dt.datetime, zone: str) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return int(moment.timestamp())


def nonparametric_measures(
    frame: SampleFrame,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    binarize: bool = True,
    threshold: float = DEFAULT_THRESHOLD,
) -> NonparametricMeasures:
    """IS, IV, RA, L5, M10 and onsets of a frame over ``[start, end)``.

    Parameters
    ----------
    frame : SampleFrame
        Minute actigraphy.
    start, end : datetime, optional
        Span limits; naive datetimes are local wall time in ``frame.zone``. Default: from the
        first to the last sample. Hourly bins start at `start` (or the first sample).
    binarize : bool
        Binarise minutes first (pyActigraphy's default True).
    threshold : float
        Binarisation threshold, counts/min: a minute is active when its count exceeds it (4).

    Returns
    -------
    NonparametricMeasures
        NaN fields when the span has too little data (for example, constant activity).
    """
    grid = minute_grid(frame)
    n = grid.counts.size
    if n == 0:
        return _NAN_MEASURES
    lo, hi = 0, n
    if start is not None:
        lo = int(np.clip((_to_utc_seconds(start, frame.zone) - grid.start_utc + 59) // 60, 0, n))
    if end is not None:
        hi = int(np.clip((_to_utc_seconds(end, frame.zone) - grid.start_utc + 59) // 60, 0, n))
    valid = np.flatnonzero(np.isfinite(grid.counts[lo:hi]))
    if valid.size < 2:
        return _NAN_MEASURES
    if start is None:
        lo += int(valid[0])
    return nonparametric_from_grid(grid, lo, hi, binarize=binarize, threshold=threshold)


def rolling_nonparametric(
    grid: MinuteGrid,
    *,
    window_days: int = 7,
    min_coverage: float = 0.8,
    binarize: bool = True,
    threshold: float = DEFAULT_THRESHOLD,
) -> dict[str, FloatArray]:
    """Measures over the `window_days` local days ending on each day of the grid.

    A day's value is NaN unless all `window_days` days lie within the recording and at least
    `min_coverage` of the window's minutes hold valid data. Bins are local clock hours.

    Returns
    -------
    dict of str to ndarray of float64, shape (grid.n_days,)
        Keyed by the ``circadian.*`` registry ids.
    """
    out = {k: np.full(grid.n_days, np.nan) for k in CIRCADIAN_IDS}
    if grid.n_days < window_days:
        return out
    values = _activity(grid.counts, binarize, threshold)
    day_idx = grid.day_index
    valid_per_day = np.bincount(day_idx[np.isfinite(values)], minlength=grid.n_days)
    lengths = day_lengths_min(grid.first_day, grid.n_days, grid.zone)
    bounds = np.searchsorted(day_idx, np.arange(grid.n_days + 1))
    # Clock-hour bins over the whole grid, computed once; then sliced per window.
    hv, hs = _hour_bins(grid, values, 0, values.size, 0)
    wall_s = np.arange(values.size, dtype=np.int64) * 60 + grid.start_utc + grid.offset_s
    key = np.floor_divide(wall_s, 3600)
    change = np.ones(key.size, dtype=bool)
    change[1:] = (key[1:] != key[:-1]) | (grid.offset_s[1:] != grid.offset_s[:-1])
    bin_start_minute = np.flatnonzero(change)
    bin_bounds = np.searchsorted(bin_start_minute, bounds)
    for d in range(window_days - 1, grid.n_days):
        first = d - window_days + 1
        cov = valid_per_day[first : d + 1].sum() / lengths[first : d + 1].sum()
        if cov < min_coverage:
            continue
        lo, hi = int(bounds[first]), int(bounds[d + 1])
        blo, bhi = int(bin_bounds[first]), int(bin_bounds[d + 1])
        m = _measures(values[lo:hi], grid.wall_min[lo:hi], hv[blo:bhi], hs[blo:bhi])
        for k, v in m.as_dict().items():
            out[k][d] = v
    return out
