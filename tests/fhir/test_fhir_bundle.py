"""The transaction bundle: validates, conditional creates, provenance chain, determinism."""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from typing import Any

import pytest

from bedside.clinical import load_builtin_protocol
from bedside.domain import DailyBiomarkerTable, Finding, Recommendation
from bedside.fhir import (
    FhirValidationError,
    finding_bundle,
    if_none_exist,
    validate_bundle,
    validate_resource,
)

# Same values as the fixtures in conftest.py.
ZONE = "Europe/Oslo"
DAY = dt.date(2026, 4, 2)
NOW = dt.datetime(2026, 4, 3, 6, 0, tzinfo=dt.UTC)


def _by_type(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def test_bundle_validates_and_has_every_resource_type(bundle: dict[str, Any]) -> None:
    validate_bundle(bundle)
    assert bundle["type"] == "transaction"
    counts = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert counts["Patient"] == 1
    assert counts["Device"] == 3  # patient device, model, protocol engine
    assert counts["RiskAssessment"] == 1
    assert counts["Task"] == 1
    trend_obs = [o for o in _by_type(bundle, "Observation") if "interpretation" in o["resource"]]
    assert len(trend_obs) == 2
    assert counts["PractitionerRole"] == 1
    assert counts["ServiceRequest"] + counts["CommunicationRequest"] == 1
    generated = counts["Observation"] + counts["RiskAssessment"] + counts["Task"]
    generated += counts["ServiceRequest"] + counts["CommunicationRequest"]
    assert counts["Provenance"] == generated


def test_full_urls_are_urn_uuid_of_resource_ids(bundle: dict[str, Any]) -> None:
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    assert len({e["fullUrl"] for e in bundle["entry"]}) == len(bundle["entry"])


def test_conditional_create_on_business_identifier(bundle: dict[str, Any]) -> None:
    for entry in bundle["entry"]:
        resource, request = entry["resource"], entry["request"]
        if resource["resourceType"] == "Provenance":
            assert request == {"method": "PUT", "url": f"Provenance/{resource['id']}"}
            continue
        ident = resource["identifier"][0]
        assert request["method"] == "POST"
        assert request["url"] == resource["resourceType"]
        assert request["ifNoneExist"] == if_none_exist(ident["system"], ident["value"])
        assert request["ifNoneExist"].startswith(f"identifier={ident['system']}|")


def test_task_identifier_is_recommendation_id(
    bundle: dict[str, Any], recommendation: Recommendation
) -> None:
    task = _by_type(bundle, "Task")[0]
    assert task["resource"]["identifier"][0]["value"] == recommendation.id
    assert recommendation.id in task["request"]["ifNoneExist"]


def test_references_resolve_within_bundle(bundle: dict[str, Any]) -> None:
    urls = {e["fullUrl"] for e in bundle["entry"]}
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                refs.append(node["reference"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(bundle["entry"])
    assert refs
    assert all(r in urls for r in refs), [r for r in refs if r not in urls]


def test_provenance_chain_biomarker_to_trend_to_risk_to_task(bundle: dict[str, Any]) -> None:
    resources = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    sources: dict[str, list[str]] = {}
    raw: dict[str, list[str]] = {}
    for prov in _by_type(bundle, "Provenance"):
        p = prov["resource"]
        target = p["target"][0]["reference"]
        assert target in resources
        sources[target] = [
            e["what"]["reference"] for e in p.get("entity", []) if "reference" in e["what"]
        ]
        raw[target] = [
            e["what"]["identifier"]["value"]
            for e in p.get("entity", [])
            if "identifier" in e["what"]
        ]
        for agent in p["agent"]:
            assert resources[agent["who"]["reference"]]["resourceType"] == "Device"

    def rtype(url: str) -> str:
        return str(resources[url]["resourceType"])

    task = _by_type(bundle, "Task")[0]["fullUrl"]
    risk = next(s for s in sources[task] if rtype(s) == "RiskAssessment")
    trend = next(
        s for s in sources[risk] if rtype(s) == "Observation" and "interpretation" in resources[s]
    )
    biomarker = sources[trend][0]
    assert rtype(biomarker) == "Observation"
    assert "interpretation" not in resources[biomarker]
    assert sources[biomarker] == []
    assert raw[biomarker] == ["watch-1/actigraphy"]  # raw samples: a logical reference only
    request = resources[task]["focus"]["reference"]
    assert rtype(request) in ("ServiceRequest", "CommunicationRequest")
    assert request in sources[task]
    assert rtype(resources[task]["owner"]["reference"]) == "PractitionerRole"
    task_prov = next(
        p["resource"]
        for p in _by_type(bundle, "Provenance")
        if p["resource"]["target"][0]["reference"] == task
    )
    assert f"relapse_watch|{load_builtin_protocol().version}" in task_prov["policy"][0]
    assert {a["type"]["coding"][0]["code"] for a in task_prov["agent"]} == {
        "author",
        "informant",
        "assembler",
    }


def test_bundle_is_deterministic(
    finding: Finding, recommendation: Recommendation, table: DailyBiomarkerTable
) -> None:
    again = finding_bundle(
        finding, zone=ZONE, recorded=NOW, recommendations=[recommendation], table=table
    )
    other = finding_bundle(finding, zone=ZONE, recorded=NOW, table=table)
    kwargs: dict[str, Any] = {"zone": ZONE, "recorded": NOW}
    assert again == finding_bundle(finding, recommendations=[recommendation], table=table, **kwargs)
    task_free = {e["fullUrl"] for e in other["entry"]}
    assert task_free < {e["fullUrl"] for e in again["entry"]}


def test_bundle_without_table_or_risk_still_validates(finding: Finding) -> None:
    no_risk = finding.model_copy(update={"risk": None})
    bundle = finding_bundle(no_risk, zone=ZONE, recorded=NOW)
    validate_bundle(bundle)
    types = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert types["RiskAssessment"] == 0
    assert types["Observation"] == 2


def test_broken_status_is_rejected_with_named_path(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    index = next(
        i for i, e in enumerate(broken["entry"]) if e["resource"]["resourceType"] == "Task"
    )
    broken["entry"][index]["resource"]["status"] = "done-ish"
    with pytest.raises(FhirValidationError) as info:
        validate_bundle(broken)
    assert info.value.path == f"Bundle.entry[{index}].resource.status"
    assert info.value.resource.startswith("Task/")
    task = copy.deepcopy(broken["entry"][index]["resource"])
    with pytest.raises(FhirValidationError) as single:
        validate_resource(task)
    assert single.value.path == "Task.status"


@pytest.mark.parametrize(
    ("rtype", "mutate", "path_end"),
    [
        ("Task", lambda r: r.update(priority="whenever"), "priority"),
        ("Task", lambda r: r.update(intent="order-now"), "intent"),
        ("Task", lambda r: r.pop("intent"), "intent"),
        ("RiskAssessment", lambda r: r.update(status="done"), "status"),
        ("Observation", lambda r: r.update(unexpected=1), "unexpected"),
        ("Device", lambda r: r.update(status="broken"), "status"),
    ],
)
def test_broken_codes_and_structure_are_named(
    bundle: dict[str, Any], rtype: str, mutate: Any, path_end: str
) -> None:
    resource = copy.deepcopy(_by_type(bundle, rtype)[0]["resource"])
    mutate(resource)
    with pytest.raises(FhirValidationError) as info:
        validate_resource(resource)
    assert info.value.path == f"{rtype}.{path_end}"
    assert info.value.resource == f"{rtype}/{resource['id']}"


def test_terminology_checks(bundle: dict[str, Any]) -> None:
    obs = next(
        e["resource"]
        for e in _by_type(bundle, "Observation")
        if e["resource"]["code"]["coding"][0]["system"] == "http://loinc.org"
    )
    wrong_display = copy.deepcopy(obs)
    wrong_display["code"]["coding"][0]["display"] = "Sleep time"
    with pytest.raises(FhirValidationError, match="display"):
        validate_resource(wrong_display)
    unknown_loinc = copy.deepcopy(obs)
    unknown_loinc["code"]["coding"][0]["code"] = "12345-6"
    with pytest.raises(FhirValidationError, match="curated"):
        validate_resource(unknown_loinc)
    bad_unit = copy.deepcopy(obs)
    bad_unit["valueQuantity"]["code"] = "minutes"
    with pytest.raises(FhirValidationError) as info:
        validate_resource(bad_unit)
    assert info.value.path == "Observation.valueQuantity.code"
    bad_category = copy.deepcopy(obs)
    bad_category["category"][0]["coding"][0]["code"] = "sport"
    with pytest.raises(FhirValidationError, match="sport"):
        validate_resource(bad_category)


def test_unresolved_urn_reference_is_rejected(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    task = next(e for e in broken["entry"] if e["resource"]["resourceType"] == "Task")
    task["resource"]["focus"]["reference"] = "urn:uuid:00000000-0000-0000-0000-000000000000"
    with pytest.raises(FhirValidationError, match="does not resolve") as info:
        validate_bundle(broken)
    assert info.value.path.endswith(".resource.focus.reference")


def test_recommendation_for_other_patient_rejected(
    finding: Finding, recommendation: Recommendation
) -> None:
    other = recommendation.model_copy(update={"patient_id": "p999"})
    with pytest.raises(ValueError, match="another patient"):
        finding_bundle(finding, zone=ZONE, recorded=NOW, recommendations=[other])
