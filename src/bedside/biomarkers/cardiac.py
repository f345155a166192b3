"""Heart-rate variability from RR intervals, and resting and nocturnal heart rate.

Time-domain HRV follows the Task Force of the European Society of Cardiology and the North
American Society of Pacing and Electrophysiology. Heart rate variability: standards of
measurement, physiological interpretation and clinical use. Circulation 1996;93:1043-1065.

Artefact and ectopic-beat rejection is a local-median variant of the 20% rule of Malik M,
Farrell T, Cripps T, Camm AJ. Heart rate variability in relation to prognosis after myocardial
infarction: selection of optimal processing techniques. Eur Heart J 1989;10:1060-1074. Malik
compares each interval with the preceding one; comparing with the median of a centred window
also rejects the compensatory pause that follows a premature beat, and is symmetric in time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.domain import InputFormatError

__all__ = [
    "DEFAULT_MIN_INTERVALS",
    "CleanRR",
    "clean_rr",
    "nocturnal_heart_rate",
    "resting_heart_rate",
    "rmssd",
    "sdnn",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_SOURCE = "cardiac"

DEFAULT_MIN_INTERVALS = 20
"""Minimum number of intervals for RMSSD and SDNN (about 15-20 s at rest).

This only guards against meaningless statistics; the Task Force recommends recordings of at
least 5 min for short-term HRV, which callers enforce on duration.
"""

_HALF_WINDOW = 2
"""Intervals on each side of the centre in the local-median window (5 intervals in all)."""


@dataclass(frozen=True, slots=True)
class CleanRR:
    """RR intervals after artefact and ectopic-beat rejection.

    Attributes
    ----------
    original_ms : ndarray of float64, shape (n,)
        The input intervals, ms.
    kept : ndarray of bool, shape (n,)
        True for intervals that passed every check.
    n_too_short, n_too_long : int
        Intervals rejected for being below ``min_ms`` or above ``max_ms``.
    n_ectopic : int
        Plausible intervals rejected by the local-median rule (ectopic beats, compensatory
        pauses, missed or extra detections).
    """

    original_ms: FloatArray
    kept: BoolArray
    n_too_short: int
    n_too_long: int
    n_ectopic: int

    @property
    def rr_ms(self) -> FloatArray:
        """The kept intervals in their original order, ms, shape (n_kept,)."""
        return self.original_ms[self.kept]

    @property
    def n_rejected(self) -> int:
        """Total number of rejected intervals."""
        return self.n_too_short + self.n_too_long + self.n_ectopic


def _as_positive_1d(values: npt.ArrayLike, field: str) -> FloatArray:
    """Validate a 1-D array of finite, strictly positive numbers."""
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputFormatError(_SOURCE, f"not numeric: {exc}", field=field) from exc
    if x.ndim != 1:
        raise InputFormatError(
            _SOURCE, f"must be one-dimensional, got shape {x.shape}", field=field
        )
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputFormatError(_SOURCE, f"non-finite value {x[i]} at index {i}", field=field)
    nonpos = x <= 0.0
    if nonpos.any():
        i = int(np.flatnonzero(nonpos)[0])
        raise InputFormatError(
            _SOURCE, f"values must be positive, got {x[i]} at index {i}", field=field
        )
    return x


def clean_rr(
    rr_ms: npt.ArrayLike,
    *,
    min_ms: float = 300.0,
    max_ms: float = 2000.0,
    max_relative_change: float = 0.2,
) -> CleanRR:
    """Reject implausible intervals and ectopic or artefactual beats.

    Two passes, each interval counted under the first reason that rejects it:

    1. Range: intervals ``< min_ms`` (too short) or ``> max_ms`` (too long) are rejected
       (defaults 300-2000 ms, i.e. 30-200 bpm).
    2. Local median: for each remaining interval, the reference is the median of the window of
       up to 5 remaining intervals centred on it (itself, the 2 preceding and the 2 following
       intervals that passed step 1; truncated at the ends of the series). The interval is
       rejected as ectopic when ``|rr - median| > max_relative_change * median``. All
       references come from the same step-1 series, so the result does not depend on the
       order in which intervals are examined.

    Parameters
    ----------
    rr_ms : array_like of float, shape (n,)
        Successive RR (or NN) intervals, ms; finite and positive.
    min_ms, max_ms : float
        Physiologically plausible range, ms.
    max_relative_change : float
        Largest accepted relative deviation from the local median (0.2 = Malik's 20%).

    Returns
    -------
    CleanRR

    Raises
    ------
    InputFormatError
        When `rr_ms` is not 1-D or holds non-finite or non-positive values, or the settings
        are inconsistent.
    """
    x = _as_positive_1d(rr_ms, "rr_ms")
    if not (0.0 < min_ms < max_ms) or not (max_relative_change > 0.0):
        raise InputFormatError(
            _SOURCE,
            f"need 0 < min_ms < max_ms and max_relative_change > 0, got min_ms={min_ms}, "
            f"max_ms={max_ms}, max_relative_change={max_relative_change}",
        )
    too_short = x < min_ms
    too_long = x > max_ms
    plausible = ~(too_short | too_long)
    idx = np.flatnonzero(plausible)
    y = x[idx]
    m = y.size
    ectopic_local = np.zeros(m, dtype=bool)
    if m > 0:
        padded = np.full(m + 2 * _HALF_WINDOW, np.nan)
        padded[_HALF_WINDOW : _HALF_WINDOW + m] = y
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * _HALF_WINDOW + 1)
        # Full windows: the middle of the sorted window (np.nanmedian's masked path is ~10x
        # slower); only the truncated windows at both ends need the NaN-aware median.
        ref = np.sort(windows, axis=1)[:, _HALF_WINDOW]
        ends = np.r_[0 : min(_HALF_WINDOW, m), max(m - _HALF_WINDOW, 0) : m]
        ref[ends] = np.nanmedian(windows[ends], axis=1)
        ectopic_local = np.abs(y - ref) > max_relative_change * ref
    kept = plausible.copy()
    kept[idx[ectopic_local]] = False
    return CleanRR(
        original_ms=x,
        kept=kept,
        n_too_short=int(too_short.sum()),
        n_too_long=int(too_long.sum()),
        n_ectopic=int(ectopic_local.sum()),
    )


def _series_and_mask(rr: CleanRR | npt.ArrayLike) -> tuple[FloatArray, BoolArray]:
    if isinstance(rr, CleanRR):
        return rr.original_ms, rr.kept
    x = _as_positive_1d(rr, "rr_ms")
    return x, np.ones(x.size, dtype=bool)


def rmssd(rr: CleanRR | npt.ArrayLike, *, min_intervals: int = DEFAULT_MIN_INTERVALS) -> float:
    """Root mean square of successive differences (Task Force 1996), ms.

    Only differences between two kept intervals that were adjacent in the original series are
    used: a rejected interval breaks adjacency, so no difference is taken across it (otherwise
    removing a beat would fabricate a difference between two intervals that never followed
    each other).

    Parameters
    ----------
    rr : CleanRR or array_like of float, shape (n,)
        The result of :func:`clean_rr` (adjacency from its mask), or intervals in ms taken to be
        all adjacent.
    min_intervals : int
        NaN is returned when fewer than ``min_intervals - 1`` adjacent differences are
        available (the count an uninterrupted run of `min_intervals` intervals gives).

    Returns
    -------
    float
        RMSSD, ms, or NaN.
    """
    x, kept = _series_and_mask(rr)
    pair = kept[1:] & kept[:-1]
    n_diff = int(pair.sum())
    if n_diff < max(min_intervals - 1, 1):
        return float("nan")
    d = np.diff(x)[pair]
    return float(np.sqrt(np.mean(d * d)))


def sdnn(rr: CleanRR | npt.ArrayLike, *, min_intervals: int = DEFAULT_MIN_INTERVALS) -> float:
    """Standard deviation of NN intervals (Task Force 1996), ms.

    The sample standard deviation (``ddof=1``), as in the Task Force formula and neurokit2,
    over the kept intervals (adjacency does not matter for SDNN).

    Parameters
    ----------
    rr : CleanRR or array_like of float, shape (n,)
        The result of :func:`clean_rr`, or intervals in ms.
    min_intervals : int
        NaN is returned with fewer kept intervals than this (and always with fewer than 2).

    Returns
    -------
    float
        SDNN, ms, or NaN.
    """
    x, kept = _series_and_mask(rr)
    y = x[kept]
    if y.size < max(min_intervals, 2):
        return float("nan")
    return float(np.std(y, ddof=1))


def _validate_hr(times_utc_s: npt.ArrayLike, bpm: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    try:
        t = np.asarray(times_utc_s, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputFormatError(_SOURCE, f"not numeric: {exc}", field="times_utc_s") from exc
    if t.ndim != 1:
        raise InputFormatError(_SOURCE, "must be one-dimensional", field="times_utc_s")
    if not np.isfinite(t).all():
        raise InputFormatError(_SOURCE, "non-finite time", field="times_utc_s")
    hr = _as_positive_1d(bpm, "bpm")
    if hr.size != t.size:
        raise InputFormatError(_SOURCE, f"{t.size} times but {hr.size} heart rates", field="bpm")
    steps = np.diff(t)
    if (steps <= 0.0).any():
        i = int(np.flatnonzero(steps <= 0.0)[0]) + 1
        raise InputFormatError(
            _SOURCE, f"times must be strictly increasing (index {i})", field="times_utc_s"
        )
    return t, hr


def _local_midnights(t: FloatArray, tz: ZoneInfo) -> tuple[list[dt.date], list[int]]:
    """Local dates spanned by `t` and the UTC instants of their local midnights (one extra)."""
    first = dt.datetime.fromtimestamp(float(t[0]), tz).date()
    last = dt.datetime.fromtimestamp(float(t[-1]), tz).date()
    n = (last - first).days + 1
    dates = [first + dt.timedelta(days=k) for k in range(n)]
    edges = [_utc_of(d, 0, tz) for d in [*dates, last + dt.timedelta(days=1)]]
    return dates, edges


def _utc_of(day: dt.date, hour: int, tz: ZoneInfo) -> int:
    """UTC seconds of local wall time `hour`:00 on `day` (24 = next midnight)."""
    wall = dt.datetime(day.year, day.month, day.day) + dt.timedelta(hours=hour)
    local = wall.replace(tzinfo=tz)
    # A wall time inside a spring-forward gap takes the pre-transition offset (fold=0, PEP 495).
    return int(local.timestamp())


def _check_settings(sample_period_s: float, min_coverage: float) -> None:
    if not sample_period_s > 0.0 or not 0.0 < min_coverage <= 1.0:
        raise InputFormatError(
            _SOURCE,
            f"need sample_period_s > 0 and 0 < min_coverage <= 1, got {sample_period_s}, "
            f"{min_coverage}",
        )


def resting_heart_rate(
    times_utc_s: npt.ArrayLike,
    bpm: npt.ArrayLike,
    zone: str,
    *,
    window_s: float = 1800.0,
    sample_period_s: float = 60.0,
    min_coverage: float = 0.8,
) -> dict[dt.date, float]:
    """Resting heart rate per local calendar day: the lowest 30-min rolling mean, bpm.

    For each local day ``[00:00, next 00:00)`` (23 h or 25 h on clock-change days), every
    window ``[t, t + window_s)`` starting at a sample time `t` and ending within the day is
    considered; a window qualifies when its samples cover at least `min_coverage` of it
    (``n * sample_period_s / window_s``). The day's value is the lowest mean bpm over the
    qualifying windows. The whole day is used, sleep included (the lowest sustained rate
    usually falls in sleep). NaN when the day's samples cover less than `min_coverage` of the
    day's true length, or no window qualifies.

    Parameters
    ----------
    times_utc_s : array_like of float, shape (n,)
        Sample instants, seconds since the epoch (UTC), strictly increasing.
    bpm : array_like of float, shape (n,)
        Heart rate, beats/min; finite and positive.
    zone : str
        IANA zone of the patient's local calendar.
    window_s : float
        Rolling-window length, s (default 30 min).
    sample_period_s : float
        Nominal interval between samples, s, for coverage.
    min_coverage : float
        Minimum covered share of each window and of the day.

    Returns
    -------
    dict of datetime.date to float
        One entry per local date from the first to the last sample.
    """
    t, hr = _validate_hr(times_utc_s, bpm)
    _check_settings(sample_period_s, min_coverage)
    if not window_s > 0.0:
        raise InputFormatError(_SOURCE, f"window_s must be positive, got {window_s}")
    if t.size == 0:
        return {}
    dates, edges = _local_midnights(t, ZoneInfo(zone))
    out: dict[dt.date, float] = {}
    for k, day in enumerate(dates):
        lo, hi = np.searchsorted(t, [edges[k], edges[k + 1]], side="left")
        # running sum restarted each day: a day's value does not depend on where the series
        # starts, so chunked extraction gives the same bits (windows end within the day)
        csum = np.concatenate([[0.0], np.cumsum(hr[lo:hi])])
        day_len = edges[k + 1] - edges[k]
        if (hi - lo) * sample_period_s < min_coverage * day_len:
            out[day] = float("nan")
            continue
        starts = np.arange(lo, hi)
        starts = starts[t[starts] + window_s <= edges[k + 1]]
        ends = np.searchsorted(t, t[starts] + window_s, side="left")
        n = ends - starts
        ok = n * sample_period_s >= min_coverage * window_s
        if not ok.any():
            out[day] = float("nan")
            continue
        means = (csum[ends[ok] - lo] - csum[starts[ok] - lo]) / n[ok]
        out[day] = float(means.min())
    return out


def nocturnal_heart_rate(
    times_utc_s: npt.ArrayLike,
    bpm: npt.ArrayLike,
    zone: str,
    night: tuple[int, int] = (0, 6),
    *,
    sample_period_s: float = 60.0,
    min_coverage: float = 0.8,
) -> dict[dt.date, float]:
    """Mean heart rate over local ``night[0]:00`` to ``night[1]:00`` of each local date, bpm.

    The window runs between the UTC instants of the two local wall times, so it lasts 5 h on
    the spring-forward date and 7 h on the fall-back date in Europe/Oslo (clock changes at
    02:00/03:00); coverage (``n * sample_period_s`` over the window's true length) is judged
    against that length.

    Parameters
    ----------
    times_utc_s : array_like of float, shape (n,)
        Sample instants, seconds since the epoch (UTC), strictly increasing.
    bpm : array_like of float, shape (n,)
        Heart rate, beats/min; finite and positive.
    zone : str
        IANA zone.
    night : tuple of int
        Local start and end hours, ``0 <= start < end <= 24``.
    sample_period_s, min_coverage : float
        NaN when the samples cover less than `min_coverage` of the window.

    Returns
    -------
    dict of datetime.date to float
        One entry per local date from the first to the last sample.
    """
    t, hr = _validate_hr(times_utc_s, bpm)
    _check_settings(sample_period_s, min_coverage)
    start_h, end_h = night
    if not 0 <= start_h < end_h <= 24:
        raise InputFormatError(_SOURCE, f"need 0 <= start < end <= 24, got night={night}")
    if t.size == 0:
        return {}
    tz = ZoneInfo(zone)
    dates, _ = _local_midnights(t, tz)
    out: dict[dt.date, float] = {}
    for day in dates:
        a, b = _utc_of(day, start_h, tz), _utc_of(day, end_h, tz)
        lo, hi = np.searchsorted(t, [a, b], side="left")
        if hi <= lo or (hi - lo) * sample_period_s < min_coverage * (b - a):
            out[day] = float("nan")
            continue
        out[day] = float(hr[lo:hi].mean())
    return out
