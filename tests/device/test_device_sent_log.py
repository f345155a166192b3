"""'What was sent and when': the device's sending record and the consent page's section on it,
against a real clinic ingest service (signed receipts), an offline link and a refusal."""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bedside.device import DeviceAgent, HttpTransport, LocalVault, TransportReply
from bedside.device.consent_book import KnownClinic, save_clinics
from bedside.device.consent_page import consent_page_app
from bedside.device.sent_log import describe_finding, describe_phq9, sent_history
from bedside.domain import (
    BaselineSummary,
    Finding,
    Modality,
    Phq9Response,
    RiskEstimate,
    TrendDirection,
    TrendFinding,
)
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

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def _finding(day: int) -> Finding:
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


class Offline:
    def send(self, sealed: SealedEnvelope) -> TransportReply:
        raise httpx.ConnectError("offline")


class World:
    def __init__(self, tmp: Path) -> None:
        self.clock = Clock()
        self.clinic = Identity.generate(PartyKind.CLINIC_SERVICE)
        self.patient = Identity.generate(PartyKind.PATIENT)
        self.store = create_store(f"sqlite:///{tmp / 'clinic.db'}")
        self.service = IngestService(
            self.store.engine, self.clinic, LocalDecryptor(self.clinic), clock=self.clock
        )
        self.http = TestClient(create_app(self.store, ingest=self.service))
        self.grant, token = issue_consent(
            self.patient,
            patient_id="p1",
            grantee_did=self.clinic.did,
            scopes={Scope.RISK},
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
        self.folder = tmp / "state"
        self.folder.mkdir()
        save_clinics(
            self.folder, [KnownClinic(name="Fjord Clinic", did=self.clinic.did, patient_id="p1")]
        )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.vault.close()
    made.store.close()


def test_history_follows_each_envelope_to_receipt_wait_or_refusal(world: World) -> None:
    world.agent.queue_findings([_finding(1)])
    assert world.agent.outbox.deliver(world.transport).delivered == 1
    world.clock.now = T0 + dt.timedelta(hours=2)
    world.agent.queue_findings([_finding(2)])
    assert world.agent.outbox.deliver(Offline()).deferred == 1

    newest, oldest = sent_history(world.vault)
    assert (oldest.day, oldest.state) == (dt.date(2026, 2, 1), "received")
    assert oldest.received_at == T0  # the clinic's signed receipt time
    assert oldest.detail == "received by the clinic on 01 March 2026 at 08:00 UTC"
    assert oldest.what == "your risk estimate"
    assert oldest.clinic_did == world.clinic.did
    assert (newest.day, newest.state) == (dt.date(2026, 2, 2), "waiting")
    assert newest.detail == "waiting to be sent (tried 1 time, will try again)"
    assert newest.prepared == T0 + dt.timedelta(hours=2)

    # The patient revokes at the clinic; the waiting envelope is then refused.
    _, token = issue_revocation(world.patient, world.grant.id, now=world.clock.now)
    world.service.revoke_consent(token)
    world.clock.now += dt.timedelta(minutes=5)
    assert world.agent.outbox.deliver(world.transport).dead == 1
    refused = sent_history(world.vault)[0]
    assert refused.state == "refused"
    assert refused.detail == "the clinic refused it: consent_revoked"


def test_consent_page_shows_what_was_sent_per_clinic(world: World) -> None:
    world.agent.queue_findings([_finding(1)])
    world.agent.outbox.deliver(world.transport)
    world.agent.queue_findings([_finding(3)])
    app = consent_page_app(world.folder, clock=world.clock, sent=lambda: sent_history(world.vault))
    html = TestClient(app, base_url="http://127.0.0.1:8765").get("/").text
    section = html.split('id="sent-heading"', 1)[1]
    assert "Sent to Fjord Clinic: 2 items, newest first" in section
    rows = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr")[1:]
    assert len(rows) == 2
    assert "03 February 2026" in rows[0]
    assert "waiting to be sent" in rows[0]
    assert "01 February 2026" in rows[1]
    assert "your risk estimate" in rows[1]
    assert "received by the clinic on 01 March 2026 at 08:00 UTC" in rows[1]

    nothing = consent_page_app(world.folder, clock=world.clock, sent=list)
    text = TestClient(nothing, base_url="http://127.0.0.1:8765").get("/").text
    assert "Nothing has been sent to any clinic" in text
    unknown = consent_page_app(world.folder, clock=world.clock)
    text = TestClient(unknown, base_url="http://127.0.0.1:8765").get("/").text
    assert "cannot see this device's sending record" in text


def test_descriptions_name_kinds_in_everyday_words_without_values() -> None:
    day = dt.date(2026, 2, 1)
    finding = Finding(
        patient_id="p1",
        date=day,
        trends=[
            TrendFinding(
                biomarker="sleep.duration_min",
                direction=TrendDirection.DOWN,
                onset_date=day - dt.timedelta(days=5),
                detection_date=day,
                size=-70.0,
                robust_z=-3.0,
                false_alarm_rate_per_year=0.5,
                coverage=1.0,
                days_sustained=5,
                adverse=True,
            )
        ],
        biomarkers=[
            BaselineSummary(biomarker=b, value=1.0, baseline_median=2.0, baseline_scale=1.0)
            for b in ("activity.total_counts", "phone_use.unlocks")
        ],
    )
    text = describe_finding(finding)
    assert text == "changes noticed in sleep; daily measures of movement, phone use"
    assert "70" not in text
    assert describe_finding(Finding(patient_id="p1", date=day)) == (
        "a daily summary with nothing to report"
    )
    answers = [Phq9Response(patient_id="p1", date=day, items=[0] * 9)] * 2
    assert describe_phq9(answers) == "your answers to 2 mood questionnaires (PHQ-9)"
