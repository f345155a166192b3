"""Synthetic clinical context: PHQ-9 questionnaires and EHR medication records.

PHQ-9 totals (Kroenke et al. 2001) sit around a personal baseline below 10 outside episodes and
rise by a patient-specific amount (``phq9.total`` effect, ~10 points) at full episode intensity;
items are the total split over the nine items (each 0-3). Item 9 (thoughts of death or
self-harm) is >= 1 in a configurable share of in-episode responses and 0 otherwise. Patients
with an episode may start sertraline (an SSRI, first-line for depression) 1-3 weeks after onset
and have the dose raised 4 weeks later; some patients have an unrelated medication from before
monitoring.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from bedside.domain import MedicationRecord, Phq9Response
from bedside.sensors.synthetic_config import CohortConfig
from bedside.sensors.synthetic_plan import PatientPlan

__all__ = ["draw_medications", "draw_phq9"]

# (generic name, RxNorm ingredient code, dose mg/day)
_BACKGROUND_MEDICATIONS = (
    ("levothyroxine", "10582", 0.1),
    ("metoprolol", "6918", 50.0),
    ("lisinopril", "29046", 10.0),
    ("escitalopram", "321988", 10.0),
)
_SERTRALINE = ("sertraline", "36437")
# Relative propensity of items 1-8 to carry points (anhedonia, mood, sleep, energy first).
_ITEM_WEIGHTS = np.array([1.3, 1.3, 1.2, 1.3, 0.9, 1.0, 0.9, 0.7])


def _split_total(total: int, item9: int, rng: np.random.Generator) -> list[int]:
    items = np.zeros(9, dtype=np.int64)
    items[8] = item9
    remaining = min(max(total - item9, 0), 24)
    for _ in range(remaining):
        room = items[:8] < 3
        w = _ITEM_WEIGHTS * room
        items[int(rng.choice(8, p=w / w.sum()))] += 1
    return [int(v) for v in items]


def draw_phq9(
    config: CohortConfig, plan: PatientPlan, patient_id: str, rng: np.random.Generator
) -> list[Phq9Response]:
    """PHQ-9 responses every ``phq9_interval_days`` from a random first day.

    Parameters
    ----------
    config : CohortConfig
    plan : PatientPlan
    patient_id : str
    rng : numpy.random.Generator
        The patient's clinical stream.

    Returns
    -------
    list of Phq9Response
        In date order, source ``device``.
    """
    c = config
    baseline = max(0.0, c.phq9_baseline_mean + c.phq9_baseline_sd * rng.normal())
    rise = plan.episode.effects["phq9.total"] if plan.episode is not None else 0.0
    first = int(rng.integers(0, c.phq9_interval_days))
    out: list[Phq9Response] = []
    for day in range(first, c.n_days, c.phq9_interval_days):
        r = float(plan.intensity[day])
        expected = baseline + rise * r
        total = int(np.clip(round(expected + c.phq9_noise_sd * rng.normal()), 0, 27))
        in_episode = plan.onset_day <= day <= plan.end_day
        item9 = 0
        if in_episode and rng.random() < c.item9_share_in_episode:
            item9 = 1 if rng.random() < 0.7 else 2
            total = max(total, item9)
        out.append(
            Phq9Response(
                patient_id=patient_id,
                date=c.start_date + dt.timedelta(days=day),
                items=_split_total(total, item9, rng),
                source="device",
            )
        )
    return out


def draw_medications(
    config: CohortConfig, plan: PatientPlan, patient_id: str, rng: np.random.Generator
) -> list[MedicationRecord]:
    """EHR medication records known by the end of monitoring.

    Parameters
    ----------
    config : CohortConfig
    plan : PatientPlan
    patient_id : str
    rng : numpy.random.Generator
        The patient's clinical stream.

    Returns
    -------
    list of MedicationRecord
        In date order.
    """
    c = config
    last_day = c.start_date + dt.timedelta(days=c.n_days - 1)
    out: list[MedicationRecord] = []
    background = rng.random() < c.preexisting_medication_share
    which = int(rng.integers(len(_BACKGROUND_MEDICATIONS)))
    before = int(rng.integers(30, 720))
    ssri = rng.random() < c.ssri_start_share
    delay = int(rng.integers(7, 22))
    if background:
        name, code, dose = _BACKGROUND_MEDICATIONS[which]
        out.append(
            MedicationRecord(
                patient_id=patient_id,
                name=name,
                rxnorm=code,
                start=c.start_date - dt.timedelta(days=before),
                dose_mg_per_day=dose,
            )
        )
    if plan.episode is not None and ssri:
        start = plan.episode.onset + dt.timedelta(days=delay)
        for when, dose, kind in (
            (start, 50.0, "start"),
            (start + dt.timedelta(28), 100.0, "dose_change"),
        ):
            if when <= last_day:
                out.append(
                    MedicationRecord(
                        patient_id=patient_id,
                        name=_SERTRALINE[0],
                        rxnorm=_SERTRALINE[1],
                        start=when,
                        dose_mg_per_day=dose,
                        kind=kind,
                    )
                )
    return sorted(out, key=lambda m: m.start)
