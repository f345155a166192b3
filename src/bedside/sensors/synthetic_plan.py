"""Per-patient plan of the synthetic generator: traits, episode, and nightly/daily parameters.

Night ``k`` (k = 0..n_days) is the sleep period ending on the morning of local day ``k`` (sleep
belongs to the day the patient wakes up); waking period ``k`` runs from the end of night ``k`` to
the start of night ``k + 1`` and carries the activity of day ``k``. See
:mod:`bedside.sensors.synthetic_config` for the cited effect directions.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.sensors.synthetic_config import CohortConfig
from bedside.sensors.synthetic_types import EpisodeTruth

__all__ = ["PatientPlan", "make_plan"]

FloatArray = npt.NDArray[np.float64]

_AGE_BANDS = tuple(f"{a}-{a + 4}" for a in range(20, 70, 5))
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
_MIN_AWAKE_MIN = 240.0
# Growth of the timing SD per unit of `effect_rhythm_irregularity`, calibrated so that one unit
# lowers 7-day interdaily stability by about one within-person SD (tests/sensors check it).
_TIMING_SD_PER_UNIT = 0.7
_WEEKEND_SHARE_VAR = (2.0 / 7.0) * (5.0 / 7.0)


@dataclass(frozen=True)
class PatientPlan:
    """Everything about one patient except the minute samples and questionnaires.

    Attributes
    ----------
    index : int
    sex, age_band : str
    episode : EpisodeTruth or None
    onset_day, end_day : int
        Day indices of the episode (end inclusive; may exceed the window); -1 without episode.
    intensity : ndarray of float64, shape (n_days + 1,)
        Episode intensity per day index in [0, 1] (ramp, then 1 until the end).
    sleep_onset_min, sleep_duration_min, sleep_efficiency : ndarray, shape (n_days + 1,)
        Night k: onset in minutes relative to local midnight of day k (negative = evening
        before), sleep period length in minutes, efficiency as a fraction.
    activity_target : ndarray, shape (n_days,)
        Expected total counts of waking period k.
    timing_sd_factor : ndarray, shape (n_days + 1,)
        Multiplier of the day-to-day timing noise (1 outside episodes).
    awake_level : float
        The patient's habitual awake activity, counts/min.
    """

    index: int
    sex: str
    age_band: str
    episode: EpisodeTruth | None
    onset_day: int
    end_day: int
    intensity: FloatArray
    sleep_onset_min: FloatArray
    sleep_duration_min: FloatArray
    sleep_efficiency: FloatArray
    activity_target: FloatArray
    timing_sd_factor: FloatArray
    awake_level: float


def has_episode(config: CohortConfig, index: int) -> bool:
    """Whether patient ``index`` gets an episode.

    A golden-ratio sequence with a seed-dependent offset: every prefix of the cohort has close
    to ``episode_fraction`` episode patients, and the answer depends only on (seed, index).
    """
    offset = np.random.default_rng([config.seed, 2**31 - 1]).random()
    return bool(((index * _GOLDEN + offset) % 1.0) < config.episode_fraction)


def _intensity(n: int, onset: int, end: int, ramp_days: int) -> FloatArray:
    day = np.arange(n, dtype=np.float64)
    inside = (day >= onset) & (day <= end)
    ramp = np.ones(n) if ramp_days == 0 else np.minimum(1.0, (day - onset + 1) / ramp_days)
    return np.where(inside, ramp, 0.0)


def make_plan(config: CohortConfig, index: int, rng: np.random.Generator) -> PatientPlan:
    """Draw the traits, episode and daily parameters of patient ``index``.

    Parameters
    ----------
    config : CohortConfig
    index : int
    rng : numpy.random.Generator
        The patient's own stream.

    Returns
    -------
    PatientPlan
    """
    c = config
    n = c.n_days
    sex = "female" if rng.random() < 0.55 else "male"
    age_band = _AGE_BANDS[int(rng.integers(len(_AGE_BANDS)))]
    awake_level = c.activity_level_mean * math.exp(c.activity_level_log_sd * rng.normal())
    habit_onset = c.sleep_onset_mean_min + c.chronotype_sd_min * rng.normal()
    sleep_need = c.sleep_need_mean_min + c.sleep_need_sd_min * rng.normal()
    habit_eff = float(
        np.clip(c.sleep_efficiency_mean + c.sleep_efficiency_between_sd * rng.normal(), 0.6, 0.98)
    )
    factors = np.clip(1.0 + c.effect_variation * rng.normal(size=6), 0.25, 2.0)
    hyper = rng.random() < c.hypersomnia_share
    lo, hi = c.onset_range()
    onset_day = int(rng.integers(lo, hi + 1))
    duration = int(rng.integers(c.duration_days_min, c.duration_days_max + 1))
    phq_rise = max(0.0, c.phq9_episode_increase + 2.5 * rng.normal())

    episode: EpisodeTruth | None = None
    if has_episode(c, index):
        end_day = onset_day + duration - 1
        effects = {
            "activity.total_counts": -c.effect_activity_sd * factors[0],
            "sleep.duration_min": (1.0 if hyper else -1.0)
            * c.effect_sleep_duration_sd
            * factors[1],
            "sleep.onset_min": c.effect_sleep_onset_sd * factors[2],
            "sleep.efficiency": -c.effect_sleep_efficiency_sd * factors[3],
            "rhythm.timing_sd_factor": 1.0
            + _TIMING_SD_PER_UNIT * c.effect_rhythm_irregularity * factors[4],
            "phq9.total": phq_rise,
        }
        episode = EpisodeTruth(
            onset=c.start_date + dt.timedelta(days=onset_day),
            end=c.start_date + dt.timedelta(days=end_day),
            ramp_days=c.ramp_days,
            effects={k: float(v) for k, v in effects.items()},
        )
        r = _intensity(n + 1, onset_day, end_day, c.ramp_days)
    else:
        onset_day, end_day = -1, -1
        effects = dict.fromkeys(
            ("activity.total_counts", "sleep.duration_min", "sleep.onset_min", "sleep.efficiency"),
            0.0,
        )
        effects["rhythm.timing_sd_factor"] = 1.0
        r = np.zeros(n + 1)

    weekday = np.array(
        [(c.start_date + dt.timedelta(days=k)).weekday() for k in range(n + 1)], dtype=np.int64
    )
    weekend_morning = weekday >= 5  # nights ending on Saturday or Sunday morning
    timing_sd = 1.0 + (effects["rhythm.timing_sd_factor"] - 1.0) * r
    # One SD = the night-to-night SD of the parameter including the weekend pattern.
    onset_sd = math.sqrt(
        c.sleep_onset_sd_min**2 + c.weekend_onset_delay_min**2 * _WEEKEND_SHARE_VAR
    )
    duration_sd = math.sqrt(
        c.sleep_duration_sd_min**2 + c.weekend_extra_sleep_min**2 * _WEEKEND_SHARE_VAR
    )
    onset = (
        habit_onset
        + c.weekend_onset_delay_min * weekend_morning
        + c.sleep_onset_sd_min * timing_sd * rng.normal(size=n + 1)
        + effects["sleep.onset_min"] * onset_sd * r
    )
    duration_min = np.clip(
        sleep_need
        + c.weekend_extra_sleep_min * weekend_morning
        + c.sleep_duration_sd_min * rng.normal(size=n + 1)
        + effects["sleep.duration_min"] * duration_sd * r,
        120.0,
        1440.0 - _MIN_AWAKE_MIN - 120.0,
    )
    efficiency = np.clip(
        habit_eff
        + c.sleep_efficiency_sd * rng.normal(size=n + 1)
        + effects["sleep.efficiency"] * c.sleep_efficiency_sd * r,
        0.4,
        0.995,
    )
    s = c.activity_daily_log_sd
    rel_sd = math.sqrt(math.expm1(s * s))  # SD of exp(s z) / its mean
    drop = np.maximum(0.2, 1.0 + effects["activity.total_counts"] * rel_sd * r[:n])
    weekend_day = np.where(weekday[:n] >= 5, c.weekend_activity_factor, 1.0)
    target = (
        awake_level
        * (1440.0 - sleep_need)
        * np.exp(s * rng.normal(size=n) - s * s / 2.0)
        * drop
        * weekend_day
    )
    return PatientPlan(
        index=index,
        sex=sex,
        age_band=age_band,
        episode=episode,
        onset_day=onset_day,
        end_day=end_day,
        intensity=r,
        sleep_onset_min=onset,
        sleep_duration_min=duration_min,
        sleep_efficiency=efficiency,
        activity_target=target,
        timing_sd_factor=timing_sd,
        awake_level=awake_level,
    )
