"""Clinical context from the EHR or the patient's device: PHQ-9 answers and medications."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["MedicationRecord", "Phq9Response"]


class Phq9Response(BaseModel):
    """One completed PHQ-9 (Kroenke et al. 2001): nine items scored 0-3.

    Attributes
    ----------
    patient_id : str
    date : date
        Local day the questionnaire was answered.
    items : list of int
        Nine item scores in questionnaire order; item 9 (index 8) asks about thoughts of being
        better off dead or of self-harm.
    source : str
        ``device`` (self-report on the patient's device) or ``ehr``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    patient_id: str
    date: dt.date
    items: list[int] = Field(min_length=9, max_length=9)
    source: str = "device"

    @field_validator("items")
    @classmethod
    def _item_range(cls, items: list[int]) -> list[int]:
        for i, score in enumerate(items, start=1):
            if not 0 <= score <= 3:
                raise ValueError(f"PHQ-9 item {i} must be 0-3, got {score}")
        return items

    @property
    def total(self) -> int:
        """Total score, 0-27."""
        return sum(self.items)

    @property
    def item9(self) -> int:
        return self.items[8]


class MedicationRecord(BaseModel):
    """A medication start or dose change known to the EHR.

    Attributes
    ----------
    patient_id : str
    name : str
        Generic drug name, e.g. ``sertraline``.
    rxnorm : str or None
        RxNorm ingredient code when known.
    start : date
        Local day the medication was started or its dose changed.
    dose_mg_per_day : float or None
    kind : str
        ``start`` or ``dose_change``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    patient_id: str
    name: str
    rxnorm: str | None = None
    start: dt.date
    dose_mg_per_day: float | None = None
    kind: str = "start"
