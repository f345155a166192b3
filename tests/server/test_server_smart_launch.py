"""SMART EHR launch with PKCE S256 against the simulated EHR authorisation server on 127.0.0.1:
the patient in context opens; a wrong verifier, an untrusted iss, a replayed state are refused."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from bedside.server import create_app
from bedside.server.live_server import live_server
from bedside.server.simulated_ehr_auth import SimulatedEhrAuth, pkce_challenge
from bedside.server.smart_launch import SmartLaunch
from bedside.store import MemoryStore

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
APP = "http://testserver"
CALLBACK = f"{APP}/smart/callback"


@pytest.fixture
def ehr() -> Iterator[SimulatedEhrAuth]:
    sim = SimulatedEhrAuth(clients={"bedside-dashboard": (CALLBACK,)})
    with live_server(sim.app()) as url:
        sim.base_url = url
        yield sim


@pytest.fixture
def dashboard(ehr: SimulatedEhrAuth, access_kit_factory: Any) -> Iterator[tuple[Any, TestClient]]:
    kit = access_kit_factory(lambda: NOW, ["p1"], audience=APP)
    with httpx.Client() as http:
        smart = SmartLaunch(
            client_id="bedside-dashboard",
            redirect_uri=CALLBACK,
            trusted_issuers=(ehr.fhir_base,),
            http=http,
        )
        app = create_app(
            MemoryStore(), base_url=APP, clock=lambda: NOW, access=kit.access, smart=smart
        )
        yield kit, TestClient(app, base_url=APP, follow_redirects=False)


def _authorize(ehr: SimulatedEhrAuth, client: TestClient, patient: str = "p1") -> httpx.Response:
    """The EHR launches the app; the browser follows the app's redirect to the EHR."""
    launch = ehr.new_launch("dr-test", "ehr-123", json.dumps({"bedsidePatientId": patient}))
    start = client.get("/smart/launch", params={"iss": ehr.fhir_base, "launch": launch})
    assert start.status_code == 302
    target = urlsplit(start.headers["location"])
    q = parse_qs(target.query)
    assert q["code_challenge_method"] == ["S256"]
    assert len(q["code_challenge"][0]) == 43  # base64url of a SHA-256 digest
    assert q["aud"] == [ehr.fhir_base]
    return httpx.get(start.headers["location"], follow_redirects=False)


def test_ehr_launch_opens_the_patient_in_context_with_a_session(
    ehr: SimulatedEhrAuth, dashboard: tuple[Any, TestClient]
) -> None:
    kit, client = dashboard
    back = _authorize(ehr, client)
    assert back.status_code == 302
    assert back.headers["location"].startswith(CALLBACK)
    done = client.get(back.headers["location"].removeprefix(APP))
    assert done.status_code == 200
    assert "url=/patients/p1" in done.text
    assert "bedside_session" in done.headers["set-cookie"]
    assert "samesite=strict" in done.headers["set-cookie"].lower()
    page = client.get("/patients/p1")
    assert page.status_code == 200
    assert "Patient p1" in page.text
    launches = [e for e in kit.entries() if e.action == "access.smart_launch"]
    assert [(e.actor, e.subject, e.outcome) for e in launches] == [("dr-test", "p1", "allowed")]
    assert ehr.issued == [{"client_id": "bedside-dashboard", "patient": "ehr-123"}]


def test_state_is_single_use_and_a_wrong_verifier_gets_no_token(
    ehr: SimulatedEhrAuth, dashboard: tuple[Any, TestClient]
) -> None:
    _kit, client = dashboard
    back = _authorize(ehr, client)
    q = parse_qs(urlsplit(back.headers["location"]).query)
    stolen = httpx.post(
        f"{ehr.fhir_base}/token",
        data={
            "grant_type": "authorization_code",
            "code": q["code"][0],
            "redirect_uri": CALLBACK,
            "client_id": "bedside-dashboard",
            "code_verifier": "x" * 64,  # an attacker with the code but not the verifier
        },
    )
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    # The code was consumed by the failed attempt: the app's own exchange now fails too.
    refused = client.get(back.headers["location"].removeprefix(APP))
    assert refused.status_code == 403
    again = client.get(back.headers["location"].removeprefix(APP))
    assert "unknown or expired launch state" in again.text
    assert ehr.issued == []


def test_an_untrusted_issuer_is_refused(
    ehr: SimulatedEhrAuth, dashboard: tuple[Any, TestClient]
) -> None:
    _kit, client = dashboard
    bad = client.get("/smart/launch", params={"iss": "http://127.0.0.1:1/fhir", "launch": "x"})
    assert bad.status_code == 403
    assert "not an EHR this clinic trusts" in bad.text


def test_pkce_challenge_matches_rfc7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
