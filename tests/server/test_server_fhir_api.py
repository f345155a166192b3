"""Read-only FHIR API: CapabilityStatement, read with 404 OperationOutcome, searchset Bundles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome

from bedside.server import FHIR_JSON, create_app
from bedside.store import MemoryStore

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
BASE = "https://bedside.example.org"


def observation(oid: str, patient: str, minutes: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "93832-4"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2026-02-28",
        "valueQuantity": {
            "value": minutes,
            "unit": "min",
            "system": "http://unitsofmeasure.org",
            "code": "min",
        },
    }


@pytest.fixture
def client(access_kit_factory: Any) -> TestClient:
    """Logged in as dr-test, who cares for p1, p2 and p3 (each with a valid consent)."""
    kit = access_kit_factory(lambda: NOW, ["p1", "p2", "p3"], audience=BASE)
    store = MemoryStore(clock=lambda: NOW)
    store.fhir.put(observation("sleep-1", "p1", 400.0))
    store.fhir.put(observation("sleep-2", "p1", 380.0))
    store.fhir.put(observation("sleep-3", "p2", 450.0))
    store.fhir.put({"resourceType": "Patient", "id": "p1"})
    app = create_app(store, base_url=BASE, clock=lambda: NOW, access=kit.access)
    return TestClient(app, headers=kit.headers("dr-test"))


def test_metadata_is_a_valid_capability_statement(client: TestClient) -> None:
    resp = client.get("/fhir/metadata")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith(FHIR_JSON)
    cap = CapabilityStatement.model_validate(resp.json())
    assert cap.fhirVersion == "4.0.1"
    types = {r.type for r in cap.rest[0].resource}
    assert {"Observation", "Patient", "RiskAssessment", "Task"} <= types


def test_read_returns_the_stored_resource_with_meta(client: TestClient) -> None:
    resp = client.get("/fhir/Observation/sleep-2")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith(FHIR_JSON)
    assert resp.headers["etag"] == 'W/"1"'
    obs = Observation.model_validate(resp.json())
    assert obs.valueQuantity.value == 380.0
    assert resp.json()["meta"]["versionId"] == "1"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/fhir/Observation/missing", "not-found"),
        ("/fhir/Patient/sleep-1", "not-found"),
        ("/fhir/Medication/x", "not-supported"),
        ("/fhir/Medication", "not-supported"),
    ],
)
def test_missing_or_unsupported_gives_404_operation_outcome(
    client: TestClient, path: str, code: str
) -> None:
    resp = client.get(path)
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith(FHIR_JSON)
    outcome = OperationOutcome.model_validate(resp.json())
    assert outcome.issue[0].code == code
    assert outcome.issue[0].severity == "error"


def test_search_by_patient_returns_a_searchset_bundle(client: TestClient) -> None:
    for query in ("patient=p1", "patient=Patient/p1"):
        resp = client.get(f"/fhir/Observation?{query}")
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith(FHIR_JSON)
        bundle = Bundle.model_validate(resp.json())
        assert bundle.type == "searchset"
        assert bundle.total == 2
        assert [e.fullUrl for e in bundle.entry] == [
            f"{BASE}/fhir/Observation/sleep-1",
            f"{BASE}/fhir/Observation/sleep-2",
        ]
        assert all(e.search.mode == "match" for e in bundle.entry)


def test_search_must_name_a_patient_and_a_patient_without_data_has_none(
    client: TestClient,
) -> None:
    refused = client.get("/fhir/Observation")
    assert refused.status_code == 403
    assert "must name one patient" in refused.json()["issue"][0]["diagnostics"]
    empty = client.get("/fhir/Observation?patient=p3").json()
    assert Bundle.model_validate(empty).total == 0
    assert "entry" not in empty


def test_api_is_read_only(client: TestClient) -> None:
    resp = client.post("/fhir/Observation", json=observation("new", "p1", 1.0))
    assert resp.status_code == 405
    assert client.delete("/fhir/Observation/sleep-1").status_code == 405
    assert client.get("/fhir/Observation/sleep-1").status_code == 200


def test_invalid_id_gives_400(client: TestClient) -> None:
    resp = client.get("/fhir/Observation/" + "x" * 65)
    assert resp.status_code == 400
    assert OperationOutcome.model_validate(resp.json()).issue[0].code == "invalid"


def test_healthz(client: TestClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"


def test_reads_and_searches_are_audited(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    before = len(store.fhir.search("AuditEvent"))
    obs = client.get("/fhir/Observation?patient=p1").json()["entry"][0]["resource"]
    client.get(f"/fhir/Observation/{obs['id']}")
    client.get("/fhir/Observation/does-not-exist")
    events = store.fhir.search("AuditEvent")
    assert len(events) == before + 3
    subtypes = sorted(e["subtype"][0]["code"] for e in events)
    assert subtypes == ["read", "read", "search-type"]
    read_ok = next(e for e in events if e["outcome"] == "0" and e["subtype"][0]["code"] == "read")
    assert {"reference": f"Observation/{obs['id']}"} in [x.get("what") for x in read_ok["entity"]]
    assert any(e["outcome"] == "4" for e in events)
