"""Seeded synthetic cohort generator with ground truth (episodes, gaps, daily parameters).

Each patient is drawn from its own random streams ``numpy.random.default_rng([seed, index, k])``
so a patient does not depend on generation order or cohort size. Effect directions and sources
are documented in :mod:`bedside.sensors.synthetic_config`: during an injected episode daily
activity falls, sleep gets shorter (insomnia; longer for a minority with hypersomnia), later
and more fragmented, and sleep and activity timing become more variable from day to day (lower
interdaily stability), each by roughly the configured number of within-person SDs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import numpy as np

from bedside.domain import Modality, SampleFrame
from bedside.domain.cardiac_recording import CardiacRecording
from bedside.domain.raw_frames import RawFrame
from bedside.sensors.synthetic_cardiac import synthetic_cardiac
from bedside.sensors.synthetic_clinical import (
    Phq9Respondent,
    draw_medications,
    draw_phq9,
    phq9_answer_model,
)
from bedside.sensors.synthetic_config import CohortConfig
from bedside.sensors.synthetic_cortisol import generate_cortisol_samples
from bedside.sensors.synthetic_glucose import synthetic_glucose
from bedside.sensors.synthetic_gps import generate_gps
from bedside.sensors.synthetic_language import generate_text_entries
from bedside.sensors.synthetic_minutes import render_actigraphy
from bedside.sensors.synthetic_phone import generate_keystrokes, generate_screen_events
from bedside.sensors.synthetic_plan import PatientPlan, make_plan
from bedside.sensors.synthetic_sleep_records import generate_sleep_records
from bedside.sensors.synthetic_steps import generate_steps
from bedside.sensors.synthetic_types import SyntheticCohort, SyntheticPatient
from bedside.sensors.synthetic_voice import generate_voice_clips

__all__ = [
    "generate_cohort",
    "generate_patient",
    "iter_cohort",
    "phq9_respondent",
    "synthetic_patient_id",
]

_PLAN, _MINUTES, _CLINICAL = 0, 1, 2
# Answers to the device's PHQ-9 prompts: a stream of their own, so prompting never changes
# anything else the patient generates.
_PROMPTS = 20
# One fixed stream per extra modality, so adding a modality never changes another.
_MODALITY_STREAM = {
    Modality.STEPS: 10,
    Modality.SLEEP_RECORDS: 11,
    Modality.CORTISOL: 12,
    Modality.GPS: 13,
    Modality.PHONE_USE: 14,
    Modality.TYPING: 15,
    Modality.HEART_RATE: 16,
    Modality.GLUCOSE: 17,
    Modality.VOICE: 18,
    Modality.LANGUAGE: 19,
}


def synthetic_patient_id(seed: int, index: int) -> str:
    """``synth-<seed>-<index:04d>``."""
    return f"synth-{seed}-{index:04d}"


def _rng(config: CohortConfig, index: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([config.seed, index, stream])


def _extra_frame(
    modality: Modality,
    config: CohortConfig,
    plan: PatientPlan,
    pid: str,
    actigraphy: SampleFrame,
    rng: np.random.Generator,
) -> RawFrame:
    """Raw frame of one extra modality, driven by the plan's daily episode intensity."""
    n = config.n_days
    dates = np.datetime64(config.start_date, "D") + np.arange(n)
    severity = plan.intensity[:n]
    if modality is Modality.STEPS:
        return generate_steps(rng, actigraphy, steps_per_count=config.steps_per_count)
    if modality is Modality.SLEEP_RECORDS:
        return generate_sleep_records(
            rng,
            dates,
            config.zone,
            severity,
            patient_id=pid,
            sleep_onset_min=plan.sleep_onset_min[:n],
            sleep_duration_min=plan.sleep_duration_min[:n],
            sleep_efficiency=plan.sleep_efficiency[:n],
            missing_night_prob=config.sleep_record_missing_prob,
            latency_median_min=config.sleep_latency_median_min,
            latency_log_sd=config.sleep_latency_log_sd,
            latency_log_effect=config.effect_sleep_latency_log,
            mean_wake_bouts=config.sleep_record_wake_bouts,
        )
    days = [config.start_date + dt.timedelta(days=k) for k in range(n)]
    if modality is Modality.HEART_RATE:
        cardiac = synthetic_cardiac(
            rng, days, config.zone, severity, patient_id=pid, rr_night_s=config.rr_night_s
        )
        return CardiacRecording(cardiac.heart_rate, cardiac.rr)
    if modality is Modality.GLUCOSE:
        return synthetic_glucose(rng, days, config.zone, severity, patient_id=pid)
    if modality is Modality.GPS:
        return generate_gps(rng, days, config.zone, severity, patient_id=pid)
    if modality is Modality.PHONE_USE:
        return generate_screen_events(rng, days, config.zone, severity, patient_id=pid)
    if modality is Modality.TYPING:
        return generate_keystrokes(rng, days, config.zone, severity, patient_id=pid)
    if modality is Modality.VOICE:
        return generate_voice_clips(
            rng,
            days,
            config.zone,
            severity,
            patient_id=pid,
            clips_per_day=config.voice_clips_per_day,
            clip_s=config.voice_clip_s,
        )
    if modality is Modality.LANGUAGE:
        return generate_text_entries(
            rng,
            days,
            config.zone,
            severity,
            patient_id=pid,
            entry_day_prob=config.text_entry_day_prob,
        )
    if modality is Modality.CORTISOL:
        return generate_cortisol_samples(
            rng,
            days,
            config.zone,
            severity,
            patient_id=pid,
            missing_prob=config.cortisol_missing_prob,
        )
    raise ValueError(f"no synthetic generator for {modality}")


def generate_patient(config: CohortConfig, index: int) -> SyntheticPatient:
    """Generate patient ``index`` (0-based) of the cohort described by ``config``.

    Parameters
    ----------
    config : CohortConfig
    index : int
        0 <= index; need not be < ``config.n_patients``.

    Returns
    -------
    SyntheticPatient
    """
    if index < 0:
        raise ValueError(f"patient index must be >= 0, got {index}")
    pid = synthetic_patient_id(config.seed, index)
    plan = make_plan(config, index, _rng(config, index, _PLAN))
    frame, gaps = render_actigraphy(config, plan, pid, _rng(config, index, _MINUTES))
    clinical = _rng(config, index, _CLINICAL)
    phq9 = draw_phq9(config, plan, pid, clinical)
    medications = draw_medications(config, plan, pid, clinical)
    n = config.n_days
    daily = {
        "episode_intensity": plan.intensity[:n].copy(),
        "sleep_onset_min": plan.sleep_onset_min[:n].copy(),
        "sleep_duration_min": plan.sleep_duration_min[:n].copy(),
        "sleep_efficiency": plan.sleep_efficiency[:n].copy(),
        "activity_target_counts": plan.activity_target.copy(),
    }
    raw = {
        m: _extra_frame(m, config, plan, pid, frame, _rng(config, index, _MODALITY_STREAM[m]))
        for m in config.extra_modalities
    }
    return SyntheticPatient(
        patient_id=pid,
        zone=config.zone,
        start_date=config.start_date,
        n_days=n,
        sex=plan.sex,
        age_band=plan.age_band,
        actigraphy=frame,
        phq9=phq9,
        medications=medications,
        episodes=[] if plan.episode is None else [plan.episode],
        gaps=gaps,
        daily=daily,
        raw=raw,
    )


def phq9_respondent(config: CohortConfig, index: int, response_rate: float) -> Phq9Respondent:
    """Patient ``index`` answering the device's PHQ-9 prompts (see `Phq9Respondent`).

    The answer model is the one `generate_patient` draws the scheduled PHQ-9s from (same plan,
    same personal baseline); responses and answers come from the patient's own prompt stream.

    Parameters
    ----------
    config : CohortConfig
    index : int
        0 <= index.
    response_rate : float
        Probability (0-1) that a prompt is answered the day it is shown.

    Returns
    -------
    Phq9Respondent
    """
    if index < 0:
        raise ValueError(f"patient index must be >= 0, got {index}")
    pid = synthetic_patient_id(config.seed, index)
    plan = make_plan(config, index, _rng(config, index, _PLAN))
    model = phq9_answer_model(config, plan, pid, _rng(config, index, _CLINICAL))
    return Phq9Respondent(model, response_rate, _rng(config, index, _PROMPTS), config.n_days)


def iter_cohort(config: CohortConfig) -> Iterator[SyntheticPatient]:
    """Yield the cohort's patients one by one (keeps memory flat for large cohorts)."""
    for index in range(config.n_patients):
        yield generate_patient(config, index)


def generate_cohort(
    config: CohortConfig, *, progress: Callable[[int], None] | None = None
) -> SyntheticCohort:
    """Generate a whole cohort.

    Parameters
    ----------
    config : CohortConfig
    progress : callable, optional
        Called with the number of patients done after each patient.

    Returns
    -------
    SyntheticCohort
        Memory is about 16 bytes per minute sample: 500 patients x 180 days ~ 2 GB; use
        :func:`iter_cohort` for large cohorts.
    """
    patients: list[SyntheticPatient] = []
    for patient in iter_cohort(config):
        patients.append(patient)
        if progress is not None:
            progress(len(patients))
    return SyntheticCohort(config=config, patients=patients)
