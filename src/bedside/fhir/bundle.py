"""One finding (and its recommendations) -> one FHIR transaction Bundle.

Every entry has ``fullUrl`` ``urn:uuid:<id>`` with the resource's deterministic id, and references
between entries are rewritten to those ``urn:uuid`` URLs so the server links them on commit.
Resources with a business identifier are sent as ``POST`` with a conditional create
(``ifNoneExist: identifier=<system>|<value>``) so a retried bundle never duplicates them.
Provenance has no identifier element in R4, so it is sent as ``PUT Provenance/<id>`` with a
deterministic id, which is equally idempotent.

Known limitation: conditional create never changes an existing resource, so a recommendation
refreshed with new evidence (same id) keeps the Task first stored; a later issue can switch Tasks
to conditional update.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from bedside.biomarkers.registry import get_spec
from bedside.domain import DailyBiomarkerTable, Finding, Recommendation
from bedside.fhir.care_requests import care_request, care_request_ref, care_role, care_role_ref
from bedside.fhir.codes import FHIR_NAMESPACE, if_none_exist
from bedside.fhir.observations import biomarker_observation, biomarker_observation_ref
from bedside.fhir.participants import (
    device_ref,
    engine_device,
    engine_ref,
    model_device,
    model_ref,
    patient_device,
    patient_stub,
)
from bedside.fhir.provenance import ProvenanceAgent, RawSource, protocol_policy, provenance
from bedside.fhir.risk import risk_assessment, risk_assessment_ref
from bedside.fhir.safety import crisis_detected_issue, crisis_flag, is_crisis
from bedside.fhir.tasks import recommendation_task
from bedside.fhir.trends import trend_observation, trend_observation_ref

__all__ = [
    "CONTRIBUTION_WINDOW_DAYS",
    "bundle_resources",
    "finding_bundle",
    "merge_transaction_bundles",
    "transaction_bundle",
]

CONTRIBUTION_WINDOW_DAYS = 7
"""Days (ending on the risk's ``as_of``) of a contributing biomarker sent as Observations."""


def _ref(resource: dict[str, Any]) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def _rewrite(node: Any, local: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite(v, local) for k, v in node.items()}
        ref = out.get("reference")
        if isinstance(ref, str) and ref in local:
            out["reference"] = local[ref]
        return out
    if isinstance(node, list):
        return [_rewrite(v, local) for v in node]
    return node


def transaction_bundle(
    resources: Sequence[dict[str, Any]], bundle_id: str, timestamp: dt.datetime
) -> dict[str, Any]:
    """Wrap resources in a transaction Bundle (see the module docstring for the entry rules).

    Raises
    ------
    ValueError
        When two resources share a type and id.
    """
    local = {_ref(r): f"urn:uuid:{r['id']}" for r in resources}
    if len(local) != len(resources):
        raise ValueError("duplicate resources (same type and id) in bundle")
    entries = []
    for resource in resources:
        rtype = resource["resourceType"]
        ids = resource.get("identifier") or []
        if ids:
            request = {
                "method": "POST",
                "url": rtype,
                "ifNoneExist": if_none_exist(ids[0]["system"], ids[0]["value"]),
            }
        else:
            request = {"method": "PUT", "url": _ref(resource)}
        entries.append(
            {
                "fullUrl": local[_ref(resource)],
                "resource": _rewrite(resource, local),
                "request": request,
            }
        )
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "type": "transaction",
        "timestamp": timestamp.astimezone(dt.UTC).isoformat(),
        "entry": entries,
    }


def _wanted_days(finding: Finding) -> dict[str, set[dt.date]]:
    wanted: dict[str, set[dt.date]] = {}
    for t in finding.trends:
        days = (t.detection_date - t.onset_date).days + 1
        wanted.setdefault(t.biomarker, set()).update(
            t.onset_date + dt.timedelta(days=i) for i in range(max(days, 1))
        )
    if finding.risk is not None:
        for c in finding.risk.contributions:
            wanted.setdefault(c.biomarker, set()).update(
                finding.risk.as_of - dt.timedelta(days=i) for i in range(CONTRIBUTION_WINDOW_DAYS)
            )
    return wanted


def _biomarker_obs(
    finding: Finding, table: DailyBiomarkerTable | None
) -> dict[tuple[str, dt.date], dict[str, Any]]:
    out: dict[tuple[str, dt.date], dict[str, Any]] = {}
    if table is None:
        return out
    for bid, days in sorted(_wanted_days(finding).items()):
        column = table.values.get(bid)
        if column is None:
            continue
        for day in sorted(days):
            try:
                value = float(column[table.index_of(day)])
            except KeyError:
                continue
            if value == value:  # not NaN
                out[(bid, day)] = biomarker_observation(
                    finding.patient_id, day, table.zone, bid, value, finding.device_id
                )
    return out


def finding_bundle(
    finding: Finding,
    *,
    zone: str,
    recorded: dt.datetime,
    recommendations: Sequence[Recommendation] = (),
    table: DailyBiomarkerTable | None = None,
) -> dict[str, Any]:
    """A transaction Bundle with everything a clinic stores for one finding.

    Contents: Patient stub, patient Device, model Device (when there is a risk), one engine Device
    per protocol version and one PractitionerRole per routed role, the biomarker Observations
    behind the trends (days onset..detection) and the risk contributions (the 7 days ending on
    ``as_of``) when `table` is given, one Observation per trend, the RiskAssessment, per
    recommendation a CommunicationRequest or ServiceRequest and the Task proposing it (plus a
    safety Flag and DetectedIssue for a crisis), and a Provenance for each generated resource.

    Parameters
    ----------
    finding : Finding
    zone : str
        The patient's IANA zone (local days of the effective periods).
    recorded : datetime
        Timezone-aware time of the Provenance records and the Bundle timestamp.
    recommendations : sequence of Recommendation
        Recommendations for `finding.patient_id` raised or updated by this finding.
    table : DailyBiomarkerTable, optional
        The patient's daily biomarkers; its zone must equal `zone`.
    """
    if recorded.tzinfo is None:
        raise ValueError("recorded must be timezone-aware")
    if table is not None and (table.patient_id != finding.patient_id or table.zone != zone):
        raise ValueError("daily table belongs to another patient or zone")
    for rec in recommendations:
        if rec.patient_id != finding.patient_id:
            raise ValueError(f"recommendation {rec.id} is for another patient")
    pid = finding.patient_id
    device = ProvenanceAgent(device_ref(finding.device_id), "assembler")
    resources: list[dict[str, Any]] = [
        patient_stub(pid),
        patient_device(finding.device_id, pid),
    ]
    provenances: list[dict[str, Any]] = []

    def add(resource: dict[str, Any], agents: list[ProvenanceAgent], **kw: Any) -> None:
        resources.append(resource)
        provenances.append(provenance(_ref(resource), recorded, agents, **kw))

    biomarker_obs = _biomarker_obs(finding, table)
    for (bid, _day), obs in biomarker_obs.items():
        modality = get_spec(bid).modality.value
        raw = RawSource(
            f"{finding.device_id}/{modality}",
            f"raw {modality} samples on device {finding.device_id} (never transmitted)",
        )
        add(obs, [device], raw_sources=[raw])
    trend_refs: list[str] = []
    for t in finding.trends:
        derived = [
            biomarker_observation_ref(pid, day, t.biomarker)
            for (bid, day) in biomarker_obs
            if bid == t.biomarker and t.onset_date <= day <= t.detection_date
        ]
        add(trend_observation(pid, t, zone, finding.device_id, derived), [device], sources=derived)
        trend_refs.append(trend_observation_ref(pid, t))

    risk_ref: str | None = None
    model: ProvenanceAgent | None = None
    if finding.risk is not None:
        risk = finding.risk
        resources.insert(2, model_device(risk.model_id, risk.model_version))
        contrib = {c.biomarker for c in risk.contributions}
        basis = trend_refs + [
            biomarker_observation_ref(pid, day, bid)
            for (bid, day) in biomarker_obs
            if bid in contrib and day == risk.as_of
        ]
        model = ProvenanceAgent(model_ref(risk.model_id, risk.model_version), "performer")
        add(risk_assessment(pid, risk, basis), [model, device], sources=basis)
        risk_ref = risk_assessment_ref(pid, risk)

    engines: dict[str, dict[str, Any]] = {}
    for rec in recommendations:
        eng = engine_device(rec.protocol_id, rec.protocol_version, rec.protocol_hash)
        engines.setdefault(eng["id"], eng)
        agents = [ProvenanceAgent(engine_ref(rec.protocol_id, rec.protocol_version), "author")]
        if model is not None:
            agents.append(ProvenanceAgent(model.reference, "informant"))
        agents.append(device)
        policy = protocol_policy(rec.protocol_id, rec.protocol_version, rec.protocol_hash)
        sources = ([risk_ref] if risk_ref else []) + trend_refs
        role = care_role(rec.route)
        engines.setdefault(role["id"], role)
        add(care_request(rec, sources), agents, sources=sources, policies=[policy])
        task = recommendation_task(
            rec, risk_ref, focus_ref=care_request_ref(rec), owner_ref=care_role_ref(rec.route)
        )
        add(task, agents, sources=[*sources, care_request_ref(rec)], policies=[policy])
        if is_crisis(rec):
            add(crisis_flag(rec), agents, sources=sources, policies=[policy])
            add(crisis_detected_issue(rec, sources), agents, sources=sources, policies=[policy])
    resources[2:2] = list(engines.values())

    name = f"bundle|{pid}|{finding.date.isoformat()}|{recorded.astimezone(dt.UTC).isoformat()}"
    bundle_id = str(uuid.uuid5(FHIR_NAMESPACE, name))
    return transaction_bundle(resources + provenances, bundle_id, recorded)


def merge_transaction_bundles(
    bundles: Sequence[dict[str, Any]], timestamp: dt.datetime
) -> dict[str, Any]:
    """Combine transaction Bundles into one.

    Entries are keyed by ``fullUrl`` (deterministic per resource), so a resource present in
    several bundles (the Patient stub, the model Device, a recommendation's Task refreshed by later
    evidence) appears once, in the version of the last bundle that carries it.
    """
    entries: dict[str, dict[str, Any]] = {}
    for bundle in bundles:
        if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
            raise ValueError("can only merge transaction Bundles")
        for entry in bundle.get("entry", []):
            entries[entry["fullUrl"]] = entry
    name = "merged|" + "|".join(sorted(entries))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(FHIR_NAMESPACE, name)),
        "type": "transaction",
        "timestamp": timestamp.astimezone(dt.UTC).isoformat(),
        "entry": list(entries.values()),
    }


def bundle_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources of a transaction Bundle with ``urn:uuid`` references resolved to
    ``Type/id``, as a FHIR server stores them after committing the transaction."""
    local = {
        entry["fullUrl"]: _ref(entry["resource"])
        for entry in bundle.get("entry", [])
        if str(entry.get("fullUrl", "")).startswith("urn:uuid:")
    }
    return [_rewrite(entry["resource"], local) for entry in bundle.get("entry", [])]
