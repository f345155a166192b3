"""Cortisol day metrics from saliva or wearable series: awakening response, diurnal slope, mean.

Definitions
-----------
* Area under the curve (Pruessner JC, Kirschbaum C, Meinlschmid G, Hellhammer DH. Two formulas
  for computation of the area under the curve represent measures of total hormone concentration
  versus time-dependent change. Psychoneuroendocrinology 2003;28(7):916-931,
  doi:10.1016/S0306-4530(02)00108-7), with samples ``m_1..m_n`` and intervals ``t_i`` between
  sample ``i`` and ``i + 1``::

      AUCg = sum_{i=1}^{n-1} (m_{i+1} + m_i) * t_i / 2
      AUCi = AUCg - m_1 * sum_{i=1}^{n-1} t_i

  Times are in minutes, so both areas are in nmol/L x min (UCUM ``nmol/L.min``).
* Cortisol awakening response (CAR) = AUCi of the samples from waking to ``car_window_min``
  (default 60 min) after waking. Following the expert consensus on CAR assessment (Stalder T et
  al. Assessment of the cortisol awakening response: expert consensus guidelines.
  Psychoneuroendocrinology 2016;63:414-432, doi:10.1016/j.psyneuen.2015.10.010) the first sample
  must be taken within ``max_wake_delay_min`` (default 15 min) of waking and at least three
  samples must fall in the window; otherwise the CAR is NaN for the day.
* Diurnal slope: ordinary least-squares slope of cortisol (nmol/L) on hours since waking, over
  the waking sample and every sample after the CAR window (the CAR peak is excluded, as in the
  "wake-to-bed" slopes reviewed by Adam EK et al. Diurnal cortisol slopes and mental and physical
  health outcomes: a systematic review and meta-analysis. Psychoneuroendocrinology
  2017;83:25-41, doi:10.1016/j.psyneuen.2017.05.018). Unit nmol/L/h; it is negative in a healthy
  rhythm, and a flatter (less negative) slope is the adverse direction. NaN with fewer than two
  such samples or when they span less than ``min_slope_span_h`` (default 6 h).
* Mean level: time-weighted mean from waking, AUCg of all the day's samples divided by the time
  they span (a single sample is its own mean), so dense post-awakening sampling does not
  dominate it. Elevated cortisol in depression: Stetler C, Miller GE. Depression and
  hypothalamic-pituitary-adrenal activation: a quantitative summary of four decades of research.
  Psychosom Med 2011;73(2):114-126.

Rules (documented choices)
--------------------------
* Units: ``"nmol/L"`` or ``"ug/dL"`` (also spelled ``"µg/dL"`` or ``"mcg/dL"``), converted with
  1 ug/dL = 27.59 nmol/L (cortisol molar mass 362.46 g/mol). Anything else raises
  :class:`~bedside.domain.InputFormatError` naming the unit. Values must be finite and within
  0-2000 nmol/L (saliva is usually 1-100, serum up to about 800); the first offending index is
  named and nothing is dropped silently.
* A day is the patient's local calendar day of the wake time. The wake time of a day is the
  given one (``wake_times_utc``: local date -> UTC seconds) or else the day's first sample.
  Samples of that date taken before waking are not used for any metric, and a
  :class:`~bedside.domain.DataQualityWarning` says how many were set aside.
* Coverage = samples used that day / ``expected_samples_per_day`` (default 5: waking, +30 min,
  +45 min, afternoon, bedtime), capped at 1; 0 on days without samples.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.domain import (
    DailyBiomarkerTable,
    DataQualityWarning,
    InputFormatError,
    Modality,
    SampleFrame,
)

__all__ = [
    "CORTISOL_IDS",
    "NMOL_PER_L_PER_UG_PER_DL",
    "CortisolDay",
    "auc_ground",
    "auc_increase",
    "cortisol_day",
    "daily_cortisol",
    "to_nmol_per_l",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NMOL_PER_L_PER_UG_PER_DL = 27.59
"""nmol/L of cortisol per ug/dL."""

PLAUSIBLE_NMOL_L = (0.0, 2000.0)
"""Inclusive plausible range of cortisol, nmol/L; outside it is an input error."""

CORTISOL_IDS: tuple[str, ...] = (
    "cortisol.car_auci",
    "cortisol.diurnal_slope_per_h",
    "cortisol.mean_nmol_l",
)
"""Daily biomarker ids of this module, in table order."""

_UG_DL_SPELLINGS = frozenset({"ug/dL", "µg/dL", "μg/dL", "mcg/dL"})


def to_nmol_per_l(values: npt.ArrayLike, unit: str, *, source: str = "cortisol") -> FloatArray:
    """Convert cortisol concentrations to nmol/L and check plausibility.

    Parameters
    ----------
    values : array_like
        Concentrations in `unit`.
    unit : str
        ``"nmol/L"`` or ``"ug/dL"`` (``"µg/dL"``, ``"mcg/dL"``).
    source : str
        Named in errors.

    Returns
    -------
    numpy.ndarray of float64
        Concentrations in nmol/L.

    Raises
    ------
    InputFormatError
        Unknown unit, or a value not finite or outside 0-2000 nmol/L.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if unit == "nmol/L":
        nmol = v.copy()
    elif unit in _UG_DL_SPELLINGS:
        nmol = v * NMOL_PER_L_PER_UG_PER_DL
    else:
        raise InputFormatError(
            source, f"unknown cortisol unit {unit!r}; use 'nmol/L' or 'ug/dL'", field="unit"
        )
    lo, hi = PLAUSIBLE_NMOL_L
    bad = ~(np.isfinite(nmol) & (nmol >= lo) & (nmol <= hi))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputFormatError(
            source,
            f"implausible cortisol {float(v[i])!r} {unit} at index {i} (plausible range "
            f"{lo:g}-{hi:g} nmol/L); {int(bad.sum())} value(s) out of range",
            field="cortisol",
        )
    return nmol


def auc_ground(times_min: npt.ArrayLike, values: npt.ArrayLike) -> float:
    """Area under the curve with respect to ground (Pruessner et al. 2003, formula 2).

    Parameters
    ----------
    times_min : array_like, shape (n,)
        Sample times in minutes, increasing.
    values : array_like, shape (n,)
        Concentrations (any unit; the area is in that unit x min).

    Returns
    -------
    float
        ``sum (m_{i+1} + m_i) * t_i / 2``; 0.0 for a single sample, NaN for none.
    """
    t = np.asarray(times_min, dtype=np.float64)
    m = np.asarray(values, dtype=np.float64)
    if m.size == 0:
        return float("nan")
    return float(np.sum((m[1:] + m[:-1]) * np.diff(t) / 2.0))


def auc_increase(times_min: npt.ArrayLike, values: npt.ArrayLike) -> float:
    """Area under the curve with respect to increase (Pruessner et al. 2003, formula 4).

    Parameters
    ----------
    times_min : array_like, shape (n,)
        Sample times in minutes, increasing.
    values : array_like, shape (n,)
        Concentrations.

    Returns
    -------
    float
        ``AUCg - m_1 * (t_n - t_1)``: the area above the first sample (negative when the
        concentration falls); NaN for no samples.
    """
    t = np.asarray(times_min, dtype=np.float64)
    m = np.asarray(values, dtype=np.float64)
    if m.size == 0:
        return float("nan")
    return auc_ground(t, m) - float(m[0]) * float(t[-1] - t[0])


@dataclass(frozen=True, slots=True)
class CortisolDay:
    """Cortisol metrics of one local day (NaN when not computable; see the module notes).

    Attributes
    ----------
    wake_utc : int
        Wake time used, UTC seconds.
    car_auci : float
        Awakening response, AUCi over the CAR window, nmol/L x min.
    diurnal_slope_per_h : float
        OLS slope of cortisol on hours since waking (CAR samples after waking excluded), nmol/L/h.
    mean_nmol_l : float
        Time-weighted mean from waking, nmol/L.
    n_samples : int
        Samples used (at or after waking).
    """

    wake_utc: int
    car_auci: float
    diurnal_slope_per_h: float
    mean_nmol_l: float
    n_samples: int


def cortisol_day(
    times_utc: npt.ArrayLike,
    values_nmol_l: npt.ArrayLike,
    wake_utc: int,
    *,
    car_window_min: float = 60.0,
    max_wake_delay_min: float = 15.0,
    min_slope_span_h: float = 6.0,
) -> CortisolDay:
    """Metrics of one day's samples taken at or after `wake_utc`.

    Parameters
    ----------
    times_utc : array_like of int, shape (n,)
        Sample times, UTC seconds, strictly increasing; samples before `wake_utc` are ignored.
    values_nmol_l : array_like, shape (n,)
        Cortisol, nmol/L.
    wake_utc : int
        Wake time, UTC seconds.
    car_window_min : float
        Length of the awakening window, minutes.
    max_wake_delay_min : float
        Latest first sample after waking that still counts as the waking sample, minutes.
    min_slope_span_h : float
        Shortest span of the slope samples, hours.

    Returns
    -------
    CortisolDay
    """
    t_all = np.asarray(times_utc, dtype=np.int64)
    v_all = np.asarray(values_nmol_l, dtype=np.float64)
    keep = t_all >= wake_utc
    t_min = (t_all[keep] - wake_utc) / 60.0
    v = v_all[keep]
    nan = float("nan")
    if v.size == 0:
        return CortisolDay(wake_utc, nan, nan, nan, 0)
    mean = float(v[0]) if v.size == 1 else auc_ground(t_min, v) / float(t_min[-1] - t_min[0])
    wake_sample_ok = bool(t_min[0] <= max_wake_delay_min)
    in_car = t_min <= car_window_min
    car = nan
    if wake_sample_ok and int(in_car.sum()) >= 3:
        car = auc_increase(t_min[in_car], v[in_car])
    slope = nan
    slope_mask = ~in_car
    if wake_sample_ok:
        slope_mask[0] = True
    hours = t_min[slope_mask] / 60.0
    if hours.size >= 2 and float(hours[-1] - hours[0]) >= min_slope_span_h:
        slope = float(np.polyfit(hours, v[slope_mask], 1)[0])
    return CortisolDay(wake_utc, car, slope, mean, int(v.size))


def _local_dates(times_utc: IntArray, tz: ZoneInfo) -> list[dt.date]:
    return [dt.datetime.fromtimestamp(int(t), tz).date() for t in times_utc]


def daily_cortisol(
    frame: SampleFrame,
    *,
    unit: str = "nmol/L",
    wake_times_utc: Mapping[dt.date, int] | None = None,
    expected_samples_per_day: int = 5,
    car_window_min: float = 60.0,
    max_wake_delay_min: float = 15.0,
    min_slope_span_h: float = 6.0,
) -> DailyBiomarkerTable:
    """Daily cortisol biomarkers (``CORTISOL_IDS``) and ``coverage[Modality.CORTISOL]``.

    Parameters
    ----------
    frame : SampleFrame
        Cortisol samples of one patient (any modality tag is accepted; values in `unit`).
    unit : str
        Unit of ``frame.value``: ``"nmol/L"`` or ``"ug/dL"``.
    wake_times_utc : mapping of datetime.date to int, optional
        Wake time (UTC seconds) per local date; a date without one uses its first sample.
    expected_samples_per_day : int
        Samples a complete protocol day has (coverage denominator).
    car_window_min, max_wake_delay_min, min_slope_span_h : float
        See :func:`cortisol_day`.

    Returns
    -------
    DailyBiomarkerTable
        One row per local date from the first to the last sample's date (and any given wake
        date in between); days without samples are NaN with coverage 0.

    Raises
    ------
    InputFormatError
        Unknown unit, implausible values, or a non-positive expected sample count.
    """
    if expected_samples_per_day <= 0:
        raise InputFormatError(
            frame.source, "expected samples per day must be positive", field="expected_samples"
        )
    values = to_nmol_per_l(frame.value, unit, source=frame.source)
    tz = ZoneInfo(frame.zone)
    dates = _local_dates(frame.time_utc, tz)
    if not dates:
        empty = np.array([], dtype="datetime64[D]")
        return DailyBiomarkerTable(
            frame.patient_id,
            frame.zone,
            empty,
            {k: np.array([], dtype=np.float64) for k in CORTISOL_IDS},
            {Modality.CORTISOL: np.array([], dtype=np.float64)},
        )
    first, last = min(dates), max(dates)
    n_days = (last - first).days + 1
    day_index = np.array([(d - first).days for d in dates], dtype=np.int64)
    cols = {k: np.full(n_days, np.nan) for k in CORTISOL_IDS}
    coverage = np.zeros(n_days)
    set_aside = 0
    for i in range(n_days):
        sel = day_index == i
        if not sel.any():
            continue
        t_day, v_day = frame.time_utc[sel], values[sel]
        day = first + dt.timedelta(days=i)
        wake = int(t_day[0])
        if wake_times_utc is not None and day in wake_times_utc:
            wake = int(wake_times_utc[day])
        m = cortisol_day(
            t_day,
            v_day,
            wake,
            car_window_min=car_window_min,
            max_wake_delay_min=max_wake_delay_min,
            min_slope_span_h=min_slope_span_h,
        )
        set_aside += int(t_day.size) - m.n_samples
        cols["cortisol.car_auci"][i] = m.car_auci
        cols["cortisol.diurnal_slope_per_h"][i] = m.diurnal_slope_per_h
        cols["cortisol.mean_nmol_l"][i] = m.mean_nmol_l
        coverage[i] = min(1.0, m.n_samples / expected_samples_per_day)
    if set_aside:
        warnings.warn(
            f"{frame.source}: {set_aside} cortisol sample(s) taken before the day's wake time "
            "were not used",
            DataQualityWarning,
            stacklevel=2,
        )
    return DailyBiomarkerTable(
        frame.patient_id,
        frame.zone,
        np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1),
        cols,
        {Modality.CORTISOL: coverage},
    )
