"""SMART Backend Services client + outbox against a real FHIR server on 127.0.0.1.

The server is ``node/src/fhir-server.mjs``: @medplum/fhir-router over its MemoryRepository,
validating every write with @medplum/core, with a token endpoint that verifies the client's JWT
assertion against the registered JWKS. One server per module (it takes a few seconds to load the
R4 definitions); every test uses its own patient so counts do not interfere.
"""

from __future__ import annotations

import copy
import datetime as dt
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from bedside.domain import ConfigurationError, Finding, Phq9Response, Recommendation
from bedside.fhir import (
    READ_SCOPES,
    ClientKey,
    EhrAuthError,
    EhrPusher,
    LocalFhirServer,
    MemoryOutbox,
    OutboxStatus,
    RetryPolicy,
    SmartBackendClient,
    SqliteOutbox,
    finding_bundle,
    patient_ref,
    phq9_observations,
    phq9_questionnaire_response,
    read_patient_context,
    write_scopes,
)
from bedside.fhir.codes import SID, identifier
from bedside.fhir.ehr_reader import ehr_patient_ids

ZONE = "Europe/Oslo"
NOW = dt.datetime(2026, 4, 3, 6, 0, tzinfo=dt.UTC)
ES_KEY = ClientKey.generate("ES384", kid="es-1")
RS_KEY = ClientKey.generate("RS384", kid="rs-1")
WRITTEN = ["Observation", "RiskAssessment", "Task", "Provenance", "Patient", "Device"]
EHR_SIDE = ["QuestionnaireResponse", "MedicationRequest", "MedicationStatement"]
SCOPES = write_scopes(WRITTEN + EHR_SIDE) + READ_SCOPES


@pytest.fixture(scope="module")
def server(node_tools: Path) -> Iterator[LocalFhirServer]:
    clients = {"bedside-es": ES_KEY.public_jwks(), "bedside-rs": RS_KEY.public_jwks()}
    with LocalFhirServer(clients, token_lifetime=300) as srv:
        yield srv


OPEN: list[Any] = []
"""Clients and outboxes made by a test, closed after it (unclosed sockets would warn)."""


@pytest.fixture(autouse=True)
def _close_after_test() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def _keep(thing: Any) -> Any:
    OPEN.append(thing)
    return thing


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _client(
    server: LocalFhirServer, key: ClientKey = ES_KEY, clock: Clock | None = None, **kw: Any
) -> SmartBackendClient:
    client_id = "bedside-es" if key is ES_KEY else "bedside-rs"
    return _keep(
        SmartBackendClient(
            fhir_base=kw.pop("fhir_base", server.fhir_base),
            token_url=server.token_url,
            client_id=kw.pop("client_id", client_id),
            key=key,
            scopes=SCOPES,
            clock=clock or Clock(),
            **kw,
        )
    )


def _bundle(finding: Finding, rec: Recommendation, patient: str, **kw: Any) -> dict[str, Any]:
    f = finding.model_copy(update={"patient_id": patient})
    r = rec.model_copy(update={"patient_id": patient, "id": f"{rec.id}-{patient}"})
    return finding_bundle(f, zone=ZONE, recorded=NOW, recommendations=[r], **kw)


def _count(client: SmartBackendClient, rtype: str, system: str, value: str) -> int:
    return len(client.search(rtype, {"identifier": f"{system}|{value}"}))


def _task_count(client: SmartBackendClient, bundle: dict[str, Any]) -> int:
    task = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Task")
    return _count(client, "Task", SID.recommendation, task["identifier"][0]["value"])


def _observation_counts(client: SmartBackendClient, bundle: dict[str, Any]) -> list[int]:
    return [
        _count(client, "Observation", r["identifier"][0]["system"], r["identifier"][0]["value"])
        for e in bundle["entry"]
        if (r := e["resource"])["resourceType"] == "Observation"
    ]


@pytest.mark.parametrize("key", [ES_KEY, RS_KEY], ids=["ES384", "RS384"])
def test_push_creates_everything_once_and_links_it(
    server: LocalFhirServer,
    finding: Finding,
    recommendation: Recommendation,
    key: ClientKey,
) -> None:
    client = _client(server, key)
    patient = f"push-{key.alg}"
    bundle = _bundle(finding, recommendation, patient)
    pusher = EhrPusher(client, MemoryOutbox(), sleep=lambda s: None)
    report = pusher.submit(bundle)
    assert report.sent == [bundle["id"]]
    assert _task_count(client, bundle) == 1
    assert set(_observation_counts(client, bundle)) == {1}
    (task,) = client.search(
        "Task", {"identifier": f"{SID.recommendation}|{recommendation.id}-{patient}"}
    )
    # references were rewritten to the server's ids and resolve
    risk = client.request("GET", task["reasonReference"]["reference"])
    assert risk["resourceType"] == "RiskAssessment"
    focus = client.request("GET", task["focus"]["reference"])
    assert focus["resourceType"] in ("ServiceRequest", "CommunicationRequest")
    # the same Bundle pushed again (a retry) duplicates nothing
    pusher.outbox.requeue(bundle["id"], bundle, client._clock())
    assert pusher.flush().sent == [bundle["id"]]
    assert _task_count(client, bundle) == 1
    assert set(_observation_counts(client, bundle)) == {1}


def test_outage_defers_then_delivers_without_loss_or_duplicates(
    server: LocalFhirServer, finding: Finding, recommendation: Recommendation, tmp_path: Path
) -> None:
    clock = Clock()  # the outbox's and pusher's clock; the client signs with the real time
    client = _client(server, clock=lambda: dt.datetime.now(dt.UTC))
    outbox = _keep(SqliteOutbox(tmp_path / "outbox.db"))
    slept: list[float] = []
    policy = RetryPolicy(attempts_per_flush=3)
    pusher = EhrPusher(client, outbox, policy=policy, clock=clock, sleep=slept.append)
    bundles = [_bundle(finding, recommendation, f"outage-{i}") for i in range(2)]
    # 503 before doing anything, for more requests than one flush makes
    server.control("outage", {"count": 100, "mode": "503"})
    for b in bundles:
        report = pusher.submit(b)
        assert report.sent == []
    assert slept[:2] == [1.0, 2.0]  # exponential backoff within a flush
    assert {i.status for i in outbox.items()} == {OutboxStatus.PENDING}
    first = outbox.get(bundles[0]["id"])
    assert first is not None
    assert first.attempts >= 3
    assert first.next_attempt > clock.now
    assert "503" in first.last_error
    server.control("outage", {"count": 0})
    assert pusher.flush().sent == []  # not due yet: the backoff is respected
    clock.now += dt.timedelta(minutes=10)
    # a new process with the same outbox file delivers it: nothing was lost
    OPEN.remove(outbox)
    outbox.close()
    reopened = _keep(SqliteOutbox(tmp_path / "outbox.db"))
    report = EhrPusher(client, reopened, clock=clock, sleep=slept.append).flush()
    assert sorted(report.sent) == sorted(b["id"] for b in bundles)
    for b in bundles:
        assert _task_count(client, b) == 1
        assert set(_observation_counts(client, b)) == {1}


def test_lost_response_after_commit_is_retried_without_duplicates(
    server: LocalFhirServer, finding: Finding, recommendation: Recommendation
) -> None:
    client = _client(server)
    bundle = _bundle(finding, recommendation, "lost-response")
    server.control("outage", {"count": 1, "mode": "after-commit"})
    pusher = EhrPusher(client, MemoryOutbox(), sleep=lambda s: None)
    report = pusher.submit(bundle)
    assert report.sent == [bundle["id"]]
    item = pusher.outbox.get(bundle["id"])
    assert item is not None
    assert item.attempts == 1  # the first try committed but its answer was lost
    assert _task_count(client, bundle) == 1
    assert set(_observation_counts(client, bundle)) == {1}


def test_server_down_keeps_everything_pending(
    server: LocalFhirServer, finding: Finding, recommendation: Recommendation
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    down = _keep(
        SmartBackendClient(
            fhir_base=f"http://127.0.0.1:{closed_port}/fhir",
            token_url=f"http://127.0.0.1:{closed_port}/auth/token",
            client_id="bedside-es",
            key=ES_KEY,
            scopes=SCOPES,
        )
    )
    outbox = MemoryOutbox()
    bundle = _bundle(finding, recommendation, "down")
    report = EhrPusher(down, outbox, sleep=lambda s: None).submit(bundle)
    assert report.deferred == [bundle["id"]]
    assert outbox.items(OutboxStatus.PENDING)[0].bundle == bundle
    # once the EHR is reachable, the same outbox delivers it (no backoff wait: clock moved on)
    later = Clock()
    later.now += dt.timedelta(hours=1)
    up = _client(server, clock=lambda: dt.datetime.now(dt.UTC))
    assert EhrPusher(up, outbox, clock=later).flush().sent == [bundle["id"]]
    assert _task_count(up, bundle) == 1


def test_rejected_bundle_surfaces_operation_outcome_and_is_kept(
    server: LocalFhirServer, finding: Finding, recommendation: Recommendation
) -> None:
    client = _client(server)
    good = _bundle(finding, recommendation, "rejected-good")
    bad = copy.deepcopy(_bundle(finding, recommendation, "rejected-bad"))
    index = next(i for i, e in enumerate(bad["entry"]) if e["resource"]["resourceType"] == "Task")
    bad["entry"][index]["resource"]["dueDate"] = "2026-04-05"  # not an R4 Task element
    outbox = MemoryOutbox()
    audits: list[dict[str, Any]] = []
    pusher = EhrPusher(client, outbox, sleep=lambda s: None, audit=audits.append)
    outbox.add(bad, NOW)
    report = pusher.submit(good)
    assert report.rejected == [bad["id"]]
    assert report.sent == [good["id"]]
    item = outbox.get(bad["id"])
    assert item is not None
    assert item.status == OutboxStatus.REJECTED
    assert item.bundle == bad  # kept for review
    assert item.outcome is not None
    assert item.outcome["resourceType"] == "OperationOutcome"
    assert f"Bundle.entry[{index}].resource" in item.last_error
    assert "dueDate" in item.last_error
    assert _task_count(client, bad) == 0  # nothing of the rejected Bundle was written
    # one AuditEvent per attempt: the rejection (outcome 4) and the delivery (outcome 0)
    assert [(a["subtype"][0]["code"], a["outcome"]) for a in audits] == [
        ("transaction", "4"),
        ("transaction", "0"),
    ]
    assert audits[0]["entity"][0]["what"]["reference"].startswith("Patient/")
    assert audits[0]["entity"][1]["what"] == {"reference": f"Bundle/{bad['id']}"}
    # fixed and requeued, it goes through
    fixed = copy.deepcopy(bad)
    del fixed["entry"][index]["resource"]["dueDate"]
    outbox.requeue(bad["id"], fixed, client._clock())
    assert pusher.flush().sent == [bad["id"]]
    assert _task_count(client, bad) == 1


def test_token_is_cached_and_refreshed_before_expiry(server: LocalFhirServer) -> None:
    # a token living 61 s is due for refresh 1 s after it was issued (60 s margin)
    server.control("token-lifetime", {"seconds": 61})
    try:
        client = _client(server, clock=lambda: dt.datetime.now(dt.UTC))
        client.search("Patient", {"_count": "1"})
        client.search("Patient", {"_count": "1"})
        assert client.token_requests == 1  # cached
        time.sleep(1.1)
        client.search("Patient", {"_count": "1"})
        assert client.token_requests == 2  # refreshed before it expired at the server
    finally:
        server.control("token-lifetime", {"seconds": 300})


def test_client_assertion_claims() -> None:
    clock = Clock()
    client = _keep(
        SmartBackendClient(
            fhir_base="http://127.0.0.1:1/fhir",
            token_url="http://127.0.0.1:1/auth/token",
            client_id="bedside-es",
            key=ES_KEY,
            scopes=SCOPES,
            clock=clock,
        )
    )
    first, second = client.client_assertion(), client.client_assertion()
    keys = KeySet.import_key_set(ES_KEY.public_jwks())
    claims = jwt.decode(first, keys, algorithms=["ES384"]).claims
    header = jwt.decode(first, keys, algorithms=["ES384"]).header
    assert header == {"alg": "ES384", "kid": "es-1", "typ": "JWT"}
    assert claims["iss"] == claims["sub"] == "bedside-es"
    assert claims["aud"] == "http://127.0.0.1:1/auth/token"
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert claims["jti"] != jwt.decode(second, keys, algorithms=["ES384"]).claims["jti"]
    assert all(s.startswith("system/") and s.endswith((".cuds", ".rs")) for s in SCOPES)
    with pytest.raises(ConfigurationError, match="5 min"):
        SmartBackendClient(
            fhir_base="x",
            token_url="y",
            client_id="z",
            key=ES_KEY,
            scopes=SCOPES,
            assertion_lifetime=dt.timedelta(minutes=6),
        )


def test_token_expired_at_the_server_is_refreshed_once(server: LocalFhirServer) -> None:
    client = _client(server)
    client.search("Patient", {"_count": "1"})
    grants = server.control("stats")["tokenGrants"]
    server.control("expire-tokens")
    client.search("Patient", {"_count": "1"})  # 401 -> new token -> retried
    assert client.token_requests == 2
    assert server.control("stats")["tokenGrants"] == grants + 1


def test_token_endpoint_checks_the_assertion(server: LocalFhirServer) -> None:
    impostor = ClientKey.generate("ES384", kid="es-1")  # same kid, other key
    client = _client(server, impostor, client_id="bedside-es")
    with pytest.raises(EhrAuthError, match="signature"):
        client.access_token()
    unknown = _client(server, client_id="nobody")
    with pytest.raises(EhrAuthError, match="unknown client"):
        unknown.access_token()
    # the pusher keeps everything pending when the client itself is refused
    outbox = MemoryOutbox()
    outbox.add({"resourceType": "Bundle", "id": "b1", "type": "transaction", "entry": []}, NOW)
    report = EhrPusher(client, outbox, sleep=lambda s: None).flush()
    assert report.auth_error is not None
    assert outbox.items(OutboxStatus.PENDING)[0].id == "b1"


def test_reader_gets_phq9_and_medications_back_from_the_ehr(server: LocalFhirServer) -> None:
    patient = "reader-1"
    client = _client(server)
    answered = Phq9Response(patient_id=patient, date=dt.date(2026, 3, 2), items=[1] * 8 + [2])
    medication = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": patient_ref(patient)},
        "medicationCodeableConcept": {"text": "sertraline 50 mg tablet"},
        "authoredOn": "2026-02-20",
    }
    for resource in (
        phq9_questionnaire_response(answered),
        *phq9_observations(answered),
        medication,
    ):
        body = {k: v for k, v in resource.items() if k != "id"}
        client.request("POST", resource["resourceType"], json_body=body)
    context = read_patient_context(client, patient)
    assert context.phq9_responses == [answered.model_copy(update={"source": "ehr"})]
    assert [(s.date, s.total, s.item9) for s in context.phq9_scores] == [
        (answered.date, answered.total, 2)
    ]
    assert [(m.name, m.start) for m in context.medications] == [
        ("sertraline 50 mg tablet", dt.date(2026, 2, 20))
    ]
    assert read_patient_context(client, "reader-nobody").phq9_scores == []


def test_reader_finds_the_ehr_patient_by_bedside_identifier(server: LocalFhirServer) -> None:
    client = _client(server)
    enrolled = client.request(
        "POST",
        "Patient",
        json_body={"resourceType": "Patient", "identifier": [identifier(SID.patient, "reader-2")]},
    )
    assert ehr_patient_ids(client, "reader-2") == [enrolled["id"]]
    client.request(
        "POST",
        "MedicationStatement",
        json_body={
            "resourceType": "MedicationStatement",
            "status": "active",
            "subject": {"reference": f"Patient/{enrolled['id']}"},
            "medicationCodeableConcept": {"text": "quetiapine 25 mg"},
            "effectiveDateTime": "2026-03-01",
        },
    )
    context = read_patient_context(client, "reader-2")
    assert [(m.name, m.start) for m in context.medications] == [
        ("quetiapine 25 mg", dt.date(2026, 3, 1))
    ]
