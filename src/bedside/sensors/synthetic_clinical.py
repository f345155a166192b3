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
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.domain import MedicationRecord, Phq9Response
from bedside.sensors.synthetic_config import CohortConfig
from bedside.sensors.synthetic_plan import PatientPlan

__all__ = [
    "Phq9AnswerModel",
    "Phq9Respondent",
    "draw_medications",
    "draw_phq9",
    "phq9_answer_model",
]

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


@dataclass(frozen=True)
class Phq9AnswerModel:
    """How one synthetic patient fills in a PHQ-9 on a given day (scheduled or prompted).

    Attributes
    ----------
    patient_id : str
    start_date : date
        Local day of day index 0.
    baseline : float
        The patient's usual total outside episodes (points).
    rise : float
        Rise of the expected total at full episode intensity (points).
    intensity : ndarray of float64
        Episode intensity per day index, in [0, 1].
    onset_day, end_day : int
        Day indices of the episode (item 9 is only ever positive inside it).
    noise_sd : float
        Day-to-day noise of the total (points).
    item9_share : float
        Share of in-episode answers with item 9 >= 1.
    """

    patient_id: str
    start_date: dt.date
    baseline: float
    rise: float
    intensity: npt.NDArray[np.float64]
    onset_day: int
    end_day: int
    noise_sd: float
    item9_share: float

    def answer(self, day: int, rng: np.random.Generator) -> Phq9Response:
        """The patient's answer on day index `day` (0 <= day < len(intensity))."""
        expected = self.baseline + self.rise * float(self.intensity[day])
        total = int(np.clip(round(expected + self.noise_sd * rng.normal()), 0, 27))
        in_episode = self.onset_day <= day <= self.end_day
        item9 = 0
        if in_episode and rng.random() < self.item9_share:
            item9 = 1 if rng.random() < 0.7 else 2
            total = max(total, item9)
        return Phq9Response(
            patient_id=self.patient_id,
            date=self.start_date + dt.timedelta(days=day),
            items=_split_total(total, item9, rng),
            source="device",
        )


def phq9_answer_model(
    config: CohortConfig, plan: PatientPlan, patient_id: str, rng: np.random.Generator
) -> Phq9AnswerModel:
    """The patient's answer model; draws the personal baseline (one normal draw from `rng`)."""
    c = config
    baseline = max(0.0, c.phq9_baseline_mean + c.phq9_baseline_sd * rng.normal())
    return Phq9AnswerModel(
        patient_id=patient_id,
        start_date=c.start_date,
        baseline=baseline,
        rise=plan.episode.effects["phq9.total"] if plan.episode is not None else 0.0,
        intensity=plan.intensity,
        onset_day=plan.onset_day,
        end_day=plan.end_day,
        noise_sd=c.phq9_noise_sd,
        item9_share=c.item9_share_in_episode,
    )


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
    model = phq9_answer_model(config, plan, patient_id, rng)
    first = int(rng.integers(0, config.phq9_interval_days))
    return [
        model.answer(day, rng) for day in range(first, config.n_days, config.phq9_interval_days)
    ]


class Phq9Respondent:
    """A synthetic patient answering the device's PHQ-9 prompts.

    Each prompt is answered with probability `response_rate`, independently; an answer is drawn
    from the same answer model as the scheduled questionnaires (`draw_phq9`).

    Parameters
    ----------
    model : Phq9AnswerModel
    response_rate : float
        Probability (0-1) that a prompt is answered the day it is shown.
    rng : numpy.random.Generator
        The patient's prompt stream (separate from the clinical stream, so prompting never
        changes the scheduled questionnaires or the medications).
    n_days : int
        Monitoring days; prompts on later days are never answered.
    """

    def __init__(
        self,
        model: Phq9AnswerModel,
        response_rate: float,
        rng: np.random.Generator,
        n_days: int,
    ) -> None:
        if not 0.0 <= response_rate <= 1.0:
            raise ValueError(f"response_rate must be in [0, 1], got {response_rate}")
        self.model = model
        self.response_rate = response_rate
        self.rng = rng
        self.n_days = n_days

    def _index(self, day: dt.date) -> int:
        return (day - self.model.start_date).days

    def responds(self, day: dt.date) -> bool:
        """Whether the patient answers a prompt shown on local `day`."""
        if not 0 <= self._index(day) < self.n_days:
            return False
        return bool(self.rng.random() < self.response_rate)

    def answer(self, day: dt.date) -> Phq9Response:
        """The answer to a prompt on local `day` (inside monitoring)."""
        index = self._index(day)
        if not 0 <= index < self.n_days:
            raise ValueError(f"{day} is outside the {self.n_days} monitoring days")
        return self.model.answer(index, self.rng)


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
