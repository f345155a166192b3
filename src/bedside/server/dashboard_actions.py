"""The dashboard's action forms: ``POST /recommendations/{rec_id}/action`` (form-encoded).

Fields: ``action`` (``accept``, ``complete``, ``dismiss``, ``snooze``); to dismiss, a
``reason`` code from CDS Hooks' non-adherence reason codes (`NON_ADHERENCE_REASONS`) and an
optional ``note``; to snooze, ``hours`` (1-168). Works without JavaScript: the answer is a 303
redirect back to the recommendation page with a notice (or the page again with the problem, 400
/ 409). Accept, complete and dismiss go through `record_status_change` (store history, FHIR Task
status and Provenance, audit entry), like the JSON route; a snooze hides the recommendation from
queues until then (never a crisis: `bedside.clinical.feedback`) and is audited too.

Cross-site posts are refused: the session cookie is ``SameSite=Strict``, and a request whose
``Origin`` header names another site gets 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from bedside.clinical.feedback import (
    NON_ADHERENCE_REASONS,
    Feedback,
    FeedbackAction,
    FeedbackError,
    apply_feedback,
)
from bedside.domain import RecommendationStatus
from bedside.fhir.outbox import Outbox
from bedside.server.access_control import AccessControl, Permission, Principal, principal_dependency
from bedside.server.ehr_task_sync import queue_task_updates
from bedside.server.recommendation_actions import ALLOWED_MOVES, record_status_change
from bedside.store import Store

__all__ = ["MAX_SNOOZE_HOURS", "dashboard_actions_router"]

MAX_SNOOZE_HOURS = 168
_MAX_FORM_BYTES = 4096
_STATUS = {
    FeedbackAction.ACCEPT: RecommendationStatus.ACCEPTED,
    FeedbackAction.COMPLETE: RecommendationStatus.COMPLETED,
    FeedbackAction.DISMISS: RecommendationStatus.DISMISSED,
}
_DONE = {
    FeedbackAction.ACCEPT: "Accepted",
    FeedbackAction.COMPLETE: "Marked completed",
    FeedbackAction.DISMISS: "Dismissed",
}


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def dashboard_actions_router(
    store: Store,
    *,
    clock: Callable[[], dt.datetime],
    access: AccessControl | None = None,
    outbox: Outbox | None = None,
) -> APIRouter:
    """The form route over `store`; without `access` it answers 401.

    With `outbox`, every decision (snoozes too) is queued for the EHR.
    """
    router = APIRouter(tags=["dashboard"])
    principal = principal_dependency(access)
    codes = {r.code: r for r in NON_ADHERENCE_REASONS}

    @router.post("/recommendations/{rec_id}/action", response_model=None)
    async def act(
        rec_id: str,
        request: Request,
        who: Principal = Depends(principal),  # noqa: B008 -- a per-app dependency
    ) -> Response:
        assert access is not None
        action_name = "access.recommendation_action"
        if not _same_origin(request):
            access.record(
                request,
                actor=who.id,
                action=action_name,
                subject="-",
                outcome="denied",
                reason="cross-site form post",
            )
            return PlainTextResponse("cross-site form posts are refused", status_code=403)
        access.require(request, who, Permission.ACT_ON_RECOMMENDATION, action_name)
        body = (await request.body())[:_MAX_FORM_BYTES].decode("utf-8", errors="replace")
        form = {k: v[0] for k, v in parse_qs(body).items()}
        rec = store.recommendations.get(rec_id)
        if rec is None:
            return PlainTextResponse(f"no recommendation {rec_id}", status_code=404)
        access.require_patient(
            request, who, rec.patient_id, Permission.ACT_ON_RECOMMENDATION, action_name
        )
        page = f"/recommendations/{quote(rec_id, safe='')}"

        def back(notice: str, status: int = 303) -> Response:
            if status == 303:
                return RedirectResponse(f"{page}?notice={quote(notice)}", status_code=303)
            return PlainTextResponse(notice, status_code=status)

        try:
            action = FeedbackAction(form.get("action", ""))
        except ValueError:
            return back(f"unknown action {form.get('action', '')!r}", 400)
        now = clock()
        note = form.get("note", "").strip()[:500]
        reason = codes.get(form.get("reason", ""))
        if action is FeedbackAction.DISMISS and reason is None:
            return back("dismissing needs a reason: choose one from the list", 400)
        snooze_until = None
        if action is FeedbackAction.SNOOZE:
            try:
                hours = int(form.get("hours", ""))
            except ValueError:
                return back("snooze needs a number of hours", 400)
            if not 1 <= hours <= MAX_SNOOZE_HOURS:
                return back(f"snooze hours must be 1 to {MAX_SNOOZE_HOURS}", 400)
            snooze_until = now + dt.timedelta(hours=hours)
        try:
            feedback = Feedback(
                recommendation_id=rec.id,
                action=action,
                by=who.id,
                at=now,
                reason=reason if action is FeedbackAction.DISMISS else None,
                note=note,
                snooze_until=snooze_until,
            )
            updated = apply_feedback(rec, feedback)
        except FeedbackError as exc:
            return back(str(exc), 409)
        if action is FeedbackAction.SNOOZE:
            store.recommendations.upsert(updated)
            if outbox is not None:
                queue_task_updates(store, outbox, rec.id, now, snoozed_by=who.id)
            assert updated.snoozed_until is not None
            access.record(
                request,
                actor=who.id,
                action="recommendation.snooze",
                subject=rec.patient_id,
                outcome="snoozed",
                reason=note or "snoozed",
                recommendation=rec.id,
                until=updated.snoozed_until.isoformat(),
            )
            return back(f"Snoozed until {updated.snoozed_until:%Y-%m-%d %H:%M} UTC")
        status = _STATUS[action]
        if status not in ALLOWED_MOVES.get(rec.status, frozenset()):
            return back(f"recommendation is {rec.status.value}; cannot become {status}", 409)
        text = f"{reason.code}: {reason.display}" if reason is not None else ""
        text = f"{text}. {note}" if text and note else (text or note)
        record_status_change(store, access, request, rec, status, who.id, now, text, outbox=outbox)
        return back(_DONE[action])

    return router
