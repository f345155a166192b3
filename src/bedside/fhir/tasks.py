"""Recommendation -> FHIR Task (intent ``proposal``: a suggestion to a clinician, not an order).

Mapping: identifier = recommendation id (Bedside recommendation system); ``code`` = protocol
(Bedside protocol CodeSystem, version = protocol version) with the action as text;
``description`` = action; ``for`` = Patient; ``focus`` = the proposed CommunicationRequest or
ServiceRequest (else the RiskAssessment); ``reasonReference`` = the RiskAssessment; ``owner`` =
the PractitionerRole of the routed role; ``performerType`` = routed role (Bedside care-role
CodeSystem); ``authoredOn`` and
``executionPeriod.start`` = created; ``restriction.period.end`` = due; expiry in the extension
:data:`EXT_RECOMMENDATION_EXPIRES`; rationale in ``note`` and each Evidence as an ``input``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bedside.domain import Recommendation, RecommendationStatus, Role
from bedside.fhir.codes import (
    CARE_ROLE_SYSTEM,
    EXT_RECOMMENDATION_EXPIRES,
    PROTOCOL_SYSTEM,
    SID,
    identifier,
    resource_id,
)
from bedside.fhir.participants import patient_ref

__all__ = ["TASK_STATUS", "recommendation_task", "task_ref"]

TASK_STATUS: dict[RecommendationStatus, str] = {
    RecommendationStatus.OPEN: "requested",
    RecommendationStatus.ACCEPTED: "accepted",
    RecommendationStatus.COMPLETED: "completed",
    RecommendationStatus.DISMISSED: "rejected",
    RecommendationStatus.EXPIRED: "cancelled",
    RecommendationStatus.RESOLVED: "cancelled",
}
_ROLE_DISPLAY = {
    Role.PSYCHIATRIST: "Psychiatrist",
    Role.THERAPIST: "Therapist",
    Role.CARE_COORDINATOR: "Care coordinator",
}


def task_ref(recommendation_id: str) -> str:
    return f"Task/{resource_id(SID.recommendation, recommendation_id)}"


def _instant(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat()


def recommendation_task(
    rec: Recommendation,
    risk_ref: str | None = None,
    *,
    focus_ref: str | None = None,
    owner_ref: str | None = None,
) -> dict[str, Any]:
    """One recommendation as a Task.

    Parameters
    ----------
    rec : Recommendation
    risk_ref : str, optional
        Reference to the RiskAssessment behind it (``reasonReference``; also ``focus`` when no
        `focus_ref` is given).
    focus_ref : str, optional
        The CommunicationRequest or ServiceRequest the Task proposes (``focus``).
    owner_ref : str, optional
        The PractitionerRole of the routed role (``owner``).
    """
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": resource_id(SID.recommendation, rec.id),
        "extension": [{"url": EXT_RECOMMENDATION_EXPIRES, "valueDateTime": _instant(rec.expires)}],
        "identifier": [identifier(SID.recommendation, rec.id)],
        "status": TASK_STATUS[rec.status],
        "intent": "proposal",
        "priority": rec.priority.fhir_task_priority,
        "code": {
            "coding": [
                {
                    "system": PROTOCOL_SYSTEM,
                    "version": rec.protocol_version,
                    "code": rec.protocol_id,
                }
            ],
            "text": rec.action,
        },
        "description": rec.action,
        "for": {"reference": patient_ref(rec.patient_id)},
        "authoredOn": _instant(rec.created),
        "executionPeriod": {"start": _instant(rec.created)},
        "restriction": {"period": {"end": _instant(rec.due)}},
        "performerType": [
            {
                "coding": [
                    {
                        "system": CARE_ROLE_SYSTEM,
                        "code": rec.route.value,
                        "display": _ROLE_DISPLAY[rec.route],
                    }
                ],
                "text": _ROLE_DISPLAY[rec.route],
            }
        ],
        "note": [{"text": rec.rationale}],
    }
    if focus_ref is not None or risk_ref is not None:
        task["focus"] = {"reference": focus_ref or risk_ref}
    if risk_ref is not None:
        task["reasonReference"] = {"reference": risk_ref}
    if owner_ref is not None:
        task["owner"] = {"reference": owner_ref}
    if rec.evidence:
        task["input"] = [
            {"type": {"text": f"{e.kind}: {e.label}"}, "valueString": e.statement}
            for e in rec.evidence
        ]
    return task
