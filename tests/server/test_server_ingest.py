"""Sealed ingest over HTTP, on SQLite and PostgreSQL: receipts, idempotency, every rejection.

Each rejection test checks three things: the HTTP status and reason, an audit entry naming the
reason, and that nothing of the envelope was written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bedside.audit import read_audit_log, verify_audit_log
from bedside.domain import Finding, Modality, RiskEstimate
from bedside.privacy import (
    EnvelopePayload,
    Identity,
    PartyKind,
    Scope,
    SealedEnvelope,
    issue_consent,
    issue_revocation,
    new_envelope_id,
    seal_payload,
    sign_json,
    verify_receipt,
)
from bedside.privacy.envelope import ENVELOPE_TYP
from bedside.server import create_app
from bedside.server.ingest import IngestService
from bedside.server.processor import HttpDecryptor, processor_app
from bedside.store import create_store
from bedside.store.ingest_tables import count_envelopes, sequence_gaps

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


class Clinic:
    """A clinic (API + processor as separate apps) and a patient with consent on file."""

    def __init__(
        self, url: str, scopes: frozenset[Scope] = frozenset({Scope.TRENDS, Scope.RISK})
    ) -> None:
        self.identity = Identity.generate(PartyKind.CLINIC_SERVICE)
        self.patient = Identity.generate(PartyKind.PATIENT)
        self.clock = Clock()
        self.store = create_store(url)
        processor = TestClient(processor_app(self.identity.encryption_only()))
        self.service = IngestService(
            self.store.engine,
            self.identity.signing_only(),
            HttpDecryptor(processor),
            clock=self.clock,
        )
        self.api = TestClient(create_app(self.store, clock=self.clock, ingest=self.service))
        self.grant, token = issue_consent(
            self.patient,
            patient_id="p1",
            grantee_did=self.identity.did,
            scopes=set(scopes),
            valid_from=T0 - dt.timedelta(days=1),
            valid_until=T0 + dt.timedelta(days=30),
        )
        assert self.api.post("/ingest/consents", json={"token": token}).status_code == 200
        self.sequence = 0

    def payload(self, patient: Identity | None = None, **kw: object) -> EnvelopePayload:
        patient = patient or self.patient
        self.sequence += 1
        args: dict[str, object] = {
            "envelope_id": new_envelope_id(),
            "sequence": self.sequence,
            "issued_at": self.clock.now,
            "patient_did": patient.did,
            "consent_id": self.grant.id,
            "finding": Finding(
                patient_id="p1",
                date=dt.date(2026, 2, 28),
                device_id="dev-1",
                risk=RiskEstimate(
                    as_of=dt.date(2026, 2, 28),
                    probability=0.4,
                    interval_low=0.3,
                    interval_high=0.5,
                    model_id="episode-risk",
                    model_version="1",
                ),
                coverage={Modality.ACTIGRAPHY: 0.9},
            ),
        }
        args.update(kw)
        return EnvelopePayload.model_validate(args)

    def seal(self, payload: EnvelopePayload, patient: Identity | None = None) -> SealedEnvelope:
        return seal_payload(patient or self.patient, self.identity.public, payload)

    def post(self, sealed: SealedEnvelope) -> tuple[int, dict[str, object]]:
        response = self.api.post("/ingest/envelopes", content=sealed.model_dump_json())
        return response.status_code, response.json()

    def stored(self) -> int:
        with self.store.engine.connect() as conn:
            return count_envelopes(conn)

    def last_audit(self) -> tuple[str, str]:
        entries, _ = read_audit_log(self.store.engine)
        return entries[-1].outcome, entries[-1].subject


@pytest.fixture(params=["sqlite", "postgresql"])
def clinic(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Clinic]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'clinic.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    made = Clinic(url)
    yield made
    made.store.close()


def test_stored_once_receipted_twice(clinic: Clinic) -> None:
    sealed = clinic.seal(clinic.payload())
    first_status, first = clinic.post(sealed)
    again_status, again = clinic.post(sealed)
    assert (first_status, again_status) == (200, 200)
    assert (first["status"], again["status"]) == ("stored", "duplicate")
    for body in (first, again):
        receipt = verify_receipt(str(body["receipt"]), clinic_did=clinic.identity.did)
        assert receipt.envelope_id == sealed.envelope_id
    assert clinic.stored() == 1
    findings = clinic.store.findings.list_for_patient("p1")
    assert [f.risk.probability for f in findings if f.risk] == [0.4]
    entries, _ = read_audit_log(clinic.store.engine)
    assert [e.outcome for e in entries] == ["stored", "stored", "duplicate"]
    assert all(e.attestation == "unattested" for e in entries)
    assert verify_audit_log(clinic.store.engine) == []


def test_sequence_gap_is_accepted_and_recorded(clinic: Clinic) -> None:
    assert clinic.post(clinic.seal(clinic.payload()))[0] == 200
    clinic.sequence = 4
    status, body = clinic.post(clinic.seal(clinic.payload()))
    assert status == 200
    assert body["status"] == "stored"
    with clinic.store.engine.connect() as conn:
        assert sequence_gaps(conn, clinic.patient.did) == [(2, 4)]
    entries, _ = read_audit_log(clinic.store.engine)
    assert entries[-1].detail["gap"] == [2, 4]


def _assert_rejected(clinic: Clinic, sealed: SealedEnvelope, status: int, reason: str) -> None:
    before = clinic.stored()
    got_status, body = clinic.post(sealed)
    assert (got_status, body["reason"]) == (status, reason), body
    assert clinic.stored() == before
    outcome, subject = clinic.last_audit()
    assert outcome == f"rejected:{reason}"
    assert subject in (sealed.envelope_id, "-")  # "-" when the body could not be read


def test_tampered_ciphertext(clinic: Clinic) -> None:
    sealed = clinic.seal(clinic.payload())
    parts = sealed.jwe.split(".")
    parts[3] = ("A" if parts[3][0] != "A" else "B") + parts[3][1:]
    _assert_rejected(clinic, sealed.model_copy(update={"jwe": ".".join(parts)}), 422, "tampered")


def test_wrong_recipient(clinic: Clinic) -> None:
    other = Identity.generate(PartyKind.CLINIC_SERVICE)
    sealed = seal_payload(clinic.patient, other.public, clinic.payload())
    _assert_rejected(clinic, sealed, 422, "wrong_recipient")


def test_forged_signer(clinic: Clinic) -> None:
    mallory = Identity.generate(PartyKind.PATIENT)
    payload = clinic.payload()
    inner = sign_json(mallory, json.loads(payload.model_dump_json()), typ=ENVELOPE_TYP)
    from joserfc import jwe
    from joserfc.jwk import OKPKey

    token = jwe.encrypt_compact(
        {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": clinic.identity.public.encryption_kid},
        inner.encode(),
        OKPKey.import_key(clinic.identity.public.encryption_key),
    )
    sealed = SealedEnvelope(envelope_id=payload.envelope_id, jwe=token)
    _assert_rejected(clinic, sealed, 403, "forged_signature")


def test_unknown_signer(clinic: Clinic) -> None:
    stranger = Identity.generate(PartyKind.PATIENT)
    sealed = clinic.seal(clinic.payload(patient=stranger), patient=stranger)
    _assert_rejected(clinic, sealed, 403, "unknown_signer")


def test_replay_of_a_sequence_under_a_new_id(clinic: Clinic) -> None:
    assert clinic.post(clinic.seal(clinic.payload()))[0] == 200
    clinic.sequence = 0  # a second envelope claiming sequence 1
    _assert_rejected(clinic, clinic.seal(clinic.payload()), 409, "replay")


def test_replay_of_an_id_with_other_content(clinic: Clinic) -> None:
    payload = clinic.payload()
    assert clinic.post(clinic.seal(payload))[0] == 200
    # Re-sealing gives new ciphertext under the same envelope id.
    _assert_rejected(clinic, clinic.seal(payload), 409, "replay")


def test_expired_consent(clinic: Clinic) -> None:
    clinic.clock.now = T0 + dt.timedelta(days=31)
    _assert_rejected(clinic, clinic.seal(clinic.payload()), 403, "consent_expired")


def test_revoked_consent(clinic: Clinic) -> None:
    assert clinic.post(clinic.seal(clinic.payload()))[0] == 200
    _, token = issue_revocation(clinic.patient, clinic.grant.id, now=T0)
    assert clinic.api.post("/ingest/revocations", json={"token": token}).status_code == 200
    assert clinic.last_audit() == ("revoked", clinic.grant.id)
    _assert_rejected(clinic, clinic.seal(clinic.payload()), 403, "consent_revoked")


def test_revocation_by_someone_else_is_refused(clinic: Clinic) -> None:
    mallory = Identity.generate(PartyKind.PATIENT)
    _, token = issue_revocation(mallory, clinic.grant.id, now=T0)
    assert clinic.api.post("/ingest/revocations", json={"token": token}).status_code == 403
    assert clinic.post(clinic.seal(clinic.payload()))[0] == 200


def test_out_of_scope(clinic: Clinic) -> None:
    from bedside.domain import Phq9Response

    phq = Phq9Response(patient_id="p1", date=dt.date(2026, 2, 28), items=[1] * 9)
    _assert_rejected(clinic, clinic.seal(clinic.payload(phq9=[phq])), 403, "out_of_scope")


def test_oversized(clinic: Clinic) -> None:
    sealed = clinic.seal(clinic.payload())
    big = sealed.model_copy(update={"jwe": sealed.jwe + "A" * 70_000})
    _assert_rejected(clinic, big, 413, "oversized")


def test_malformed_payload_after_decryption(clinic: Clinic) -> None:
    payload = clinic.payload()
    claims = json.loads(payload.model_dump_json())
    claims["sequence"] = 0
    inner = sign_json(clinic.patient, claims, typ=ENVELOPE_TYP)
    from joserfc import jwe
    from joserfc.jwk import OKPKey

    token = jwe.encrypt_compact(
        {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": clinic.identity.public.encryption_kid},
        inner.encode(),
        OKPKey.import_key(clinic.identity.public.encryption_key),
    )
    sealed = SealedEnvelope(envelope_id=payload.envelope_id, jwe=token)
    _assert_rejected(clinic, sealed, 400, "malformed")


def test_malformed_body_is_a_400_not_a_500(clinic: Clinic) -> None:
    bodies = [b"", b"{", b'{"envelope_id": 3}', b"[]", b'{"envelope_id": "x", "jwe": "a"}']
    for body in bodies:
        response = clinic.api.post("/ingest/envelopes", content=body)
        assert 400 <= response.status_code < 500, body
        assert clinic.last_audit()[0] == f"rejected:{response.json()['reason']}"
    assert clinic.stored() == 0


def test_consent_for_another_clinic_is_refused(clinic: Clinic) -> None:
    other = Identity.generate(PartyKind.CLINIC_SERVICE)
    _, token = issue_consent(
        clinic.patient,
        patient_id="p1",
        grantee_did=other.did,
        scopes={Scope.RISK},
        valid_from=T0,
        valid_until=T0 + dt.timedelta(days=1),
    )
    response = clinic.api.post("/ingest/consents", json={"token": token})
    assert response.status_code == 403
    assert "not this clinic" in response.json()["detail"]


def test_audit_chain_survives_a_mixed_session(clinic: Clinic) -> None:
    clinic.post(clinic.seal(clinic.payload()))
    stranger = Identity.generate(PartyKind.PATIENT)
    clinic.post(clinic.seal(clinic.payload(patient=stranger), patient=stranger))
    assert verify_audit_log(clinic.store.engine, trusted_did=clinic.identity.did) == []
    with clinic.store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET outcome = 'stored' WHERE seq = 3"))
    problems = verify_audit_log(clinic.store.engine, trusted_did=clinic.identity.did)
    assert [p.seq for p in problems] == [3]


def test_phq9_answers_are_stored_with_their_envelope(tmp_path: Path) -> None:
    from bedside.domain import Phq9Response

    clinic = Clinic(f"sqlite:///{tmp_path / 'c.db'}", frozenset({Scope.TRENDS, Scope.PHQ9}))
    answers = [
        Phq9Response(patient_id="p1", date=dt.date(2026, 2, 27), items=[1] * 9),
        Phq9Response(patient_id="p1", date=dt.date(2026, 2, 28), items=[2] * 8 + [1]),
    ]
    status, body = clinic.post(clinic.seal(clinic.payload(finding=None, phq9=answers)))
    assert (status, body["status"]) == (200, "stored")
    assert clinic.store.phq9.list_for_patient("p1") == answers
    stranger = Phq9Response(patient_id="p2", date=dt.date(2026, 2, 28), items=[0] * 9)
    _assert_rejected(
        clinic, clinic.seal(clinic.payload(finding=None, phq9=[stranger])), 400, "malformed"
    )
    assert clinic.store.phq9.list_for_patient("p2") == []
    clinic.store.close()
