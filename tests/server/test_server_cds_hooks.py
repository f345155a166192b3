"""CDS Hooks 2.0 service: contract tests built from the specification's JSON examples."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bedside.domain import Evidence, Priority, Recommendation, RecommendationStatus, Role
from bedside.server import ORDER_SELECT_ID, SERVICE_ID, create_app
from bedside.store import MemoryStore

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
BASE = "https://bedside.example.org"

# -- Examples from the CDS Hooks 2.0 specification (https://cds-hooks.hl7.org/2.0/) --------------
SPEC_DISCOVERY_EXAMPLE: dict[str, Any] = {
    "services": [
        {
            "hook": "patient-view",
            "title": "Static CDS Service Example",
            "description": "An example of a CDS Service that returns a static set of cards",
            "id": "static-patient-greeter",
            "prefetch": {"patientToGreet": "Patient/{{context.patientId}}"},
        },
        {
            "hook": "order-select",
            "title": "Order Echo CDS Service",
            "description": (
                "An example of a CDS Service that simply echoes the order(s) being placed"
            ),
            "id": "order-echo",
            "prefetch": {
                "patient": "Patient/{{context.patientId}}",
                "medications": "MedicationRequest?patient={{context.patientId}}",
            },
        },
    ]
}
SPEC_REQUEST_EXAMPLE: dict[str, Any] = {
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer": "http://hooks.smarthealthit.org:9080",
    "hook": "patient-view",
    "fhirAuthorization": {
        "access_token": "some-opaque-fhir-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Patient.read patient/Observation.read",
        "subject": "cds-service4",
    },
    "context": {"userId": "Practitioner/example", "patientId": "1288992", "encounterId": "89284"},
    "prefetch": {
        "patientToGreet": {
            "resourceType": "Patient",
            "gender": "male",
            "birthDate": "1925-12-23",
            "id": "1288992",
            "active": True,
        }
    },
}
SPEC_RESPONSE_EXAMPLE_CARD: dict[str, Any] = {
    "uuid": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
    "summary": "Example Card",
    "indicator": "info",
    "detail": "This is an example card.",
    "source": {
        "label": "Static CDS Service Example",
        "url": "https://example.com",
        "icon": "https://example.com/img/icon-100px.png",
    },
    # suggestion, action, selectionBehavior and overrideReasons examples of the same section
    "suggestions": [
        {
            "label": "A label for this suggestion",
            "uuid": "e56e1945-20b3-4393-8503-a1a20fd73152",
            "isRecommended": True,
            "actions": [
                {
                    "type": "create",
                    "description": "Create a prescription for Acetaminophen 250 MG",
                    "resource": {"resourceType": "MedicationRequest", "id": "medrx001"},
                }
            ],
        }
    ],
    "selectionBehavior": "at-most-one",
    "overrideReasons": [
        {
            "code": "reason-code-provided-by-service",
            "system": "http://example.org/cds-services/fhir/CodeSystem/override-reasons",
            "display": "Patient refused",
        },
        {
            "code": "12354",
            "system": "http://example.org/cds-services/fhir/CodeSystem/override-reasons",
            "display": "Contraindicated",
        },
    ],
    "links": [
        {"label": "Google", "url": "https://google.com", "type": "absolute"},
        {
            "label": "SMART Example App",
            "url": "https://smart.example.com/launch",
            "type": "smart",
            "appContext": '{"session":3456356,"settings":{"module":4235}}',
        },
    ],
}
FREE_FORM_KEYS = (".prefetch",)
FHIR_RESOURCE_KEYS = (".resource",)  # a FHIR resource, checked by the FHIR validators instead
SPEC_SERVICE_FIELDS = {"hook", "title", "description", "id", "prefetch", "usageRequirements"}
SPEC_CARD_FIELDS = {
    "uuid", "summary", "detail", "indicator", "source", "suggestions", "selectionBehavior",
    "overrideReasons", "links",
}  # fmt: skip
SPEC_SOURCE_FIELDS = {"label", "url", "icon", "topic"}
SPEC_LINK_FIELDS = {"label", "url", "type", "appContext", "autolaunchable"}
SPEC_SUGGESTION_FIELDS = {"label", "uuid", "isRecommended", "actions"}
SPEC_ACTION_FIELDS = {"type", "description", "resource", "resourceId"}
EMPTY_SEARCHSET = {"resourceType": "Bundle", "type": "searchset", "total": 0}


class FakeEhr:
    """The EHR's FHIR server for prefetch fallbacks: answers every search with one Bundle."""

    def __init__(self, body: dict[str, Any] | None = None, status: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.body = body or EMPTY_SEARCHSET
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def assert_shaped_like(actual: Any, example: Any, where: str = "$") -> None:
    """Every key of `actual` occurs in `example` with a value of the same JSON type (recursive)."""
    assert type(actual) is type(example), f"{where}: {type(actual)} vs {type(example)}"
    if isinstance(example, dict) and where.endswith(FHIR_RESOURCE_KEYS):
        assert isinstance(actual.get("resourceType"), str), where
    elif isinstance(example, dict) and where.endswith(FREE_FORM_KEYS):
        # prefetch keys are chosen by the service; values are template strings
        (template,) = set(map(type, example.values()))
        assert all(type(v) is template for v in actual.values()), where
    elif isinstance(example, dict):
        for key, value in actual.items():
            assert key in example, f"{where}: unexpected field {key!r}"
            assert_shaped_like(value, example[key], f"{where}.{key}")
    elif isinstance(example, list) and example and actual:
        # the example's items together show every field an item may have
        union = example[0]
        if all(isinstance(e, dict) for e in example):
            union = {k: v for e in example for k, v in e.items()}
        for i, item in enumerate(actual):
            assert_shaped_like(item, union, f"{where}[{i}]")


def rec(
    rec_id: str,
    patient: str = "1288992",
    priority: Priority = Priority.ROUTINE,
    due_h: float = 24,
    status: RecommendationStatus = RecommendationStatus.OPEN,
    expires_h: float = 96,
    action: str = "Consider a check-in call about the patient's sleep",
    model: str | None = "episode-risk",
) -> Recommendation:
    created = NOW - dt.timedelta(hours=1)
    return Recommendation(
        id=rec_id,
        patient_id=patient,
        action=action,
        priority=priority,
        created=created,
        due=created + dt.timedelta(hours=due_h),
        expires=created + dt.timedelta(hours=max(due_h, expires_h)),
        route=Role.PSYCHIATRIST,
        rationale="Sleep has shortened for nine days and episode risk rose.",
        evidence=[
            Evidence(
                kind="trend", label="Sleep duration", statement="Down 71 min/night since 2026-02-20"
            ),
            Evidence(kind="risk", label="Episode risk", statement="42% (30-55%) within 14 days"),
        ],
        protocol_id="sleep-drop",
        protocol_version="1.2.0",
        protocol_hash="f00d",
        model_id=model,
        model_version="0.3.1" if model else None,
        status=status,
    )


@pytest.fixture
def ehr() -> FakeEhr:
    return FakeEhr()


@pytest.fixture
def client(ehr: FakeEhr) -> TestClient:
    store = MemoryStore()
    for r in [
        rec("routine", priority=Priority.ROUTINE, due_h=2),
        rec("crisis", priority=Priority.CRITICAL, due_h=4),
        rec("urgent", priority=Priority.URGENT, due_h=1, model=None),
        rec("closed", priority=Priority.CRITICAL, status=RecommendationStatus.DISMISSED),
        rec("expired", priority=Priority.CRITICAL, due_h=0.5, expires_h=0.5),
        rec("other", patient="someone-else", priority=Priority.CRITICAL),
    ]:
        store.recommendations.upsert(r)
    app = create_app(store, base_url=BASE + "/", clock=lambda: NOW, ehr_http=ehr.client())
    return TestClient(app)


def test_discovery_is_shaped_like_the_spec_example(client: TestClient) -> None:
    resp = client.get("/cds-services")
    assert resp.status_code == 200
    body = resp.json()
    assert_shaped_like(body, SPEC_DISCOVERY_EXAMPLE)
    view, order = body["services"]
    for service in (view, order):
        assert set(service) <= SPEC_SERVICE_FIELDS
        assert {"hook", "description", "id"} <= set(service)
        assert set(service["prefetch"]) == {"patient", "phq9", "medications", "conditions"}
        assert all("{{context.patientId}}" in t for t in service["prefetch"].values())
    assert (view["id"], view["hook"]) == (SERVICE_ID, "patient-view")
    assert (order["id"], order["hook"]) == (ORDER_SELECT_ID, "order-select")
    assert "44261-6" in view["prefetch"]["phq9"]


def test_spec_request_gets_cards_for_open_recommendations_in_priority_order(
    client: TestClient, ehr: FakeEhr
) -> None:
    resp = client.post(f"/cds-services/{SERVICE_ID}", json=SPEC_REQUEST_EXAMPLE)
    assert resp.status_code == 200, resp.text
    cards = resp.json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical", "warning", "info"]
    for card in cards:
        assert_shaped_like(card, SPEC_RESPONSE_EXAMPLE_CARD)
        assert set(card) <= SPEC_CARD_FIELDS
        assert set(card["source"]) <= SPEC_SOURCE_FIELDS
        assert all(set(link) <= SPEC_LINK_FIELDS for link in card["links"])
        assert {"summary", "indicator", "source"} <= set(card)
        assert 0 < len(card["summary"]) < 140
        assert card["source"] == {"label": "Bedside", "url": BASE}
        assert card["links"][0]["type"] == "absolute"
        assert card["links"][0]["url"] == f"{BASE}/patients/1288992"
        smart = card["links"][1]
        assert smart["type"] == "smart"
        assert json.loads(smart["appContext"]) == {"bedsidePatientId": "1288992"}
        assert smart["url"] == f"{BASE}/smart/launch"
        uuid.UUID(card["uuid"])
        assert card["selectionBehavior"] == "at-most-one"
        assert [r["code"] for r in card["overrideReasons"]]
        assert all(r["display"] for r in card["overrideReasons"])  # the spec's MUST
        (suggestion,) = card["suggestions"]
        assert set(suggestion) <= SPEC_SUGGESTION_FIELDS
        uuid.UUID(suggestion["uuid"])
        for action in suggestion["actions"]:
            assert set(action) <= SPEC_ACTION_FIELDS
            assert action["type"] == "create"
            resource = action["resource"]
            subject = resource.get("for") or resource.get("subject")
            assert subject == {"reference": "Patient/1288992"}  # the EHR's own patient id
            assert "id" not in resource
        kinds = {a["resource"]["resourceType"] for a in suggestion["actions"]}
        assert kinds in ({"Task", "ServiceRequest"}, {"Task", "CommunicationRequest"})
    assert len({c["uuid"] for c in cards}) == 3
    # the spec example prefetches only the patient: the rest came from its FHIR server
    paths = sorted(r.url.path for r in ehr.requests)
    assert paths == ["/Condition", "/MedicationRequest", "/Observation"]
    auth = {r.headers["authorization"] for r in ehr.requests}
    assert auth == {"Bearer some-opaque-fhir-access-token"}


def test_card_detail_lists_evidence_protocol_and_model(client: TestClient) -> None:
    cards = client.post(f"/cds-services/{SERVICE_ID}", json=SPEC_REQUEST_EXAMPLE).json()["cards"]
    crisis, urgent, _ = cards
    assert "- Sleep duration: Down 71 min/night since 2026-02-20" in crisis["detail"]
    assert "- Episode risk: 42% (30-55%) within 14 days" in crisis["detail"]
    assert "`sleep-drop` version 1.2.0" in crisis["detail"]
    assert "`episode-risk` version 0.3.1" in crisis["detail"]
    assert "Model:" not in urgent["detail"]


def test_card_uuids_differ_between_hook_instances(client: TestClient) -> None:
    other = {**SPEC_REQUEST_EXAMPLE, "hookInstance": str(uuid.uuid4())}
    a = client.post(f"/cds-services/{SERVICE_ID}", json=SPEC_REQUEST_EXAMPLE).json()["cards"]
    b = client.post(f"/cds-services/{SERVICE_ID}", json=other).json()["cards"]
    assert {c["uuid"] for c in a}.isdisjoint(c["uuid"] for c in b)


def test_long_action_summary_is_cut_below_140_characters(ehr: FakeEhr) -> None:
    store = MemoryStore()
    store.recommendations.upsert(rec("long", action="Consider " + "x" * 300))
    client = TestClient(create_app(store, base_url=BASE, clock=lambda: NOW, ehr_http=ehr.client()))
    (card,) = client.post(f"/cds-services/{SERVICE_ID}", json=SPEC_REQUEST_EXAMPLE).json()["cards"]
    assert len(card["summary"]) < 140


def test_patient_without_open_recommendations_gets_no_cards(client: TestClient) -> None:
    request = {**SPEC_REQUEST_EXAMPLE, "context": {"userId": "Practitioner/1", "patientId": "p0"}}
    resp = client.post(f"/cds-services/{SERVICE_ID}", json=request)
    assert resp.status_code == 200
    assert resp.json() == {"cards": []}


def _without(path: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        **SPEC_REQUEST_EXAMPLE,
        "context": dict(SPEC_REQUEST_EXAMPLE["context"]),
    }
    parent, _, key = path.rpartition(".")
    del (body[parent] if parent else body)[key]
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_without("hook"), "hook"),
        (_without("hookInstance"), "hookInstance"),
        (_without("context"), "context"),
        (_without("context.patientId"), "context.patientId"),
        (_without("context.userId"), "context.userId"),
        ({**SPEC_REQUEST_EXAMPLE, "hookInstance": "not-a-uuid"}, "hookInstance"),
        ({**SPEC_REQUEST_EXAMPLE, "hook": "order-sign"}, "order-sign"),
        ({**SPEC_REQUEST_EXAMPLE, "hook": "order-select"}, "order-select"),
        ([1, 2, 3], "body"),
    ],
)
def test_malformed_requests_get_400_naming_the_problem(
    client: TestClient, body: Any, field: str
) -> None:
    resp = client.post(f"/cds-services/{SERVICE_ID}", json=body)
    assert resp.status_code == 400
    assert resp.headers["content-type"].startswith("application/json")
    assert field in resp.json()["reason"]


def test_invalid_json_gets_400(client: TestClient) -> None:
    resp = client.post(
        f"/cds-services/{SERVICE_ID}",
        content=b'{"hook": "patient-view",',
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 400
    assert "not valid JSON" in resp.json()["reason"]
