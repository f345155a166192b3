"""CDS Hooks 2.0 service: discovery, ``patient-view``, ``order-select`` and feedback.

* ``GET /cds-services`` -- the discovery document (two services, with prefetch templates).
* ``POST /cds-services/bedside-patient-view`` -- one card per open recommendation of the patient
  (most urgent first), plus one summary card of the recent verified trends.
* ``POST /cds-services/bedside-order-select`` -- when a selected draft order is an antidepressant
  or a sedative, a card with recent sleep and activity trends and the open recommendations.
* ``POST /cds-services/{id}/feedback`` -- ``accepted`` / ``overridden`` (with reason) per card;
  a recommendation card's outcome changes the recommendation's status (accepted / dismissed, with
  who and why) and adds a clinician Provenance, for the clinical analytics.

With a :class:`~bedside.server.cds_auth.CdsJwtVerifier` every service call must carry the EHR's
JWT (``aud`` = the exact URL called); failures get 401 with a reason. Malformed requests get 400,
missing EHR data 412 (see :mod:`bedside.server.cds_prefetch`). Every call, answered or refused,
is recorded as an AuditEvent in the store's FHIR repository. Error bodies are JSON
``{"error": ..., "reason": ..., "details": [...]}``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Literal

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from bedside.domain import InputFormatError, RecommendationStatus
from bedside.fhir import (
    EhrContext,
    audit_event,
    clinician_outcome_provenance,
    patient_ref,
    protocol_policy,
    task_ref,
)
from bedside.fhir.medication_classes import classify_medication_request
from bedside.server.cds_auth import AuthError, CdsJwtVerifier
from bedside.server.cds_cards import order_select_card, recommendation_card, trends_summary_card
from bedside.server.cds_prefetch import (
    CONTEXT_KEYS,
    PREFETCH_TEMPLATES,
    PrefetchUnavailableError,
    resolve_ehr_context,
)
from bedside.server.group_commit import GroupCommitWriter
from bedside.store import Store

__all__ = [
    "ORDER_SELECT_ID",
    "RECENT_TREND_DAYS",
    "SERVICE_ID",
    "CdsContext",
    "CdsRequest",
    "FeedbackRequest",
    "cds_hooks_router",
    "discovery_document",
]

SERVICE_ID = "bedside-patient-view"
ORDER_SELECT_ID = "bedside-order-select"
_HOOKS = {SERVICE_ID: "patient-view", ORDER_SELECT_ID: "order-select"}
RECENT_TREND_DAYS = 14
"""A finding older than this many days (before the server's clock) gives no trend card."""
_CARD_MEMORY = 100_000


class CdsContext(BaseModel):
    """The hook context Bedside reads (extra keys such as ``encounterId`` are allowed)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    user_id: str = Field(alias="userId", min_length=1)
    patient_id: str = Field(alias="patientId", min_length=1)


class OrderSelectContext(CdsContext):
    """The ``order-select`` context: selected order ids and the draft orders Bundle."""

    selections: list[str] = Field(min_length=1)
    draft_orders: dict[str, Any] = Field(alias="draftOrders")


class CdsRequest(BaseModel):
    """A CDS Hooks 2.0 service request; only the fields Bedside uses are typed."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    hook: str
    hook_instance: uuid.UUID = Field(alias="hookInstance")
    context: CdsContext
    fhir_server: str | None = Field(default=None, alias="fhirServer")
    fhir_authorization: dict[str, Any] | None = Field(default=None, alias="fhirAuthorization")
    prefetch: dict[str, Any] | None = None


class OverrideReason(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    reason: dict[str, Any] | None = None
    user_comment: str | None = Field(default=None, alias="userComment")


class FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    accepted_suggestions: list[dict[str, Any]] = Field(
        default_factory=list, alias="acceptedSuggestions"
    )
    override_reason: OverrideReason | None = Field(default=None, alias="overrideReason")
    outcome_timestamp: dt.datetime = Field(alias="outcomeTimestamp")


class FeedbackRequest(BaseModel):
    """The body of ``POST /cds-services/{id}/feedback``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    feedback: list[FeedbackItem] = Field(min_length=1)


def discovery_document() -> dict[str, Any]:
    """The body of ``GET /cds-services``."""
    return {
        "services": [
            {
                "hook": "patient-view",
                "title": "Bedside digital-biomarker recommendations",
                "description": (
                    "Open, triaged recommendations for this patient, derived from verified "
                    "trends in their wearable and phone biomarkers and a calibrated "
                    "episode-risk estimate, plus a summary of recent verified trends. "
                    "Recommendations for a clinician to consider, never automatic orders."
                ),
                "id": SERVICE_ID,
                "prefetch": dict(PREFETCH_TEMPLATES),
            },
            {
                "hook": "order-select",
                "title": "Bedside: sleep and activity context for psychotropic orders",
                "description": (
                    "When an antidepressant or a sedative is being ordered, shows the "
                    "patient's recent verified sleep and activity trends and open Bedside "
                    "recommendations."
                ),
                "id": ORDER_SELECT_ID,
                "prefetch": dict(PREFETCH_TEMPLATES),
            },
        ]
    }


def _error(status: int, error: str, reason: str, details: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "reason": reason}
    if details:
        body["details"] = details
    return JSONResponse(status_code=status, content=body)


def _validation_details(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    return [
        {"field": prefix + ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
        for err in exc.errors()
    ]


def _reason(details: list[dict[str, str]]) -> str:
    return "; ".join(f"{d['field'] or 'body'}: {d['message']}" for d in details)


def _parse_request(payload: Any, service_id: str) -> CdsRequest | JSONResponse:
    try:
        req = CdsRequest.model_validate(payload)
    except ValidationError as exc:
        details = _validation_details(exc)
        return _error(400, "bad_request", f"invalid CDS Hooks request: {_reason(details)}", details)
    expected = _HOOKS[service_id]
    if req.hook != expected:
        return _error(
            400, "bad_request", f"service {service_id} answers hook {expected!r}, not {req.hook!r}"
        )
    return req


_AUDIT_EVENTS: ContextVar[list[dict[str, Any]] | None] = ContextVar(
    "cds_audit_events", default=None
)
"""AuditEvents of the call being answered, committed together after it (see `service`)."""


def _answerable_locally(raw: bytes) -> bool:
    """True unless the request needs FHIR queries to the EHR (a context key not prefetched)."""
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return True  # refused with 400 at once
    prefetch = body.get("prefetch") if isinstance(body, dict) else None
    return isinstance(prefetch, dict) and all(prefetch.get(k) is not None for k in CONTEXT_KEYS)


class _CardMemory:
    """Which recommendation (and user) each recommendation card was about, for feedback."""

    def __init__(self) -> None:
        self._cards: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, card: str, rec_id: str, user: str) -> None:
        with self._lock:
            self._cards[card] = (rec_id, user)
            while len(self._cards) > _CARD_MEMORY:
                self._cards.popitem(last=False)

    def lookup(self, card: str) -> tuple[str, str] | None:
        with self._lock:
            return self._cards.get(card)


def cds_hooks_router(
    store: Store,
    *,
    base_url: str,
    clock: Callable[[], dt.datetime],
    verifier: CdsJwtVerifier | None = None,
    ehr_http: httpx.Client | None = None,
) -> APIRouter:
    """Routes of the CDS Hooks service, answering from `store`.

    Parameters
    ----------
    store : Store
    base_url : str
        Absolute base URL of this server: card links, and the JWT audience
        (``<base_url>/cds-services/<id>``).
    clock : callable returning datetime
        Current UTC time; expired recommendations get no card.
    verifier : CdsJwtVerifier, optional
        When given, every service call must carry a valid EHR JWT. Without it calls are
        accepted unauthenticated (local demo) and audited as such.
    ehr_http : httpx.Client, optional
        Client for FHIR queries to the EHR when prefetch is missing (default: 10 s timeout).
    """
    router = APIRouter(tags=["cds-hooks"])
    cards_seen = _CardMemory()
    audit_log = GroupCommitWriter(store.fhir)
    http = ehr_http or httpx.Client(timeout=10.0)

    def audit(
        interaction: str,
        client: str,
        outcome: str,
        url: str,
        patient: str | None = None,
        entities: tuple[str, ...] = (),
        why: str | None = None,
    ) -> None:
        event = audit_event(
            interaction=interaction,
            recorded=clock(),
            client=client,
            server=base_url,
            outcome=outcome,
            patient_ref=None if patient is None else patient_ref(patient),
            entities=entities,
            outcome_desc=why,
            query=url,
        )
        collected = _AUDIT_EVENTS.get()
        if collected is None:
            audit_log.put(event)
        else:
            collected.append(event)

    def authenticate(authorization: str | None, url: str) -> str | JSONResponse:
        if verifier is None:
            return "unauthenticated"
        try:
            caller = verifier.verify(authorization, url)
        except AuthError as exc:
            audit("operation", exc.issuer or "unknown", "minor-failure", url, why=exc.reason)
            return _error(exc.status, "unauthorized", exc.reason)
        return caller.iss

    def ehr_context(req: CdsRequest, pid: str) -> EhrContext:
        return resolve_ehr_context(pid, req.prefetch, req.fhir_server, req.fhir_authorization, http)

    def patient_view(req: CdsRequest, pid: str, url: str, caller: str) -> dict[str, Any]:
        context = resolve_ehr_context(
            pid, req.prefetch, req.fhir_server, req.fhir_authorization, http
        )
        now = clock()
        recs = [
            r
            for r in store.recommendations.list_for_patient(pid)
            if r.status == RecommendationStatus.OPEN and r.expires > now
        ]
        cards = []
        for rec in recs:
            card = recommendation_card(
                rec,
                base_url=base_url,
                hook_instance=req.hook_instance,
                ehr_patient_id=req.context.patient_id.removeprefix("Patient/"),
                context=context,
            )
            cards_seen.remember(card["uuid"], rec.id, req.context.user_id)
            cards.append(card)
        latest = store.findings.latest_for_patient(pid)
        recent = latest is not None and (now.date() - latest.date).days <= RECENT_TREND_DAYS
        if latest is not None and recent and latest.trends:
            cards.append(
                trends_summary_card(
                    pid,
                    latest.trends,
                    latest.date,
                    base_url=base_url,
                    hook_instance=req.hook_instance,
                    context=context,
                )
            )
        audit("operation", caller, "success", url, pid, tuple(task_ref(r.id) for r in recs))
        return {"cards": cards}

    def order_select(
        req: CdsRequest, pid: str, url: str, caller: str
    ) -> dict[str, Any] | JSONResponse:
        try:
            ctx = OrderSelectContext.model_validate(req.context.model_dump(by_alias=True))
        except ValidationError as exc:
            details = _validation_details(exc, "context.")
            audit("operation", caller, "minor-failure", url, pid, why=_reason(details))
            return _error(
                400, "bad_request", f"invalid order-select context: {_reason(details)}", details
            )
        entries = ctx.draft_orders.get("entry", []) or []
        drafts = {
            f"{r.get('resourceType')}/{r.get('id')}": r
            for e in entries
            if isinstance(e, dict) and isinstance(r := e.get("resource"), dict)
        }
        unknown = [s for s in ctx.selections if s not in drafts]
        if unknown:
            reason = f"context.selections: {unknown} not in draftOrders"
            audit("operation", caller, "minor-failure", url, pid, why=reason)
            return _error(400, "bad_request", reason)
        matches = [m for s in ctx.selections if (m := classify_medication_request(drafts[s]))]
        if not matches:
            audit("operation", caller, "success", url, pid)
            return {"cards": []}
        context = resolve_ehr_context(
            pid, req.prefetch, req.fhir_server, req.fhir_authorization, http
        )
        now = clock()
        recs = [
            r
            for r in store.recommendations.list_for_patient(pid)
            if r.status == RecommendationStatus.OPEN and r.expires > now
        ]
        latest = store.findings.latest_for_patient(pid)
        trends = []
        if latest is not None and (now.date() - latest.date).days <= RECENT_TREND_DAYS:
            trends = latest.trends
        cards = [
            order_select_card(
                pid,
                name,
                cls,
                trends,
                recs,
                base_url=base_url,
                hook_instance=req.hook_instance,
                context=context,
            )
            for name, cls in dict(matches).items()
        ]
        audit("operation", caller, "success", url, pid, tuple(task_ref(r.id) for r in recs))
        return {"cards": cards}

    @router.get("/cds-services")
    def discovery() -> dict[str, Any]:
        return discovery_document()

    def _body(raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return _error(400, "bad_request", f"request body is not valid JSON: {exc}")

    def handle(service_id: str, raw: bytes, caller: str, url: str) -> dict[str, Any] | JSONResponse:
        payload = _body(raw)
        if isinstance(payload, JSONResponse):
            audit("operation", caller, "minor-failure", url, why="body is not valid JSON")
            return payload
        parsed = _parse_request(payload, service_id)
        if isinstance(parsed, JSONResponse):
            reason = json.loads(bytes(parsed.body))["reason"]
            audit("operation", caller, "minor-failure", url, why=reason)
            return parsed
        pid = parsed.context.patient_id.removeprefix("Patient/")
        try:
            if service_id == SERVICE_ID:
                return patient_view(parsed, pid, url, caller)
            return order_select(parsed, pid, url, caller)
        except PrefetchUnavailableError as exc:
            audit("operation", caller, "minor-failure", url, pid, why=str(exc))
            return _error(412, "precondition_failed", str(exc), [{"missing": exc.missing}])
        except InputFormatError as exc:
            audit("operation", caller, "minor-failure", url, pid, why=str(exc))
            return _error(400, "bad_prefetch", f"EHR data is malformed: {exc}")

    def feedback(
        service_id: str, raw: bytes, caller: str, url: str
    ) -> dict[str, Any] | JSONResponse:
        payload = _body(raw)
        if isinstance(payload, JSONResponse):
            return payload
        try:
            body = FeedbackRequest.model_validate(payload)
        except ValidationError as exc:
            details = _validation_details(exc)
            audit("update", caller, "minor-failure", url, why=_reason(details))
            return _error(400, "bad_request", f"invalid feedback: {_reason(details)}", details)
        recorded, unknown = [], []
        for item in body.feedback:
            known = cards_seen.lookup(item.card)
            rec = None if known is None else store.recommendations.get(known[0])
            if known is None or rec is None:
                unknown.append(item.card)
                continue
            rec_id, user = known
            when = item.outcome_timestamp
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            if item.outcome == "accepted":
                status = RecommendationStatus.ACCEPTED
                ids = ", ".join(str(s.get("id")) for s in item.accepted_suggestions)
                reason = f"accepted in the EHR (suggestions: {ids or 'none'})"
            else:
                status = RecommendationStatus.DISMISSED
                code = ((item.override_reason or OverrideReason()).reason or {}).get("code")
                comment = (item.override_reason or OverrideReason()).user_comment or ""
                reason = f"overridden in the EHR: {code or 'no reason code'}"
                reason += f" ({comment})" if comment else ""
            store.recommendations.set_status(rec_id, status, user, when, reason)
            policy = protocol_policy(rec.protocol_id, rec.protocol_version, rec.protocol_hash)
            store.fhir.put(
                clinician_outcome_provenance(
                    task_ref(rec_id),
                    clinician_id=user,
                    when=when,
                    outcome=item.outcome,
                    reason=reason,
                    policies=[policy],
                )
            )
            recorded.append(item.card)
            audit("update", caller, "success", url, rec.patient_id, (task_ref(rec_id),))
        if unknown:
            audit("update", caller, "minor-failure", url, why=f"unknown card(s) {unknown}")
        return {"recorded": recorded, "unknown": unknown}

    def authenticated(
        action: Callable[[str, bytes, str, str], dict[str, Any] | JSONResponse],
        service_id: str,
        authorization: str | None,
        raw: bytes,
        url: str,
    ) -> JSONResponse:
        caller = authenticate(authorization, url)
        if isinstance(caller, JSONResponse):
            return caller
        result = action(service_id, raw, caller, url)
        return result if isinstance(result, JSONResponse) else JSONResponse(result)

    # With everything prefetched a call is pure CPU on local data (verification, store reads,
    # cards), so it runs on the event loop: a hop to a worker thread and back cost more than the
    # work, in GIL hand-offs. A call that must query the EHR runs in a worker thread. Either way
    # the call's AuditEvents are collected and committed by the group-commit writer before the
    # answer goes out, and the answer is serialised once (no jsonable_encoder walk).
    @router.post("/cds-services/{service_id}", response_model=None)
    async def service(service_id: str, request: Request) -> JSONResponse:
        if service_id not in _HOOKS:
            return _error(404, "not_found", f"no CDS service {service_id!r}")
        url = f"{base_url}/cds-services/{service_id}"
        raw = await request.body()
        authorization = request.headers.get("authorization")
        events: list[dict[str, Any]] = []
        token = _AUDIT_EVENTS.set(events)
        try:
            if _answerable_locally(raw):
                answer = authenticated(handle, service_id, authorization, raw, url)
            else:
                answer = await run_in_threadpool(
                    authenticated, handle, service_id, authorization, raw, url
                )
        finally:
            _AUDIT_EVENTS.reset(token)
        await audit_log.put_many_async(events)
        return answer

    @router.post("/cds-services/{service_id}/feedback", response_model=None)
    async def service_feedback(service_id: str, request: Request) -> JSONResponse:
        if service_id not in _HOOKS:
            return _error(404, "not_found", f"no CDS service {service_id!r}")
        url = f"{base_url}/cds-services/{service_id}/feedback"
        raw = await request.body()
        return await run_in_threadpool(
            authenticated, feedback, service_id, request.headers.get("authorization"), raw, url
        )

    return router
