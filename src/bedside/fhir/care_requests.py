"""The concrete request behind a recommendation, and the role that owns its Task.

A recommendation is a Task (intent ``proposal``) whose ``focus`` is the request it proposes:

* a contact with the patient (routed to a care coordinator or therapist, or an action that says
  "contact" / "call") -> CommunicationRequest (status ``draft``, priority from the tier);
* anything else (an assessment or review by a psychiatrist) -> ServiceRequest (intent
  ``proposal``).

The Task's ``owner`` is a PractitionerRole for the routed role (Bedside care-role CodeSystem),
one resource per role, so an EHR can route the proposal to a work queue.
"""

from __future__ import annotations

from typing import Any

from bedside.domain import Recommendation, RecommendationStatus, Role
from bedside.fhir.codes import CARE_ROLE_SYSTEM, SID, identifier, resource_id
from bedside.fhir.participants import engine_ref, patient_ref

__all__ = [
    "ROLE_DISPLAY",
    "care_request",
    "care_request_ref",
    "care_role",
    "care_role_ref",
    "is_communication",
]

ROLE_DISPLAY = {
    Role.PSYCHIATRIST: "Psychiatrist",
    Role.THERAPIST: "Therapist",
    Role.CARE_COORDINATOR: "Care coordinator",
}
_REQUEST_STATUS = {
    RecommendationStatus.OPEN: "draft",
    RecommendationStatus.ACCEPTED: "active",
    RecommendationStatus.COMPLETED: "completed",
    RecommendationStatus.DISMISSED: "revoked",
    RecommendationStatus.EXPIRED: "revoked",
}
_CONTACT_WORDS = ("contact", "call", "check-in", "check in", "message")


def care_role_ref(role: Role) -> str:
    return f"PractitionerRole/{resource_id(SID.care_role, role.value)}"


def care_role(role: Role) -> dict[str, Any]:
    """A PractitionerRole standing for everyone in `role` (the owner of routed Tasks)."""
    return {
        "resourceType": "PractitionerRole",
        "id": resource_id(SID.care_role, role.value),
        "identifier": [identifier(SID.care_role, role.value)],
        "active": True,
        "code": [
            {
                "coding": [
                    {"system": CARE_ROLE_SYSTEM, "code": role.value, "display": ROLE_DISPLAY[role]}
                ],
                "text": ROLE_DISPLAY[role],
            }
        ],
    }


def is_communication(rec: Recommendation) -> bool:
    """Whether the recommendation proposes contacting the patient (CommunicationRequest)."""
    action = rec.action.lower()
    return rec.route != Role.PSYCHIATRIST or any(w in action for w in _CONTACT_WORDS)


def care_request_ref(rec: Recommendation) -> str:
    rtype = "CommunicationRequest" if is_communication(rec) else "ServiceRequest"
    return f"{rtype}/{resource_id(SID.care_request, rec.id)}"


def care_request(rec: Recommendation, reason_refs: list[str] | None = None) -> dict[str, Any]:
    """The CommunicationRequest or ServiceRequest a recommendation proposes.

    Parameters
    ----------
    rec : Recommendation
    reason_refs : list of str, optional
        References to what motivates it; the Observations among them (verified trends) become
        ``reasonReference``.
    """
    common: dict[str, Any] = {
        "id": resource_id(SID.care_request, rec.id),
        "identifier": [identifier(SID.care_request, rec.id)],
        "status": _REQUEST_STATUS[rec.status],
        "priority": rec.priority.fhir_task_priority,
        "subject": {"reference": patient_ref(rec.patient_id)},
        "authoredOn": rec.created.isoformat(),
        "requester": {"reference": engine_ref(rec.protocol_id, rec.protocol_version)},
    }
    # R4 allows only Condition, Observation, DiagnosticReport or DocumentReference as the reason
    # of either request, so the RiskAssessment stays on the Task and the trends are the reason.
    reasons = [{"reference": r} for r in reason_refs or [] if r.startswith("Observation/")]
    if is_communication(rec):
        request = {
            "resourceType": "CommunicationRequest",
            **common,
            "payload": [{"contentString": rec.action}],
            "recipient": [{"reference": patient_ref(rec.patient_id)}],
            "note": [{"text": rec.rationale}],
        }
        if reasons:
            request["reasonReference"] = reasons
        return request
    request = {
        "resourceType": "ServiceRequest",
        **common,
        "intent": "proposal",
        "code": {"text": rec.action},
        "performerType": {
            "coding": [
                {
                    "system": CARE_ROLE_SYSTEM,
                    "code": rec.route.value,
                    "display": ROLE_DISPLAY[rec.route],
                }
            ]
        },
        "note": [{"text": rec.rationale}],
    }
    if reasons:
        request["reasonReference"] = reasons
    return request
