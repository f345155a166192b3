"""Device agent: encrypted vault, consent gate, outbox delivery with receipts, backoff, offline."""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bedside.device import DeviceAgent, HttpTransport, LocalVault, Outbox, TransportReply
from bedside.domain import Finding, Modality, Phq9Response, RiskEstimate, StoreError
from bedside.privacy import (
    Identity,
    PartyKind,
    Scope,
    SealedEnvelope,
    issue_consent,
    issue_revocation,
)
from bedside.server import create_app
from bedside.server.ingest import IngestService
from bedside.server.processor import LocalDecryptor
from bedside.store import create_store
from bedside.store.ingest_tables import count_envelopes

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def finding(day: int) -> Finding:
    date = dt.date(2026, 2, day)
    return Finding(
        patient_id="p1",
        date=date,
        device_id="dev-1",
        risk=RiskEstimate(
            as_of=date,
            probability=0.25,
            interval_low=0.2,
            interval_high=0.3,
            model_id="episode-risk",
            model_version="1",
        ),
        coverage={Modality.ACTIGRAPHY: 1.0},
    )


class World:
    def __init__(self, tmp: Path, scopes: frozenset[Scope] = frozenset({Scope.RISK})) -> None:
        self.clock = Clock()
        self.clinic = Identity.generate(PartyKind.CLINIC_SERVICE)
        self.patient = Identity.generate(PartyKind.PATIENT)
        tmp.mkdir(parents=True, exist_ok=True)
        self.store = create_store(f"sqlite:///{tmp / 'clinic.db'}")
        self.service = IngestService(
            self.store.engine, self.clinic, LocalDecryptor(self.clinic), clock=self.clock
        )
        self.http = TestClient(create_app(self.store, ingest=self.service))
        self.grant, token = issue_consent(
            self.patient,
            patient_id="p1",
            grantee_did=self.clinic.did,
            scopes=set(scopes),
            valid_from=T0,
            valid_until=T0 + dt.timedelta(days=30),
        )
        self.service.register_consent(token)
        self.vault = LocalVault(tmp / "device.db", os.urandom(32))
        self.agent = DeviceAgent(
            self.patient, self.clinic.public, self.grant, self.vault, clock=self.clock
        )
        self.agent.outbox.rng = random.Random(1)
        self.transport = HttpTransport(self.http)

    def stored(self) -> int:
        with self.store.engine.connect() as conn:
            return count_envelopes(conn)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.vault.close()
    made.store.close()


def test_vault_hides_plaintext_and_detects_tampering(tmp_path: Path) -> None:
    key = os.urandom(32)
    vault = LocalVault(tmp_path / "v.db", key)
    vault.put("outbox", "e1", b"sleep.duration_min=312")
    assert b"sleep.duration_min" not in (tmp_path / "v.db").read_bytes()
    assert b"sleep" not in vault.raw_bytes()
    assert vault.get("outbox", "e1") == b"sleep.duration_min=312"
    vault.close()
    with pytest.raises(StoreError, match="does not decrypt"):
        LocalVault(tmp_path / "v.db", os.urandom(32)).get("outbox", "e1")
    other = LocalVault(tmp_path / "v.db", key)
    body = other._db.execute("SELECT body FROM vault").fetchone()[0]
    other._db.execute("INSERT INTO vault VALUES ('outbox', 'e2', ?)", (body,))
    with pytest.raises(StoreError):
        other.get("outbox", "e2")  # a value moved to another row does not open
    other.close()


def test_delivers_and_deletes_only_after_a_valid_receipt(world: World) -> None:
    assert world.agent.queue_findings([finding(1), finding(2)]) == 2
    report = world.agent.outbox.deliver(world.transport)
    assert (report.delivered, report.deferred, report.dead) == (2, 0, 0)
    assert world.agent.outbox.pending() == []
    assert world.stored() == 2
    [stored] = [f for f in world.store.findings.list_for_patient("p1") if f.date.day == 1]
    assert stored.risk is not None
    assert stored.trends == []  # not consented, removed on the device


def test_no_valid_consent_sends_nothing(world: World) -> None:
    world.clock.now = T0 + dt.timedelta(days=31)
    assert world.agent.queue_findings([finding(1)]) == 0
    assert world.agent.outbox.pending() == []


def test_phq9_is_sent_only_under_a_phq9_consent(world: World, tmp_path: Path) -> None:
    answers = [
        Phq9Response(patient_id="p1", date=dt.date(2026, 3, d), items=[1] * 9) for d in (1, 2)
    ]
    assert world.agent.queue_phq9(answers) == 0  # this consent covers risk only
    assert world.agent.outbox.pending() == []
    consented = World(tmp_path / "phq", frozenset({Scope.RISK, Scope.PHQ9}))
    try:
        assert consented.agent.queue_phq9(answers) == 2
        report = consented.agent.outbox.deliver(consented.transport)
        assert (report.delivered, report.dead) == (1, 0)
        assert consented.store.phq9.list_for_patient("p1") == answers
        other = Phq9Response(patient_id="p2", date=dt.date(2026, 3, 1), items=[0] * 9)
        with pytest.raises(ValueError, match="another patient"):
            consented.agent.queue_phq9([other])
    finally:
        consented.vault.close()
        consented.store.close()


class Flaky:
    """Offline for the first `down` calls; then forwards. Optionally loses one reply."""

    def __init__(self, inner: HttpTransport, down: int = 0, lose_reply: bool = False) -> None:
        self.inner, self.down, self.lose_reply, self.calls = inner, down, lose_reply, 0

    def send(self, sealed: SealedEnvelope) -> TransportReply:
        self.calls += 1
        if self.calls <= self.down:
            raise httpx.ConnectError("offline")
        reply = self.inner.send(sealed)
        if self.lose_reply:
            self.lose_reply = False
            raise httpx.ReadTimeout("reply lost")
        return reply


def test_offline_buffering_with_backoff(world: World) -> None:
    world.agent.queue_findings([finding(1)])
    flaky = Flaky(world.transport, down=2)
    assert world.agent.outbox.deliver(flaky).deferred == 1
    # Not due yet: backoff of ~2 s after the first failure.
    assert world.agent.outbox.deliver(flaky).deferred == 0
    world.clock.now += dt.timedelta(seconds=3)
    assert world.agent.outbox.deliver(flaky).deferred == 1
    world.clock.now += dt.timedelta(seconds=3)
    assert world.agent.outbox.deliver(flaky).deferred == 0  # ~4 s backoff after the second
    world.clock.now += dt.timedelta(seconds=2)
    assert world.agent.outbox.deliver(flaky).delivered == 1
    assert world.agent.outbox.pending() == []


def test_lost_reply_is_resent_stored_once_receipted_twice(world: World) -> None:
    world.agent.queue_findings([finding(1)])
    flaky = Flaky(world.transport, lose_reply=True)
    assert world.agent.outbox.deliver(flaky).deferred == 1
    assert world.stored() == 1
    world.clock.now += dt.timedelta(seconds=5)
    report = world.agent.outbox.deliver(flaky)
    assert report.duplicates == 1
    assert world.stored() == 1
    assert world.agent.outbox.pending() == []


def test_forged_receipt_keeps_the_envelope(world: World) -> None:
    world.agent.queue_findings([finding(1)])
    mallory = Identity.generate(PartyKind.CLINIC_SERVICE)

    class Liar:
        def send(self, sealed: SealedEnvelope) -> TransportReply:
            from bedside.privacy import Receipt, envelope_digest, issue_receipt

            receipt = Receipt(
                envelope_id=sealed.envelope_id,
                digest=envelope_digest(sealed),
                status="stored",
                received_at=T0,
                clinic_did=mallory.did,
            )
            return TransportReply(200, {"receipt": issue_receipt(mallory, receipt)}, 1)

    assert world.agent.outbox.deliver(Liar()).deferred == 1
    assert len(world.agent.outbox.pending()) == 1


def test_server_error_defers_and_refusal_goes_to_dead_letter(world: World) -> None:
    world.agent.queue_findings([finding(1)])

    class Broken:
        def send(self, sealed: SealedEnvelope) -> TransportReply:
            return TransportReply(503, {}, 10)

    assert world.agent.outbox.deliver(Broken()).deferred == 1
    _, token = issue_revocation(world.patient, world.grant.id, now=T0)
    world.service.revoke_consent(token)
    world.clock.now += dt.timedelta(seconds=5)
    report = world.agent.outbox.deliver(world.transport)
    assert report.dead == 1
    assert world.agent.outbox.pending() == []
    assert [r for _, r in world.agent.outbox.dead_letters()] == ["consent_revoked"]


def test_outbox_survives_a_restart(world: World, tmp_path: Path) -> None:
    key = os.urandom(32)
    vault = LocalVault(tmp_path / "restart.db", key)
    outbox = Outbox(vault, world.clinic.did, clock=world.clock)
    agent = DeviceAgent(world.patient, world.clinic.public, world.grant, vault, clock=world.clock)
    agent.queue_findings([finding(1)])
    vault.close()
    reopened = LocalVault(tmp_path / "restart.db", key)
    outbox = Outbox(reopened, world.clinic.did, clock=world.clock)
    assert len(outbox.pending()) == 1
    assert outbox.deliver(world.transport).delivered == 1
    reopened.close()
