"""A finding: what leaves a patient's device for one patient-day (never raw samples)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from bedside.domain.modality import Modality
from bedside.domain.risk import RiskEstimate
from bedside.domain.trend import TrendFinding

__all__ = ["BaselineSummary", "Finding"]


class BaselineSummary(BaseModel):
    """A biomarker's latest value next to the patient's baseline (for the clinician's evidence)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    biomarker: str
    value: float | None
    baseline_median: float | None
    baseline_scale: float | None


class Finding(BaseModel):
    """Trends, risk and coverage of one patient on one local day.

    Attributes
    ----------
    patient_id : str
    date : date
        Local day the finding describes (data up to the end of that day).
    trends : list of TrendFinding
        Verified trends active on `date`.
    risk : RiskEstimate or None
        None when there was too little data for the model (see `insufficient_data`).
    coverage : dict of Modality to float
        Coverage of each modality on `date`.
    biomarkers : list of BaselineSummary
        Each biomarker's value on `date` and the patient's baseline.
    insufficient_data : list of str
        Biomarker ids (or ``risk``) for which there was too little data to judge.
    device_id : str
        The device that computed the finding.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    patient_id: str
    date: dt.date
    trends: list[TrendFinding] = Field(default_factory=list)
    risk: RiskEstimate | None = None
    coverage: dict[Modality, float] = Field(default_factory=dict)
    biomarkers: list[BaselineSummary] = Field(default_factory=list)
    insufficient_data: list[str] = Field(default_factory=list)
    device_id: str = "unknown-device"
