"""What the engine knows about one patient when it evaluates the protocols."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from bedside.domain import Finding, MedicationRecord, Phq9Response

__all__ = ["HISTORY_DAYS", "CrisisSignal", "PatientContext", "Phq9Report", "patient_day_context"]

HISTORY_DAYS = 60
"""Days of earlier findings a protocol sees (the longest look-back of the built-in protocols)."""


class Phq9Report(BaseModel):
    """A PHQ-9 known only by its scores (EHR Observations 44261-6 / 44260-8, no item answers).

    Attributes
    ----------
    patient_id : str
    date : date
        Local day the PHQ-9 was answered (the Observation's effective date).
    total : int or None
        Total score 0-27, when reported.
    item9 : int or None
        Item 9 score 0-3, when reported.
    source : str
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    patient_id: str
    date: dt.date
    total: int | None = Field(default=None, ge=0, le=27)
    item9: int | None = Field(default=None, ge=0, le=3)
    source: str = "ehr"


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
    phq9_reports : tuple of Phq9Report
        PHQ-9 scores without item answers (from EHR Observations); item 9 counts for crisis.
    """

    patient_id: str
    date: dt.date
    finding: Finding | None = None
    history: tuple[Finding, ...] = ()
    phq9: tuple[Phq9Response, ...] = ()
    medications: tuple[MedicationRecord, ...] = ()
    crisis_signals: tuple[CrisisSignal, ...] = ()
    phq9_reports: tuple[Phq9Report, ...] = ()

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


def patient_day_context(
    patient_id: str,
    day: dt.date,
    findings: Mapping[dt.date, Finding],
    phq9: Sequence[Phq9Response] = (),
    medications: Sequence[MedicationRecord] = (),
    *,
    phq9_reports: Sequence[Phq9Report] = (),
    crisis_signals: Sequence[CrisisSignal] = (),
) -> PatientContext:
    """What the protocols see of one patient on `day`: that day's finding (if any), the
    findings of the previous `HISTORY_DAYS` days, and what was known by the end of `day`.

    Parameters
    ----------
    findings : mapping of date to Finding
        The patient's findings by local date (any span; only the window is used).
    phq9, medications, phq9_reports, crisis_signals : sequences
        Everything known about the patient; entries dated after `day` are left out, so a
        replay never sees the future.
    """
    history = tuple(
        findings[d]
        for d in (day - dt.timedelta(days=k) for k in range(HISTORY_DAYS, 0, -1))
        if d in findings
    )
    return PatientContext(
        patient_id=patient_id,
        date=day,
        finding=findings.get(day),
        history=history,
        phq9=tuple(r for r in phq9 if r.date <= day),
        medications=tuple(m for m in medications if m.start <= day),
        crisis_signals=tuple(c for c in crisis_signals if c.date <= day),
        phq9_reports=tuple(r for r in phq9_reports if r.date <= day),
    )
