"""CDS Hooks 2.0 cards: one per open recommendation, a summary of recent verified trends, and
the order-select card for antidepressants and sedatives.

Every card has a ``summary`` under 140 characters, an ``indicator`` from the priority tier
(critical -> ``critical``, urgent -> ``warning``, else ``info``), a ``source`` with label and url,
a Markdown ``detail`` with the evidence, and links to the Bedside dashboard on the patient (an
``absolute`` link and a ``smart`` launch link). Recommendation cards carry one suggestion (create
a Task proposing the CommunicationRequest or ServiceRequest, for the EHR's own patient id) with
``selectionBehavior: at-most-one`` and the ``overrideReasons`` a clinician may give.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from bedside.biomarkers.registry import get_spec
from bedside.domain import Recommendation, TrendFinding
from bedside.fhir import BEDSIDE_BASE, EhrContext, care_request, recommendation_task
from bedside.fhir.medication_classes import MedicationClass

__all__ = [
    "CARD_NAMESPACE",
    "OVERRIDE_REASONS",
    "OVERRIDE_REASON_SYSTEM",
    "order_select_card",
    "recommendation_card",
    "trends_summary_card",
]

CARD_NAMESPACE = uuid.UUID("6f1d3c3e-5b7a-4c0e-9a43-2f0b8e6d1c55")
"""Namespace of card uuids: uuid5(CARD_NAMESPACE, "<hookInstance>/<what the card is about>")."""

OVERRIDE_REASON_SYSTEM = f"{BEDSIDE_BASE}/CodeSystem/cds-override-reason"
OVERRIDE_REASONS: tuple[tuple[str, str], ...] = (
    ("already-addressed", "Already addressed with the patient"),
    ("not-clinically-relevant", "Not clinically relevant for this patient"),
    ("data-quality", "Doubt about the wearable data"),
    ("patient-declined", "Patient declined"),
)
_SUMMARY_MAX = 139  # CDS Hooks: summary "<140 characters"


def _summary(text: str) -> str:
    return text if len(text) <= _SUMMARY_MAX else text[: _SUMMARY_MAX - 3] + "..."


def _card_uuid(hook_instance: uuid.UUID, about: str) -> str:
    return str(uuid.uuid5(CARD_NAMESPACE, f"{hook_instance}/{about}"))


def _links(base: str, patient_id: str) -> list[dict[str, Any]]:
    url = f"{base}/patients/{quote(patient_id, safe='')}"
    return [
        {"label": "Open patient in Bedside", "url": url, "type": "absolute"},
        {
            # A SMART app's launch URL: the EHR appends iss and launch (EHR launch, PKCE).
            "label": "Open the Bedside dashboard (SMART)",
            "url": f"{base}/smart/launch",
            "type": "smart",
            "appContext": json.dumps({"bedsidePatientId": patient_id}),
        },
    ]


def _source(base: str) -> dict[str, Any]:
    return {"label": "Bedside", "url": base}


def _trend_line(t: TrendFinding) -> str:
    spec = get_spec(t.biomarker)
    arrow = "up" if t.direction.value == "up" else "down"
    unit = spec.unit.replace("{count}", "counts").replace("{", "").replace("}", "")
    unit = "" if unit == "1" else f" {unit}"
    return (
        f"{spec.display} {arrow} {abs(t.size):.3g}{unit} since {t.onset_date.isoformat()}"
        f" (robust z {t.robust_z:+.1f}, {t.days_sustained} d"
        f"{', adverse' if t.adverse else ''})"
    )


def _context_lines(context: EhrContext | None) -> list[str]:
    if context is None:
        return []
    lines = ["", "**From the EHR**", ""]
    latest = context.latest_phq9()
    if latest is None:
        lines.append("- PHQ-9: none on record")
    else:
        item9 = "" if latest.item9 is None else f", item 9 = {latest.item9}"
        total = "?" if latest.total is None else str(latest.total)
        lines.append(f"- Latest PHQ-9 ({latest.date.isoformat()}): total {total}{item9}")
    meds = ", ".join(sorted({m.name for m in context.medications})) or "none active"
    lines.append(f"- Medications: {meds}")
    conds = ", ".join(sorted({c.display for c in context.conditions})) or "none active"
    lines.append(f"- Conditions: {conds}")
    return lines


def _detail(rec: Recommendation, context: EhrContext | None) -> str:
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
    lines += _context_lines(context)
    lines += ["", f"Protocol: `{rec.protocol_id}` version {rec.protocol_version}"]
    if rec.model_id is not None:
        lines.append(f"Model: `{rec.model_id}` version {rec.model_version or 'unknown'}")
    lines += ["", "_A recommendation for a clinician to consider; not an order._"]
    return "\n".join(lines)


def _for_ehr(resource: dict[str, Any], ehr_patient: str) -> dict[str, Any]:
    """A Bedside resource rewritten for the EHR to create: its own patient id, no Bedside-only
    references (devices, RiskAssessment) and no id (the EHR assigns one)."""
    out = {k: v for k, v in resource.items() if k != "id"}
    patient = {"reference": f"Patient/{ehr_patient}"}
    for key in ("for", "subject"):
        if key in out:
            out[key] = patient
    if "recipient" in out:
        out["recipient"] = [patient]
    for key in ("focus", "reasonReference", "requester", "owner"):
        out.pop(key, None)
    return out


def recommendation_card(
    rec: Recommendation,
    *,
    base_url: str,
    hook_instance: uuid.UUID,
    ehr_patient_id: str | None = None,
    context: EhrContext | None = None,
) -> dict[str, Any]:
    """One CDS Hooks card for an open recommendation.

    Parameters
    ----------
    rec : Recommendation
    base_url : str
        Absolute base URL of the Bedside server (source url and dashboard links).
    hook_instance : UUID
        The request's ``hookInstance``; with the recommendation id it determines the card uuid.
    ehr_patient_id : str, optional
        The EHR's ``context.patientId`` (default: the Bedside patient id), used in suggestions.
    context : EhrContext, optional
        PHQ-9, medications and conditions from the EHR, shown in the detail.
    """
    base = base_url.rstrip("/")
    card_id = _card_uuid(hook_instance, rec.id)
    ehr_patient = ehr_patient_id or rec.patient_id
    task = _for_ehr(recommendation_task(rec), ehr_patient)
    request = _for_ehr(care_request(rec), ehr_patient)
    role = rec.route.value.replace("_", " ")
    suggestion = {
        "label": f"Create a task for the {role}: {request['resourceType']}",
        "uuid": str(uuid.uuid5(CARD_NAMESPACE, f"{card_id}/suggestion")),
        "isRecommended": True,
        "actions": [
            {
                "type": "create",
                "description": f"Propose: {rec.action}",
                "resource": request,
            },
            {
                "type": "create",
                "description": f"Task ({task['priority']}) for the {role}",
                "resource": task,
            },
        ],
    }
    return {
        "uuid": card_id,
        "summary": _summary(rec.summary),
        "indicator": rec.priority.cds_indicator,
        "detail": _detail(rec, context),
        "source": _source(base),
        "suggestions": [suggestion],
        "selectionBehavior": "at-most-one",
        "overrideReasons": [
            {"system": OVERRIDE_REASON_SYSTEM, "code": code, "display": display}
            for code, display in OVERRIDE_REASONS
        ],
        "links": _links(base, rec.patient_id),
    }


def trends_summary_card(
    patient_id: str,
    trends: Sequence[TrendFinding],
    as_of: dt.date,
    *,
    base_url: str,
    hook_instance: uuid.UUID,
    context: EhrContext | None = None,
) -> dict[str, Any]:
    """One info card listing the patient's recent verified trends (adverse first)."""
    base = base_url.rstrip("/")
    ordered = sorted(trends, key=lambda t: (not t.adverse, t.onset_date, t.biomarker))
    adverse = sum(t.adverse for t in ordered)
    lines = [
        f"**Verified trends as of {as_of.isoformat()}** (against the patient's own baseline)",
        "",
    ]
    lines += [f"- {_trend_line(t)}" for t in ordered]
    lines += _context_lines(context)
    lines += ["", "_Trends are verified changes, not one-day blips; see the dashboard._"]
    return {
        "uuid": _card_uuid(hook_instance, f"trends/{patient_id}/{as_of.isoformat()}"),
        "summary": _summary(
            f"{len(ordered)} verified biomarker trend(s), {adverse} adverse, as of {as_of:%Y-%m-%d}"
        ),
        "indicator": "info",
        "detail": "\n".join(lines),
        "source": _source(base),
        "links": _links(base, patient_id),
    }


def order_select_card(
    patient_id: str,
    medication: str,
    med_class: MedicationClass,
    trends: Sequence[TrendFinding],
    open_recs: Sequence[Recommendation],
    *,
    base_url: str,
    hook_instance: uuid.UUID,
    context: EhrContext | None = None,
) -> dict[str, Any]:
    """The card shown when an antidepressant or sedative is being ordered."""
    base = base_url.rstrip("/")
    relevant = [t for t in trends if get_spec(t.biomarker).family in ("sleep", "activity")]
    indicator = "warning" if any(r.priority.rank <= 1 for r in open_recs) else "info"
    lines = [
        f"**{medication.capitalize()}** ({med_class.value}) is being ordered. Recent sleep and "
        "activity trends from the patient's wearable:",
        "",
    ]
    lines += [f"- {_trend_line(t)}" for t in relevant] or ["- no verified sleep/activity trend"]
    lines += ["", "**Open Bedside recommendations**", ""]
    lines += [f"- [{r.priority.value}] {r.action}" for r in open_recs] or ["- none"]
    lines += _context_lines(context)
    return {
        "uuid": _card_uuid(hook_instance, f"order/{patient_id}/{medication}"),
        "summary": _summary(
            f"Ordering {medication}: {len(relevant)} sleep/activity trend(s), "
            f"{len(open_recs)} open recommendation(s)"
        ),
        "indicator": indicator,
        "detail": "\n".join(lines),
        "source": _source(base),
        "links": _links(base, patient_id),
    }
