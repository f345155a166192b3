"""Continuous glucose monitoring (CGM) metrics of one window, usually one local day.

Metric definitions and thresholds follow the international consensus on time in range:
Battelino T et al. Clinical targets for continuous glucose monitoring data interpretation:
recommendations from the international consensus on time in range. Diabetes Care
2019;42(8):1593-1603. doi:10.2337/dci19-0028. The glucose management indicator follows
Bergenstal RM et al. Glucose management indicator (GMI): a new term for estimating A1C from
continuous glucose monitoring. Diabetes Care 2018;41(11):2275-2280. doi:10.2337/dc18-1581:
``GMI (%) = 3.31 + 0.02392 * mean glucose (mg/dL)``. MAGE follows Service FJ et al. Mean
amplitude of glycemic excursions, a measure of diabetic instability. Diabetes 1970;19(9):644-655.

Rules used here (all documented choices, not part of the cited papers unless said so):

* Units: ``"mg/dL"`` or ``"mmol/L"`` (converted with 18.0182 mg/dL per mmol/L); anything else
  raises :class:`~bedside.domain.InputFormatError` naming the unit.
* Plausibility: a value outside 20-600 mg/dL (after conversion), or not finite, **raises**
  ``InputFormatError`` naming the first offending index and value; nothing is dropped silently.
* Times are int64 UTC seconds and must be strictly increasing. Only readings inside the window
  ``[window_start_utc, window_end_utc)`` are used.
* Coverage = readings in the window / expected readings (window length / nominal interval),
  capped at 1. The consensus recommends >= 70 % of data, so time-based percentages are NaN when
  coverage < 0.7. Mean, SD, CV, GMI and MAGE are still reported (with ``coverage``) so that the
  caller can decide; they are NaN only when there are too few readings to compute them.
* Time weighting: each reading represents ``min(gap to next reading, 2 x nominal interval)``
  seconds; the last reading represents one nominal interval. Both are clipped at the window end.
  A gap of up to two nominal intervals (one missed reading) is thus attributed to the reading
  before it; longer gaps are treated as missing time and attributed to no range. Percentages are
  shares of the represented time.
* Ranges (consensus): in range 70-180 mg/dL inclusive; below 70 (``< 70``), below 54
  (``< 54``); above 180 (``> 180``), above 250 (``> 250``).
* Mean and SD are of the readings (unweighted); SD uses ``ddof=1`` (R's ``sd``, as in common
  CGM software); CV = 100 * SD / mean.
* MAGE turning points: (1) runs of equal consecutive values are collapsed to one point; (2)
  turning points are the strict interior local maxima and minima of that sequence (the first and
  last readings are not turning points, because the excursion they would end is unobserved);
  (3) repeatedly, the adjacent peak/nadir pair with the smallest amplitude ``<= SD`` is removed
  (both points when interior, only the end point when it involves the first or last turning
  point) -- removing the smallest pair always keeps the more extreme neighbours, so alternation
  of peaks and nadirs is preserved; (4) MAGE is the mean amplitude of the remaining excursions
  between adjacent turning points, rises and falls alike (all exceed 1 SD). NaN when no
  excursion exceeds 1 SD.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.domain import InputFormatError

__all__ = [
    "DEFAULT_NOMINAL_INTERVAL_S",
    "MGDL_PER_MMOLL",
    "MIN_COVERAGE",
    "GlucoseMetrics",
    "glucose_metrics",
    "mage",
    "nocturnal_daytime_split",
    "to_mgdl",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MGDL_PER_MMOLL = 18.0182
"""mg/dL per mmol/L of glucose."""

DEFAULT_NOMINAL_INTERVAL_S = 300
"""Nominal CGM sampling interval in seconds (5 min)."""

MIN_COVERAGE = 0.7
"""Consensus minimum share of expected readings for time-based percentages."""

PLAUSIBLE_MGDL = (20.0, 600.0)
"""Inclusive plausible range of glucose in mg/dL; outside it is an input error."""

_DAY_S = 86_400
_NIGHT_END_HOUR = 6


@dataclass(frozen=True, slots=True)
class GlucoseMetrics:
    """CGM metrics of one window (NaN when not computable; see module notes).

    Attributes
    ----------
    mean_mgdl : float
        Mean glucose, mg/dL.
    sd_mgdl : float
        Standard deviation (ddof=1), mg/dL.
    cv_pct : float
        Coefficient of variation, % (100 * SD / mean).
    tir_pct : float
        Time in range 70-180 mg/dL, % of represented time.
    tbr70_pct : float
        Time below 70 mg/dL, %.
    tbr54_pct : float
        Time below 54 mg/dL, %.
    tar180_pct : float
        Time above 180 mg/dL, %.
    tar250_pct : float
        Time above 250 mg/dL, %.
    gmi_pct : float
        Glucose management indicator, % (3.31 + 0.02392 * mean mg/dL).
    mage_mgdl : float
        Mean amplitude of glycaemic excursions, mg/dL.
    coverage : float
        Readings present / expected readings in the window, 0..1.
    n_samples : int
        Number of readings in the window.
    """

    mean_mgdl: float
    sd_mgdl: float
    cv_pct: float
    tir_pct: float
    tbr70_pct: float
    tbr54_pct: float
    tar180_pct: float
    tar250_pct: float
    gmi_pct: float
    mage_mgdl: float
    coverage: float
    n_samples: int


def to_mgdl(values: npt.ArrayLike, unit: str, *, source: str = "glucose") -> FloatArray:
    """Convert glucose values to mg/dL and check plausibility.

    Parameters
    ----------
    values : array_like
        Glucose values in `unit`.
    unit : str
        ``"mg/dL"`` or ``"mmol/L"``.
    source : str
        Named in errors.

    Returns
    -------
    numpy.ndarray
        Values in mg/dL (float64).

    Raises
    ------
    InputFormatError
        Unknown unit, or a value non-finite or outside 20-600 mg/dL.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if unit == "mg/dL":
        mg = v.copy()
    elif unit == "mmol/L":
        mg = v * MGDL_PER_MMOLL
    else:
        raise InputFormatError(
            source, f"unknown glucose unit {unit!r}; use 'mg/dL' or 'mmol/L'", field="unit"
        )
    lo, hi = PLAUSIBLE_MGDL
    bad = ~(np.isfinite(mg) & (mg >= lo) & (mg <= hi))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputFormatError(
            source,
            f"implausible glucose {v[i]!r} {unit} at index {i} "
            f"(plausible range {lo:g}-{hi:g} mg/dL); {int(bad.sum())} value(s) out of range",
            field="glucose",
        )
    return mg


def _check_times(times_utc: npt.ArrayLike, n: int, source: str) -> IntArray:
    t = np.asarray(times_utc).reshape(-1)
    if t.size != n:
        raise InputFormatError(source, f"{n} glucose values but {t.size} times", field="time")
    if t.size and not np.issubdtype(t.dtype, np.integer):
        raise InputFormatError(source, "times must be integer UTC seconds", field="time")
    t = t.astype(np.int64)
    if t.size > 1 and not bool(np.all(np.diff(t) > 0)):
        i = int(np.flatnonzero(np.diff(t) <= 0)[0]) + 1
        raise InputFormatError(source, f"times not strictly increasing at index {i}", field="time")
    return t


def mage(values_mgdl: npt.ArrayLike) -> float:
    """Mean amplitude of glycaemic excursions exceeding 1 SD (Service et al. 1970).

    Parameters
    ----------
    values_mgdl : array_like
        Glucose readings in time order, mg/dL.

    Returns
    -------
    float
        MAGE in mg/dL; NaN with fewer than 2 readings or no excursion above 1 SD (ddof=1).
        See the module notes for the turning-point algorithm.
    """
    v = np.asarray(values_mgdl, dtype=np.float64).reshape(-1)
    if v.size < 2:
        return float("nan")
    sd = float(np.std(v, ddof=1))
    keep = np.concatenate(([True], v[1:] != v[:-1]))
    u = v[keep]
    if u.size < 3:
        return float("nan")
    d = np.diff(u)
    turn = np.flatnonzero(d[:-1] * d[1:] < 0) + 1
    points = _drop_small_excursions([float(x) for x in u[turn]], sd)
    if len(points) < 2:
        return float("nan")
    return float(np.mean(np.abs(np.diff(np.asarray(points)))))


def _drop_small_excursions(points: list[float], sd: float) -> list[float]:
    """Repeatedly remove the smallest excursion while it is at most `sd`: at either end the
    outer point, inside both of its points (the first smallest when several are equal).

    A heap of neighbour pairs over a linked list, O(n log n); pairs made stale by a removal are
    skipped when popped.
    """
    n = len(points)
    if n < 2:
        return points
    nxt = list(range(1, n + 1))
    nxt[-1] = -1
    prv = list(range(-1, n - 1))
    alive = [True] * n
    heap = [(abs(points[i + 1] - points[i]), i, i + 1) for i in range(n - 1)]
    heapq.heapify(heap)
    while heap:
        amp, left, right = heap[0]
        if not (alive[left] and alive[right] and nxt[left] == right):
            heapq.heappop(heap)
            continue
        if amp > sd:
            break
        heapq.heappop(heap)
        before, after = prv[left], nxt[right]
        if before == -1:  # the first excursion: drop the first point
            alive[left] = False
            prv[right] = -1
        elif after == -1:  # the last excursion: drop the last point
            alive[right] = False
            nxt[left] = -1
        else:  # inside: drop both points, their neighbours become adjacent
            alive[left] = alive[right] = False
            nxt[before], prv[after] = after, before
            heapq.heappush(heap, (abs(points[after] - points[before]), before, after))
    return [p for p, keep in zip(points, alive, strict=True) if keep]


def _pct(weights: FloatArray, mask: npt.NDArray[np.bool_], total: float) -> float:
    return float(100.0 * weights[mask].sum() / total)


def glucose_metrics(
    values: npt.ArrayLike,
    times_utc: npt.ArrayLike,
    *,
    unit: str = "mg/dL",
    nominal_interval_s: int = DEFAULT_NOMINAL_INTERVAL_S,
    window_start_utc: int | None = None,
    window_end_utc: int | None = None,
    source: str = "glucose",
) -> GlucoseMetrics:
    """CGM metrics of the readings in ``[window_start_utc, window_end_utc)``.

    Parameters
    ----------
    values : array_like
        Glucose readings in `unit`.
    times_utc : array_like of int
        Reading times, UTC seconds, strictly increasing.
    unit : str
        ``"mg/dL"`` or ``"mmol/L"``.
    nominal_interval_s : int
        Nominal sampling interval in seconds (default 300).
    window_start_utc : int or None
        Window start, UTC seconds; default the first reading's time.
    window_end_utc : int or None
        Window end (exclusive), UTC seconds; default start + 24 h.
    source : str
        Named in errors.

    Returns
    -------
    GlucoseMetrics
        See the module notes for weighting, coverage and NaN rules.

    Raises
    ------
    InputFormatError
        Unknown unit, implausible values, mismatched or non-increasing times, bad window or
        interval.
    """
    mg = to_mgdl(values, unit, source=source)
    t = _check_times(times_utc, mg.size, source)
    if nominal_interval_s <= 0:
        raise InputFormatError(source, "nominal interval must be positive", field="interval")
    if window_start_utc is None:
        if t.size == 0:
            raise InputFormatError(source, "no readings and no window given", field="time")
        window_start_utc = int(t[0])
    if window_end_utc is None:
        window_end_utc = window_start_utc + _DAY_S
    if window_end_utc <= window_start_utc:
        raise InputFormatError(source, "window end must be after its start", field="window")
    inside = (t >= window_start_utc) & (t < window_end_utc)
    v, tw = mg[inside], t[inside]
    n = int(v.size)
    expected = (window_end_utc - window_start_utc) / nominal_interval_s
    coverage = float(min(1.0, n / expected))
    nan = float("nan")
    if n == 0:
        return GlucoseMetrics(nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, coverage, 0)
    mean = float(v.mean())
    sd = float(v.std(ddof=1)) if n >= 2 else nan
    cv = 100.0 * sd / mean
    gmi = 3.31 + 0.02392 * mean
    pcts = [nan] * 5
    if coverage >= MIN_COVERAGE:
        nxt = np.append(np.diff(tw), nominal_interval_s).astype(np.float64)
        w = np.minimum(nxt, 2.0 * nominal_interval_s)
        w = np.minimum(w, (window_end_utc - tw).astype(np.float64))
        total = float(w.sum())
        pcts = [
            _pct(w, (v >= 70.0) & (v <= 180.0), total),
            _pct(w, v < 70.0, total),
            _pct(w, v < 54.0, total),
            _pct(w, v > 180.0, total),
            _pct(w, v > 250.0, total),
        ]
    return GlucoseMetrics(
        mean_mgdl=mean,
        sd_mgdl=sd,
        cv_pct=cv,
        tir_pct=pcts[0],
        tbr70_pct=pcts[1],
        tbr54_pct=pcts[2],
        tar180_pct=pcts[3],
        tar250_pct=pcts[4],
        gmi_pct=gmi,
        mage_mgdl=mage(v),
        coverage=coverage,
        n_samples=n,
    )


def nocturnal_daytime_split(
    values: npt.ArrayLike,
    times_utc: npt.ArrayLike,
    *,
    day: dt.date,
    zone: str,
    unit: str = "mg/dL",
    nominal_interval_s: int = DEFAULT_NOMINAL_INTERVAL_S,
    source: str = "glucose",
) -> tuple[GlucoseMetrics, GlucoseMetrics]:
    """Metrics of the night (00:00-06:00 local) and the rest (06:00-24:00) of a local day.

    Parameters
    ----------
    values : array_like
        Glucose readings in `unit`.
    times_utc : array_like of int
        Reading times, UTC seconds, strictly increasing.
    day : datetime.date
        Local calendar date.
    zone : str
        IANA time zone of the patient (e.g. ``"Europe/Oslo"``).
    unit : str
        ``"mg/dL"`` or ``"mmol/L"``.
    nominal_interval_s : int
        Nominal sampling interval, seconds.
    source : str
        Named in errors.

    Returns
    -------
    tuple of GlucoseMetrics
        ``(nocturnal, daytime)``. Each window's coverage is relative to its own real length, so
        DST days (23 h or 25 h) are handled.
    """
    tz = ZoneInfo(zone)
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    six = dt.datetime.combine(day, dt.time(_NIGHT_END_HOUR), tzinfo=tz)
    nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    a, b, c = (int(x.timestamp()) for x in (midnight, six, nxt))
    night, rest = (
        glucose_metrics(
            values,
            times_utc,
            unit=unit,
            nominal_interval_s=nominal_interval_s,
            window_start_utc=start,
            window_end_utc=end,
            source=source,
        )
        for start, end in ((a, b), (b, c))
    )
    return night, rest
