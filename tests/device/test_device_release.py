"""The device agent checks the patient's consent book and the processor before sending."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bedside.device import DeviceAgent, HttpTransport, LocalVault, TransportReply
from bedside.device.consent_book import ConsentBook
from bedside.device.release_gate import HttpProcessorReports, ReleaseGate
from bedside.domain import ConfigurationError, Finding, Modality, Phq9Response, RiskEstimate
from bedside.privacy import (
    Identity,
    PartyKind,
    ReleasePolicy,
    Scope,
    SealedEnvelope,
    issue_consent,
    issue_revocation,
)
from bedside.server import create_app
from bedside.server.ingest import IngestService
from bedside.server.processor import LocalDecryptor, processor_app
from bedside.store import create_store
from bedside.store.ingest_tables import count_envelopes

T0 = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)  # = the session's Nitro test PKI time
PCR0 = "11" * 48
DEV = ReleasePolicy(allow_unattested=True)


def _finding(day: int) -> Finding:
    date = dt.date(2026, 11, day)
    risk = RiskEstimate(
        as_of=date,
        probability=0.3,
        interval_low=0.2,
        interval_high=0.4,
        model_id="episode-risk",
        model_version="1",
    )
    return Finding(
        patient_id="p1",
        date=date,
        device_id="dev",
        risk=risk,
        coverage={Modality.ACTIGRAPHY: 1.0},
    )


class CountingTransport:
    """The clinic's ingest over HTTP, counting what the device actually sent."""

    def __init__(self, http: TestClient) -> None:
        self.inner = HttpTransport(http)
        self.sent: list[str] = []

    def send(self, sealed: SealedEnvelope) -> TransportReply:
        self.sent.append(sealed.envelope_id)
        return self.inner.send(sealed)


class World:
    """A clinic (ingest + processor) and a patient's device with a consent book."""

    def __init__(self, tmp: Path) -> None:
        self.now = T0
        self.clinic = Identity.generate(PartyKind.CLINIC_SERVICE)
        self.patient = Identity.generate(PartyKind.PATIENT)
        self.store = create_store(f"sqlite:///{tmp / 'clinic.db'}")
        self.service = IngestService(
            self.store.engine, self.clinic, LocalDecryptor(self.clinic), clock=self.clock
        )
        self.transport = CountingTransport(TestClient(create_app(self.store, ingest=self.service)))
        self.processor = TestClient(processor_app(self.clinic.encryption_only()))
        self.book = ConsentBook(tmp)
        self.vault = LocalVault(tmp / "device.db", os.urandom(32))

    def clock(self) -> dt.datetime:
        return self.now

    def grant(self, scopes: set[Scope], days: int = 30) -> str:
        grant, token = issue_consent(
            self.patient,
            patient_id="p1",
            grantee_did=self.clinic.did,
            scopes=scopes,
            valid_from=self.now - dt.timedelta(hours=1),
            valid_until=self.now + dt.timedelta(days=days),
        )
        self.book.add(token)
        self.service.register_consent(token)
        return grant.id

    def revoke(self, consent_id: str) -> None:
        _, token = issue_revocation(self.patient, consent_id, now=self.now)
        self.book.revoke(consent_id, token)

    def agent(self, policy: ReleasePolicy = DEV, reports: Any = None) -> DeviceAgent:
        gate = ReleaseGate(policy, reports or HttpProcessorReports(self.processor))
        return DeviceAgent(
            self.patient, self.clinic.public, self.book, self.vault, clock=self.clock, release=gate
        )

    def stored(self) -> int:
        with self.store.engine.connect() as conn:
            return count_envelopes(conn)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.vault.close()
    made.store.close()


def test_no_consent_in_the_book_seals_nothing_and_says_why(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    agent = world.agent()
    with caplog.at_level(logging.WARNING, logger="bedside.device.agent"):
        assert agent.queue_findings([_finding(1)]) == 0
    assert agent.outbox.pending() == []
    assert agent.hold_reason is not None
    assert f"no active consent to clinic {world.clinic.did}" in agent.hold_reason
    assert world.clinic.did in caplog.text


def test_a_consent_without_the_family_seals_nothing_of_it(world: World) -> None:
    world.grant({Scope.PHQ9})
    agent = world.agent()
    assert agent.queue_findings([_finding(1)]) == 0
    assert agent.hold_reason is not None
    assert "covers phq9, not risk, trends" in agent.hold_reason
    answer = Phq9Response(patient_id="p1", date=T0.date(), items=[1, 1, 0, 0, 1, 0, 0, 0, 0])
    assert agent.queue_phq9([answer]) == 1


def test_revoking_in_the_book_withdraws_queued_envelopes_and_stops_new_ones(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    consent_id = world.grant({Scope.RISK})
    agent = world.agent()
    assert agent.queue_findings([_finding(1), _finding(2)]) == 2
    world.revoke(consent_id)
    with caplog.at_level(logging.WARNING, logger="bedside.device.agent"):
        report = agent.deliver(world.transport)
    assert (report.withdrawn, report.delivered, world.transport.sent) == (2, 0, [])
    assert world.stored() == 0
    reasons = [reason for _, reason in agent.outbox.withdrawn()]
    assert reasons == [f"consent {consent_id} is revoked: withdrawn, not sent"] * 2
    assert consent_id in caplog.text
    # new findings after the revocation are not sealed at all
    assert agent.queue_findings([_finding(3)]) == 0
    assert agent.outbox.pending() == []
    # a new consent starts a new series, sent normally
    world.grant({Scope.RISK})
    assert agent.queue_findings([_finding(3)]) == 1
    report = agent.deliver(world.transport)
    assert (report.delivered, world.stored()) == (1, 1)


def test_an_envelope_whose_consent_expired_is_withdrawn(world: World) -> None:
    world.grant({Scope.RISK}, days=1)
    agent = world.agent()
    assert agent.queue_findings([_finding(1)]) == 1
    world.now += dt.timedelta(days=2)
    report = agent.deliver(world.transport)
    assert (report.withdrawn, world.transport.sent) == (1, [])
    assert "is expired" in agent.outbox.withdrawn()[0][1]


def test_unattested_processor_without_the_development_policy_holds_everything(
    world: World,
) -> None:
    world.grant({Scope.RISK})
    agent = world.agent(policy=ReleasePolicy(allowed_measurements=frozenset({PCR0})))
    agent.queue_findings([_finding(1)])
    report = agent.deliver(world.transport)
    assert (report.held, report.delivered, world.transport.sent) == (1, 0, [])
    assert "allow_unattested is off" in report.reason
    assert agent.hold_reason == report.reason
    assert len(agent.outbox.pending()) == 1  # held, not dropped
    # under the explicit development policy the same processor is released to
    released = world.agent(policy=DEV).deliver(world.transport)
    assert released.delivered == 1
    assert "allow_unattested" in released.reason


class _Reports:
    def __init__(self, body: Mapping[str, object] | Exception) -> None:
        self.body = body

    def fetch(self, nonce: bytes) -> Mapping[str, object]:
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


def test_processor_with_another_key_or_no_report_is_not_released_to(world: World) -> None:
    world.grant({Scope.RISK})
    other = Identity.generate(PartyKind.CLINIC_SERVICE).public.encryption_did
    agent = world.agent(reports=_Reports({"status": "unattested", "encryption_did": other}))
    agent.queue_findings([_finding(1)])
    report = agent.deliver(world.transport)
    assert report.held == 1
    assert "not the clinic key findings are sealed to" in report.reason
    offline = world.agent(reports=_Reports(httpx.ConnectError("no route")))
    report = offline.deliver(world.transport)
    assert report.held == 1
    assert "report unavailable" in report.reason
    assert world.transport.sent == []


def test_attested_processor_on_the_allow_list_is_released_to(world: World, nitro_pki: Any) -> None:
    def attest(nonce: bytes, user_data: bytes) -> bytes:
        return bytes(nitro_pki.document(nonce=nonce, user_data=user_data))

    enclave = TestClient(processor_app(world.clinic.encryption_only(), nitro_attestor=attest))

    def gate(allowed: str) -> ReleaseGate:
        policy = ReleasePolicy(allowed_measurements=frozenset({allowed}))
        return ReleaseGate(policy, HttpProcessorReports(enclave), root_der=nitro_pki.root_der)

    world.grant({Scope.RISK})
    agent = world.agent()
    agent.release = gate("ab" * 48)
    agent.queue_findings([_finding(1)])
    refused = agent.deliver(world.transport)
    assert refused.held == 1
    assert "is not allowed" in refused.reason
    agent.release = gate(PCR0)
    released = agent.deliver(world.transport)
    assert released.delivered == 1
    assert PCR0 in released.reason


def test_no_release_gate_no_sending(world: World) -> None:
    world.grant({Scope.RISK})
    agent = DeviceAgent(world.patient, world.clinic.public, world.book, world.vault)
    with pytest.raises(ConfigurationError, match="no release gate"):
        agent.deliver(world.transport)
