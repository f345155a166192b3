"""Synthetic 5-min CGM readings with episode effects.

Depression goes with poorer glycaemic control (Lustman PJ et al. Depression and poor glycemic
control: a meta-analytic review of the literature. Diabetes Care 2000;23(7):934-942): during an
episode the synthetic patient's mean glucose rises and meal excursions grow. Sizes (+20 mg/dL
fasting level and +30 % excursion amplitude at full severity) are illustrative choices of the
published sign, not estimates.

Model per local day: fasting level ``105 + 20 * severity`` mg/dL; three meal responses at 08:00,
13:00 and 19:00 local, each a gamma-shaped rise peaking about 45 min after the meal with an
amplitude of ``45 * (1 + 0.3 * severity)`` mg/dL times a log-normal factor; a slow AR(1)
wander (SD about 8 mg/dL) and sensor noise (SD 3 mg/dL); values clipped to 40-400 mg/dL (the
reporting range of common sensors). Each day, with probability 0.1, a sensor gap of 1-4 h
removes readings (they are absent, not NaN).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bedside.domain import Modality, PatientId, SampleFrame
from bedside.sensors.synthetic_days import check_severity, local_midnights_utc

__all__ = ["CGM_INTERVAL_S", "synthetic_glucose"]

CGM_INTERVAL_S = 300
_MEALS_H = (8.0, 13.0, 19.0)


def _meal_curve(hours: npt.NDArray[np.float64], meal_h: float) -> npt.NDArray[np.float64]:
    x = np.clip(hours - meal_h, 0.0, None) / 0.75  # peak at 45 min
    return np.asarray(x * np.exp(1.0 - x), dtype=np.float64)


def synthetic_glucose(
    rng: np.random.Generator,
    dates: Sequence[dt.date],
    zone: str,
    severity: npt.ArrayLike,
    *,
    patient_id: str = "synthetic",
    gap_probability: float = 0.1,
) -> SampleFrame:
    """Draw 5-min CGM readings (mg/dL) for consecutive local dates.

    Parameters
    ----------
    rng : numpy.random.Generator
    dates : sequence of datetime.date
        Consecutive local dates.
    zone : str
        IANA zone of the patient.
    severity : array_like of float, shape (n_days,)
        Daily episode severity in [0, 1].
    patient_id : str
    gap_probability : float
        Chance per day of one 1-4 h sensor gap.

    Returns
    -------
    SampleFrame
        Modality ``GLUCOSE``, mg/dL, ``epoch_s`` 300.
    """
    edges = local_midnights_utc(dates, zone)
    n_days = len(dates)
    sev = check_severity(severity, n_days)
    times: list[npt.NDArray[np.int64]] = []
    values: list[npt.NDArray[np.float64]] = []
    wander = 0.0
    for k in range(n_days):
        a, b = int(edges[k]), int(edges[k + 1])
        t = np.arange(a, b, CGM_INTERVAL_S, dtype=np.int64)
        hours = (t - a) / 3600.0
        g = np.full(t.size, 105.0 + 20.0 * sev[k])
        for meal in _MEALS_H:
            amp = 45.0 * (1.0 + 0.3 * sev[k]) * float(rng.lognormal(0.0, 0.25))
            g += amp * _meal_curve(hours, meal + float(rng.normal(0.0, 0.3)))
        shocks = rng.normal(0.0, 1.6, t.size)
        drift = np.empty(t.size)
        for i in range(t.size):  # AR(1), phi 0.98: SD 1.6 / sqrt(1 - 0.98^2) ~ 8 mg/dL
            wander = 0.98 * wander + shocks[i]
            drift[i] = wander
        g = np.clip(g + drift + rng.normal(0.0, 3.0, t.size), 40.0, 400.0)
        keep = np.ones(t.size, dtype=np.bool_)
        if rng.random() < gap_probability:
            start = int(rng.integers(0, t.size))
            keep[start : start + int(rng.integers(12, 49))] = False
        times.append(t[keep])
        values.append(np.round(g[keep]))
    return SampleFrame(
        patient_id=PatientId(patient_id),
        modality=Modality.GLUCOSE,
        zone=zone,
        time_utc=np.concatenate(times) if times else np.array([], dtype=np.int64),
        value=np.concatenate(values) if values else np.array([], dtype=np.float64),
        epoch_s=CGM_INTERVAL_S,
        source="synthetic_glucose",
    )
