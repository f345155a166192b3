"""CDS Hooks 2.0 service: discovery and the ``patient-view`` hook.

``GET /cds-services`` lists one service, ``bedside-patient-view``. ``POST
/cds-services/bedside-patient-view`` answers a patient-view request with one card per open
recommendation of the patient, most urgent first. Malformed requests get HTTP 400 with a JSON
body ``{"error": ..., "reason": ..., "details": [...]}`` naming what is wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from bedside.domain import Recommendation, RecommendationStatus
from bedside.store import Store

__all__ = [
    "CARD_NAMESPACE",
    "SERVICE_ID",
    "CdsContext",
    "CdsRequest",
    "cds_hooks_router",
    "discovery_document",
    "recommendation_card",
]

SERVICE_ID = "bedside-patient-view"
CARD_NAMESPACE = uuid.UUID("6f1d3c3e-5b7a-4c0e-9a43-2f0b8e6d1c55")
"""Namespace of card uuids: uuid5(CARD_NAMESPACE, "<hookInstance>/<recommendation id>")."""

_SUMMARY_MAX = 139  # CDS Hooks: summary "<140 characters"


class CdsContext(BaseModel):
    """The ``patient-view`` hook context (extra keys such as ``encounterId`` are allowed)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    user_id: str = Field(alias="userId", min_length=1)
    patient_id: str = Field(alias="patientId", min_length=1)


class CdsRequest(BaseModel):
    """A CDS Hooks 2.0 service request; only the fields Bedside uses are typed."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    hook: str
    hook_instance: uuid.UUID = Field(alias="hookInstance")
    context: CdsContext
    fhir_server: str | None = Field(default=None, alias="fhirServer")
    prefetch: dict[str, Any] | None = None


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
                    "episode-risk estimate. Recommendations for a clinician to consider, "
                    "never automatic orders."
                ),
                "id": SERVICE_ID,
                "prefetch": {"patient": "Patient/{{context.patientId}}"},
            }
        ]
    }


def _detail_markdown(rec: Recommendation) -> str:
    lines = [
        f"**Recommendation:** {rec.action}",
        "",
        f"**Priority:** {rec.priority.value} | **Due:** {rec.due:%Y-%m-%d %H:%M} UTC"
        f" | **Route:** {rec.route.value.replace('_', ' ')}",
        "",
        rec.rationale,
        "",
        "**Evidence**",
        "",
    ]
    lines += [f"- {ev.label}: {ev.statement}" for ev in rec.evidence] or ["- (none recorded)"]
    lines += ["", f"Protocol: `{rec.protocol_id}` version {rec.protocol_version}"]
    if rec.model_id is not None:
        lines.append(f"Model: `{rec.model_id}` version {rec.model_version or 'unknown'}")
    lines += ["", "_A recommendation for a clinician to consider; not an order._"]
    return "\n".join(lines)


def recommendation_card(
    rec: Recommendation, *, base_url: str, hook_instance: uuid.UUID
) -> dict[str, Any]:
    """One CDS Hooks card for a recommendation.

    Parameters
    ----------
    rec : Recommendation
    base_url : str
        Absolute base URL of the Bedside server (source url and dashboard link).
    hook_instance : UUID
        The request's ``hookInstance``; with the recommendation id it determines the card uuid.
    """
    base = base_url.rstrip("/")
    summary = rec.summary
    if len(summary) > _SUMMARY_MAX:
        summary = summary[: _SUMMARY_MAX - 3] + "..."
    return {
        "uuid": str(uuid.uuid5(CARD_NAMESPACE, f"{hook_instance}/{rec.id}")),
        "summary": summary,
        "indicator": rec.priority.cds_indicator,
        "detail": _detail_markdown(rec),
        "source": {"label": "Bedside", "url": base},
        "links": [
            {
                "label": "Open patient in Bedside",
                "url": f"{base}/patients/{quote(rec.patient_id, safe='')}",
                "type": "absolute",
            }
        ],
    }


def _bad_request(reason: str, details: list[dict[str, Any]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": "bad_request", "reason": reason}
    if details:
        body["details"] = details
    return JSONResponse(status_code=400, content=body)


def _parse_request(raw: bytes) -> CdsRequest | JSONResponse:
    try:
        payload = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _bad_request(f"request body is not valid JSON: {exc}")
    try:
        req = CdsRequest.model_validate(payload)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors()
        ]
        reason = "; ".join(f"{d['field'] or 'body'}: {d['message']}" for d in details)
        return _bad_request(f"invalid CDS Hooks request: {reason}", details)
    if req.hook != "patient-view":
        return _bad_request(f"service {SERVICE_ID} answers hook 'patient-view', not {req.hook!r}")
    return req


def cds_hooks_router(store: Store, *, base_url: str, clock: Callable[[], dt.datetime]) -> APIRouter:
    """Routes of the CDS Hooks service, answering from `store`.

    Parameters
    ----------
    store : Store
    base_url : str
        Absolute base URL of this server, for card sources and links.
    clock : callable returning datetime
        Current UTC time; recommendations expired by then get no card.
    """
    router = APIRouter(tags=["cds-hooks"])

    @router.get("/cds-services")
    def discovery() -> dict[str, Any]:
        return discovery_document()

    @router.post(f"/cds-services/{SERVICE_ID}", response_model=None)
    async def patient_view(request: Request) -> dict[str, Any] | JSONResponse:
        parsed = _parse_request(await request.body())
        if isinstance(parsed, JSONResponse):
            return parsed
        patient_id = parsed.context.patient_id.removeprefix("Patient/")
        recs = await run_in_threadpool(store.recommendations.list_for_patient, patient_id)
        now = clock()
        cards = [
            recommendation_card(r, base_url=base_url, hook_instance=parsed.hook_instance)
            for r in recs
            if r.status == RecommendationStatus.OPEN and r.expires > now
        ]
        return {"cards": cards}

    return router
