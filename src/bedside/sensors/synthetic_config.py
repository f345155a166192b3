"""Configuration of the synthetic cohort generator (every parameter with unit and default).

Effect directions follow the literature on actigraphy in depression:

- Reduced daytime/total activity and a flattened, less stable rest-activity rhythm: Burton C et
  al. Activity monitoring in patients with depression: a systematic review. J Affect Disord
  2013;145(1):21-28; Tazawa Y et al. Actigraphy for evaluation of mood disorders: a systematic
  review and meta-analysis. J Affect Disord 2019;253:257-269; Tazawa Y et al. Evaluating
  depression with multimodal wristband-type wearable device. Heliyon 2020;6(2):e03274.
- Sleep: insomnia (shorter, more fragmented sleep, lower efficiency) is common in depression and
  hypersomnia occurs in a minority (Nutt D, Wilson S, Paterson L. Sleep disorders as core
  symptoms of depression. Dialogues Clin Neurosci 2008;10(3):329-336); later sleep timing and an
  evening chronotype are associated with depressive symptoms (Au J, Reece J. The relationship
  between chronotype and depressive symptoms: a meta-analysis. J Affect Disord 2017;218:93-104).
- PHQ-9 >= 10 as the threshold of moderate depression (Kroenke K, Spitzer RL, Williams JB.
  J Gen Intern Med 2001;16(9):606-613).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bedside.domain import Modality

__all__ = ["DEFAULT_EXTRA_MODALITIES", "SYNTHETIC_EXTRA_MODALITIES", "CohortConfig"]

SYNTHETIC_EXTRA_MODALITIES: tuple[Modality, ...] = (
    Modality.STEPS,
    Modality.SLEEP_RECORDS,
    Modality.CORTISOL,
    Modality.GPS,
    Modality.PHONE_USE,
    Modality.TYPING,
    Modality.HEART_RATE,
    Modality.GLUCOSE,
    Modality.VOICE,
    Modality.LANGUAGE,
)
"""Modalities the generator can add to the actigraphy (each from its own seeded stream): every
modality of the issue. Voice is short speech clips (`voice_clips_per_day` of `voice_clip_s`),
which the device analyses and discards; language is journal entries (text), likewise."""

DEFAULT_EXTRA_MODALITIES: tuple[Modality, ...] = (
    Modality.STEPS,
    Modality.SLEEP_RECORDS,
    Modality.CORTISOL,
)
"""The light default: users that read actigraphy only (model training, evaluations) should not
pay for a year of GPS fixes and keystrokes; the demo asks for `SYNTHETIC_EXTRA_MODALITIES`."""


class CohortConfig(BaseModel):
    """Parameters of a synthetic cohort; frozen, validated, deterministic for a seed.

    Effect sizes are in within-person SD units: an effect of 1.0 on sleep duration shifts the
    nightly sleep duration by one ``sleep_duration_sd_min`` at full episode intensity. Each
    patient's effects are the configured ones times a factor ``1 + N(0, effect_variation)``
    clipped to [0.25, 2] (individual variation of the response).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- cohort shape ---------------------------------------------------------------------
    n_patients: int = Field(30, ge=1, le=100_000, description="Number of patients.")
    n_days: int = Field(60, ge=1, le=3650, description="Monitored local days per patient.")
    seed: int = Field(42, ge=0, description="Seed; patient i uses streams (seed, i, k).")
    start_date: dt.date = Field(
        dt.date(2024, 1, 1), description="First local day of monitoring (same for everyone)."
    )
    zone: str = Field("Europe/Oslo", description="IANA zone of every patient.")

    # --- episodes -------------------------------------------------------------------------
    episode_fraction: float = Field(
        0.4, ge=0.0, le=1.0, description="Share of patients with one injected depressive episode."
    )
    onset_day_min: int = Field(
        28, ge=0, description="Earliest onset (day index) so that a personal baseline can form."
    )
    onset_day_max: int | None = Field(
        None,
        ge=0,
        description="Latest onset (day index); default n_days - 10 so >= 10 days follow onset. "
        "When n_days is too short for both, the baseline is shortened first.",
    )
    duration_days_min: int = Field(21, ge=1, description="Shortest episode, days (inclusive).")
    duration_days_max: int = Field(56, ge=1, description="Longest episode, days (inclusive).")
    ramp_days: int = Field(
        7, ge=0, le=60, description="Days over which effects rise linearly from 0 to full."
    )
    effect_activity_sd: float = Field(
        1.0, ge=0, le=5, description="Decrease of daily total activity, within-person SDs."
    )
    effect_sleep_duration_sd: float = Field(
        1.0,
        ge=0,
        le=5,
        description="Change of sleep duration, within-person SDs (sign per patient).",
    )
    hypersomnia_share: float = Field(
        0.25, ge=0, le=1, description="Share of episode patients whose sleep gets longer."
    )
    effect_sleep_onset_sd: float = Field(
        0.75, ge=0, le=5, description="Delay of sleep onset, within-person SDs."
    )
    effect_sleep_efficiency_sd: float = Field(
        1.0, ge=0, le=5, description="Decrease of sleep efficiency (more wake bouts), SDs."
    )
    effect_rhythm_irregularity: float = Field(
        1.0,
        ge=0,
        le=5,
        description="Decrease of 7-day interdaily stability, roughly in within-person SDs, "
        "produced by a more variable day-to-day sleep/wake timing (1.0 makes the timing SD "
        "1.7 times its baseline).",
    )
    effect_variation: float = Field(
        0.3, ge=0, le=1, description="SD of the individual multiplicative effect factor."
    )

    # --- between-person traits --------------------------------------------------------------
    activity_level_mean: float = Field(
        280.0, gt=0, le=5000, description="Median awake activity, counts/min (Actiwatch AW4)."
    )
    activity_level_log_sd: float = Field(
        0.3, ge=0, le=2, description="Between-person SD of log awake activity level."
    )
    sleep_onset_mean_min: float = Field(
        -45.0, ge=-360, le=240, description="Mean habitual sleep onset, min from local midnight."
    )
    chronotype_sd_min: float = Field(
        40.0, ge=0, le=240, description="Between-person SD of habitual sleep onset, min."
    )
    sleep_need_mean_min: float = Field(
        460.0, ge=180, le=720, description="Mean habitual sleep period length, min."
    )
    sleep_need_sd_min: float = Field(
        35.0, ge=0, le=180, description="Between-person SD of habitual sleep period, min."
    )
    sleep_efficiency_mean: float = Field(
        0.9, ge=0.5, le=1.0, description="Mean habitual sleep efficiency, fraction of period."
    )
    sleep_efficiency_between_sd: float = Field(
        0.03, ge=0, le=0.2, description="Between-person SD of habitual efficiency, fraction."
    )

    # --- within-person noise ----------------------------------------------------------------
    activity_daily_log_sd: float = Field(
        0.18, gt=0, le=1, description="Day-to-day SD of log daily activity (1 activity SD)."
    )
    sleep_onset_sd_min: float = Field(
        30.0, gt=0, le=240, description="Night-to-night SD of sleep onset, min (1 onset SD)."
    )
    sleep_duration_sd_min: float = Field(
        40.0, gt=0, le=240, description="Night-to-night SD of sleep period length, min."
    )
    sleep_efficiency_sd: float = Field(
        0.025, gt=0, le=0.2, description="Night-to-night SD of sleep efficiency, fraction."
    )
    weekend_onset_delay_min: float = Field(
        45.0, ge=-240, le=240, description="Later sleep onset on Fri/Sat nights, min."
    )
    weekend_extra_sleep_min: float = Field(
        40.0, ge=-240, le=240, description="Longer sleep on Fri/Sat nights, min."
    )
    weekend_activity_factor: float = Field(
        0.9, gt=0, le=3, description="Multiplier of daily activity on Saturdays and Sundays."
    )
    minute_noise_shape: float = Field(
        0.8, gt=0, le=100, description="Gamma shape of awake minute counts (lower = burstier)."
    )
    awake_zero_prob: float = Field(
        0.1, ge=0, lt=1, description="Probability that an awake minute has zero counts."
    )
    sleep_wake_count_mean: float = Field(
        60.0, ge=0, le=2000, description="Mean counts/min in wake minutes inside a sleep period."
    )

    # --- gaps -------------------------------------------------------------------------------
    off_wrist_prob: float = Field(
        0.15, ge=0, le=1, description="Probability per day of one off-wrist run of missing minutes."
    )
    off_wrist_min_minutes: int = Field(20, ge=1, le=1440, description="Shortest off-wrist run.")
    off_wrist_max_minutes: int = Field(180, ge=1, le=1440, description="Longest off-wrist run.")
    missing_day_prob: float = Field(
        0.02, ge=0, le=1, description="Probability that a whole local day has no data."
    )

    # --- questionnaires and EHR context ------------------------------------------------------
    phq9_interval_days: int = Field(14, ge=1, le=365, description="Days between PHQ-9s.")
    phq9_baseline_mean: float = Field(
        4.0, ge=0, le=27, description="Mean PHQ-9 total outside episodes (between-person)."
    )
    phq9_baseline_sd: float = Field(
        1.5, ge=0, le=10, description="Between-person SD of the baseline PHQ-9 total."
    )
    phq9_episode_increase: float = Field(
        10.0, ge=0, le=27, description="Mean rise of PHQ-9 total at full episode intensity."
    )
    phq9_noise_sd: float = Field(
        2.0, ge=0, le=10, description="SD of a single PHQ-9 total around its expected value."
    )
    item9_share_in_episode: float = Field(
        0.1, ge=0, le=1, description="Share of in-episode PHQ-9s with item 9 >= 1."
    )
    ssri_start_share: float = Field(
        0.6, ge=0, le=1, description="Share of episode patients who start sertraline."
    )
    preexisting_medication_share: float = Field(
        0.2, ge=0, le=1, description="Share of patients with a medication started before day 0."
    )

    # --- other modalities (each drawn from its own stream; actigraphy is always generated) ----
    extra_modalities: tuple[Modality, ...] = Field(
        DEFAULT_EXTRA_MODALITIES,
        description="Raw modalities generated besides actigraphy; () for actigraphy only. "
        "Adding or removing one never changes the others (separate random streams).",
    )
    steps_per_count: float = Field(
        0.027, gt=0, le=1, description="Expected steps per activity count (wrist step counter)."
    )
    sleep_record_missing_prob: float = Field(
        0.1, ge=0, le=1, description="Probability that a night has no sleep record."
    )
    sleep_latency_median_min: float = Field(
        12.0, gt=0, le=240, description="Median sleep latency when well, min (log-normal)."
    )
    sleep_latency_log_sd: float = Field(
        0.5, ge=0, le=3, description="Night-to-night SD of log sleep latency."
    )
    effect_sleep_latency_log: float = Field(
        0.7, ge=0, le=3, description="Increase of log sleep latency at full episode severity."
    )
    sleep_record_wake_bouts: float = Field(
        3.0, ge=1, le=30, description="Mean number of awake intervals in a recorded night."
    )

    rr_night_s: int = Field(
        3600,
        ge=900,
        le=6 * 3600,
        description="Seconds of RR intervals recorded from local midnight each night (about "
        "4,000 beats an hour; the heart-rate modality's HRV window).",
    )
    cortisol_missing_prob: float = Field(
        0.05, ge=0, le=1, description="Probability that a scheduled saliva sample is not taken."
    )
    voice_clips_per_day: int = Field(
        1,
        ge=1,
        le=10,
        description="Speech clips recorded on a day with voice data (each analysed, then "
        "discarded; one keeps a 60-day clinic cheap).",
    )
    voice_clip_s: float = Field(10.0, ge=2, le=60, description="Length of each speech clip, s.")
    text_entry_day_prob: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Probability that the patient writes a journal entry on a day (each entry "
        "costs the device about 15 ms of CPU for its embedding).",
    )

    @field_validator("extra_modalities")
    @classmethod
    def _known_modalities(cls, modalities: tuple[Modality, ...]) -> tuple[Modality, ...]:
        unknown = [m for m in modalities if m not in SYNTHETIC_EXTRA_MODALITIES]
        if unknown:
            raise ValueError(
                f"no synthetic generator for {', '.join(map(str, unknown))}; "
                f"available: {', '.join(map(str, SYNTHETIC_EXTRA_MODALITIES))}"
            )
        if len(set(modalities)) != len(modalities):
            raise ValueError("extra_modalities lists a modality twice")
        return modalities

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {zone!r}") from exc
        return zone

    @model_validator(mode="after")
    def _consistent(self) -> CohortConfig:
        if self.duration_days_max < self.duration_days_min:
            raise ValueError("duration_days_max must be >= duration_days_min")
        if self.off_wrist_max_minutes < self.off_wrist_min_minutes:
            raise ValueError("off_wrist_max_minutes must be >= off_wrist_min_minutes")
        if self.onset_day_max is not None and self.onset_day_max < self.onset_day_min:
            raise ValueError("onset_day_max must be >= onset_day_min")
        return self

    def onset_range(self) -> tuple[int, int]:
        """Inclusive range of onset day indices actually used for this ``n_days``.

        Leaves at least 10 days after onset when ``n_days`` allows, shortening the baseline
        before the post-onset period when it does not.
        """
        latest_ok = max(0, self.n_days - 10)
        hi = latest_ok if self.onset_day_max is None else min(self.onset_day_max, latest_ok)
        lo = min(self.onset_day_min, latest_ok)
        return lo, max(lo, hi)
