"""Clinicians' decisions reach the EHR through the FHIR outbox: queued with the local change,
kept while the EHR is down, delivered later by `EhrPusher`, re-derived after a lost write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from bedside.clinical.feedback import NON_ADHERENCE_REASONS
from bedside.domain import Evidence, Priority, Recommendation, Role
from bedside.fhir import (
    READ_SCOPES,
    ClientKey,
    EhrPusher,
    EhrUnavailableError,
    LocalFhirServer,
    OutboxStatus,
    SqliteOutbox,
    write_scopes,
)
from bedside.fhir.bundle import transaction_bundle
from bedside.fhir.codes import SID
from bedside.fhir.smart_client import SmartBackendClient
from bedside.fhir.tasks import recommendation_task, task_ref
from bedside.server import create_app
from bedside.server.ehr_task_sync import deliver_task_updates
from bedside.store import MemoryStore

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


class FakeEhr:
    """Stands in for `SmartBackendClient`: refuses while down, records committed Bundles."""

    client_id = "bedside-test"
    fhir_base = "http://127.0.0.1:1/fhir"

    def __init__(self) -> None:
        self.up = False
        self.committed: list[dict[str, Any]] = []

    def transaction(self, bundle: dict[str, Any]) -> dict[str, Any]:
        if not self.up:
            raise EhrUnavailableError("connection refused (EHR down)")
        self.committed.append(bundle)
        return {"resourceType": "Bundle", "type": "transaction-response"}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def _rec(rec_id: str, patient: str) -> Recommendation:
    return Recommendation(
        id=rec_id,
        patient_id=patient,
        action="Consider a follow-up call",
        priority=Priority.URGENT,
        created=NOW - dt.timedelta(hours=1),
        due=NOW + dt.timedelta(hours=5),
        expires=NOW + dt.timedelta(days=3),
        route=Role.PSYCHIATRIST,
        rationale="Risk rose.",
        evidence=[Evidence(kind="risk", label="Risk", statement="Up to 42%")],
        protocol_id="relapse_watch",
        protocol_version="1.0.0",
        protocol_hash="beef",
    )


@pytest.fixture
def clinic(access_kit_factory: Any, tmp_path: Path) -> tuple[Any, MemoryStore, Clock, Path]:
    clock = Clock()
    kit = access_kit_factory(clock, ["p1"])
    store = MemoryStore(clock=clock)
    for rec_id in ("r1", "r2"):
        rec = _rec(rec_id, "p1")
        store.recommendations.upsert(rec)
        store.fhir.put(recommendation_task(rec))
    return kit, store, clock, tmp_path / "outbox.sqlite"


def _client(app: Any, kit: Any) -> TestClient:
    return TestClient(app, headers=kit.headers("dr-test"), follow_redirects=False)


def _task_entry(bundle: dict[str, Any]) -> dict[str, Any]:
    (entry,) = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Task"]
    return cast(dict[str, Any], entry)


def _pusher(ehr: FakeEhr, outbox: SqliteOutbox, clock: Clock, sleeps: list[float]) -> EhrPusher:
    return EhrPusher(cast(SmartBackendClient, ehr), outbox, clock=clock, sleep=sleeps.append)


def test_accept_queues_the_task_update_which_survives_the_ehr_being_down(clinic: Any) -> None:
    kit, store, clock, path = clinic
    outbox = SqliteOutbox(path)
    app = create_app(store, clock=clock, access=kit.access, ehr_outbox=outbox)
    resp = _client(app, kit).post("/recommendations/r1/action", data={"action": "accept"})
    assert resp.status_code == 303
    # Queued with the local change, before any delivery was tried.
    (item,) = outbox.items()
    assert item.status is OutboxStatus.PENDING
    task = _task_entry(item.bundle)
    assert task["resource"]["status"] == "accepted"
    assert task["request"]["method"] == "PUT"
    assert task["request"]["url"].startswith(f"Task?identifier={SID.recommendation}|r1")
    (prov,) = [e for e in item.bundle["entry"] if e["resource"]["resourceType"] == "Provenance"]
    assert prov["resource"]["target"] == [{"reference": task["fullUrl"]}]
    assert prov["request"]["method"] == "PUT"

    ehr, sleeps = FakeEhr(), list[float]()
    report = _pusher(ehr, outbox, clock, sleeps).flush()
    assert report.deferred == [item.id]
    assert report.sent == []
    assert ehr.committed == []
    assert len(sleeps) == 2
    outbox.close()

    # The process restarts; the EHR comes back; a later delivery sends the same Bundle.
    reopened = SqliteOutbox(path)
    waiting = reopened.get(item.id)
    assert waiting is not None
    assert waiting.status is OutboxStatus.PENDING
    assert waiting.attempts == 3
    ehr.up = True
    clock.now = waiting.next_attempt
    report = deliver_task_updates(store, _pusher(ehr, reopened, clock, sleeps), clock.now, ["p1"])
    assert report.sent == [item.id]
    (sent,) = ehr.committed
    assert _task_entry(sent)["resource"]["status"] == "accepted"
    assert reopened.items(OutboxStatus.PENDING) == []
    reopened.close()


def test_dismiss_and_snooze_reach_the_ehr_in_order(clinic: Any) -> None:
    kit, store, clock, path = clinic
    outbox = SqliteOutbox(path)
    client = _client(create_app(store, clock=clock, access=kit.access, ehr_outbox=outbox), kit)
    assert client.post("/recommendations/r1/action", data={"action": "accept"}).status_code == 303
    clock.now += dt.timedelta(minutes=5)
    reason = NON_ADHERENCE_REASONS[0].code
    dismissed = client.post(
        "/recommendations/r1/action", data={"action": "dismiss", "reason": reason, "note": "x"}
    )
    assert dismissed.status_code == 303
    clock.now += dt.timedelta(minutes=5)
    snoozed = client.post("/recommendations/r2/action", data={"action": "snooze", "hours": "4"})
    assert snoozed.status_code == 303
    ehr = FakeEhr()
    ehr.up = True
    report = _pusher(ehr, outbox, clock, []).flush()
    assert len(report.sent) == 3
    tasks = [_task_entry(b)["resource"] for b in ehr.committed]
    assert [t["status"] for t in tasks] == ["accepted", "rejected", "requested"]
    until = (clock.now + dt.timedelta(hours=4)).isoformat()
    assert tasks[2]["businessStatus"] == {"text": f"snoozed until {until}"}
    assert tasks[2]["restriction"]["period"]["start"] == until
    provs = [
        e["resource"]
        for b in ehr.committed
        for e in b["entry"]
        if e["resource"]["resourceType"] == "Provenance"
    ]
    outcomes = [p["activity"]["text"] for p in provs]
    assert outcomes == ["clinician accepted", "clinician dismissed", "clinician snoozed"]
    outbox.close()


def test_a_change_whose_outbox_write_was_lost_is_requeued_once(clinic: Any) -> None:
    kit, store, clock, path = clinic
    # The JSON route without an outbox stands for a crash after the store's commit.
    app = create_app(store, clock=clock, access=kit.access)
    resp = _client(app, kit).post("/recommendations/r1/status", json={"status": "completed"})
    assert resp.status_code == 200
    outbox = SqliteOutbox(path)
    assert outbox.items() == []
    ehr = FakeEhr()
    ehr.up = True
    pusher = _pusher(ehr, outbox, clock, [])
    first = deliver_task_updates(store, pusher, clock.now, ["p1"])
    assert len(first.sent) == 1
    assert _task_entry(ehr.committed[0])["resource"]["status"] == "completed"
    again = deliver_task_updates(store, pusher, clock.now, ["p1"])
    assert again.sent == []
    assert len(outbox.items()) == 1
    outbox.close()


def test_a_real_fhir_server_updates_its_own_task_and_links_the_provenance(
    node_tools: Path, clinic: Any
) -> None:
    """Medplum's FHIR router (node/src/fhir-server.mjs) on 127.0.0.1: the EHR created the Task
    under its own id; the queued conditional update changes that Task (no second one) and the
    Provenance's target is rewritten to it."""
    kit, store, clock, path = clinic
    key = ClientKey.generate("ES384", kid="es-sync")
    with LocalFhirServer({"bedside-sync": key.public_jwks()}, token_lifetime=300) as srv:
        client = SmartBackendClient(
            fhir_base=srv.fhir_base,
            token_url=srv.token_url,
            client_id="bedside-sync",
            key=key,
            scopes=write_scopes(["Task", "Provenance"]) + READ_SCOPES,
        )
        try:
            stored = store.fhir.get("Task", _task_id("r1"))
            assert stored is not None
            client.transaction(transaction_bundle([dict(stored)], "first-push", NOW))
            query = {"identifier": f"{SID.recommendation}|r1"}
            (before,) = client.search("Task", query)
            assert before["status"] == "requested"
            assert before["id"] != stored["id"]  # the EHR chose its own id

            outbox = SqliteOutbox(path)
            app = create_app(store, clock=clock, access=kit.access, ehr_outbox=outbox)
            resp = _client(app, kit).post("/recommendations/r1/action", data={"action": "accept"})
            assert resp.status_code == 303
            report = EhrPusher(client, outbox, sleep=lambda s: None).flush()
            assert len(report.sent) == 1
            (after,) = client.search("Task", query)
            assert (after["id"], after["status"]) == (before["id"], "accepted")
            targets = [p["target"] for p in client.search("Provenance", {})]
            assert [{"reference": f"Task/{before['id']}"}] in targets
            outbox.close()
        finally:
            client.close()


def _task_id(rec_id: str) -> str:
    return task_ref(rec_id).partition("/")[2]
