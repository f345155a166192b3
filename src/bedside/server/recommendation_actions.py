"""Clinicians act on recommendations: ``POST /recommendations/{id}/status`` (JSON).

Body ``{"status": "accepted" | "completed" | "dismissed", "reason": "..."}`` (a reason is
required to dismiss). The caller must be logged in, hold ``act_on_recommendation`` and be in the
patient's care team with the patient's consent valid (`AccessControl.require_patient`, audited
either way). The change is recorded with who, when and why (the store's status history), the
recommendation's FHIR Task (when stored) gets the matching status, and the answer is the updated
recommendation. Allowed moves: open -> accepted / completed / dismissed, accepted -> completed /
dismissed; anything else is 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bedside.domain import Recommendation, RecommendationStatus
from bedside.fhir.outbox import Outbox
from bedside.fhir.provenance import clinician_outcome_provenance, protocol_policy
from bedside.fhir.tasks import TASK_STATUS, task_ref
from bedside.server.access_control import AccessControl, Permission, Principal, principal_dependency
from bedside.server.ehr_task_sync import queue_task_updates
from bedside.store import Store

__all__ = [
    "ALLOWED_MOVES",
    "StatusRequest",
    "recommendation_actions_router",
    "record_status_change",
]

ALLOWED_MOVES: dict[RecommendationStatus, frozenset[RecommendationStatus]] = {
    RecommendationStatus.OPEN: frozenset(
        {
            RecommendationStatus.ACCEPTED,
            RecommendationStatus.COMPLETED,
            RecommendationStatus.DISMISSED,
        }
    ),
    RecommendationStatus.ACCEPTED: frozenset(
        {RecommendationStatus.COMPLETED, RecommendationStatus.DISMISSED}
    ),
}


class StatusRequest(BaseModel):
    """What the clinician decided, and why."""

    status: RecommendationStatus
    reason: str = Field(default="", max_length=1000)


def recommendation_actions_router(
    store: Store,
    *,
    clock: Callable[[], dt.datetime],
    access: AccessControl | None = None,
    outbox: Outbox | None = None,
) -> APIRouter:
    """The action route over `store`; without `access` it answers 401.

    With `outbox`, each change is queued for the EHR (`bedside.server.ehr_task_sync`).
    """
    router = APIRouter(tags=["recommendations"])
    principal = principal_dependency(access)

    @router.post("/recommendations/{rec_id}/status", response_model=None)
    def set_status(
        rec_id: str,
        body: StatusRequest,
        request: Request,
        who: Principal = Depends(principal),  # noqa: B008 -- a per-app dependency
    ) -> JSONResponse | dict[str, Any]:
        assert access is not None  # principal() refused otherwise
        action = "access.recommendation_action"
        access.require(request, who, Permission.ACT_ON_RECOMMENDATION, action)
        rec = store.recommendations.get(rec_id)
        if rec is None:
            return JSONResponse({"detail": f"no recommendation {rec_id}"}, status_code=404)
        access.require_patient(
            request, who, rec.patient_id, Permission.ACT_ON_RECOMMENDATION, action
        )
        if body.status not in ALLOWED_MOVES.get(rec.status, frozenset()):
            return JSONResponse(
                {"detail": f"recommendation is {rec.status.value}; cannot become {body.status}"},
                status_code=409,
            )
        if body.status is RecommendationStatus.DISMISSED and not body.reason.strip():
            return JSONResponse({"detail": "dismissing needs a reason"}, status_code=422)
        updated = record_status_change(
            store,
            access,
            request,
            rec,
            body.status,
            who.id,
            clock(),
            body.reason.strip(),
            outbox=outbox,
        )
        return updated.model_dump(mode="json")

    return router


def record_status_change(
    store: Store,
    access: AccessControl,
    request: Request,
    rec: Recommendation,
    status: RecommendationStatus,
    who: str,
    when: dt.datetime,
    reason: str,
    *,
    outbox: Outbox | None = None,
) -> Recommendation:
    """Apply an allowed status change (already authorised and checked against `ALLOWED_MOVES`).

    The store's status history gets who, when and why; the recommendation's FHIR Task (when
    stored) gets the matching status and a Provenance of the clinician's decision; the audit log
    gets one ``recommendation.status`` entry with the new status and the reason. With
    `outbox`, the Task update and the Provenance are queued for the EHR right after the store
    has the change (`bedside.server.ehr_task_sync.queue_task_updates`, which also re-queues
    any earlier change of this recommendation whose Bundle is missing).
    """
    updated = store.recommendations.set_status(rec.id, status, who, when, reason)
    ref = task_ref(rec.id)
    task_type, _, task_id = ref.partition("/")
    task = store.fhir.get(task_type, task_id)
    if task is not None:
        store.fhir.put({**task, "status": TASK_STATUS[updated.status]})
        store.fhir.put(
            clinician_outcome_provenance(
                ref,
                clinician_id=who,
                when=when,
                outcome=updated.status.value,
                reason=reason,
                policies=[
                    protocol_policy(rec.protocol_id, rec.protocol_version, rec.protocol_hash)
                ],
            )
        )
        if outbox is not None:
            queue_task_updates(store, outbox, rec.id, when)
    access.record(
        request,
        actor=who,
        action="recommendation.status",
        subject=rec.patient_id,
        outcome=updated.status.value,
        reason=reason or f"{rec.status.value} -> {updated.status.value}",
        recommendation=rec.id,
        previous=rec.status.value,
    )
    return updated
