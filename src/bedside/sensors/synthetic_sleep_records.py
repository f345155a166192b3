"""Synthetic sleep records (a wearable's or phone's sleep log) consistent with the actigraphy.

Each recorded night uses the patient plan's sleep onset, period length and efficiency (the same
night the actigraphy shows) and adds what only a sleep record knows: when the patient went to
bed. Sleep latency is log-normal and lengthens with episode severity (depression prolongs sleep
latency and lowers efficiency: Baglioni C et al. Sleep and mental disorders: a meta-analysis of
polysomnographic research. Psychol Bull 2016;142(9):969-990). Wake after sleep onset, ``(1 -
efficiency) x period``, is split into a few awake intervals at random positions. Some nights are
not recorded (device not worn or not synced).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bedside.domain import PatientId, SleepEpisodeFrame, SleepState
from bedside.sensors.local_time import local_to_utc_candidates

__all__ = ["generate_sleep_records"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _local_to_utc(naive_s: IntArray, zone: str) -> IntArray:
    """Wall-clock seconds -> UTC; a skipped (spring-forward) time moves one hour later."""
    cand = local_to_utc_candidates(naive_s, zone)
    utc = cand.earliest.copy()
    gap = ~cand.exists
    if gap.any():
        utc[gap] = local_to_utc_candidates(naive_s[gap] + 3600, zone).earliest
    return utc


def generate_sleep_records(
    rng: np.random.Generator,
    dates: npt.NDArray[np.datetime64],
    zone: str,
    severity: FloatArray,
    *,
    patient_id: str,
    sleep_onset_min: FloatArray,
    sleep_duration_min: FloatArray,
    sleep_efficiency: FloatArray,
    missing_night_prob: float = 0.1,
    latency_median_min: float = 12.0,
    latency_log_sd: float = 0.5,
    latency_log_effect: float = 0.7,
    mean_wake_bouts: float = 3.0,
) -> SleepEpisodeFrame:
    """Sleep records of the nights ending on each local date.

    Parameters
    ----------
    rng : numpy.random.Generator
        The patient's sleep-record stream.
    dates : ndarray of datetime64[D], shape (n,)
        Local wake dates.
    zone : str
        IANA zone.
    severity : ndarray of float64, shape (n,)
        Episode severity of each wake day in [0, 1].
    patient_id : str
    sleep_onset_min, sleep_duration_min, sleep_efficiency : ndarray of float64, shape (n,)
        The night ending on each date: onset in minutes from that date's local midnight
        (negative = the evening before), sleep period length in minutes, asleep fraction.
    missing_night_prob : float
        Probability that a night has no record.
    latency_median_min, latency_log_sd : float
        Log-normal sleep latency when well: median (minutes) and SD of its log.
    latency_log_effect : float
        Increase of log latency at full severity (0.7 roughly doubles it).
    mean_wake_bouts : float
        Mean number of awake intervals a night (1 + Poisson(mean - 1)).

    Returns
    -------
    SleepEpisodeFrame
        One ``IN_BED`` interval per recorded night with its ``ASLEEP`` and ``AWAKE`` intervals.
    """
    n = dates.size
    midnight_naive = dates.astype("datetime64[D]").astype(np.int64) * 86_400
    onset = _local_to_utc(midnight_naive + np.round(sleep_onset_min * 60).astype(np.int64), zone)
    onset = (onset // 60) * 60
    period = np.round(sleep_duration_min).astype(np.int64)
    latency = np.round(
        latency_median_min
        * np.exp(latency_log_sd * rng.normal(size=n) + latency_log_effect * severity)
    ).astype(np.int64)
    out_of_bed = rng.exponential(8.0, size=n).round().astype(np.int64)
    recorded = rng.random(n) >= missing_night_prob
    n_bouts = 1 + rng.poisson(max(mean_wake_bouts - 1.0, 0.0), size=n)
    starts: list[int] = []
    ends: list[int] = []
    stages: list[int] = []
    for k in range(n):
        wake_total = round((1.0 - float(sleep_efficiency[k])) * int(period[k]))
        cuts = np.sort(rng.integers(1, max(int(period[k]) - 1, 2), size=int(n_bouts[k])))
        shares = rng.dirichlet(np.ones(int(n_bouts[k])))
        if not recorded[k]:
            continue
        t0 = int(onset[k])
        t1 = t0 + 60 * int(period[k])
        starts.append(t0 - 60 * int(latency[k]))
        ends.append(t1 + 60 * int(out_of_bed[k]))
        stages.append(SleepState.IN_BED)
        # Awake intervals at the cut points, never overlapping and inside the period.
        cursor = t0
        lengths = np.floor(shares * wake_total).astype(np.int64)
        for cut, length in zip(cuts.tolist(), lengths.tolist(), strict=True):
            w0 = max(t0 + 60 * cut, cursor + 60)
            w1 = min(w0 + 60 * length, t1 - 60)
            if length <= 0 or w1 <= w0:
                continue
            starts += [cursor, w0]
            ends += [w0, w1]
            stages += [SleepState.ASLEEP, SleepState.AWAKE]
            cursor = w1
        starts.append(cursor)
        ends.append(t1)
        stages.append(SleepState.ASLEEP)
    order = np.argsort(np.asarray(starts, dtype=np.int64), kind="stable")
    return SleepEpisodeFrame(
        patient_id=PatientId(patient_id),
        zone=zone,
        start_utc=np.asarray(starts, dtype=np.int64)[order],
        end_utc=np.asarray(ends, dtype=np.int64)[order],
        state=np.asarray(stages, dtype=np.int8)[order],
        asleep_min=np.full(len(starts), np.nan),
        source=f"synthetic-sleep:{patient_id}",
    )
