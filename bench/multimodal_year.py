"""A synthetic patient-year of multi-modal raw data and the daily extraction of every modality.

Used by ``bench/biomarkers.py``. Raw data (365 local days, Europe/Oslo, two clock changes):
minute actigraphy, minute step counts, nightly sleep records and saliva cortisol (six samples
a day) from the synthetic cohort; minute heart rate and 5-minute CGM drawn here (no synthetic
generator for them is on main yet). Each modality is extracted by the daily extractor main has
for it; modalities main has no extractor for are listed in ``MISSING``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bedside.biomarkers import extract_multimodal_daily
from bedside.biomarkers.cardiac import nocturnal_heart_rate, resting_heart_rate
from bedside.biomarkers.glucose import glucose_metrics
from bedside.domain import Modality
from bedside.domain.raw_frames import RawFrame
from bedside.sensors import CohortConfig, generate_patient

__all__ = ["MISSING", "PatientYear", "make_patient_year"]

DAYS = 365
MISSING = ("gps (1/min fixes)", "typing (2,000 keystrokes a day)")
"""Modalities of the issue's patient-year without a daily extractor on main at this commit."""


@dataclass(frozen=True)
class PatientYear:
    """Raw frames of one patient-year and the extraction steps to time."""

    frames: dict[Modality, RawFrame]
    hr_times: np.ndarray[Any, Any]
    hr_bpm: np.ndarray[Any, Any]
    cgm_times: np.ndarray[Any, Any]
    cgm_mgdl: np.ndarray[Any, Any]
    zone: str
    start: dt.date

    def steps(self) -> dict[str, Callable[[], object]]:
        """Named extraction steps; together they compute every available daily biomarker."""
        return {
            "actigraphy+steps+sleep records+cortisol (extract_multimodal_daily)": lambda: (
                extract_multimodal_daily(self.frames)
            ),
            "heart rate (resting + nocturnal, minute samples)": self._heart_rate,
            "CGM (daily consensus metrics, 5-min readings)": self._glucose,
        }

    def _heart_rate(self) -> object:
        return (
            resting_heart_rate(self.hr_times, self.hr_bpm, self.zone),
            nocturnal_heart_rate(self.hr_times, self.hr_bpm, self.zone),
        )

    def _glucose(self) -> object:
        tz = ZoneInfo(self.zone)
        bounds = [
            int(dt.datetime.combine(self.start + dt.timedelta(days=k), dt.time(), tz).timestamp())
            for k in range(DAYS + 1)
        ]
        cut = np.searchsorted(self.cgm_times, bounds)
        return [
            glucose_metrics(
                self.cgm_mgdl[cut[k] : cut[k + 1]],
                self.cgm_times[cut[k] : cut[k + 1]],
                window_start_utc=bounds[k],
                window_end_utc=bounds[k + 1],
            )
            for k in range(DAYS)
        ]


def make_patient_year(seed: int = 0) -> PatientYear:
    """Generate the raw data of one synthetic patient-year."""
    config = CohortConfig(n_patients=1, n_days=DAYS, seed=seed, episode_fraction=1.0)
    patient = generate_patient(config, 0)
    rng = np.random.default_rng([seed, 99])
    t0 = int(patient.actigraphy.time_utc[0])
    minutes = np.arange(DAYS * 1440, dtype=np.int64)
    hr_times = t0 + 60 * minutes
    phase = 2 * np.pi * (minutes % 1440) / 1440.0
    hr_bpm = 68.0 - 8.0 * np.cos(phase) + rng.normal(0.0, 4.0, minutes.size)
    cgm_times = t0 + 300 * np.arange(DAYS * 288, dtype=np.int64)
    cgm = 110.0 + 25.0 * np.sin(2 * np.pi * np.arange(cgm_times.size) / 96.0)
    cgm_mgdl = np.clip(cgm + rng.normal(0.0, 10.0, cgm.size), 40.0, 400.0)
    return PatientYear(
        frames=patient.frames(),
        hr_times=hr_times,
        hr_bpm=hr_bpm,
        cgm_times=cgm_times,
        cgm_mgdl=cgm_mgdl,
        zone=config.zone,
        start=config.start_date,
    )
