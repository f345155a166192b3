"""CDS Hooks 2.0 service: contract tests built from the specification's JSON examples."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bedside.domain import Evidence, Priority, Recommendation, RecommendationStatus, Role
from bedside.server import SERVICE_ID, create_app
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
SPEC_SERVICE_FIELDS = {"hook", "title", "description", "id", "prefetch", "usageRequirements"}
SPEC_CARD_FIELDS = {
    "uuid", "summary", "detail", "indicator", "source", "suggestions", "selectionBehavior",
    "overrideReasons", "links",
}  # fmt: skip
SPEC_SOURCE_FIELDS = {"label", "url", "icon", "topic"}
SPEC_LINK_FIELDS = {"label", "url", "type", "appContext"}


def assert_shaped_like(actual: Any, example: Any, where: str = "$") -> None:
    """Every key of `actual` occurs in `example` with a value of the same JSON type (recursive)."""
    assert type(actual) is type(example), f"{where}: {type(actual)} vs {type(example)}"
    if isinstance(example, dict) and where.endswith(FREE_FORM_KEYS):
        # prefetch keys are chosen by the service; values are template strings
        (template,) = set(map(type, example.values()))
        assert all(type(v) is template for v in actual.values()), where
    elif isinstance(example, dict):
        for key, value in actual.items():
            assert key in example, f"{where}: unexpected field {key!r}"
            assert_shaped_like(value, example[key], f"{where}.{key}")
    elif isinstance(example, list) and example and actual:
        for i, item in enumerate(actual):
            assert_shaped_like(item, example[0], f"{where}[{i}]")


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
def client() -> TestClient:
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
    return TestClient(create_app(store, base_url=BASE + "/", clock=lambda: NOW))


def test_discovery_is_shaped_like_the_spec_example(client: TestClient) -> None:
    resp = client.get("/cds-services")
    assert resp.status_code == 200
    body = resp.json()
    assert_shaped_like(body, SPEC_DISCOVERY_EXAMPLE)
    (service,) = body["services"]
    assert set(service) <= SPEC_SERVICE_FIELDS
    assert {"hook", "description", "id"} <= set(service)
    assert service["id"] == SERVICE_ID
    assert service["hook"] == "patient-view"
    assert service["prefetch"] == {"patient": "Patient/{{context.patientId}}"}


def test_spec_request_gets_cards_for_open_recommendations_in_priority_order(
    client: TestClient,
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
        uuid.UUID(card["uuid"])
    assert len({c["uuid"] for c in cards}) == 3


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


def test_long_action_summary_is_cut_below_140_characters() -> None:
    store = MemoryStore()
    store.recommendations.upsert(rec("long", action="Consider " + "x" * 300))
    client = TestClient(create_app(store, base_url=BASE, clock=lambda: NOW))
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
