"""Crisis -> Flag (category ``safety``) and DetectedIssue.

A crisis is a recommendation in the ``critical`` tier (for example PHQ-9 item 9 above 0, or a
protocol's crisis rule): the EHR should show a safety banner (Flag) while it is open and keep a
record of what was detected and why (DetectedIssue with the evidence as ``evidence.detail``).
Both carry business identifiers derived from the recommendation id, so a retried push never
duplicates them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bedside.domain import Priority, Recommendation, RecommendationStatus
from bedside.fhir.codes import FLAG_CATEGORY_SYSTEM, SID, identifier, resource_id
from bedside.fhir.participants import engine_ref, patient_ref

__all__ = ["crisis_detected_issue", "crisis_flag", "is_crisis"]


def is_crisis(rec: Recommendation) -> bool:
    """Whether a recommendation is a crisis (critical tier)."""
    return rec.priority == Priority.CRITICAL


def _instant(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat()


def crisis_flag(rec: Recommendation) -> dict[str, Any]:
    """A safety Flag on the patient, active while the crisis recommendation is open."""
    if not is_crisis(rec):
        raise ValueError(f"recommendation {rec.id} is not in the critical tier")
    open_ = rec.status in (RecommendationStatus.OPEN, RecommendationStatus.ACCEPTED)
    period: dict[str, str] = {"start": _instant(rec.created)}
    if not open_:
        period["end"] = _instant(rec.expires)
    return {
        "resourceType": "Flag",
        "id": resource_id(SID.safety_flag, rec.id),
        "identifier": [identifier(SID.safety_flag, rec.id)],
        "status": "active" if open_ else "inactive",
        "category": [
            {"coding": [{"system": FLAG_CATEGORY_SYSTEM, "code": "safety", "display": "Safety"}]}
        ],
        "code": {"text": f"Safety concern: {rec.action}"},
        "subject": {"reference": patient_ref(rec.patient_id)},
        "period": period,
        "author": {"reference": engine_ref(rec.protocol_id, rec.protocol_version)},
    }


def crisis_detected_issue(rec: Recommendation, evidence_refs: Sequence[str] = ()) -> dict[str, Any]:
    """The crisis as a DetectedIssue (severity high) with its evidence.

    Parameters
    ----------
    rec : Recommendation
        A critical-tier recommendation.
    evidence_refs : sequence of str
        References to the resources the crisis rests on (RiskAssessment, Observations).
    """
    if not is_crisis(rec):
        raise ValueError(f"recommendation {rec.id} is not in the critical tier")
    evidence: list[dict[str, Any]] = [{"detail": [{"reference": r} for r in evidence_refs]}]
    if not evidence_refs:
        evidence = []
    issue: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": resource_id(SID.detected_issue, rec.id),
        "identifier": [identifier(SID.detected_issue, rec.id)],
        "status": "final",
        "code": {"text": "Possible mental-health crisis"},
        "severity": "high",
        "patient": {"reference": patient_ref(rec.patient_id)},
        "identifiedDateTime": _instant(rec.created),
        "author": {"reference": engine_ref(rec.protocol_id, rec.protocol_version)},
        "detail": f"{rec.rationale} Recommended: {rec.action}",
    }
    if evidence:
        issue["evidence"] = evidence
    return issue
