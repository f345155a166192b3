"""A synthetic patient-year of multi-modal raw data, without audio, from the synthetic cohort.

Used by ``bench/biomarkers.py``. 365 local days (Europe/Oslo, two clock changes) of one patient
with an episode: minute actigraphy, minute step counts, nightly sleep records, minute heart rate
with RR intervals for an hour after local midnight, 5-minute CGM, saliva cortisol (six samples
a day), 1/min GPS fixes, screen events and about 2,000 keystrokes a day. Every modality is
extracted by its daily extractor (``MODALITY_EXTRACTORS``) and merged by
``extract_multimodal_daily``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bedside.domain import Modality
from bedside.domain.cardiac_recording import CardiacRecording
from bedside.domain.raw_frames import RawFrame
from bedside.sensors import CohortConfig, generate_patient
from bedside.sensors.synthetic_config import SYNTHETIC_EXTRA_MODALITIES

__all__ = ["DAYS", "PatientYear", "make_patient_year", "raw_size"]

DAYS = 365


def raw_size(frame: RawFrame) -> str:
    """Samples (or intervals, events, fixes) of a raw frame, for the printout."""
    if isinstance(frame, CardiacRecording):
        hr = 0 if frame.heart_rate is None else len(frame.heart_rate)
        rr = 0 if frame.rr is None else len(frame.rr)
        return f"{hr:,} HR + {rr:,} RR"
    return f"{len(frame):,}"


@dataclass(frozen=True)
class PatientYear:
    """Raw frames of one patient-year."""

    frames: dict[Modality, RawFrame]
    zone: str


def make_patient_year(seed: int = 0) -> PatientYear:
    """Generate the raw data of one synthetic patient-year (every synthetic modality)."""
    config = CohortConfig(
        n_patients=1,
        n_days=DAYS,
        seed=seed,
        episode_fraction=1.0,
        # the patient-year is without audio (and predates the text entries)
        extra_modalities=tuple(
            m for m in SYNTHETIC_EXTRA_MODALITIES if m not in (Modality.VOICE, Modality.LANGUAGE)
        ),
    )
    patient = generate_patient(config, 0)
    return PatientYear(frames=patient.frames(), zone=config.zone)
