"""Synthetic heart rate (1/min) and nocturnal RR intervals, with episode effects.

Effect directions follow the depression literature: resting heart rate is higher (Carney RM,
Freedland KE, Veith RC. Psychosom Med 2005;67(Suppl 1):S29-S33) and vagally mediated HRV
(RMSSD) lower (Kemp AH et al. Biol Psychiatry 2010;67(11):1067-1074; Koch C et al. Psychol Med
2019;49(12):1948-1957) during depressive episodes. The sizes used here (+8 bpm resting heart
rate and -35 % RMSSD at full severity) are illustrative choices of the same sign, not estimates
from those papers.

Model per local day: resting rate ``60 + 8 * severity`` bpm plus a day-to-day jitter (SD 2 bpm);
sleep 23:00-07:00 local at the resting rate, waking hours 15 bpm above it with Gaussian minute
noise (SD 6 bpm). RR intervals are drawn for 00:00-06:00 local: the mean interval from the
resting rate, a slow random-walk component (SD about 25 ms) and white beat-to-beat noise whose
SD is ``target RMSSD / sqrt(2)`` (white noise of SD s has RMSSD ``s * sqrt(2)``), target RMSSD
``45 * (1 - 0.35 * severity)`` ms; 0.2 % of beats are premature (70 % of the interval) followed
by a compensatory pause, so that artefact rejection is exercised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.domain import Modality, PatientId, RRIntervalFrame, SampleFrame
from bedside.sensors.synthetic_days import check_severity, local_midnights_utc

__all__ = ["BASE_RESTING_BPM", "SyntheticCardiac", "synthetic_cardiac"]

BASE_RESTING_BPM = 60.0
_RESTING_EFFECT_BPM = 8.0
_BASE_RMSSD_MS = 45.0
_RMSSD_EFFECT = 0.35
_ECTOPIC_RATE = 0.002
_NIGHT_S = 6 * 3600


@dataclass(frozen=True, slots=True)
class SyntheticCardiac:
    """Raw cardiac samples of one synthetic patient.

    Attributes
    ----------
    heart_rate : SampleFrame
        Minute heart rate, beats/min.
    rr : RRIntervalFrame
        RR intervals of each night 00:00-06:00 local, ms.
    resting_bpm : ndarray of float64, shape (n_days,)
        The day's true resting rate (ground truth).
    rmssd_target_ms : ndarray of float64, shape (n_days,)
        The night's intended RMSSD (ground truth).
    """

    heart_rate: SampleFrame
    rr: RRIntervalFrame
    resting_bpm: npt.NDArray[np.float64]
    rmssd_target_ms: npt.NDArray[np.float64]


def _concat_int(parts: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    return np.concatenate(parts) if parts else np.array([], dtype=np.int64)


def _concat_float(parts: list[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
    return np.concatenate(parts) if parts else np.array([], dtype=np.float64)


def _night_rr(
    rng: np.random.Generator, mean_ms: float, rmssd_ms: float, night_s: int = _NIGHT_S
) -> npt.NDArray[np.float64]:
    n = int(night_s * 1000.0 / mean_ms * 1.1) + 10
    slow = np.cumsum(rng.normal(0.0, 2.0, n))
    slow = 25.0 * (slow - slow.mean()) / max(float(slow.std()), 1e-9)
    rr = mean_ms + slow + rng.normal(0.0, rmssd_ms / np.sqrt(2.0), n)
    rr = np.clip(rr, 350.0, 1800.0)
    ectopic = np.flatnonzero(rng.random(n - 1) < _ECTOPIC_RATE)
    for i in ectopic.tolist():
        short = 0.7 * rr[i]
        rr[i + 1] += rr[i] - short  # compensatory pause keeps the sinus rhythm's timing
        rr[i] = short
    end = np.searchsorted(np.cumsum(rr), night_s * 1000.0)
    out: npt.NDArray[np.float64] = rr[:end]
    return out


def synthetic_cardiac(
    rng: np.random.Generator,
    dates: Sequence[dt.date],
    zone: str,
    severity: npt.ArrayLike,
    *,
    patient_id: str = "synthetic",
    rr_night_s: int = _NIGHT_S,
) -> SyntheticCardiac:
    """Draw minute heart rate and nocturnal RR intervals for consecutive local dates.

    Parameters
    ----------
    rng : numpy.random.Generator
        Seeded generator; the same seed gives the same samples.
    dates : sequence of datetime.date
        Consecutive local dates.
    zone : str
        IANA zone of the patient.
    severity : array_like of float, shape (n_days,)
        Daily episode severity in [0, 1] (0 well, 1 full episode).
    patient_id : str
    rr_night_s : int
        Seconds of RR intervals drawn from local midnight each night (default 6 h; a wearable
        that records beat-to-beat data only in a shorter overnight window uses less).

    Returns
    -------
    SyntheticCardiac
    """
    edges = local_midnights_utc(dates, zone)
    n_days = len(dates)
    sev = check_severity(severity, n_days)
    resting = BASE_RESTING_BPM + _RESTING_EFFECT_BPM * sev + rng.normal(0.0, 2.0, n_days)
    rmssd = _BASE_RMSSD_MS * (1.0 - _RMSSD_EFFECT * sev)
    hr_t: list[npt.NDArray[np.int64]] = []
    hr_v: list[npt.NDArray[np.float64]] = []
    rr_t: list[npt.NDArray[np.int64]] = []
    rr_v: list[npt.NDArray[np.float64]] = []
    for k in range(n_days):
        a, b = int(edges[k]), int(edges[k + 1])
        minutes = np.arange(a, b, 60, dtype=np.int64)
        hours = (minutes - a) / 3600.0
        asleep = (hours < 7.0) | (hours >= 23.0)
        level = np.where(asleep, resting[k], resting[k] + 15.0)
        noise = np.where(asleep, rng.normal(0.0, 1.5, minutes.size), rng.normal(0, 6, minutes.size))
        hr_t.append(minutes)
        hr_v.append(np.clip(level + noise, 35.0, 190.0))
        rr = _night_rr(rng, 60000.0 / resting[k], float(rmssd[k]), rr_night_s)
        beat_ms = np.cumsum(rr)
        rr_t.append(a + (beat_ms // 1000.0).astype(np.int64))
        rr_v.append(rr)
    pid = PatientId(patient_id)
    return SyntheticCardiac(
        heart_rate=SampleFrame(
            patient_id=pid,
            modality=Modality.HEART_RATE,
            zone=zone,
            time_utc=_concat_int(hr_t),
            value=_concat_float(hr_v),
            epoch_s=60,
            source="synthetic_cardiac",
        ),
        rr=RRIntervalFrame(
            patient_id=pid,
            zone=zone,
            time_utc=_concat_int(rr_t),
            rr_ms=_concat_float(rr_v),
            source="synthetic_cardiac",
        ),
        resting_bpm=resting,
        rmssd_target_ms=rmssd,
    )
