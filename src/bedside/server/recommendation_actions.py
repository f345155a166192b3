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

from bedside.domain import RecommendationStatus
from bedside.fhir.tasks import TASK_STATUS, task_ref
from bedside.server.access_control import AccessControl, Permission, Principal, principal_dependency
from bedside.store import Store

__all__ = ["StatusRequest", "recommendation_actions_router"]

_MOVES: dict[RecommendationStatus, frozenset[RecommendationStatus]] = {
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
    store: Store, *, clock: Callable[[], dt.datetime], access: AccessControl | None = None
) -> APIRouter:
    """The action route over `store`; without `access` it answers 401."""
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
        if body.status not in _MOVES.get(rec.status, frozenset()):
            return JSONResponse(
                {"detail": f"recommendation is {rec.status.value}; cannot become {body.status}"},
                status_code=409,
            )
        if body.status is RecommendationStatus.DISMISSED and not body.reason.strip():
            return JSONResponse({"detail": "dismissing needs a reason"}, status_code=422)
        updated = store.recommendations.set_status(
            rec_id, body.status, who.id, clock(), body.reason.strip()
        )
        task_type, _, task_id = task_ref(rec_id).partition("/")
        task = store.fhir.get(task_type, task_id)
        if task is not None:
            store.fhir.put({**task, "status": TASK_STATUS[updated.status]})
        return updated.model_dump(mode="json")

    return router
