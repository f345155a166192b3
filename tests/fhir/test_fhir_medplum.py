"""Independent validation: every resource type Bedside emits passes @medplum/core's validator."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

from bedside.domain import Finding, Phq9Response, Priority, Recommendation
from bedside.fhir import (
    audit_event,
    bundle_resources,
    clinician_outcome_provenance,
    consent_resource,
    finding_bundle,
    medplum_validate,
    phq9_observations,
    phq9_questionnaire,
    phq9_questionnaire_response,
    task_ref,
)

NOW = dt.datetime(2026, 4, 3, 6, 0, tzinfo=dt.UTC)
ZONE = "Europe/Oslo"
EMITTED_TYPES = {
    "AuditEvent", "Bundle", "CommunicationRequest", "Consent", "DetectedIssue", "Device", "Flag",
    "Observation", "Patient", "PractitionerRole", "Provenance", "Questionnaire",
    "QuestionnaireResponse", "RiskAssessment", "ServiceRequest", "Task",
}  # fmt: skip
"""Every resource type Bedside writes (kept in step with the mapping modules)."""


def _emitted(
    bundle: dict[str, Any], finding: Finding, recommendation: Recommendation
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(transaction Bundles, standalone resources with literal references)."""
    action = "Consider an urgent psychiatric assessment"
    crisis = recommendation.model_copy(update={"priority": Priority.CRITICAL, "action": action})
    crisis_bundle = finding_bundle(finding, zone=ZONE, recorded=NOW, recommendations=[crisis])
    phq = Phq9Response(patient_id="p001", date=dt.date(2026, 4, 1), items=[2] * 9)
    standalone = [
        *bundle_resources(bundle),
        *bundle_resources(crisis_bundle),
        phq9_questionnaire(),
        phq9_questionnaire_response(phq),
        *phq9_observations(phq, issued=NOW),
        consent_resource("p001", "vc-1", granted=NOW, data_families=["sleep", "activity"]),
        audit_event(
            interaction="create",
            recorded=NOW,
            client="bedside-clinic",
            server="http://127.0.0.1:8000",
            patient_ref="Patient/p001",
            entities=["Task/t1"],
        ),
        clinician_outcome_provenance(
            task_ref(recommendation.id), clinician_id="dr-1", when=NOW, outcome="accepted"
        ),
    ]
    return [bundle, crisis_bundle], standalone


def test_every_emitted_resource_type_passes_medplum(
    node_tools: Path, bundle: dict[str, Any], finding: Finding, recommendation: Recommendation
) -> None:
    bundles, standalone = _emitted(bundle, finding, recommendation)
    results = medplum_validate([*standalone, *bundles])
    types = {r.resource_type for r in results}
    assert types == EMITTED_TYPES
    errors = [(r.path, r.resource_type, e.text) for r in results for e in r.errors]
    assert errors == []
    # With literal references Medplum has nothing to warn about; inside a transaction Bundle its
    # only warnings are that it cannot type-check urn:uuid references.
    for r in results[: len(standalone)]:
        assert r.issues == (), (r.path, r.issues)
    for r in results[len(standalone) :]:
        assert all("urn:uuid:" in i.text for i in r.issues), r.issues


def test_medplum_rejects_what_it_should_and_names_the_path(
    node_tools: Path, bundle: dict[str, Any]
) -> None:
    task = next(r for r in bundle_resources(bundle) if r["resourceType"] == "Task")
    extra = copy.deepcopy(task)
    extra["dueDate"] = "2026-04-05"  # not an element of R4 Task
    wrong_type = copy.deepcopy(task)
    wrong_type["authoredOn"] = 20260403
    results = medplum_validate([extra, wrong_type])
    assert results[0].errors
    assert results[0].errors[0].expression == ("Task.dueDate",)
    assert results[1].errors
    assert any("authoredOn" in e for e in results[1].errors[0].expression)
