"""CDS Hooks: EHR JWT authentication, prefetch fallback and 412, trend summary, order-select,
feedback. Request and feedback bodies follow the examples of the CDS Hooks 2.0 specification."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from bedside.domain import (
    Evidence,
    Finding,
    Phq9Response,
    Priority,
    Recommendation,
    RecommendationStatus,
    Role,
    TrendDirection,
    TrendFinding,
)
from bedside.fhir import phq9_observations
from bedside.server import (
    ORDER_SELECT_ID,
    SERVICE_ID,
    CdsJwtVerifier,
    TrustedIssuer,
    create_app,
)
from bedside.store import MemoryStore

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
BASE = "https://bedside.example.org"
EHR_ISS = "https://fhir-ehr.example.com/"
ES_KEY = ECKey.generate_key("P-384", parameters={"kid": "ehr-es"})
RS_KEY = RSAKey.generate_key(2048, parameters={"kid": "ehr-rs"})
PATIENT = "1288992"
EMPTY = {"resourceType": "Bundle", "type": "searchset", "total": 0}
PREFETCH = {"phq9": EMPTY, "medications": EMPTY, "conditions": EMPTY}


def _request(hook: str = "patient-view", **extra: Any) -> dict[str, Any]:
    """Shaped like the specification's example request (prefetch filled for every key)."""
    body: dict[str, Any] = {
        "hookInstance": str(uuid.uuid4()),
        "hook": hook,
        "context": {"userId": "Practitioner/example", "patientId": PATIENT, "encounterId": "89284"},
        "prefetch": dict(PREFETCH),
    }
    body.update(extra)
    return body


def _rec(rec_id: str, priority: Priority = Priority.URGENT) -> Recommendation:
    created = NOW - dt.timedelta(hours=1)
    return Recommendation(
        id=rec_id,
        patient_id=PATIENT,
        action="Consider contacting the patient within 72 h and administering a PHQ-9",
        priority=priority,
        created=created,
        due=created + dt.timedelta(hours=72),
        expires=created + dt.timedelta(days=7),
        route=Role.PSYCHIATRIST,
        rationale="Sleep shortened and activity fell; episode risk 42%.",
        evidence=[Evidence(kind="trend", label="Sleep duration", statement="Down 60 min")],
        protocol_id="relapse_watch",
        protocol_version="1.0.0",
        protocol_hash="f00d",
    )


def _trend(biomarker: str, direction: TrendDirection, adverse: bool) -> TrendFinding:
    return TrendFinding(
        biomarker=biomarker,
        direction=direction,
        onset_date=dt.date(2026, 2, 18),
        detection_date=dt.date(2026, 2, 27),
        size=-60.0 if direction == TrendDirection.DOWN else 0.05,
        robust_z=-2.4,
        false_alarm_rate_per_year=0.5,
        coverage=0.9,
        days_sustained=10,
        adverse=adverse,
    )


TRENDS = [
    _trend("sleep.duration_min", TrendDirection.DOWN, True),
    _trend("activity.mean_counts", TrendDirection.DOWN, True),
    _trend("circadian.interdaily_stability", TrendDirection.UP, False),
]


def _store(findings_date: dt.date = dt.date(2026, 2, 28)) -> MemoryStore:
    store = MemoryStore()
    store.recommendations.upsert(_rec("r-urgent"))
    store.findings.add(
        Finding(patient_id=PATIENT, date=findings_date, trends=TRENDS, device_id="watch-1")
    )
    return store


def _app(store: MemoryStore, verifier: CdsJwtVerifier | None = None, ehr: Any = None) -> TestClient:
    http = httpx.Client(transport=httpx.MockTransport(ehr or (lambda r: httpx.Response(500))))
    return TestClient(
        create_app(store, base_url=BASE, clock=lambda: NOW, cds_verifier=verifier, ehr_http=http)
    )


def _verifier() -> CdsJwtVerifier:
    jwks = {"keys": [ES_KEY.as_dict(private=False), RS_KEY.as_dict(private=False)]}
    return CdsJwtVerifier([TrustedIssuer(EHR_ISS, jwks)], clock=lambda: NOW)


def _token(
    aud: str = f"{BASE}/cds-services/{SERVICE_ID}",
    alg: str = "ES384",
    key: Any = None,
    **claims: Any,
) -> str:
    """A CDS client JWT shaped like the specification's example (header and claims)."""
    body = {
        "iss": EHR_ISS,
        "sub": "client_id",
        "aud": aud,
        "exp": int((NOW + dt.timedelta(minutes=5)).timestamp()),
        "iat": int(NOW.timestamp()),
        "jti": str(uuid.uuid4()),
        "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2",
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    signer = key or (ES_KEY if alg == "ES384" else RS_KEY)
    kid = getattr(signer, "kid", None) or "ehr-es"
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    return jwt.encode(header, body, signer, algorithms=[alg])


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _post(
    client: TestClient, token: str | None, body: dict[str, Any], service: str = SERVICE_ID
) -> httpx.Response:
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    return client.post(f"/cds-services/{service}", json=body, headers=headers)


def _audits(store: MemoryStore) -> list[dict[str, Any]]:
    return store.fhir.search("AuditEvent")


# -- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_valid_jwt_is_accepted_and_audited(alg: str) -> None:
    store = _store()
    client = _app(store, _verifier())
    resp = _post(client, _token(alg=alg), _request())
    assert resp.status_code == 200, resp.text
    (event,) = _audits(store)
    assert event["outcome"] == "0"
    assert event["agent"][0]["who"]["identifier"]["value"] == EHR_ISS
    assert event["entity"][0]["role"]["code"] == "1"  # the patient


def _none_token() -> str:
    claims = json.loads(base64.urlsafe_b64decode(_token().split(".")[1] + "=="))
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def _hmac_token() -> str:
    secret = OctKey.generate_key(384)
    return jwt.encode(
        {"alg": "HS384", "kid": "ehr-es"}, {"iss": EHR_ISS}, secret, algorithms=["HS384"]
    )


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda: None, "missing Authorization"),
        (lambda: "not-a-jwt", "compact JWS"),
        (_none_token, "'none' not accepted"),
        (_hmac_token, "'HS384' not accepted"),
        (lambda: _token(iss="https://evil.example.com/"), "not trusted"),
        (lambda: _token(aud=f"{BASE}/cds-services/other"), "aud"),
        (lambda: _token(aud=f"{BASE}/cds-services/{SERVICE_ID}/"), "aud"),
        (lambda: _token(exp=int((NOW - dt.timedelta(minutes=2)).timestamp())), "expired"),
        (lambda: _token(exp=None), "exp claim missing"),
        (lambda: _token(iat=int((NOW + dt.timedelta(minutes=5)).timestamp())), "future"),
        (lambda: _token(iat=int((NOW - dt.timedelta(hours=1)).timestamp())), "too old"),
        (lambda: _token(jti=None), "jti claim missing"),
        (
            lambda: _token(key=ECKey.generate_key("P-384", parameters={"kid": "ehr-es"})),
            "signature",
        ),
        (lambda: _token(key=ECKey.generate_key("P-384", parameters={"kid": "other"})), "kid"),
    ],
)
def test_bad_tokens_get_401_with_reason_and_audit(make_token: Any, reason: str) -> None:
    store = _store()
    client = _app(store, _verifier())
    resp = _post(client, make_token(), _request())
    assert resp.status_code == 401, resp.text
    assert reason in resp.json()["reason"]
    (event,) = _audits(store)
    assert event["outcome"] == "4"
    assert reason in event["outcomeDesc"]


def test_jti_is_single_use() -> None:
    store = _store()
    client = _app(store, _verifier())
    token = _token()
    assert _post(client, token, _request()).status_code == 200
    replay = _post(client, token, _request())
    assert replay.status_code == 401
    assert "replay" in replay.json()["reason"]


def test_authenticated_malformed_body_gets_400_and_audit() -> None:
    store = _store()
    client = _app(store, _verifier())
    resp = _post(client, _token(), {"hook": "patient-view"})
    assert resp.status_code == 400
    assert "hookInstance" in resp.json()["reason"]
    assert _audits(store)[0]["outcome"] == "4"


# -- prefetch ------------------------------------------------------------------------------------


def test_412_when_neither_prefetch_nor_fhir_access_gives_the_data() -> None:
    client = _app(_store())
    body = _request()
    del body["prefetch"]["medications"]
    resp = _post(client, None, body)
    assert resp.status_code == 412
    assert "medications" in resp.json()["reason"]
    body["prefetch"]["conditions"] = None  # null = the EHR could not prefetch it
    resp = _post(client, None, body)
    assert resp.status_code == 412
    assert resp.json()["details"] == [{"missing": ["medications", "conditions"]}]


def test_412_when_the_fhir_fallback_fails() -> None:
    client = _app(_store(), ehr=lambda r: httpx.Response(503))
    body = _request(
        fhirServer="https://ehr.example.org/fhir",
        fhirAuthorization={"access_token": "t", "token_type": "Bearer", "expires_in": 300},
    )
    del body["prefetch"]["phq9"]
    resp = _post(client, None, body)
    assert resp.status_code == 412
    assert "503" in resp.json()["reason"]


def test_prefetched_phq9_and_medications_appear_in_the_detail() -> None:
    phq = Phq9Response(
        patient_id=PATIENT, date=dt.date(2026, 2, 20), items=[2, 2, 1, 2, 1, 1, 1, 1, 1]
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in phq9_observations(phq)],
    }
    med = {
        "resourceType": "MedicationRequest",
        "id": "m1",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "Sertraline 50 mg tablet"},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "authoredOn": "2026-01-05",
    }
    body = _request()
    body["prefetch"] = {
        **PREFETCH,
        "phq9": bundle,
        "medications": {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": med}],
        },
    }
    cards = _post(_app(_store()), None, body).json()["cards"]
    detail = cards[0]["detail"]
    assert "Latest PHQ-9 (2026-02-20): total 12, item 9 = 1" in detail
    assert "sertraline 50 mg tablet" in detail


def test_malformed_prefetch_gets_400_naming_the_resource() -> None:
    body = _request()
    body["prefetch"]["conditions"] = {"resourceType": "Condition", "id": "c9"}
    resp = _post(_app(_store()), None, body)
    assert resp.status_code == 400
    assert "Condition/c9" in resp.json()["reason"]


# -- patient-view trend summary ------------------------------------------------------------------


def test_trend_summary_card_lists_recent_verified_trends() -> None:
    cards = _post(_app(_store()), None, _request()).json()["cards"]
    rec_card, summary = cards
    assert rec_card["indicator"] == "warning"
    assert summary["indicator"] == "info"
    assert summary["summary"] == "3 verified biomarker trend(s), 2 adverse, as of 2026-02-28"
    lines = [line for line in summary["detail"].splitlines() if line.startswith("- ")]
    assert any(line.startswith("- Sleep duration down 60 min since 2026-02-18") for line in lines)
    assert any(line.startswith("- Mean activity down 60 counts/min") for line in lines)
    assert "Interdaily stability up" in lines[2]  # the non-adverse trend comes last


def test_no_trend_card_for_an_old_finding() -> None:
    cards = _post(_app(_store(dt.date(2026, 1, 2))), None, _request()).json()["cards"]
    assert len(cards) == 1


# -- order-select --------------------------------------------------------------------------------

SPEC_ORDER_SELECT_DRAFTS: dict[str, Any] = {
    "resourceType": "Bundle",
    "entry": [
        {
            "resource": {
                "resourceType": "NutritionOrder",
                "id": "pureeddiet-simple",
                "status": "draft",
                "patient": {"reference": "Patient/1288992"},
                "dateTime": "2014-09-17",
            }
        },
        {
            "resource": {
                "resourceType": "MedicationRequest",
                "id": "smart-MedicationRequest-103",
                "status": "draft",
                "intent": "order",
                "medicationCodeableConcept": {
                    "coding": [
                        {
                            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                            "code": "617993",
                            "display": "Amoxicillin 120 MG/ML / clavulanate potassium 8.58 MG/ML "
                            "Oral Suspension",
                        }
                    ]
                },
                "subject": {"reference": "Patient/1288992"},
            }
        },
    ],
}
SPEC_SELECTIONS = [
    "NutritionOrder/pureeddiet-simple",
    "MedicationRequest/smart-MedicationRequest-103",
]


def _order_request(drafts: dict[str, Any], selections: list[str]) -> dict[str, Any]:
    body = _request("order-select")
    body["context"] = {
        "userId": "PractitionerRole/123",
        "patientId": PATIENT,
        "encounterId": "89284",
        "selections": selections,
        "draftOrders": drafts,
    }
    return body


def test_spec_order_select_example_gets_no_card() -> None:
    resp = _post(
        _app(_store()),
        None,
        _order_request(SPEC_ORDER_SELECT_DRAFTS, SPEC_SELECTIONS),
        ORDER_SELECT_ID,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"cards": []}


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.mark.parametrize(
    ("coding", "expected"),
    [
        ({"system": RXNORM, "code": "36437", "display": "sertraline"}, "Ordering sertraline"),
        (
            {"system": RXNORM, "code": "854873", "display": "Zolpidem tartrate 5 MG Oral Tablet"},
            "Ordering zolpidem",
        ),
        (
            {"system": RXNORM, "code": "1", "display": "Escitalopram 10 MG"},
            "Ordering escitalopram",
        ),
    ],
)
def test_psychotropic_order_gets_trends_and_open_recommendations(
    coding: dict[str, str], expected: str
) -> None:
    drafts = copy.deepcopy(SPEC_ORDER_SELECT_DRAFTS)
    drafts["entry"][1]["resource"]["medicationCodeableConcept"] = {"coding": [coding]}
    resp = _post(_app(_store()), None, _order_request(drafts, SPEC_SELECTIONS), ORDER_SELECT_ID)
    assert resp.status_code == 200, resp.text
    (card,) = resp.json()["cards"]
    assert card["summary"].startswith(expected)
    assert "2 sleep/activity trend(s), 1 open recommendation(s)" in card["summary"]
    assert card["indicator"] == "warning"  # an urgent recommendation is open
    assert "Sleep duration down" in card["detail"]
    assert "Interdaily stability" not in card["detail"]  # only sleep and activity trends
    assert "[urgent] Consider contacting" in card["detail"]


def test_unselected_draft_orders_do_not_trigger() -> None:
    drafts = copy.deepcopy(SPEC_ORDER_SELECT_DRAFTS)
    drafts["entry"][1]["resource"]["medicationCodeableConcept"] = {"text": "Sertraline 50 mg"}
    body = _order_request(drafts, ["NutritionOrder/pureeddiet-simple"])
    assert _post(_app(_store()), None, body, ORDER_SELECT_ID).json() == {"cards": []}


@pytest.mark.parametrize(
    ("context_change", "field"),
    [
        ({"selections": []}, "selections"),
        ({"draftOrders": None}, "draftOrders"),
        ({"selections": ["MedicationRequest/missing"]}, "not in draftOrders"),
    ],
)
def test_malformed_order_select_context_gets_400(
    context_change: dict[str, Any], field: str
) -> None:
    body = _order_request(SPEC_ORDER_SELECT_DRAFTS, SPEC_SELECTIONS)
    body["context"].update(context_change)
    resp = _post(_app(_store()), None, body, ORDER_SELECT_ID)
    assert resp.status_code == 400
    assert field in resp.json()["reason"]


# -- feedback ------------------------------------------------------------------------------------


def _feedback(client: TestClient, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    return client.post(f"/cds-services/{SERVICE_ID}/feedback", json=body, headers=headers)


def test_accepted_feedback_updates_the_recommendation_with_provenance() -> None:
    store = _store()
    client = _app(store)
    card = _post(client, None, _request()).json()["cards"][0]
    suggestion = card["suggestions"][0]["uuid"]
    body = {  # the specification's "suggestion accepted" example, with our uuids
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": suggestion}],
                "outcomeTimestamp": "2026-03-01T12:05:31Z",
            }
        ]
    }
    resp = _feedback(client, body)
    assert resp.status_code == 200
    assert resp.json() == {"recorded": [card["uuid"]], "unknown": []}
    rec = store.recommendations.get("r-urgent")
    assert rec is not None
    assert rec.status == RecommendationStatus.ACCEPTED
    (change,) = store.recommendations.history("r-urgent")
    assert change.who == "Practitioner/example"
    assert suggestion in change.reason
    (prov,) = store.fhir.search("Provenance")
    assert prov["agent"][0]["who"]["identifier"]["value"] == "Practitioner/example"


def test_overridden_feedback_records_the_reason() -> None:
    store = _store()
    client = _app(store)
    card = _post(client, None, _request()).json()["cards"][0]
    body = {  # the specification's "overridden guidance with overrideReason" example
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {
                        "code": "already-addressed",
                        "system": card["overrideReasons"][0]["system"],
                    },
                    "userComment": "A comment entered by the clinician.",
                },
                "outcomeTimestamp": "2026-03-01T12:10:00Z",
            }
        ]
    }
    assert _feedback(client, body).status_code == 200
    rec = store.recommendations.get("r-urgent")
    assert rec is not None
    assert rec.status == RecommendationStatus.DISMISSED
    (change,) = store.recommendations.history("r-urgent")
    assert "already-addressed" in change.reason
    assert "A comment entered by the clinician." in change.reason


def test_feedback_for_unknown_card_and_malformed_feedback() -> None:
    client = _app(_store())
    unknown = {
        "feedback": [
            {
                "card": "f6b95768-b1c8-40dc-8385-bf3504b82ffb",
                "outcome": "overridden",
                "outcomeTimestamp": "2020-12-11T00:00:00Z",
            }
        ]
    }
    resp = _feedback(client, unknown)
    assert resp.status_code == 200
    assert resp.json()["unknown"] == ["f6b95768-b1c8-40dc-8385-bf3504b82ffb"]
    bad = {
        "feedback": [{"card": "x", "outcome": "maybe", "outcomeTimestamp": "2020-12-11T00:00:00Z"}]
    }
    resp = _feedback(client, bad)
    assert resp.status_code == 400
    assert "outcome" in resp.json()["reason"]


def test_feedback_needs_a_token_for_the_feedback_url() -> None:
    store = _store()
    client = _app(store, _verifier())
    body = {
        "feedback": [
            {"card": "c", "outcome": "overridden", "outcomeTimestamp": "2020-12-11T00:00:00Z"}
        ]
    }
    assert _feedback(client, body).status_code == 401
    assert _feedback(client, body, _token()).status_code == 401  # aud = the service URL
    ok = _feedback(client, body, _token(aud=f"{BASE}/cds-services/{SERVICE_ID}/feedback"))
    assert ok.status_code == 200
