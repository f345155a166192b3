"""A calibrated episode-risk estimate with its interval and explanation."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Contribution", "RiskEstimate"]


class Contribution(BaseModel):
    """How much one biomarker pushed the risk, with the numbers a clinician can check.

    Attributes
    ----------
    biomarker : str
    value : float or None
        The biomarker's recent (7-day) mean, registry unit.
    baseline : float or None
        The patient's baseline median, registry unit.
    contribution : float
        Contribution to the model's log-odds (positive raises the risk).
    direction : {"up", "down"} or None
        Whether the recent value is above or below the baseline (None when either is unknown
        or they are equal).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    biomarker: str
    value: float | None
    baseline: float | None
    contribution: float
    direction: Literal["up", "down"] | None = None


class RiskEstimate(BaseModel):
    """Probability that the patient is in, or within 14 days enters, a depressive episode.

    Attributes
    ----------
    as_of : date
        Last local day whose data the estimate uses.
    probability : float
        Calibrated probability in [0, 1].
    interval_low, interval_high : float
        Uncertainty interval around `probability` (see the model card for its construction).
    model_id, model_version : str
    contributions : list of Contribution
        Top contributing biomarkers, largest absolute contribution first.
    prediction_set : list of str or None
        Split-conformal prediction set (``"no_episode"``, ``"episode"``, both, or empty) that
        contains the true state with probability >= `prediction_set_coverage`; None when the
        model carries no conformal calibration.
    prediction_set_coverage : float or None
        Nominal coverage of `prediction_set` (1 - alpha).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: dt.date
    probability: float = Field(ge=0, le=1)
    interval_low: float = Field(ge=0, le=1)
    interval_high: float = Field(ge=0, le=1)
    model_id: str
    model_version: str
    contributions: list[Contribution] = Field(default_factory=list)
    prediction_set: list[Literal["no_episode", "episode"]] | None = None
    prediction_set_coverage: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> RiskEstimate:
        if not self.interval_low <= self.probability <= self.interval_high:
            raise ValueError("risk interval must contain the probability")
        return self
