"""The dashboard and the consent page in a real browser (Debian's Chromium via Playwright).

A clinician logs in, sees the queue, opens a patient whose charts render (screenshots saved under
out/screenshots), accepts a recommendation (the FHIR Task changes in the store) and dismisses
another with a reason (the auditor's view shows it); a patient grants and then revokes consent on
the device page, and the clinic refuses the next sealed finding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bedside.device.consent_book import KnownClinic, save_clinics
from bedside.device.consent_page import consent_page_app
from bedside.domain import Finding, Modality
from bedside.fhir.tasks import recommendation_task
from bedside.privacy import (
    EnvelopePayload,
    Identity,
    PartyKind,
    lock_identity,
    new_envelope_id,
    seal_payload,
)
from bedside.server import create_app
from bedside.server.ingest import IngestService
from bedside.server.live_server import free_port, live_server
from bedside.server.processor import LocalDecryptor
from bedside.server.sample_clinic import PASSWORD, clinic_access, recommendation, seed_clinic
from bedside.store import SqlStore, create_store

pytestmark = pytest.mark.slow

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PASSPHRASE = "pass phrase"


class Clinic:
    """The clinic server (dashboard, sealed ingest) live on 127.0.0.1, seeded."""

    def __init__(self, tmp: Path) -> None:
        self.identity = Identity.generate(PartyKind.CLINIC_SERVICE)
        self.store: SqlStore = create_store(f"sqlite:///{tmp / 'clinic.db'}")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access = clinic_access(self.store, self.identity, self.url, NOW)
        self.ingest = IngestService(
            self.store.engine, self.identity, LocalDecryptor(self.identity), clock=lambda: NOW
        )
        self.app = create_app(
            self.store, base_url=self.url, clock=lambda: NOW, ingest=self.ingest, access=self.access
        )
        seed_clinic(self.store, NOW)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    made = Clinic(tmp_path)
    with live_server(made.app, made.port):
        yield made
    made.store.close()


@pytest.fixture
def device(tmp_path: Path, clinic: Clinic) -> Iterator[tuple[str, Identity, Path]]:
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

    with live_server(consent_page_app(folder, clock=lambda: NOW, send=send)) as url:
        yield url, patient, folder


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
    browser: Any, clinic: Clinic, device: tuple[str, Identity, Path], shoot: Any
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
    page.goto(f"{clinic.url}/audit?action=recommendation.status")
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
    browser: Any, clinic: Clinic, device: tuple[str, Identity, Path], shoot: Any
) -> None:
    url, patient, _folder = device
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

    assert send_finding(1).status_code == 200
    page.locator("input[name=passphrase][id^=revoke-]").first.fill(PASSPHRASE)
    page.get_by_role("button", name="Revoke consent for Fjord Clinic").click()
    assert "The clinic has been told." in page.locator("#notice").inner_text()
    shoot(page, "consent-page-revoked")
    refused = send_finding(2)
    assert refused.status_code == 403
    assert "consent_revoked" in refused.text
    page.close()
