"""Group commit: a batch is one transaction, yet each envelope is accepted or refused on its own."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import bedside.server.ingest as ingest_module
from bedside.audit import read_audit_log, verify_audit_log
from bedside.domain import StoreError
from bedside.privacy import (
    EnvelopePayload,
    EnvelopeRejectedError,
    Identity,
    PartyKind,
    RejectionReason,
    Scope,
    SealedEnvelope,
    issue_consent,
    new_envelope_id,
    seal_payload,
    verify_receipt,
)
from bedside.server.ingest import IngestResult, IngestService
from bedside.server.ingest_batch import GroupCommitter
from bedside.server.processor import LocalDecryptor
from bedside.store import create_store
from bedside.store.ingest_tables import count_envelopes

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
CLINIC = Identity.generate(PartyKind.CLINIC_SERVICE)
PATIENTS = [Identity.generate(PartyKind.PATIENT) for _ in range(3)]


class Setup:
    def __init__(self, tmp: Path) -> None:
        self.store = create_store(f"sqlite:///{tmp / 'batch.db'}")
        self.service = IngestService(
            self.store.engine, CLINIC, LocalDecryptor(CLINIC), clock=lambda: T0
        )
        self.grants = []
        for i, patient in enumerate(PATIENTS):
            grant, token = issue_consent(
                patient,
                patient_id=f"p{i}",
                grantee_did=CLINIC.did,
                scopes={Scope.RISK},
                valid_from=T0 - dt.timedelta(days=1),
                valid_until=T0 + dt.timedelta(days=1),
            )
            self.service.register_consent(token)
            self.grants.append(grant)
        self.sequence = [0] * len(PATIENTS)

    def seal(self, who: int = 0, sequence: int | None = None) -> SealedEnvelope:
        if sequence is None:
            self.sequence[who] += 1
            sequence = self.sequence[who]
        payload = EnvelopePayload(
            envelope_id=new_envelope_id(),
            sequence=sequence,
            issued_at=T0,
            patient_did=PATIENTS[who].did,
            consent_id=self.grants[who].id,
        )
        return seal_payload(PATIENTS[who], CLINIC.public, payload)

    def stored(self) -> int:
        with self.store.engine.connect() as conn:
            return count_envelopes(conn)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    made = Setup(tmp_path)
    yield made
    made.store.close()


def test_one_batch_mixes_stored_duplicate_and_refused(setup: Setup) -> None:
    first = setup.seal()
    replay = setup.seal(sequence=1)  # another id under a sequence the batch already used
    tampered = setup.seal().model_copy(update={"jwe": first.jwe[:-4] + "AAAA"})
    other = setup.seal(who=1)
    results = setup.service.ingest_many([first, first, replay, tampered, other])
    assert [r.status if isinstance(r, IngestResult) else r.reason for r in results] == [
        "stored",
        "duplicate",
        RejectionReason.REPLAY,
        RejectionReason.TAMPERED,
        "stored",
    ]
    assert setup.stored() == 2
    outcomes = [e.outcome for e in read_audit_log(setup.store.engine)[0]][-5:]
    assert outcomes == ["stored", "duplicate", "rejected:replay", "rejected:tampered", "stored"]
    assert verify_audit_log(setup.store.engine, trusted_did=CLINIC.did) == []
    picked = [results[0], results[1], results[4]]
    for sealed, result in zip([first, first, other], picked, strict=True):
        assert isinstance(result, IngestResult)
        receipt = verify_receipt(result.receipt, clinic_did=CLINIC.did)
        assert receipt.envelope_id == sealed.envelope_id


def test_a_failing_envelope_does_not_sink_its_batch(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent writer's IntegrityError aborts the batch; each is retried on its own."""
    good1, bad, good2 = setup.seal(0), setup.seal(1), setup.seal(2)
    real = ingest_module.insert_envelopes

    def insert(conn: Any, rows: Any) -> None:
        if any(row.envelope_id == bad.envelope_id for row in rows):
            raise sa.exc.IntegrityError("INSERT", {}, Exception("taken meanwhile"))
        real(conn, rows)

    monkeypatch.setattr(ingest_module, "insert_envelopes", insert)
    results = setup.service.ingest_many([good1, bad, good2])
    assert isinstance(results[0], IngestResult)
    assert isinstance(results[1], EnvelopeRejectedError)
    assert results[1].reason is RejectionReason.REPLAY
    assert isinstance(results[2], IngestResult)
    assert setup.stored() == 2
    assert verify_audit_log(setup.store.engine, trusted_did=CLINIC.did) == []


def test_no_receipt_when_the_commit_fails(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(conn: Any, events: Any) -> Any:
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(setup.service.audit, "append_many", broken)
    sealed = setup.seal()
    with pytest.raises(StoreError, match="nothing was written"):
        setup.service.ingest(sealed)
    assert setup.stored() == 0


def test_concurrent_requests_share_commits(setup: Setup) -> None:
    committer = GroupCommitter(setup.service, max_batch=8)
    envelopes = [setup.seal(i % 3) for i in range(24)]

    async def all_at_once() -> list[IngestResult]:
        return await asyncio.gather(*(committer.submit(e) for e in envelopes))

    results = asyncio.run(all_at_once())
    committer.close()
    assert [r.status for r in results] == ["stored"] * 24
    assert 3 <= committer.batches < 24  # at most 8 per batch, and batched at all
    assert setup.stored() == 24
    for sealed, result in zip(envelopes, results, strict=True):
        receipt = verify_receipt(result.receipt, clinic_did=CLINIC.did)
        assert receipt.envelope_id == sealed.envelope_id
    assert verify_audit_log(setup.store.engine, trusted_did=CLINIC.did) == []


def test_refusal_travels_through_the_committer(setup: Setup) -> None:
    committer = GroupCommitter(setup.service)
    unknown = Identity.generate(PartyKind.PATIENT)
    payload = EnvelopePayload(
        envelope_id=new_envelope_id(),
        sequence=1,
        issued_at=T0,
        patient_did=unknown.did,
        consent_id=setup.grants[0].id,
    )
    sealed = seal_payload(unknown, CLINIC.public, payload)
    with pytest.raises(EnvelopeRejectedError) as caught:
        asyncio.run(committer.submit(sealed))
    committer.close()
    assert caught.value.reason is RejectionReason.UNKNOWN_SIGNER
    assert setup.stored() == 0
