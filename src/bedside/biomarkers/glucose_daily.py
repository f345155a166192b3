"""The continuous-glucose daily biomarker table (per local day, consensus metrics).

Each local calendar day ``[00:00, next 00:00)`` (its true length on clock-change days) is one
window of :func:`bedside.biomarkers.glucose.glucose_metrics`; the night is 00:00-06:00 local and
the day 06:00-24:00 (Battelino et al. 2019 report nocturnal and daytime metrics separately).
A day's values are NaN when its coverage (readings / expected readings) is below
`min_coverage` (consensus: 70 %); coverage itself is always reported.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.glucose import MIN_COVERAGE, GlucoseMetrics, glucose_metrics
from bedside.biomarkers.glucose_specs import GLUCOSE_IDS
from bedside.biomarkers.local_days import local_days, utc_of_local_hour
from bedside.domain import (
    ConfigurationError,
    DailyBiomarkerTable,
    InputFormatError,
    Modality,
    SampleFrame,
)

__all__ = ["daily_glucose"]

FloatArray = npt.NDArray[np.float64]

_NIGHT_END_HOUR = 6
_FIELDS = {
    "glucose.mean_mgdl": "mean_mgdl",
    "glucose.sd_mgdl": "sd_mgdl",
    "glucose.cv_pct": "cv_pct",
    "glucose.tir_pct": "tir_pct",
    "glucose.tbr70_pct": "tbr70_pct",
    "glucose.tbr54_pct": "tbr54_pct",
    "glucose.tar180_pct": "tar180_pct",
    "glucose.tar250_pct": "tar250_pct",
    "glucose.gmi_pct": "gmi_pct",
    "glucose.mage_mgdl": "mage_mgdl",
}


def _window(
    v: FloatArray, t: npt.NDArray[np.int64], a: int, b: int, interval: int, source: str
) -> GlucoseMetrics:
    lo, hi = np.searchsorted(t, [a, b], side="left")
    return glucose_metrics(
        v[lo:hi],
        t[lo:hi],
        unit="mg/dL",
        nominal_interval_s=interval,
        window_start_utc=a,
        window_end_utc=b,
        source=source,
    )


def daily_glucose(
    frame: SampleFrame,
    *,
    nominal_interval_s: int | None = None,
    min_coverage: float = MIN_COVERAGE,
) -> DailyBiomarkerTable:
    """Daily CGM biomarkers of one patient.

    Parameters
    ----------
    frame : SampleFrame
        Modality ``GLUCOSE``, values in mg/dL (the importers convert mmol/L), sorted UTC seconds.
    nominal_interval_s : int or None
        Sensor's nominal sampling interval, s; default ``frame.epoch_s`` (300 for Dexcom G6/G7,
        900 for Libre 1/2 historic readings).
    min_coverage : float
        Minimum share of expected readings for a day's (and a night's) values, in (0, 1].

    Returns
    -------
    DailyBiomarkerTable
        One row per local date from the first to the last reading, the ``glucose.*`` columns
        (registry order) and ``coverage[Modality.GLUCOSE]``.

    Raises
    ------
    InputFormatError
        When the frame is not a glucose frame or holds implausible values (20-600 mg/dL).
    """
    if frame.modality is not Modality.GLUCOSE:
        raise InputFormatError(frame.source, f"expected a glucose frame, got {frame.modality}")
    if not 0.0 < min_coverage <= 1.0:
        raise ConfigurationError(f"min_coverage must be within (0, 1], got {min_coverage}")
    interval = frame.epoch_s if nominal_interval_s is None else nominal_interval_s
    if len(frame) == 0:
        return DailyBiomarkerTable(
            patient_id=frame.patient_id,
            zone=frame.zone,
            dates=np.array([], dtype="datetime64[D]"),
            values={k: np.array([]) for k in GLUCOSE_IDS},
            coverage={Modality.GLUCOSE: np.array([])},
        )
    t, v = frame.time_utc, frame.value
    days = local_days(int(t[0]), int(t[-1]), frame.zone)
    tz = ZoneInfo(frame.zone)
    out = {k: np.full(days.n, np.nan) for k in GLUCOSE_IDS}
    coverage = np.zeros(days.n)
    for k in range(days.n):
        a, c = int(days.edges[k]), int(days.edges[k + 1])
        b = utc_of_local_hour(days.date(k), _NIGHT_END_HOUR, tz)
        whole = _window(v, t, a, c, interval, frame.source)
        coverage[k] = whole.coverage
        if whole.coverage >= min_coverage:
            for key, attr in _FIELDS.items():
                out[key][k] = getattr(whole, attr)
        night = _window(v, t, a, b, interval, frame.source)
        rest = _window(v, t, b, c, interval, frame.source)
        if night.coverage >= min_coverage:
            out["glucose.night_mean_mgdl"][k] = night.mean_mgdl
            out["glucose.night_tbr70_pct"][k] = night.tbr70_pct
        if rest.coverage >= min_coverage:
            out["glucose.day_mean_mgdl"][k] = rest.mean_mgdl
    return DailyBiomarkerTable(
        patient_id=frame.patient_id,
        zone=frame.zone,
        dates=days.dates,
        values=out,
        coverage={Modality.GLUCOSE: coverage},
    )
