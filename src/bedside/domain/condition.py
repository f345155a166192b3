"""A condition (diagnosis) known to the EHR, read as protocol context."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

__all__ = ["ConditionRecord"]


class ConditionRecord(BaseModel):
    """One problem-list or encounter diagnosis from the EHR.

    Attributes
    ----------
    patient_id : str
    system : str or None
        Code system URI of `code` (SNOMED CT, ICD-10, ...), when coded.
    code : str or None
    display : str
        What the condition is, in words (coding display or text).
    clinical_status : str or None
        HL7 condition-clinical code (``active``, ``remission``, ``resolved`` ...).
    onset : date or None
        Local day of onset, when the EHR gives one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    patient_id: str
    system: str | None = None
    code: str | None = None
    display: str
    clinical_status: str | None = None
    onset: dt.date | None = None

    @property
    def active(self) -> bool:
        """Whether the condition is current (active, recurrence or relapse)."""
        return self.clinical_status in ("active", "recurrence", "relapse")
