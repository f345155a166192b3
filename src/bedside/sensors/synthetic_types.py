"""Outputs of the synthetic cohort generator: patients with ground truth, and day labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from bedside.domain import MedicationRecord, Modality, Phq9Response, SampleFrame
from bedside.domain.raw_frames import RawFrame
from bedside.sensors.synthetic_config import CohortConfig

__all__ = [
    "EpisodeTruth",
    "GapTruth",
    "SyntheticCohort",
    "SyntheticPatient",
    "episode_risk_labels",
    "in_episode_days",
    "label_days",
]

BoolArray = npt.NDArray[np.bool_]


class EpisodeTruth(BaseModel):
    """An injected depressive episode.

    Attributes
    ----------
    onset : date
        First local day of the episode (effects start rising).
    end : date
        Last local day of the episode, inclusive (effects vanish the day after).
    ramp_days : int
        Days over which the effects rise linearly to full size.
    effects : dict of str to float
        Full-size effects of this patient, signed, in within-person SD units of the generator's
        daily parameters: ``activity.total_counts`` (negative), ``sleep.duration_min`` (negative
        for insomnia, positive for hypersomnia), ``sleep.onset_min`` (positive = later),
        ``sleep.efficiency`` (negative); ``rhythm.timing_sd_factor`` is the multiple by which
        the day-to-day timing SD grows (lower interdaily stability); ``phq9.total`` is the rise
        of the expected PHQ-9 total in points.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    onset: dt.date
    end: dt.date
    ramp_days: int = Field(ge=0)
    effects: dict[str, float]


@dataclass(frozen=True, slots=True)
class GapTruth:
    """A run of minutes deliberately left without samples.

    Attributes
    ----------
    start_utc, end_utc : int
        UTC seconds; the gap covers minutes in [start_utc, end_utc).
    reason : str
        ``off_wrist`` or ``missing_day``.
    """

    start_utc: int
    end_utc: int
    reason: str

    @property
    def minutes(self) -> int:
        return (self.end_utc - self.start_utc) // 60


@dataclass(frozen=True)
class SyntheticPatient:
    """One synthetic patient with everything a clinic or a device would see, plus the truth.

    Attributes
    ----------
    patient_id : str
        ``synth-<seed>-<index:04d>``.
    zone : str
    start_date : date
        First local day of monitoring.
    n_days : int
    sex : str
        ``female`` or ``male``.
    age_band : str
        5-year band such as ``35-39``.
    actigraphy : SampleFrame
        Minute counts (Actiwatch-like); minutes of gaps are absent.
    phq9 : list of Phq9Response
    medications : list of MedicationRecord
    episodes : list of EpisodeTruth
    gaps : list of GapTruth
        Missing-data runs, in time order (overlapping runs may both be listed).
    daily : mapping of str to ndarray of float64, each shape (n_days,)
        Generator parameters per local day: ``episode_intensity`` (0-1), ``sleep_onset_min``
        (local, relative to the day's midnight), ``sleep_duration_min``, ``sleep_efficiency``
        (fraction), ``activity_target_counts`` (expected counts of the day's waking period).
    raw : mapping of Modality to RawFrame
        The other modalities' raw frames (``CohortConfig.extra_modalities``), driven by the
        same daily episode intensity.
    """

    patient_id: str
    zone: str
    start_date: dt.date
    n_days: int
    sex: str
    age_band: str
    actigraphy: SampleFrame
    phq9: list[Phq9Response]
    medications: list[MedicationRecord]
    episodes: list[EpisodeTruth]
    gaps: list[GapTruth]
    daily: Mapping[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    raw: Mapping[Modality, RawFrame] = field(default_factory=dict)

    def frames(self) -> dict[Modality, RawFrame]:
        """Every raw frame of the patient, actigraphy first."""
        return {Modality.ACTIGRAPHY: self.actigraphy, **self.raw}

    @property
    def dates(self) -> npt.NDArray[np.datetime64]:
        """Local dates of monitoring, datetime64[D], shape (n_days,)."""
        start = np.datetime64(self.start_date, "D")
        return start + np.arange(self.n_days)


@dataclass(frozen=True)
class SyntheticCohort:
    """A generated cohort: the configuration and the patients in index order."""

    config: CohortConfig
    patients: list[SyntheticPatient]


def in_episode_days(patient: SyntheticPatient) -> BoolArray:
    """True on local days inside an episode (onset to end, inclusive); shape (n_days,)."""
    return episode_risk_labels(patient, horizon_days=0)


def episode_risk_labels(patient: SyntheticPatient, horizon_days: int = 14) -> BoolArray:
    """The episode-risk training label per local day.

    Parameters
    ----------
    patient : SyntheticPatient
    horizon_days : int
        True when the patient is in an episode or enters one within this many days.

    Returns
    -------
    ndarray of bool, shape (n_days,)
    """
    if horizon_days < 0:
        raise ValueError(f"horizon_days must be >= 0, got {horizon_days}")
    day = np.arange(patient.n_days)
    label = np.zeros(patient.n_days, dtype=np.bool_)
    for ep in patient.episodes:
        onset = (ep.onset - patient.start_date).days
        end = (ep.end - patient.start_date).days
        label |= (day >= onset - horizon_days) & (day <= end)
    return label


def label_days(patient: SyntheticPatient) -> BoolArray:
    """Same as ``episode_risk_labels(patient, horizon_days=14)``."""
    return episode_risk_labels(patient, horizon_days=14)
