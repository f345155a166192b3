"""What the engine knows about one patient when it evaluates the protocols."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from bedside.domain import Finding, MedicationRecord, Phq9Response

__all__ = ["CrisisSignal", "PatientContext"]


class CrisisSignal(BaseModel):
    """A crisis signal other than PHQ-9 item 9 (a clinician's flag, a crisis button).

    Attributes
    ----------
    patient_id : str
    kind : str
        Must be listed in the crisis protocol's ``signals`` to count.
    date : date
        Local day of the signal.
    detail : str
        What happened, for the clinician.
    source : str
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    patient_id: str
    kind: str = Field(min_length=1)
    date: dt.date
    detail: str
    source: str = "device"


@dataclass(frozen=True, slots=True)
class PatientContext:
    """One patient's state on one local day.

    Attributes
    ----------
    patient_id : str
    date : date
        The local day being evaluated.
    finding : Finding or None
        The device's finding for `date`; None when none arrived (the device was off).
    history : tuple of Finding
        Earlier findings of the patient, oldest first (days without one are simply absent).
    phq9 : tuple of Phq9Response
        Completed PHQ-9s up to `date`, from the device or the EHR.
    medications : tuple of MedicationRecord
        Medication starts and dose changes from the EHR.
    crisis_signals : tuple of CrisisSignal
    """

    patient_id: str
    date: dt.date
    finding: Finding | None = None
    history: tuple[Finding, ...] = ()
    phq9: tuple[Phq9Response, ...] = ()
    medications: tuple[MedicationRecord, ...] = ()
    crisis_signals: tuple[CrisisSignal, ...] = ()

    def __post_init__(self) -> None:
        if self.finding is not None and (
            self.finding.patient_id != self.patient_id or self.finding.date != self.date
        ):
            raise ValueError("the finding must be the patient's finding for the evaluated day")

    def findings_by_date(self) -> dict[dt.date, Finding]:
        """History and today's finding by local date (the latest wins for a repeated date)."""
        out = {f.date: f for f in self.history if f.patient_id == self.patient_id}
        if self.finding is not None:
            out[self.date] = self.finding
        return out

    def phq9_until_today(self) -> list[Phq9Response]:
        """The patient's PHQ-9s dated on or before `date`, oldest first."""
        own = [r for r in self.phq9 if r.patient_id == self.patient_id and r.date <= self.date]
        return sorted(own, key=lambda r: (r.date, r.source))
