"""Clinician feedback on recommendations: accept, complete, dismiss with a reason, snooze.

Dismissal reasons are the six category codes of HL7's CDS Hooks non-adherence reason code
system (``http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes``, from the AHRQ
CDS Innovation Collaborative override taxonomy), which CDS Hooks cards offer as
``overrideReasons``; a clinic may add its own codes in another system.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bedside.domain import Priority, ProtocolError, Recommendation, RecommendationStatus

__all__ = [
    "NON_ADHERENCE_REASONS",
    "NON_ADHERENCE_SYSTEM",
    "Feedback",
    "FeedbackAction",
    "FeedbackError",
    "OverrideReason",
    "apply_feedback",
]

NON_ADHERENCE_SYSTEM = "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"


class OverrideReason(BaseModel):
    """A coded reason (a FHIR Coding, as CDS Hooks ``overrideReasons`` carry)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str = Field(min_length=1)
    code: str = Field(min_length=1)
    display: str = Field(min_length=1)


NON_ADHERENCE_REASONS: tuple[OverrideReason, ...] = tuple(
    OverrideReason(system=NON_ADHERENCE_SYSTEM, code=code, display=display)
    for code, display in (
        ("cds-not-applicable", "Does not apply to this patient"),
        ("cds-suboptimal-context", "Delivered at a time or to a person who cannot act on it"),
        ("recipient-disagrees-evidence", "Disagree with the evidence"),
        ("recipient-concerns-outcomes", "Concerned about the outcomes of the action"),
        ("does-not-align-preferences", "Does not fit the patient's preferences or values"),
        ("not-convenient-feasible", "Not convenient or feasible now"),
    )
)


class FeedbackAction(StrEnum):
    ACCEPT = "accept"
    COMPLETE = "complete"
    DISMISS = "dismiss"
    SNOOZE = "snooze"


class FeedbackError(ProtocolError):
    """Feedback that does not fit the recommendation's state (e.g. completing a dismissed one)."""


class Feedback(BaseModel):
    """One clinician action on one recommendation.

    Attributes
    ----------
    recommendation_id : str
    action : FeedbackAction
    by : str
        Clinician id.
    at : datetime
        When (timezone-aware).
    reason : OverrideReason or None
        Required to dismiss.
    note : str
    snooze_until : datetime or None
        Required to snooze.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    recommendation_id: str
    action: FeedbackAction
    by: str = Field(min_length=1)
    at: dt.datetime
    reason: OverrideReason | None = None
    note: str = ""
    snooze_until: dt.datetime | None = None

    @model_validator(mode="after")
    def _check(self) -> Feedback:
        if self.at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        if self.action is FeedbackAction.DISMISS and self.reason is None:
            raise ValueError("a dismissal needs a reason")
        if self.action is FeedbackAction.SNOOZE:
            if self.snooze_until is None or self.snooze_until.tzinfo is None:
                raise ValueError("a snooze needs a timezone-aware snooze_until")
            if self.snooze_until <= self.at:
                raise ValueError("snooze_until must be after at")
        return self


_NEXT = {
    FeedbackAction.ACCEPT: RecommendationStatus.ACCEPTED,
    FeedbackAction.COMPLETE: RecommendationStatus.COMPLETED,
    FeedbackAction.DISMISS: RecommendationStatus.DISMISSED,
}
_ALLOWED_FROM = {
    FeedbackAction.ACCEPT: {RecommendationStatus.OPEN},
    FeedbackAction.COMPLETE: {RecommendationStatus.OPEN, RecommendationStatus.ACCEPTED},
    FeedbackAction.DISMISS: {RecommendationStatus.OPEN, RecommendationStatus.ACCEPTED},
    FeedbackAction.SNOOZE: {RecommendationStatus.OPEN},
}


def apply_feedback(rec: Recommendation, feedback: Feedback) -> Recommendation:
    """The recommendation after a clinician's action.

    Raises
    ------
    FeedbackError
        When the feedback names another recommendation, the transition is not allowed from
        the current status, or a critical recommendation would be snoozed (a crisis is never
        delayed).
    """
    if feedback.recommendation_id != rec.id:
        raise FeedbackError(f"feedback is for {feedback.recommendation_id}, not {rec.id}")
    if rec.status not in _ALLOWED_FROM[feedback.action]:
        raise FeedbackError(
            f"cannot {feedback.action.value} recommendation {rec.id}: it is {rec.status.value}"
        )
    if feedback.action is FeedbackAction.SNOOZE:
        if rec.priority is Priority.CRITICAL:
            raise FeedbackError("a critical recommendation cannot be snoozed")
        assert feedback.snooze_until is not None
        return rec.model_copy(update={"snoozed_until": min(feedback.snooze_until, rec.expires)})
    return rec.model_copy(update={"status": _NEXT[feedback.action], "snoozed_until": None})
