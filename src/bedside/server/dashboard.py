"""The clinician dashboard: server-rendered HTML (Jinja2, inline SVG charts), no external assets.

* ``GET /`` -- the triage queue: open recommendations, most urgent tier first, then by due time,
  crises (critical tier) pinned at the top whatever the filters; one-line summary each; the
  clinician's alert budget use today; filters by route (role) and protocol (``?role=&protocol=``);
  snoozed recommendations are counted, not listed;
* ``GET /patients/{patient_id}`` -- one patient: charts per biomarker family (daily values, the
  baseline band, verified trends with onset, coverage gaps), episode risk with its interval,
  PHQ-9 history and EHR medications on one time axis (`bedside.server.patient_charts`); the
  patient's recommendations and a table of recent findings;
* ``GET /recommendations/{rec_id}`` -- one recommendation: evidence, protocol and model versions,
  model card link, the Provenance chain behind its FHIR Task, its status history, and the
  action forms (`bedside.server.dashboard_actions`);
* ``GET /models/{model_id}/card`` -- the model card (Markdown shown as text) when the server was
  given the folder of model bundles.

Every page needs a logged-in clinician (`AccessControl`): the queue lists only patients of their
care team with a valid consent; the patient and recommendation pages refuse (403) any other
patient. Every view is audited.

Templates live in ``bedside/server/templates`` inside the package.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from bedside.clinical import AlertBudget
from bedside.clinical.feedback import NON_ADHERENCE_REASONS
from bedside.domain import Priority, Recommendation, RecommendationStatus
from bedside.fhir.tasks import task_ref
from bedside.server.access_control import AccessControl, Permission, Principal, principal_dependency
from bedside.server.patient_charts import patient_charts
from bedside.store import Store

__all__ = [
    "RECENT_FINDINGS",
    "TEMPLATE_DIR",
    "dashboard_router",
    "provenance_chain",
    "queue_summary",
    "template_environment",
]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
RECENT_FINDINGS = 14
"""How many of the latest daily findings the patient page shows."""
_CHAIN_DEPTH = 6
"""Provenance links followed back from a Task (Task <- risk <- trend <- biomarker <- raw)."""


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


def queue_summary(rec: Recommendation) -> str:
    """One line for the queue: the action, then the first piece of evidence."""
    first = rec.evidence[0].statement if rec.evidence else rec.rationale
    line = f"{rec.action} - {first}" if first else rec.action
    return line if len(line) <= 160 else line[:157].rstrip() + "..."


def _reference(what: Mapping[str, Any]) -> str:
    ref = what.get("reference")
    if isinstance(ref, str):
        return ref
    ident = what.get("identifier") or {}
    return f"{what.get('display') or 'raw data'} ({ident.get('value', '?')}, stays on the device)"


def provenance_chain(store: Store, target: str) -> list[dict[str, Any]]:
    """The Provenance records behind `target`, following entity sources back (breadth first;
    the records of one resource newest first).

    Each item: ``target``, ``recorded``, ``agents`` (type: reference), ``sources`` (references or
    raw-stream labels), ``activity`` and ``policy`` -- for display; at most `_CHAIN_DEPTH` levels.
    """
    by_target: dict[str, list[Mapping[str, Any]]] = {}
    for resource in store.fhir.search("Provenance"):
        for t in resource.get("target", []):
            ref = t.get("reference") if isinstance(t, Mapping) else None
            if isinstance(ref, str):
                by_target.setdefault(ref, []).append(resource)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    level = [target]
    for _ in range(_CHAIN_DEPTH):
        following: list[str] = []
        for ref in level:
            if ref in seen:
                continue
            seen.add(ref)
            newest_first = sorted(
                by_target.get(ref, []), key=lambda p: str(p.get("recorded")), reverse=True
            )
            for prov in newest_first:
                sources = [_reference(e.get("what", {})) for e in prov.get("entity", [])]
                agents = [
                    (
                        ", ".join(c.get("code", "") for c in a.get("type", {}).get("coding", [])),
                        (a.get("who") or {}).get("reference")
                        or (a.get("who") or {}).get("identifier", {}).get("value", "?"),
                    )
                    for a in prov.get("agent", [])
                ]
                out.append(
                    {
                        "target": ref,
                        "recorded": prov.get("recorded", ""),
                        "activity": (prov.get("activity") or {}).get("text", ""),
                        "agents": agents,
                        "sources": sources,
                        "policy": prov.get("policy", []),
                        "reason": ", ".join(
                            r.get("text", "") for r in prov.get("reason", []) if r.get("text")
                        ),
                    }
                )
                following += [
                    e["what"]["reference"]
                    for e in prov.get("entity", [])
                    if isinstance(e.get("what", {}).get("reference"), str)
                ]
        level = following
        if not level:
            break
    return out


def _model_cards(folder: Path | None) -> dict[str, Path]:
    """model id -> folder of its card (``model_card.json`` found under `folder`)."""
    if folder is None or not folder.is_dir():
        return {}
    cards: dict[str, Path] = {}
    for path in sorted(folder.rglob("model_card.json")):
        try:
            model_id = json.loads(path.read_text(encoding="utf-8"))["model_id"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        cards.setdefault(str(model_id), path.parent)
    return cards


def dashboard_router(
    store: Store,
    *,
    clock: Callable[[], dt.datetime],
    access: AccessControl | None = None,
    budget: AlertBudget | None = None,
    model_dir: Path | None = None,
) -> APIRouter:
    """Routes of the dashboard, reading from `store`; `clock` gives the current UTC time.

    Parameters
    ----------
    budget : AlertBudget, optional
        The clinic's interruptive-alert budget shown on the queue (default: `AlertBudget()`).
    model_dir : Path, optional
        Folder holding model bundles with their cards (``bedside demo``: ``out/models``).

    Without `access` every page answers 401 (never an open dashboard).
    """
    router = APIRouter(tags=["dashboard"])
    env = template_environment()
    principal = principal_dependency(access)
    alert_budget = budget or AlertBudget()

    def budget_use(who: Principal, visible: list[Recommendation]) -> int:
        """Interruptive, non-crisis recommendations routed to `who` raised in the last 24 h."""
        assert access is not None
        now = clock()
        team = access.roster.team
        return sum(
            1
            for r in visible
            if r.interruptive
            and r.priority is not Priority.CRITICAL
            and now - r.created < dt.timedelta(days=1)
            and team.clinician_for(r.patient_id, r.route) == who.id
        )

    @router.get("/", response_class=HTMLResponse, response_model=None)
    def queue(
        request: Request,
        who: Principal = Depends(principal),  # noqa: B008 -- a per-app dependency
        role: str = "",
        protocol: str = "",
    ) -> HTMLResponse | RedirectResponse:
        assert access is not None  # principal() refused otherwise
        action = "access.queue"
        browser = "text/html" in request.headers.get("accept", "")
        if browser and not who.may(Permission.VIEW_QUEUE) and who.may(Permission.READ_AUDIT):
            return RedirectResponse("/audit", status_code=303)  # an auditor's home page
        access.require(request, who, Permission.VIEW_QUEUE, action)
        now = clock()
        recs = store.recommendations.list_open(as_of=now)
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
        snoozed = [r for r in recs if r.snoozed_until is not None and r.snoozed_until > now]
        awake = [r for r in recs if r not in snoozed]
        roles = sorted({r.route.value for r in awake})
        protocols = sorted({r.protocol_id for r in awake})
        shown = [
            r
            for r in awake
            # Crises stay pinned at the top whatever the filters say.
            if r.priority is Priority.CRITICAL
            or ((not role or r.route.value == role) and (not protocol or r.protocol_id == protocol))
        ]
        html = env.get_template("queue.html").render(
            recommendations=shown,
            crises=sum(r.priority is Priority.CRITICAL for r in shown),
            summary=queue_summary,
            user=who,
            roles=roles,
            protocols=protocols,
            role=role,
            protocol=protocol,
            snoozed=len(snoozed),
            budget_used=budget_use(who, recs),
            may_read_clinical=who.may(Permission.READ_CLINICAL),
            budget=alert_budget,
            total=len(awake),
        )
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
            patient_id=patient_id,
            recommendations=recs,
            findings=findings,
            user=who,
            charts=patient_charts(store, patient_id),
        )
        return HTMLResponse(html)

    @router.get("/recommendations/{rec_id}", response_class=HTMLResponse)
    def recommendation(
        rec_id: str,
        request: Request,
        who: Principal = Depends(principal),  # noqa: B008 -- a per-app dependency
        notice: str = "",
    ) -> HTMLResponse:
        assert access is not None
        action = "access.recommendation_page"
        access.require(request, who, Permission.VIEW_QUEUE, action)
        rec = store.recommendations.get(rec_id)
        if rec is None:
            return HTMLResponse(
                env.get_template("missing.html").render(what=f"recommendation {rec_id}", user=who),
                status_code=404,
            )
        access.require_patient(request, who, rec.patient_id, Permission.READ_TASKS, action)
        ref = task_ref(rec.id)
        task_type, _, task_id = ref.partition("/")
        task = store.fhir.get(task_type, task_id)
        html = env.get_template("recommendation.html").render(
            rec=rec,
            user=who,
            task=task,
            task_ref=ref,
            chain=provenance_chain(store, ref),
            history=store.recommendations.history(rec.id),
            reasons=NON_ADHERENCE_REASONS,
            may_act=who.may(Permission.ACT_ON_RECOMMENDATION),
            may_read_clinical=who.may(Permission.READ_CLINICAL),
            has_card=rec.model_id is not None and rec.model_id in _model_cards(model_dir),
            notice=notice[:200],
            now=clock(),
        )
        return HTMLResponse(html)

    @router.get("/models/{model_id}/card", response_class=PlainTextResponse)
    def model_card(
        model_id: str,
        request: Request,
        who: Principal = Depends(principal),  # noqa: B008 -- a per-app dependency
    ) -> PlainTextResponse:
        assert access is not None
        access.require(request, who, Permission.VIEW_QUEUE, "access.model_card")
        folder = _model_cards(model_dir).get(model_id)
        card = None if folder is None else folder / "model_card.md"
        if card is None or not card.is_file():
            return PlainTextResponse(f"no model card for {model_id}", status_code=404)
        return PlainTextResponse(card.read_text(encoding="utf-8"))

    return router
