"""A recommendation to a clinician: what to consider doing, for whom, how urgently, and why."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Evidence", "Priority", "Recommendation", "RecommendationStatus", "Role"]


class Priority(StrEnum):
    """Triage tier. CDS Hooks indicator and FHIR Task.priority are derived from it."""

    CRITICAL = "critical"
    URGENT = "urgent"
    ROUTINE = "routine"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most urgent tier; used to order queues."""
        return list(Priority).index(self)

    @property
    def cds_indicator(self) -> str:
        return {"critical": "critical", "urgent": "warning"}.get(self.value, "info")

    @property
    def fhir_task_priority(self) -> str:
        return {"critical": "stat", "urgent": "urgent"}.get(self.value, "routine")


class Role(StrEnum):
    """Who a recommendation is routed to."""

    PSYCHIATRIST = "psychiatrist"
    THERAPIST = "therapist"
    CARE_COORDINATOR = "care_coordinator"


class RecommendationStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    DISMISSED = "dismissed"
    EXPIRED = "expired"
    RESOLVED = "resolved"
    """Closed by the engine because the evidence resolved (improvement protocol)."""


class Evidence(BaseModel):
    """One checkable fact behind a recommendation.

    Attributes
    ----------
    kind : str
        ``trend``, ``risk``, ``coverage`` or ``biomarker``.
    label : str
        What it is, for a clinician (``Sleep duration``).
    statement : str
        The fact in words, with numbers and units.
    biomarker : str or None
    value, baseline : float or None
        Value and the patient's baseline, registry unit.
    unit : str or None
    onset_date : date or None
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    label: str
    statement: str
    biomarker: str | None = None
    value: float | None = None
    baseline: float | None = None
    unit: str | None = None
    onset_date: dt.date | None = None


class Recommendation(BaseModel):
    """A triaged recommendation to a clinician. Never an automatic order.

    Attributes
    ----------
    id : str
        Stable business identifier (patient, protocol and episode of evidence).
    patient_id : str
    action : str
        What the clinician is advised to consider, phrased as a recommendation.
    priority : Priority
    created : datetime
        When the recommendation was raised (UTC).
    due : datetime
        When it should be acted on by (UTC).
    expires : datetime
        After this it lapses unless renewed by new evidence (UTC).
    route : Role
    rationale : str
        One paragraph summarising why.
    evidence : list of Evidence
    protocol_id, protocol_version, protocol_hash : str
    model_id, model_version : str or None
    status : RecommendationStatus
    risk_probability : float or None
        The calibrated probability behind it, when a model gave one (triage ranks by it).
    interruptive : bool
        Whether its protocol lets it interrupt a clinician; the triage budget decides whether
        it actually does (crises always do).
    snoozed_until : datetime or None
        Hidden from queues and not escalated until then (UTC).
    escalation_level : int
        How many times it escalated for being overdue (0 = never).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    patient_id: str
    action: str
    priority: Priority
    created: dt.datetime
    due: dt.datetime
    expires: dt.datetime
    route: Role
    rationale: str
    evidence: list[Evidence] = Field(default_factory=list)
    protocol_id: str
    protocol_version: str
    protocol_hash: str
    model_id: str | None = None
    model_version: str | None = None
    status: RecommendationStatus = RecommendationStatus.OPEN
    risk_probability: float | None = Field(default=None, ge=0, le=1)
    interruptive: bool = True
    snoozed_until: dt.datetime | None = None
    escalation_level: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _times(self) -> Recommendation:
        for name in ("created", "due", "expires"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware (UTC)")
        if not self.created <= self.due <= self.expires:
            raise ValueError("expected created <= due <= expires")
        return self

    @property
    def summary(self) -> str:
        """One line for queues and CDS cards (under 140 characters)."""
        text = f"{self.action} (patient {self.patient_id})"
        return text if len(text) < 140 else text[:136] + "..."
