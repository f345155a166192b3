"""Clinician access control: roles, care team, consent, tokens, log-in, and the audit of each."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bedside.domain import Evidence, Priority, Recommendation, Role
from bedside.privacy import Identity, PartyKind, sign_json
from bedside.server import create_app
from bedside.server.access_control import SESSION_COOKIE
from bedside.server.clinician_auth import ClinicianTokens
from bedside.store import MemoryStore

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"  # tests/server/conftest.py


def _rec(rec_id: str, patient: str) -> Recommendation:
    return Recommendation(
        id=rec_id,
        patient_id=patient,
        action="Consider reviewing sleep with the patient",
        priority=Priority.ROUTINE,
        created=NOW - dt.timedelta(hours=1),
        due=NOW + dt.timedelta(hours=5),
        expires=NOW + dt.timedelta(days=3),
        route=Role.THERAPIST,
        rationale="Sleep shortened.",
        evidence=[Evidence(kind="trend", label="Sleep", statement="Down 60 min/night")],
        protocol_id="sleep-drop",
        protocol_version="1.2.0",
        protocol_hash="f00d",
    )


@pytest.fixture
def kit(access_kit_factory: Any) -> Any:
    """p1 consents; p2's consent is revoked below; p3's expired yesterday."""
    kit = access_kit_factory(
        lambda: NOW, ["p1", "p2", "p3"], consent_until={"p3": NOW - dt.timedelta(days=1)}
    )
    kit.consents.revoke("consent-p2", NOW - dt.timedelta(hours=2))
    return kit


@pytest.fixture
def app(kit: Any) -> Any:
    store = MemoryStore(clock=lambda: NOW)
    for pid in ("p1", "p2", "p3", "p4"):
        store.recommendations.upsert(_rec(f"r-{pid}", pid))
        store.fhir.put({"resourceType": "Patient", "id": pid})
        store.fhir.put(
            {
                "resourceType": "Observation",
                "id": f"obs-{pid}",
                "status": "final",
                "code": {"text": "sleep"},
                "subject": {"reference": f"Patient/{pid}"},
            }
        )
    return create_app(store, clock=lambda: NOW, access=kit.access)


def _as(app: Any, kit: Any, who: str) -> TestClient:
    return TestClient(app, headers=kit.headers(who))


def _last(kit: Any) -> Any:
    return kit.entries()[-1]


@pytest.mark.parametrize("who", ["dr-test", "th-test"])
def test_psychiatrist_and_therapist_read_clinical_data_of_their_patient(
    app: Any, kit: Any, who: str
) -> None:
    client = _as(app, kit, who)
    assert client.get("/patients/p1").status_code == 200
    assert _last(kit).outcome == "allowed"
    assert _last(kit).actor == who
    assert _last(kit).subject == "p1"
    assert client.get("/fhir/Observation/obs-p1").status_code == 200
    assert client.get("/fhir/Observation?patient=p1").json()["total"] == 1


def test_queue_shows_only_care_team_patients_with_valid_consent(app: Any, kit: Any) -> None:
    html = _as(app, kit, "dr-test").get("/").text
    assert 'data-rec-id="r-p1"' in html
    for hidden in ("r-p2", "r-p3", "r-p4"):  # revoked, expired, not in the care team
        assert f'data-rec-id="{hidden}"' not in html
    assert _last(kit).action == "access.queue"
    assert _last(kit).detail["patients"] == ["p1"]
    assert "Logged in as dr-test (psychiatrist)" in html


def test_care_coordinator_sees_tasks_and_patients_but_not_findings(app: Any, kit: Any) -> None:
    client = _as(app, kit, "cc-test")
    assert 'data-rec-id="r-p1"' in client.get("/").text
    assert client.get("/fhir/Patient/p1").status_code == 200
    refused = client.get("/patients/p1")
    assert refused.status_code == 403
    assert "role care_coordinator may not read clinical" in refused.json()["detail"]
    assert client.get("/fhir/Observation/obs-p1").status_code == 403
    assert _last(kit).outcome == "denied"


def test_auditor_reads_the_audit_log_but_no_patient_data(app: Any, kit: Any) -> None:
    auditor = _as(app, kit, "aud-test")
    assert auditor.get("/").status_code == 403
    assert auditor.get("/fhir/Patient/p1").status_code == 403
    log = auditor.get("/audit/entries")
    assert log.status_code == 200
    outcomes = [(e["actor"], e["outcome"]) for e in log.json()["entries"]]
    assert ("aud-test", "denied") in outcomes
    assert _as(app, kit, "dr-test").get("/audit/entries").status_code == 403


def test_clinician_outside_the_care_team_is_refused_and_audited(app: Any, kit: Any) -> None:
    client = _as(app, kit, "dr-outside")
    for path in ("/patients/p1", "/fhir/Patient/p1", "/fhir/Task?patient=p1"):
        response = client.get(path)
        assert response.status_code == 403
        entry = _last(kit)
        assert (entry.actor, entry.subject, entry.outcome) == ("dr-outside", "p1", "denied")
        assert "not in the care team of patient p1" in entry.detail["reason"]
    assert "r-p1" not in client.get("/").text


@pytest.mark.parametrize(
    ("patient", "why"), [("p2", "revoked at"), ("p3", "expired at"), ("p4", "care team")]
)
def test_revoked_expired_or_foreign_patient_is_refused(
    app: Any, kit: Any, patient: str, why: str
) -> None:
    client = _as(app, kit, "dr-test")
    page = client.get(f"/patients/{patient}")
    assert page.status_code == 403
    assert why in page.json()["detail"]
    fhir = client.get(f"/fhir/Observation/obs-{patient}")
    assert fhir.status_code == 403
    assert fhir.json()["resourceType"] == "OperationOutcome"
    assert fhir.json()["issue"][0]["code"] == "forbidden"
    assert why in _last(kit).detail["reason"]


def test_missing_token_is_401_with_reason_and_audited(app: Any, kit: Any) -> None:
    client = TestClient(app)
    response = client.get("/fhir/Patient/p1")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["issue"][0]["code"] == "login"
    assert (_last(kit).actor, _last(kit).outcome) == ("anonymous", "denied")
    browser = client.get("/patients/p1", headers={"accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303
    assert browser.headers["location"] == "/login?next=/patients/p1"


def test_expired_token_is_refused(app: Any, kit: Any) -> None:
    old_clock = ClinicianTokens(
        kit.clinic, audience=kit.access.tokens.audience, clock=lambda: NOW - dt.timedelta(hours=9)
    )
    token = old_clock.issue(kit.access.roster.accounts["dr-test"])
    response = TestClient(app).get("/patients/p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert "expired" in _last(kit).detail["reason"]


def test_forged_token_is_refused(app: Any, kit: Any) -> None:
    mallory = Identity.generate(PartyKind.CLINIC_SERVICE)
    forged = ClinicianTokens(mallory, audience=kit.access.tokens.audience, clock=lambda: NOW)
    token = forged.issue(kit.access.roster.accounts["dr-test"])
    response = TestClient(app).get("/patients/p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "not issued by this clinic" in response.json()["detail"]
    # A clinic-signed token whose payload was altered (role escalated) fails its signature.
    head, payload, sig = kit.token("cc-test").split(".")
    other = kit.token("dr-test").split(".")[1]
    spliced = TestClient(app).get(
        "/patients/p1", headers={"Authorization": f"Bearer {head}.{other}.{sig}"}
    )
    assert spliced.status_code == 401
    assert payload != other


def test_wrong_audience_and_unknown_role_are_refused(app: Any, kit: Any) -> None:
    elsewhere = ClinicianTokens(kit.clinic, audience="https://other.example", clock=lambda: NOW)
    token = elsewhere.issue(kit.access.roster.accounts["dr-test"])
    response = TestClient(app).get("/patients/p1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "audience" in response.json()["detail"]
    claims = {
        "iss": kit.clinic.did, "aud": kit.access.tokens.audience, "sub": "cc-test",
        "role": "psychiatrist", "iat": int(NOW.timestamp()), "nbf": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 60, "jti": "x",
    }  # fmt: skip
    escalated = sign_json(kit.clinic, claims, typ="at+jwt")
    response = TestClient(app).get("/patients/p1", headers={"Authorization": f"Bearer {escalated}"})
    assert response.status_code == 401
    assert "not on the roster with role psychiatrist" in response.json()["detail"]


def test_browser_login_sets_a_strict_httponly_cookie_and_bad_password_is_audited(
    app: Any, kit: Any
) -> None:
    client = TestClient(app)
    form = client.get("/login?next=/patients/p1")
    assert '<label for="username">' in form.text
    assert '<label for="password">' in form.text
    bad = client.post("/login", data={"username": "dr-test", "password": "nope"})
    assert bad.status_code == 401
    assert "unknown user or wrong password" in bad.text
    assert (_last(kit).action, _last(kit).outcome) == ("access.login", "denied")
    ok = client.post(
        "/login",
        data={"username": "dr-test", "password": PASSWORD, "next": "/patients/p1"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/patients/p1"
    cookie = ok.headers["set-cookie"].lower()
    assert SESSION_COOKIE in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert client.get("/patients/p1").status_code == 200
    assert client.post("/logout", follow_redirects=False).status_code == 303


def test_login_redirects_only_to_local_paths(app: Any) -> None:
    response = TestClient(app).post(
        "/login",
        data={"username": "dr-test", "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_token_endpoint_for_api_clients(app: Any) -> None:
    client = TestClient(app)
    issued = client.post("/auth/token", json={"username": "th-test", "password": PASSWORD})
    assert issued.status_code == 200
    token = issued.json()["access_token"]
    read = client.get("/fhir/Patient/p1", headers={"Authorization": f"Bearer {token}"})
    assert read.status_code == 200
    refused = client.post("/auth/token", json={"username": "ghost", "password": PASSWORD})
    assert refused.status_code == 401


def test_every_decision_is_in_a_verifying_hash_chain(app: Any, kit: Any) -> None:
    from bedside.audit.sql_log import verify_audit_log

    _as(app, kit, "dr-test").get("/patients/p1")
    _as(app, kit, "dr-outside").get("/patients/p1")
    TestClient(app).get("/")
    assert len(kit.entries()) == 3
    assert verify_audit_log(kit.engine, trusted_did=kit.clinic.did) == []


def test_without_access_control_patient_routes_are_401() -> None:
    client = TestClient(create_app(MemoryStore(), clock=lambda: NOW))
    assert client.get("/").status_code == 401
    assert client.get("/fhir/Patient/p1").status_code == 401
    assert client.get("/fhir/metadata").status_code == 200


def test_repeated_failed_logins_lock_the_user_name(app: Any, kit: Any) -> None:
    client = TestClient(app)
    for _ in range(5):
        wrong = client.post("/auth/token", json={"username": "dr-test", "password": "guess"})
        assert wrong.status_code == 401
    locked = client.post("/auth/token", json={"username": "dr-test", "password": PASSWORD})
    assert locked.status_code == 429
    assert "too many failed log-ins" in locked.json()["detail"]
    assert (_last(kit).action, _last(kit).outcome) == ("access.login", "denied")
    other = client.post("/auth/token", json={"username": "th-test", "password": PASSWORD})
    assert other.status_code == 200
