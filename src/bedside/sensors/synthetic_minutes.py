"""Minute-level actigraphy from a patient plan: Actiwatch-like counts, DST-exact, with gaps.

Sleep periods follow the wall clock (a 23:00 bedtime stays 23:00 across a clock change); the
minute grid is in UTC, so a spring-forward day has 1380 minutes and a fall-back day 1500. Counts
are zero during sleep except wake minutes (share ``1 - efficiency``), and gamma-distributed
around a smooth within-day profile during waking periods, scaled so each waking period's
expected total equals the plan's target. Gap minutes are simply absent.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from bedside.domain import Modality, PatientId, SampleFrame
from bedside.sensors.local_time import local_to_utc_candidates
from bedside.sensors.synthetic_config import CohortConfig
from bedside.sensors.synthetic_plan import PatientPlan
from bedside.sensors.synthetic_types import GapTruth

__all__ = ["render_actigraphy"]

IntArray = npt.NDArray[np.int64]
_BLOCK_MIN = 15
_MAX_COUNT = 8000.0
_BOUT_SD = 0.5  # SD of log activity of 15-minute blocks


def _wall_clock_to_utc(naive_s: IntArray, zone: str) -> IntArray:
    """Local wall-clock seconds -> UTC; skipped local times move forward past the gap."""
    cand = local_to_utc_candidates(naive_s, zone)
    utc = cand.earliest.copy()
    missing = ~cand.exists
    if missing.any():
        later = local_to_utc_candidates(naive_s[missing] + 3600, zone)
        utc[missing] = np.where(later.exists, later.earliest, naive_s[missing])
    return utc


def _floor_minute(x: IntArray) -> IntArray:
    return (x // 60) * 60


def render_actigraphy(
    config: CohortConfig, plan: PatientPlan, patient_id: str, rng: np.random.Generator
) -> tuple[SampleFrame, list[GapTruth]]:
    """Draw the minute counts of one patient.

    Parameters
    ----------
    config : CohortConfig
    plan : PatientPlan
    patient_id : str
    rng : numpy.random.Generator
        The patient's minute-level stream.

    Returns
    -------
    frame : SampleFrame
        Actigraphy, counts/min, epoch 60 s, gap minutes absent.
    gaps : list of GapTruth
    """
    c = config
    n = c.n_days
    epoch_day = (c.start_date - dt.date(1970, 1, 1)).days
    midnight_naive = (epoch_day + np.arange(n + 1, dtype=np.int64)) * 86400
    midnight = _wall_clock_to_utc(midnight_naive, c.zone)
    onset_naive = midnight_naive + np.round(plan.sleep_onset_min * 60).astype(np.int64)
    onset = _floor_minute(_wall_clock_to_utc(onset_naive, c.zone))
    wake = onset + _floor_minute(np.round(plan.sleep_duration_min * 60).astype(np.int64))
    # Keep nights ordered with a minimum waking period between them.
    for k in range(1, n + 1):
        onset[k] = max(onset[k], wake[k - 1] + 4 * 3600)
        wake[k] = max(wake[k], onset[k] + 3600)

    start, stop = int(midnight[0]), int(midnight[n])
    t = np.arange(start, stop, 60, dtype=np.int64)
    night = np.searchsorted(onset, t, side="right") - 1
    asleep = (night >= 0) & (t < wake[np.maximum(night, 0)])
    period = np.clip(night, 0, n - 1)

    # Waking periods: smooth profile x 15-min bout multipliers, scaled to the daily target.
    up = np.flatnonzero(~asleep)
    p_up = period[up]
    t_up = t[up]
    wake_p = wake[p_up]
    hours_up = (t_up - wake_p) * (1.0 / 3600.0)
    length = (onset[p_up + 1] - wake_p) * (1.0 / 3600.0)
    frac = np.clip(hours_up / np.maximum(length, 1e-9), 0.0, 1.0)
    profile = (
        np.clip(-np.expm1(-hours_up / 0.75), 0.0, None)
        * np.clip(-np.expm1(-(length - hours_up) / 1.5), 0.0, None)
        * (1.0 + 0.3 * np.sin(np.pi * frac))
    )
    block = (t_up - start) // (60 * _BLOCK_MIN)
    bout_sd = _BOUT_SD
    z_block = rng.normal(size=(stop - start) // (60 * _BLOCK_MIN) + 1)
    profile *= np.exp(z_block[block] * bout_sd - bout_sd * bout_sd / 2.0)
    per_period = np.bincount(p_up, weights=profile, minlength=n)
    shape = c.minute_noise_shape
    scale = (
        plan.activity_target[p_up]
        / np.maximum(per_period[p_up], 1e-12)
        / (shape * (1.0 - c.awake_zero_prob))
    )
    u = rng.random(t.size)
    counts = np.zeros(t.size, dtype=np.float64)
    counts[up] = np.where(
        u[up] >= c.awake_zero_prob, rng.gamma(shape, 1.0, size=up.size) * profile * scale, 0.0
    )

    # Sleep periods: mostly zeros; wake minutes (share 1 - efficiency) with counts.
    down = np.flatnonzero(asleep)
    waking = down[u[down] > plan.sleep_efficiency[night[down]]]
    counts[waking] = 10.0 + rng.exponential(
        max(c.sleep_wake_count_mean - 10.0, 0.0), size=waking.size
    )
    counts = np.minimum(np.round(counts), _MAX_COUNT)

    # Gaps: off-wrist runs and fully missing days.
    keep = np.ones(t.size, dtype=np.bool_)
    gaps: list[GapTruth] = []
    off = rng.random(n) < c.off_wrist_prob
    run = rng.integers(c.off_wrist_min_minutes, c.off_wrist_max_minutes + 1, size=n)
    pos = rng.random(n)
    lost_day = rng.random(n) < c.missing_day_prob
    for k in range(n):
        day_lo, day_hi = int(midnight[k]), int(midnight[k + 1])
        if lost_day[k]:
            gaps.append(GapTruth(day_lo, day_hi, "missing_day"))
            keep[(day_lo - start) // 60 : (day_hi - start) // 60] = False
        if off[k]:
            g0 = day_lo + 60 * int(pos[k] * (day_hi - day_lo) / 60)
            g1 = min(g0 + 60 * int(run[k]), stop)
            gaps.append(GapTruth(g0, g1, "off_wrist"))
            keep[(g0 - start) // 60 : (g1 - start) // 60] = False
    gaps.sort(key=lambda g: (g.start_utc, g.end_utc))
    frame = SampleFrame(
        patient_id=PatientId(patient_id),
        modality=Modality.ACTIGRAPHY,
        zone=c.zone,
        time_utc=np.ascontiguousarray(t[keep]),
        value=np.ascontiguousarray(counts[keep], dtype=np.float64),
        epoch_s=60,
        source=f"synthetic:{patient_id}",
    )
    return frame, gaps
