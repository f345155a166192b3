"""The dashboard and the consent page in a real browser (Debian's Chromium via Playwright).

A clinician logs in, sees the queue, opens a patient whose charts render (screenshots saved under
out/screenshots), accepts a recommendation (the FHIR Task changes in the store) and dismisses
another with a reason (the auditor's view shows it); a patient grants and then revokes consent on
the device page, and the clinic refuses the next sealed finding.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bedside.device import DeviceAgent, HttpTransport, LocalVault
from bedside.device.consent_book import ConsentBook, KnownClinic, save_clinics
from bedside.device.consent_page import consent_page_app
from bedside.device.sent_log import sent_history
from bedside.domain import Finding, Modality
from bedside.fhir.tasks import recommendation_task
from bedside.privacy import (
    EnvelopePayload,
    Identity,
    PartyKind,
    Scope,
    issue_consent,
    lock_identity,
    new_envelope_id,
    seal_payload,
)
from bedside.server import create_app
from bedside.server.ingest import IngestService
from bedside.server.live_server import free_port, live_server
from bedside.server.processor import LocalDecryptor
from bedside.server.sample_clinic import PASSWORD, clinic_access, recommendation, seed_clinic
from bedside.server.simulated_ehr_auth import SimulatedEhrAuth
from bedside.server.smart_launch import SmartLaunch
from bedside.store import SqlStore, create_store
from bedside.store.ingest_tables import put_consent

pytestmark = pytest.mark.slow

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PASSPHRASE = "pass phrase"


class Clinic:
    """The clinic server (dashboard, sealed ingest) live on 127.0.0.1, seeded; with `ehr`, the
    dashboard is registered as a SMART app with that (simulated) EHR."""

    def __init__(self, tmp: Path, ehr: SimulatedEhrAuth | None = None) -> None:
        self.identity = Identity.generate(PartyKind.CLINIC_SERVICE)
        self.store: SqlStore = create_store(f"sqlite:///{tmp / 'clinic.db'}")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access = clinic_access(self.store, self.identity, self.url, NOW)
        self.ingest = IngestService(
            self.store.engine, self.identity, LocalDecryptor(self.identity), clock=lambda: NOW
        )
        self.http = httpx.Client()
        smart = None
        if ehr is not None:
            callback = f"{self.url}/smart/callback"
            ehr.clients["bedside-dashboard"] = (callback,)
            smart = SmartLaunch("bedside-dashboard", callback, (ehr.fhir_base,), self.http)
        self.app = create_app(
            self.store,
            base_url=self.url,
            clock=lambda: NOW,
            ingest=self.ingest,
            access=self.access,
            smart=smart,
        )
        seed_clinic(self.store, NOW)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    made = Clinic(tmp_path)
    with live_server(made.app, made.port):
        yield made
    made.http.close()
    made.store.close()


@pytest.fixture
def device(tmp_path: Path, clinic: Clinic) -> Iterator[tuple[str, Identity, Path, LocalVault]]:
    """The patient's device: keystore, the clinic it knows, and its consent page, live."""
    folder = tmp_path / "device"
    folder.mkdir()
    patient = Identity.generate(PartyKind.PATIENT)
    (folder / "identity.json").write_text(lock_identity(patient, PASSPHRASE, scrypt_n=2**14))
    save_clinics(
        folder, [KnownClinic(name="Fjord Clinic", did=clinic.identity.did, patient_id="p1")]
    )

    def send(kind: str, token: str) -> None:
        path = "/ingest/consents" if kind == "consent" else "/ingest/revocations"
        httpx.post(f"{clinic.url}{path}", json={"token": token}).raise_for_status()

    vault = LocalVault(folder / "vault.db", os.urandom(32))
    page = consent_page_app(folder, clock=lambda: NOW, send=send, sent=lambda: sent_history(vault))
    with live_server(page) as url:
        yield url, patient, folder, vault
    vault.close()


def _grant_consent(page: Any, clinic: Clinic, url: str) -> None:
    page.goto(url)
    page.get_by_label("Clinic").first.fill(clinic.identity.did)
    for box in page.locator("input[name=scope]").all():
        box.check()
    page.locator("#passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign and give consent").click()
    assert "The clinic has been told." in page.locator("#notice").inner_text()


def _log_in(page: Any, clinic: Clinic, user: str) -> None:
    page.goto(f"{clinic.url}/")
    assert "/login" in page.url  # not logged in yet: sent to the form
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_clinician_triages_from_queue_to_charts_to_actions(
    browser: Any, clinic: Clinic, device: tuple[str, Identity, Path, LocalVault], shoot: Any
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    _grant_consent(page, clinic, device[0])  # p1 consents on the device; p2 never does
    _log_in(page, clinic, "dr-a")
    rows = page.locator("tr.rec-row")
    assert rows.count() == 2  # p1's two; p2 (no consent) is not shown
    assert "2 of 5 interruptive" in page.locator("#budget").inner_text()
    queue_png = shoot(page, "dashboard-queue")

    page.get_by_role("link", name="p1").first.click()
    page.wait_for_selector("svg.chart")
    paths = page.locator("svg.chart path.series")
    assert paths.count() >= 3  # two biomarkers and risk (broken where a day is missing)
    assert all(
        len(d or "") > 20 for d in paths.evaluate_all("ps => ps.map(p => p.getAttribute('d'))")
    )
    assert page.locator("#chart-sleep-duration-min path.trend-line").count() == 1
    assert "onset" in (page.locator("#chart-sleep-duration-min g.onset").text_content() or "")
    assert page.locator("#chart-sleep-duration-min rect.gap").count() >= 1
    title = page.locator("#chart-risk title").first.text_content() or ""
    assert "Episode risk" in title
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    patient_png = shoot(page, "dashboard-patient-charts")

    page.goto(f"{clinic.url}/recommendations/r-accept")
    page.get_by_role("button", name="Accept").click()
    assert page.locator("#notice").inner_text() == "Accepted"
    task_id = recommendation_task(recommendation("r-accept", "p1", NOW))["id"]
    task = clinic.store.fhir.get("Task", task_id)
    assert task is not None
    assert task["status"] == "accepted"
    assert page.locator("#task-status").inner_text() == "accepted"
    rec_png = shoot(page, "dashboard-recommendation-accepted")

    page.goto(f"{clinic.url}/recommendations/r-dismiss")
    page.get_by_label("Reason for dismissing").select_option("recipient-disagrees-evidence")
    page.get_by_label("Note (optional)").fill("Reviewed with the patient today")
    page.get_by_role("button", name="Dismiss").click()
    assert page.locator("#notice").inner_text() == "Dismissed"
    page.get_by_role("button", name="Log out").click()

    _log_in(page, clinic, "aud-a")
    assert page.url == f"{clinic.url}/audit"  # the auditor's home page
    page.get_by_label("Action").select_option("recommendation.status")
    page.get_by_role("button", name="Filter").click()
    audit = page.locator("#audit tbody tr")
    assert audit.count() == 2
    newest = audit.first.inner_text()
    assert "dismissed" in newest
    assert "recipient-disagrees-evidence: Disagree with the evidence" in newest
    assert "intact" in page.locator("#chain-status").inner_text()
    assert "unattested" in page.locator("#attestation-status").inner_text()
    audit_png = shoot(page, "dashboard-audit")
    for png in (queue_png, patient_png, rec_png, audit_png):
        assert png.stat().st_size > 10_000
    context.close()


def test_patient_revokes_consent_and_new_findings_are_refused(
    browser: Any, clinic: Clinic, device: tuple[str, Identity, Path, LocalVault], shoot: Any
) -> None:
    url, patient, folder, vault = device
    page = browser.new_page()
    _grant_consent(page, clinic, url)

    consent_id = page.locator("tr[data-consent-id]").first.get_attribute("data-consent-id")
    assert consent_id

    def send_finding(sequence: int) -> httpx.Response:
        payload = EnvelopePayload(
            envelope_id=new_envelope_id(),
            sequence=sequence,
            issued_at=NOW,
            patient_did=patient.did,
            consent_id=consent_id,
            finding=Finding(
                patient_id="p1",
                date=dt.date(2026, 2, 28),
                device_id="device-p1",
                coverage={Modality.ACTIGRAPHY: 0.9},
            ),
        )
        sealed = seal_payload(patient, clinic.identity.public, payload)
        return httpx.post(f"{clinic.url}/ingest/envelopes", content=sealed.model_dump_json())

    # The first finding goes the device agent's way (sealed, queued, delivered, receipted), so
    # the page's "what was sent and when" has it.
    agent = DeviceAgent(
        patient, clinic.identity.public, ConsentBook(folder), vault, clock=lambda: NOW
    )
    day = dt.date(2026, 2, 27)
    finding = Finding(
        patient_id="p1", date=day, device_id="device-p1", coverage={Modality.ACTIGRAPHY: 0.9}
    )
    assert agent.queue_findings([finding]) == 1
    with httpx.Client(base_url=clinic.url) as http:
        assert agent.outbox.deliver(HttpTransport(http)).delivered == 1
    page.goto(url)  # not reload: the page is the answer to the grant form's POST
    sent = page.locator("table.sent").first
    assert "Sent to Fjord Clinic: 1 item" in sent.locator("caption").inner_text()
    row = sent.locator("tbody tr").first.inner_text()
    assert "27 February 2026" in row
    assert "received by the clinic on" in row
    shoot(page, "consent-page-sent")
    assert send_finding(2).status_code == 200
    page.locator("input[name=passphrase][id^=revoke-]").first.fill(PASSPHRASE)
    page.get_by_role("button", name="Revoke consent for Fjord Clinic").click()
    assert "The clinic has been told." in page.locator("#notice").inner_text()
    shoot(page, "consent-page-revoked")
    refused = send_finding(3)
    assert refused.status_code == 403
    assert "consent_revoked" in refused.text
    page.close()


def test_smart_ehr_launch_opens_the_patient_in_the_browser(
    browser: Any, tmp_path: Path, shoot: Any
) -> None:
    """The EHR (on another site: ``localhost``, the app is on ``127.0.0.1``) launches the app
    from a CDS card link; the browser goes through authorize (PKCE S256) and lands, logged in,
    on the patient in context."""
    ehr = SimulatedEhrAuth(clients={})
    ehr_port = free_port()
    ehr.base_url = f"http://localhost:{ehr_port}"
    clinic = Clinic(tmp_path, ehr)
    patient = Identity.generate(PartyKind.PATIENT)
    grant, token = issue_consent(
        patient, patient_id="p1", grantee_did=clinic.identity.did, scopes={Scope.TRENDS},
        valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=30),
    )  # fmt: skip
    with clinic.store.engine.begin() as conn:
        put_consent(conn, grant, token)
    with live_server(ehr.app(), ehr_port), live_server(clinic.app, clinic.port):
        launch = ehr.new_launch("dr-a", "ehr-patient-9", '{"bedsidePatientId": "p1"}')
        page = browser.new_page()
        page.goto(f"{clinic.url}/smart/launch?iss={ehr.fhir_base}&launch={launch}")
        page.wait_for_url(f"{clinic.url}/patients/p1")
        assert page.locator("h1").inner_text() == "Patient p1"
        assert "Logged in as dr-a" in page.locator("header").inner_text()
        assert page.locator("svg.chart").count() >= 3
        shoot(page, "smart-launch-patient")
        page.close()
    assert ehr.issued == [{"client_id": "bedside-dashboard", "patient": "ehr-patient-9"}]
    clinic.http.close()
    clinic.store.close()
