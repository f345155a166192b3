"""The patient's consent page (device agent, 127.0.0.1): grant, revoke, clear errors, a11y."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bedside.device.consent_book import ConsentBook, KnownClinic, save_clinics
from bedside.device.consent_page import consent_page_app
from bedside.domain import StoreError
from bedside.privacy import (
    Identity,
    PartyKind,
    Scope,
    lock_identity,
    verify_consent,
    verify_revocation,
)

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PASSPHRASE = "blue kettle on a rainy morning"
URL = "http://127.0.0.1:8765"


_PATIENT = Identity.generate(PartyKind.PATIENT)
_CLINIC = Identity.generate(PartyKind.CLINIC_SERVICE)
_KEYSTORE: list[str] = []


def _keystore() -> str:
    if not _KEYSTORE:  # scrypt once per module, not once per test
        _KEYSTORE.append(lock_identity(_PATIENT, PASSPHRASE, scrypt_n=2**14))
    return _KEYSTORE[0]


class Device:
    """A device state folder with a patient keystore and one paired clinic."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.patient = _PATIENT
        (folder / "identity.json").write_text(_keystore())
        self.clinic = _CLINIC
        save_clinics(
            folder, [KnownClinic(name="Fjord Clinic", did=self.clinic.did, patient_id="p1")]
        )
        self.sent: list[tuple[str, str]] = []
        app = consent_page_app(folder, clock=lambda: NOW, send=self.record)
        self.client = TestClient(app, base_url=URL)

    def record(self, kind: str, token: str) -> None:
        self.sent.append((kind, token))

    def grant(self, **overrides: Any) -> Any:
        form: dict[str, Any] = {
            "clinic_did": self.clinic.did,
            "scope": ["trends", "risk"],
            "purpose": "treatment",
            "valid_from": "2026-03-01",
            "valid_until": "2026-08-31",
            "passphrase": PASSPHRASE,
        }
        form.update(overrides)
        return self.client.post("/consents", data=form)


@pytest.fixture
def device(tmp_path: Path) -> Device:
    return Device(tmp_path)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_empty_page_is_accessible_and_offers_no_raw_data(device: Device) -> None:
    html = device.client.get("/").text
    assert "You have not given any clinic consent yet" in html
    tags = _tags(html)
    labelled = {a.get("for") for t, a in tags if t == "label"}
    inputs = [a for t, a in tags if t in ("input", "select") and a.get("type") != "hidden"]
    assert inputs
    assert all(a.get("id") in labelled for a in inputs), "every field has a label"
    assert re.search(r"<button[^>]*>Sign and give consent</button>", html)
    offered = sorted(a["value"] or "" for t, a in tags if t == "input" and a.get("name") == "scope")
    assert offered == sorted(s.value for s in Scope)
    assert "raw" not in offered
    assert "http://" not in html.replace(URL, "")
    assert "https://" not in html


def test_grant_signs_a_verifiable_consent_keeps_it_and_tells_the_clinic(device: Device) -> None:
    response = device.grant()
    assert response.status_code == 200
    assert "Consent signed for Fjord Clinic. The clinic has been told." in response.text
    [(kind, token)] = device.sent
    assert kind == "consent"
    grant = verify_consent(token, now=NOW)
    assert grant.patient_did == device.patient.did
    assert grant.grantee_did == device.clinic.did
    assert grant.patient_id == "p1"
    assert grant.scopes == {Scope.TRENDS, Scope.RISK}
    assert grant.valid_from == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert grant.valid_until == dt.datetime(2026, 9, 1, tzinfo=dt.UTC)  # end of the last day
    [record] = ConsentBook(device.folder).records()
    assert record.token == token
    row = re.search(r'<tr data-consent-id="[^"]+" data-status="([a-z ]+)">', response.text)
    assert row is not None
    assert row.group(1) == "active"
    assert "31 August 2026" in response.text


def test_wrong_passphrase_signs_nothing(device: Device) -> None:
    response = device.grant(passphrase="not it")
    assert response.status_code == 422
    assert "That passphrase is not right; nothing was signed." in response.text
    assert re.search(r'id="passphrase"[^>]*aria-invalid="true"', response.text)
    assert device.sent == []
    assert ConsentBook(device.folder).records() == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"clinic_did": ""}, "Enter the clinic&#39;s DID."),
        ({"clinic_did": "did:web:clinic.example"}, "not a valid clinic DID"),
        ({"scope": []}, "Choose at least one kind of finding to share."),
        ({"scope": ["raw"]}, "&#39;raw&#39; is not something you can share."),
        ({"valid_from": "1 March"}, "Enter the first day as YYYY-MM-DD."),
        ({"valid_until": "2026-02-01"}, "The last day must not be before the first."),
        ({"valid_from": "2025-01-01", "valid_until": "2025-12-31"}, "already in the past"),
        ({"valid_until": "2029-01-01"}, "at most 730 days"),
        ({"purpose": "marketing"}, "The only purpose offered is treatment."),
        ({"passphrase": ""}, "Enter your passphrase to sign."),
    ],
)
def test_bad_form_is_refused_with_the_problem_named(
    device: Device, overrides: dict[str, Any], message: str
) -> None:
    response = device.grant(**overrides)
    assert response.status_code == 422
    assert message in response.text
    assert 'role="alert"' in response.text
    assert device.sent == []
    assert ConsentBook(device.folder).records() == []


def test_unknown_clinic_did_is_named(device: Device) -> None:
    stranger = Identity.generate(PartyKind.CLINIC_SERVICE).did
    response = device.grant(clinic_did=stranger)
    assert response.status_code == 422
    assert f"This device does not know a clinic with DID {stranger}." in response.text


def test_revoke_needs_the_passphrase_then_signs_the_revocation(device: Device) -> None:
    device.grant()
    grant = ConsentBook(device.folder).records()[0].grant
    form = {"consent_id": grant.id, "passphrase": "wrong"}
    refused = device.client.post("/consents/revoke", data=form)
    assert refused.status_code == 422
    assert "nothing was revoked" in refused.text
    assert ConsentBook(device.folder).records()[0].revocation is None
    form["passphrase"] = PASSPHRASE
    done = device.client.post("/consents/revoke", data=form)
    assert done.status_code == 200
    assert "Consent revoked. The clinic has been told." in done.text
    kind, token = device.sent[-1]
    assert kind == "revocation"
    revocation = verify_revocation(token)
    assert (revocation.consent_id, revocation.patient_did) == (grant.id, device.patient.did)
    assert 'data-status="revoked"' in done.text
    assert "Revoke consent for Fjord Clinic" not in done.text


def test_clinic_unreachable_keeps_the_consent_and_says_so(tmp_path: Path) -> None:
    device = Device(tmp_path)

    def offline(kind: str, token: str) -> None:
        raise OSError("connection refused")

    client = TestClient(consent_page_app(tmp_path, clock=lambda: NOW, send=offline), base_url=URL)
    form = {
        "clinic_did": device.clinic.did, "scope": "phq9", "valid_from": "2026-03-01",
        "valid_until": "2026-03-31", "passphrase": PASSPHRASE,
    }  # fmt: skip
    response = client.post("/consents", data=form)
    assert "The clinic could not be told yet (connection refused)" in response.text
    assert len(ConsentBook(tmp_path).records()) == 1


def test_only_loopback_hosts_and_same_site_posts(device: Device) -> None:
    app = device.client.app
    rebinding = TestClient(app, base_url="http://attacker.example:8765")
    assert rebinding.get("/").status_code == 421
    cross = device.client.post(
        "/consents", data={"passphrase": PASSPHRASE}, headers={"origin": "https://evil.example"}
    )
    assert cross.status_code == 403


def test_edited_consent_file_fails_loudly(device: Device) -> None:
    device.grant()
    path = device.folder / "consents.json"
    path.write_text(path.read_text().replace('"token": "ey', '"token": "eyX'))
    with pytest.raises(StoreError, match="does not verify"):
        ConsentBook(device.folder).records()


def test_active_consent_is_what_the_agent_may_send_under(device: Device) -> None:
    book = ConsentBook(device.folder)
    assert book.active(device.clinic.did, NOW) is None  # nothing signed: nothing sent
    device.grant()
    active = book.active(device.clinic.did, NOW)
    assert active is not None
    assert book.active(device.clinic.did, NOW + dt.timedelta(days=400)) is None  # expired
    assert book.active(Identity.generate(PartyKind.CLINIC_SERVICE).did, NOW) is None
    device.client.post(
        "/consents/revoke", data={"consent_id": active.grant.id, "passphrase": PASSPHRASE}
    )
    assert book.active(device.clinic.did, NOW) is None


def test_change_scope_signs_a_new_consent_then_revokes_the_old(device: Device) -> None:
    device.grant()
    old = ConsentBook(device.folder).records()[0].grant
    form: dict[str, Any] = {"consent_id": old.id, "scope": ["risk"], "passphrase": "wrong"}
    refused = device.client.post("/consents/change", data=form)
    assert refused.status_code == 422
    assert "nothing was signed" in refused.text
    none_chosen = device.client.post(
        "/consents/change", data={"consent_id": old.id, "passphrase": PASSPHRASE}
    )
    assert none_chosen.status_code == 422
    assert len(ConsentBook(device.folder).records()) == 1
    form["passphrase"] = PASSPHRASE
    done = device.client.post("/consents/change", data=form)
    assert done.status_code == 200
    assert "Fjord Clinic now receives only: Risk." in done.text
    # The new consent reaches the clinic before the old one is revoked.
    assert [kind for kind, _ in device.sent[-2:]] == ["consent", "revocation"]
    new = verify_consent(device.sent[-2][1])
    assert new.scopes == frozenset({Scope.RISK})
    assert (new.valid_from, new.valid_until) == (NOW, old.valid_until)
    assert verify_revocation(device.sent[-1][1]).consent_id == old.id
    records = {r.grant.id: r for r in ConsentBook(device.folder).records()}
    assert records[old.id].revocation is not None
    assert records[new.id].status(NOW) == "active"
