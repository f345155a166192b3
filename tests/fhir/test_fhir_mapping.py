"""The mapping beyond the finding bundle: PHQ-9, EHR context, crisis, requests, consent, audit."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from bedside.biomarkers.registry import REGISTRY
from bedside.domain import (
    Finding,
    InputFormatError,
    Phq9Response,
    Priority,
    Recommendation,
    Role,
)
from bedside.fhir import (
    LOINC_DISPLAYS,
    LOINC_SYSTEM,
    PHQ9_QUESTIONNAIRE_URL,
    FhirValidationError,
    audit_event,
    bundle_resources,
    care_request,
    clinician_outcome_provenance,
    consent_resource,
    crisis_detected_issue,
    crisis_flag,
    finding_bundle,
    is_communication,
    phq9_observations,
    phq9_questionnaire,
    phq9_questionnaire_response,
    questionnaire_response_ref,
    read_ehr_context,
    task_ref,
    validate_bundle,
    validate_resource,
)
from bedside.fhir.medication_classes import classify_medication_request
from bedside.fhir.ucum import parse_ucum

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

NOW = dt.datetime(2026, 4, 3, 6, 0, tzinfo=dt.UTC)
ZONE = "Europe/Oslo"
PHQ = Phq9Response(patient_id="p001", date=dt.date(2026, 4, 1), items=[1, 2, 1, 2, 0, 1, 1, 0, 2])


def test_phq9_resources_validate_and_link() -> None:
    questionnaire = phq9_questionnaire()
    response = phq9_questionnaire_response(PHQ)
    total, item9 = phq9_observations(PHQ, issued=NOW)
    for resource in (questionnaire, response, total, item9):
        validate_resource(resource)
    assert questionnaire["url"] == PHQ9_QUESTIONNAIRE_URL == response["questionnaire"]
    assert len(response["item"]) == 9
    assert total["code"]["coding"][0]["code"] == "44261-6"
    assert total["valueInteger"] == sum(PHQ.items) == 10
    assert item9["code"]["coding"][0]["code"] == "44260-8"
    assert item9["valueCodeableConcept"]["coding"][0]["code"] == "LA6570-1"  # score 2
    ref = questionnaire_response_ref(PHQ)
    assert ref == f"QuestionnaireResponse/{response['id']}"
    assert total["derivedFrom"] == item9["derivedFrom"] == [{"reference": ref}]
    assert total["category"][0]["coding"][0]["code"] == "survey"


def test_phq9_round_trips_through_ehr_context() -> None:
    context = read_ehr_context("p001", [phq9_questionnaire_response(PHQ), *phq9_observations(PHQ)])
    (back,) = context.phq9_responses
    assert back.items == PHQ.items
    assert back.source == "ehr"
    (score,) = context.phq9_scores
    assert (score.date, score.total, score.item9) == (PHQ.date, 10, 2)
    latest = context.latest_phq9()
    assert latest is not None
    assert latest.total == 10


def _searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def test_ehr_context_reads_medications_and_conditions_from_searchsets() -> None:
    med_request = {
        "resourceType": "MedicationRequest",
        "id": "mr1",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": "36437",
                    "display": "Sertraline",
                }
            ]
        },
        "subject": {"reference": "Patient/p001"},
        "authoredOn": "2026-03-10T09:00:00Z",
    }
    statement = {
        "resourceType": "MedicationStatement",
        "id": "ms1",
        "status": "active",
        "medicationCodeableConcept": {"text": "Zolpidem 5 mg"},
        "subject": {"reference": "Patient/p001"},
        "effectivePeriod": {"start": "2026-02-01"},
    }
    erroneous = {**statement, "id": "ms2", "status": "entered-in-error"}
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "remission",
                }
            ]
        },
        "code": {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "370143000",
                    "display": "Major depressive disorder",
                }
            ]
        },
        "subject": {"reference": "Patient/p001"},
        "onsetDateTime": "2024-05-02",
    }
    context = read_ehr_context(
        "p001", [_searchset(med_request, statement, erroneous), _searchset(condition), None]
    )
    assert [(m.name, m.rxnorm, m.start) for m in context.medications] == [
        ("zolpidem 5 mg", None, dt.date(2026, 2, 1)),
        ("sertraline", "36437", dt.date(2026, 3, 10)),
    ]
    (cond,) = context.conditions
    assert cond.code == "370143000"
    assert cond.clinical_status == "remission"
    assert not cond.active
    assert cond.onset == dt.date(2024, 5, 2)


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        (
            {"resourceType": "MedicationRequest", "id": "x", "authoredOn": "2026-01-01"},
            "medication",
        ),
        (
            {
                "resourceType": "Condition",
                "id": "y",
                "code": {"text": "MDD"},
                "onsetDateTime": "soon",
            },
            "onsetDateTime",
        ),
        ({"resourceType": "Condition", "id": "z"}, "code"),
    ],
)
def test_malformed_ehr_resources_name_the_field(resource: dict[str, Any], field: str) -> None:
    with pytest.raises(InputFormatError) as info:
        read_ehr_context("p001", [resource])
    assert field in str(info.value)
    assert f"{resource['resourceType']}/{resource['id']}" in str(info.value)


def test_phq9_response_with_unknown_answer_is_rejected() -> None:
    response = phq9_questionnaire_response(PHQ)
    response["item"][8]["answer"][0]["valueCoding"]["code"] = "LA9999-9"
    with pytest.raises(InputFormatError, match=r"item\[8\]"):
        read_ehr_context("p001", [response])


def test_crisis_recommendation_gives_flag_and_detected_issue(
    finding: Finding, recommendation: Recommendation
) -> None:
    crisis = recommendation.model_copy(update={"priority": Priority.CRITICAL})
    bundle = finding_bundle(finding, zone=ZONE, recorded=NOW, recommendations=[crisis])
    validate_bundle(bundle)
    by_type = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    flag, issue = by_type["Flag"], by_type["DetectedIssue"]
    assert flag["category"][0]["coding"][0]["code"] == "safety"
    assert flag["status"] == "active"
    assert issue["severity"] == "high"
    assert issue["evidence"][0]["detail"]
    assert by_type["Task"]["priority"] == "stat"
    with pytest.raises(ValueError, match="critical"):
        crisis_flag(recommendation)
    with pytest.raises(ValueError, match="critical"):
        crisis_detected_issue(recommendation)


@pytest.mark.parametrize(
    ("route", "action", "rtype"),
    [
        (Role.PSYCHIATRIST, "Consider a medication review", "ServiceRequest"),
        (Role.PSYCHIATRIST, "Consider contacting the patient within 72 h", "CommunicationRequest"),
        (Role.CARE_COORDINATOR, "Offer a follow-up appointment", "CommunicationRequest"),
    ],
)
def test_request_type_follows_route_and_action(
    recommendation: Recommendation, route: Role, action: str, rtype: str
) -> None:
    rec = recommendation.model_copy(update={"route": route, "action": action})
    request = care_request(rec, ["RiskAssessment/r1"])
    assert request["resourceType"] == rtype
    assert is_communication(rec) == (rtype == "CommunicationRequest")
    assert request["priority"] == rec.priority.fhir_task_priority
    validate_resource(request)


def test_consent_and_its_checks() -> None:
    consent = consent_resource(
        "p001", "vc-1", granted=NOW, data_families=["sleep", "activity", "sleep"]
    )
    validate_resource(consent)
    assert consent["status"] == "active"
    assert [c["code"] for c in consent["provision"]["class"]] == ["activity", "sleep"]
    revoked = consent_resource("p001", "vc-1", granted=NOW, data_families=["sleep"], revoked=True)
    assert revoked["status"] == "inactive"
    assert revoked["id"] == consent["id"]
    broken = copy.deepcopy(consent)
    broken["provision"]["type"] = "maybe"
    with pytest.raises(FhirValidationError) as info:
        validate_resource(broken)
    assert info.value.path == "Consent.provision.type"
    with pytest.raises(ValueError, match="data family"):
        consent_resource("p001", "vc-2", granted=NOW, data_families=[])


def test_audit_event_is_balp_shaped() -> None:
    event = audit_event(
        interaction="search-type",
        recorded=NOW,
        client="https://ehr.example.org",
        server="http://127.0.0.1:8000",
        patient_ref="Patient/p001",
        entities=["Task/t1"],
        query="patient-view",
    )
    validate_resource(event)
    assert event["action"] == "E"
    assert event["outcome"] == "0"
    assert [a["requestor"] for a in event["agent"]] == [True, False]
    roles = [e["role"]["code"] for e in event["entity"]]
    assert roles == ["1", "4", "24"]
    failed = audit_event(
        interaction="read",
        recorded=NOW,
        client="unknown",
        server="s",
        outcome="minor-failure",
        outcome_desc="JWT signature invalid",
    )
    assert failed["outcome"] == "4"
    assert failed["outcomeDesc"] == "JWT signature invalid"
    assert event["id"] != failed["id"]
    with pytest.raises(ValueError, match="interaction"):
        audit_event(interaction="peek", recorded=NOW, client="c", server="s")


def test_clinician_outcome_closes_the_provenance_chain(recommendation: Recommendation) -> None:
    prov = clinician_outcome_provenance(
        task_ref(recommendation.id),
        clinician_id="dr-1",
        when=NOW,
        outcome="overridden",
        reason="patient seen yesterday",
    )
    validate_resource(prov)
    assert prov["target"] == [{"reference": task_ref(recommendation.id)}]
    assert prov["agent"][0]["type"]["coding"][0]["code"] == "verifier"
    assert prov["agent"][0]["who"]["identifier"]["value"] == "dr-1"
    assert prov["reason"] == [{"text": "patient seen yesterday"}]


def test_every_emitted_loinc_code_is_in_the_curated_table(
    bundle: dict[str, Any], recommendation: Recommendation, finding: Finding
) -> None:
    crisis = recommendation.model_copy(update={"priority": Priority.CRITICAL})
    resources = [
        *bundle_resources(bundle),
        *bundle_resources(
            finding_bundle(finding, zone=ZONE, recorded=NOW, recommendations=[crisis])
        ),
        phq9_questionnaire(),
        phq9_questionnaire_response(PHQ),
        *phq9_observations(PHQ),
        consent_resource("p001", "c", granted=NOW, data_families=["sleep"]),
    ]
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("system") == LOINC_SYSTEM:
                seen.add(node["code"])
                assert node["display"] == LOINC_DISPLAYS[node["code"]]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(resources)
    assert {"93832-4", "44261-6", "44260-8", "44249-1", "59284-0"} <= seen
    assert seen <= set(LOINC_DISPLAYS)


def test_registry_units_parse_as_ucum_and_loinc_codes_are_curated() -> None:
    for spec in REGISTRY.values():
        parse_ucum(spec.unit)
        if spec.loinc is not None:
            assert spec.loinc in LOINC_DISPLAYS, spec.id


@pytest.mark.parametrize(
    ("concept", "expected"),
    [
        ({"coding": [{"system": RXNORM, "code": "36437"}]}, ("sertraline", "antidepressant")),
        ({"text": "Escitalopram 10 MG Oral Tablet"}, ("escitalopram", "antidepressant")),
        (
            {"coding": [{"system": RXNORM, "code": "1", "display": "Zopiclone 7.5 mg"}]},
            ("zopiclone", "sedative"),
        ),
        ({"coding": [{"system": RXNORM, "code": "617993", "display": "Amoxicillin"}]}, None),
    ],
)
def test_medication_classes(concept: dict[str, Any], expected: tuple[str, str] | None) -> None:
    request = {"resourceType": "MedicationRequest", "medicationCodeableConcept": concept}
    assert classify_medication_request(request) == expected
    assert classify_medication_request({**request, "resourceType": "MedicationStatement"}) is None
