"""Synthetic saliva cortisol: a few samples a day around a waking rhythm, with episode effects.

Each day the patient wakes near 07:00 local time and samples at waking, +30 min, +45 min and
about 5, 10 and 15 h after waking (a common ambulatory saliva protocol; Stalder T et al.
Psychoneuroendocrinology 2016;63:414-432). The concentration (nmol/L) is an exponential decline
from the waking level to an evening floor plus an awakening bump peaking about 35 min after
waking (+60 % of the waking level on average, within the 50-160 % range of Pruessner JC et al.
Life Sci 1997;61(26):2539-2549), with day-to-day and multiplicative assay noise (CV about 10 %).

Episode effects follow published directions: a flatter diurnal slope and a higher mean level
(Adam EK et al. Psychoneuroendocrinology 2017;83:25-41; Stetler C, Miller GE. Psychosom Med
2011;73(2):114-126): with severity ``s`` in [0, 1] the decline's time constant grows from 4 h to
7 h and the evening floor from 2 to 5 nmol/L. The awakening response is left unchanged on
average, since its direction in depression is inconsistent across studies (Dedovic K, Ngiam J.
Neuropsychiatr Dis Treat 2015;11:1181-1189).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.domain import InputFormatError, Modality, PatientId, SampleFrame

__all__ = ["DEFAULT_SAMPLE_OFFSETS_MIN", "generate_cortisol_samples"]

DEFAULT_SAMPLE_OFFSETS_MIN: tuple[float, ...] = (0.0, 30.0, 45.0, 300.0, 600.0, 900.0)
"""Nominal sampling times after waking, minutes."""

_WAKE_LEVEL_NMOL_L = 15.0


def generate_cortisol_samples(
    rng: np.random.Generator,
    dates: Sequence[dt.date],
    zone: str,
    severity: npt.ArrayLike,
    *,
    patient_id: str = "synthetic",
    sample_offsets_min: Sequence[float] = DEFAULT_SAMPLE_OFFSETS_MIN,
    missing_prob: float = 0.05,
) -> SampleFrame:
    """Draw saliva cortisol samples for consecutive local dates.

    Parameters
    ----------
    rng : numpy.random.Generator
        Seeded generator (all randomness comes from it).
    dates : sequence of datetime.date
        Local dates, in order.
    zone : str
        IANA time zone of the patient.
    severity : array_like of float, shape (len(dates),)
        Daily episode severity in [0, 1] (0 well, 1 full episode).
    patient_id : str
        Patient id of the frame.
    sample_offsets_min : sequence of float
        Nominal sample times after waking, minutes, increasing (first should be 0).
    missing_prob : float
        Probability that a sample is not taken.

    Returns
    -------
    SampleFrame
        ``Modality.CORTISOL``, values in nmol/L, UTC seconds; the first sample of a day is
        taken 0-5 min after waking, so the day's wake time may be taken from it.
    """
    sev = np.asarray(severity, dtype=np.float64).reshape(-1)
    if sev.size != len(dates) or (sev.size and (sev.min() < 0.0 or sev.max() > 1.0)):
        raise InputFormatError(
            "synthetic cortisol", "severity needs one value in [0, 1] per date", field="severity"
        )
    tz = ZoneInfo(zone)
    offsets = np.asarray(sample_offsets_min, dtype=np.float64)
    times: list[int] = []
    values: list[float] = []
    for day, s in zip(dates, sev, strict=True):
        wake_local = dt.datetime.combine(day, dt.time(7), tzinfo=tz) + dt.timedelta(
            minutes=float(np.clip(rng.normal(0.0, 30.0), -90.0, 90.0))
        )
        wake_utc = int(wake_local.timestamp())
        jitter = np.concatenate(([rng.uniform(0.0, 5.0)], rng.normal(0.0, 3.0, offsets.size - 1)))
        minutes = np.maximum.accumulate(offsets + np.clip(jitter, -8.0, 8.0))
        day_level = _WAKE_LEVEL_NMOL_L * rng.lognormal(0.0, 0.15)
        car_gain = 0.6 * rng.lognormal(0.0, 0.3)
        tau_min = 60.0 * (4.0 + 3.0 * s)
        floor = 2.0 + 3.0 * s
        decline = floor + (day_level - floor) * np.exp(-minutes / tau_min)
        bump = car_gain * day_level * np.exp(-(((minutes - 35.0) / 20.0) ** 2))
        conc = (decline + bump) * rng.lognormal(0.0, 0.1, minutes.size)
        taken = rng.random(minutes.size) >= missing_prob
        last = -1
        for m, c, ok in zip(minutes, conc, taken, strict=True):
            t = wake_utc + round(float(m) * 60.0)
            if ok and t > last:
                times.append(t)
                values.append(float(c))
                last = t
    return SampleFrame(
        patient_id=PatientId(patient_id),
        modality=Modality.CORTISOL,
        zone=zone,
        time_utc=np.asarray(times, dtype=np.int64),
        value=np.asarray(values, dtype=np.float64),
        epoch_s=3600,
        source="synthetic cortisol",
    )
