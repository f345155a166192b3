"""A patient grants consent on the device page, the clinic ingests it, a clinician reads the
patient; the patient revokes it on the page, and the clinician is refused. (That ingest refuses
new findings under a revoked consent is tested in tests/server/test_server_ingest.py.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bedside.audit import SqlAuditLog
from bedside.clinical import CareTeam
from bedside.device.consent_book import ConsentBook, KnownClinic, save_clinics
from bedside.device.consent_page import consent_page_app
from bedside.domain import Role
from bedside.privacy import Identity, PartyKind, lock_identity
from bedside.server import create_app
from bedside.server.access_control import AccessControl, ClinicRoster
from bedside.server.clinician_auth import (
    ClinicianAccount,
    ClinicianTokens,
    StaffRole,
    hash_password,
)
from bedside.server.consent_lookup import SqlConsentLookup
from bedside.server.ingest import IngestService
from bedside.server.processor import LocalDecryptor
from bedside.store import create_store

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_consent_page_drives_clinic_access(tmp_path: Path) -> None:
    clinic = Identity.generate(PartyKind.CLINIC_SERVICE)
    store = create_store(f"sqlite:///{tmp_path / 'clinic.db'}")
    service = IngestService(store.engine, clinic, LocalDecryptor(clinic), clock=lambda: NOW)
    account = ClinicianAccount(
        id="dr-a", name="Dr A", role=StaffRole.PSYCHIATRIST,
        password_hash=hash_password("pw", log2_n=14),
    )  # fmt: skip
    access = AccessControl(
        ClinicRoster.of([account], CareTeam(members={"p1": {Role.PSYCHIATRIST: "dr-a"}})),
        ClinicianTokens(clinic, audience="http://127.0.0.1:8000", clock=lambda: NOW),
        SqlConsentLookup(store.engine),
        SqlAuditLog(store.engine, clinic.signing_only(), attestation="unattested"),
        clock=lambda: NOW,
    )
    api = TestClient(create_app(store, clock=lambda: NOW, ingest=service, access=access))
    bearer = {"Authorization": f"Bearer {access.tokens.issue(account)}"}

    def send(kind: str, token: str) -> None:
        path = "/ingest/consents" if kind == "consent" else "/ingest/revocations"
        response = api.post(path, json={"token": token})
        assert response.status_code == 200, response.text

    device = tmp_path / "device"
    device.mkdir()
    patient = Identity.generate(PartyKind.PATIENT)
    (device / "identity.json").write_text(lock_identity(patient, "pass phrase", scrypt_n=2**14))
    save_clinics(device, [KnownClinic(name="Clinic", did=clinic.did, patient_id="p1")])
    page = TestClient(
        consent_page_app(device, clock=lambda: NOW, send=send), base_url="http://127.0.0.1:8765"
    )
    assert api.get("/patients/p1", headers=bearer).status_code == 403  # no consent yet
    form: dict[str, Any] = {
        "clinic_did": clinic.did, "scope": ["trends", "risk"], "valid_from": "2026-03-01",
        "valid_until": "2026-06-30", "passphrase": "pass phrase",
    }  # fmt: skip
    assert "The clinic has been told." in page.post("/consents", data=form).text
    assert api.get("/patients/p1", headers=bearer).status_code == 200
    consent_id = ConsentBook(device).records()[0].grant.id
    revoke = {"consent_id": consent_id, "passphrase": "pass phrase"}
    assert "The clinic has been told." in page.post("/consents/revoke", data=revoke).text
    refused = api.get("/patients/p1", headers=bearer)
    assert refused.status_code == 403
    assert "revoked" in refused.json()["detail"]
    store.close()
