"""A verified trend: a sustained change of one biomarker against the patient's own baseline."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["TrendDirection", "TrendFinding"]


class TrendDirection(StrEnum):
    UP = "up"
    DOWN = "down"


class TrendFinding(BaseModel):
    """One verified trend, as in the contracts of ARCHITECTURE.md.

    Attributes
    ----------
    biomarker : str
        Biomarker id.
    direction : TrendDirection
    onset_date : date
        Estimated first local day of the change (change point).
    detection_date : date
        Local day the detector alarmed.
    size : float
        Mean change since onset, in the biomarker's unit.
    robust_z : float
        Mean change since onset in robust baseline SDs (MAD x 1.4826).
    false_alarm_rate_per_year : float
        The detector's false-alarm rate for this biomarker at its threshold, per patient-year.
    coverage : float
        Mean coverage of the biomarker's modality over onset..detection, in [0, 1].
    days_sustained : int
        Days from onset to detection, inclusive.
    adverse : bool
        Whether the direction is the registry's direction of concern.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    biomarker: str
    direction: TrendDirection
    onset_date: dt.date
    detection_date: dt.date
    size: float
    robust_z: float
    false_alarm_rate_per_year: float = Field(ge=0)
    coverage: float = Field(ge=0, le=1)
    days_sustained: int = Field(ge=1)
    adverse: bool
