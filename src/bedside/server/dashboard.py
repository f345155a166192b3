"""The clinician dashboard: server-rendered HTML (Jinja2), no external assets.

* ``GET /`` -- open recommendations, most urgent tier first, then by due time;
* ``GET /patients/{patient_id}`` -- one patient's recommendations (open ones first) with their
  evidence, and a table of recent findings.

Both need a logged-in clinician (`AccessControl`): the queue lists only patients of their care
team with a valid consent; the patient page refuses (403) any other patient. Every view is
audited.

Templates live in ``bedside/server/templates`` inside the package.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from bedside.domain import RecommendationStatus
from bedside.server.access_control import AccessControl, Permission, Principal, principal_dependency
from bedside.store import Store

__all__ = ["RECENT_FINDINGS", "TEMPLATE_DIR", "dashboard_router", "template_environment"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
RECENT_FINDINGS = 14
"""How many of the latest daily findings the patient page shows."""


def _utc(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _num(value: float | None) -> str:
    if value is None or math.isnan(value):
        return ""
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def template_environment() -> jinja2.Environment:
    """The Jinja2 environment of the dashboard (autoescaping on, undefined names are errors)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = _utc
    env.filters["num"] = _num
    return env


def dashboard_router(
    store: Store, *, clock: Callable[[], dt.datetime], access: AccessControl | None = None
) -> APIRouter:
    """Routes of the dashboard, reading from `store`; `clock` gives the current UTC time.

    Without `access` every page answers 401 (never an open dashboard).
    """
    router = APIRouter(tags=["dashboard"])
    env = template_environment()
    principal = principal_dependency(access)

    @router.get("/", response_class=HTMLResponse)
    def queue(
        request: Request,
        who: Principal = Depends(principal),  # noqa: B008 -- a per-app dependency
    ) -> HTMLResponse:
        assert access is not None  # principal() refused otherwise
        action = "access.queue"
        access.require(request, who, Permission.VIEW_QUEUE, action)
        recs = store.recommendations.list_open(as_of=clock())
        visible = access.visible_patients(who, (r.patient_id for r in recs))
        recs = [r for r in recs if r.patient_id in visible]
        access.record(
            request,
            actor=who.id,
            action=action,
            subject="-",
            outcome="allowed",
            reason="care-team patients with valid consent",
            patients=sorted(visible),
        )
        html = env.get_template("queue.html").render(recommendations=recs, user=who)
        return HTMLResponse(html)

    @router.get("/patients/{patient_id}", response_class=HTMLResponse)
    def patient(
        patient_id: str,
        request: Request,
        who: Principal = Depends(principal),  # noqa: B008 -- a per-app dependency
    ) -> HTMLResponse:
        assert access is not None
        access.require_patient(
            request, who, patient_id, Permission.READ_CLINICAL, "access.patient_page"
        )
        recs = store.recommendations.list_for_patient(patient_id)
        recs.sort(key=lambda r: r.status != RecommendationStatus.OPEN)  # stable: open first
        findings = store.findings.list_for_patient(patient_id)[-RECENT_FINDINGS:][::-1]
        html = env.get_template("patient.html").render(
            patient_id=patient_id, recommendations=recs, findings=findings, user=who
        )
        return HTMLResponse(html)

    return router
