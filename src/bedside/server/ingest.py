"""Clinic ingest: decrypt (processor), verify, check consent and replay, store, audit, receipt.

`IngestService.ingest` either stores the envelope, its finding, any sequence gap and an audit entry
in one transaction and returns a signed receipt, or raises `EnvelopeRejectedError` after writing
only an audit entry of the rejection. A re-delivered envelope (same id, same bytes) is stored once
and receipted again (status ``duplicate``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bedside.audit import SqlAuditLog
from bedside.domain import StoreError
from bedside.privacy import (
    ConsentError,
    DeliveryKind,
    EnvelopePayload,
    EnvelopeRejectedError,
    Identity,
    Receipt,
    RejectionReason,
    SealedEnvelope,
    decide_delivery,
    envelope_digest,
    issue_receipt,
    scopes_used,
    verify_consent,
    verify_payload,
    verify_revocation,
)
from bedside.server.processor import Decryptor
from bedside.store.ingest_tables import (
    create_ingest_tables,
    get_consent,
    has_any_consent,
    insert_envelope,
    prior_delivery,
    put_consent,
    record_gap,
    revoke_consent,
)

__all__ = ["IngestResult", "IngestService"]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class IngestResult:
    """Outcome of an accepted envelope: ``stored`` or ``duplicate``, and the signed receipt."""

    status: str
    receipt: str
    gap: tuple[int, int] | None = None


class IngestService:
    """The API process's ingest logic.

    Parameters
    ----------
    engine : Engine
        The clinic database (tables created if missing).
    clinic : Identity
        The clinic service's identity; only its signing half is kept.
    decryptor : Decryptor
        The processor (another process in production).
    clock : callable returning datetime, optional
    max_clock_skew : timedelta
        How far in the future an envelope's ``issued_at`` may be.
    """

    def __init__(
        self,
        engine: Engine,
        clinic: Identity,
        decryptor: Decryptor,
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
        max_clock_skew: dt.timedelta = dt.timedelta(minutes=10),
    ) -> None:
        self.engine = engine
        self.clinic = clinic.signing_only()
        self.decryptor = decryptor
        self.clock = clock
        self.max_clock_skew = max_clock_skew
        create_ingest_tables(engine)
        self.audit = SqlAuditLog(engine, self.clinic, attestation=decryptor.attestation)
        self._lock = threading.Lock()

    # -- consent ----------------------------------------------------------------------------------

    def register_consent(self, token: str) -> str:
        """Verify and store a patient's consent credential; returns its id (idempotent)."""
        now = self.clock()
        try:
            grant = verify_consent(token)
            if grant.grantee_did != self.clinic.did:
                raise ConsentError(f"consent is granted to {grant.grantee_did}, not this clinic")
        except ConsentError as exc:
            self.audit.record(
                at=now, actor="unknown", action="consent.register", subject="-",
                outcome="rejected", detail={"detail": str(exc)},
            )  # fmt: skip
            raise
        with self._lock, self.engine.begin() as conn:
            created = put_consent(conn, grant, token)
            self.audit.append(
                conn, at=now, actor=grant.patient_did, action="consent.register",
                subject=grant.id, outcome="stored" if created else "duplicate",
                detail={"scopes": sorted(s.value for s in grant.scopes),
                        "valid_until": grant.valid_until.isoformat()},
            )  # fmt: skip
        return grant.id

    def revoke_consent(self, token: str) -> str:
        """Apply a patient's signed revocation; returns the consent id."""
        now = self.clock()
        revocation = verify_revocation(token)
        with self._lock, self.engine.begin() as conn:
            stored = get_consent(conn, revocation.consent_id)
            if stored is None or stored[0].patient_did != revocation.patient_did:
                raise ConsentError(
                    f"no consent {revocation.consent_id} issued by {revocation.patient_did}"
                )
            changed = revoke_consent(conn, revocation.consent_id, revocation.revoked_at, token)
            self.audit.append(
                conn, at=now, actor=revocation.patient_did, action="consent.revoke",
                subject=revocation.consent_id, outcome="revoked" if changed else "already_revoked",
                detail={"retention": "findings kept for the clinical record; no new data"},
            )  # fmt: skip
        return revocation.consent_id

    # -- envelopes --------------------------------------------------------------------------------

    def ingest(self, sealed: SealedEnvelope) -> IngestResult:
        """Accept or reject one sealed envelope (see the module docstring)."""
        now = self.clock()
        try:
            inner = self.decryptor.decrypt(sealed)
            payload = verify_payload(inner, sealed.envelope_id)
            return self._store(sealed, payload, now)
        except EnvelopeRejectedError as exc:
            self.audit.record(
                at=now, actor="device", action="ingest.envelope", subject=sealed.envelope_id,
                outcome=f"rejected:{exc.reason.value}", detail={"detail": exc.detail},
            )  # fmt: skip
            raise

    def record_refusal(
        self, reason: RejectionReason, detail: str, envelope_id: str | None = None
    ) -> None:
        """Audit a refusal made before an envelope could be parsed (oversized or malformed body)."""
        self.audit.record(
            at=self.clock(), actor="device", action="ingest.envelope", subject=envelope_id or "-",
            outcome=f"rejected:{reason.value}", detail={"detail": detail},
        )  # fmt: skip

    def _reject(self, reason: RejectionReason, detail: str, eid: str) -> EnvelopeRejectedError:
        return EnvelopeRejectedError(reason, detail, eid)

    def _store(
        self, sealed: SealedEnvelope, payload: EnvelopePayload, now: dt.datetime
    ) -> IngestResult:
        eid = sealed.envelope_id
        digest = envelope_digest(sealed)
        if payload.issued_at > now + self.max_clock_skew:
            raise self._reject(RejectionReason.MALFORMED, "issued_at is in the future", eid)
        with self._lock:
            try:
                with self.engine.begin() as conn:
                    if not has_any_consent(conn, payload.patient_did):
                        raise self._reject(
                            RejectionReason.UNKNOWN_SIGNER,
                            f"no consent on file from {payload.patient_did}",
                            eid,
                        )
                    stored = get_consent(conn, payload.consent_id)
                    if stored is None:
                        raise self._reject(
                            RejectionReason.NO_CONSENT, f"unknown consent {payload.consent_id}", eid
                        )
                    grant, revoked_at = stored
                    if grant.patient_did != payload.patient_did:
                        raise self._reject(
                            RejectionReason.NO_CONSENT,
                            f"consent {grant.id} was not issued by the signer",
                            eid,
                        )
                    if revoked_at is not None:
                        raise self._reject(
                            RejectionReason.CONSENT_REVOKED,
                            f"consent {grant.id} revoked at {revoked_at.isoformat()}",
                            eid,
                        )
                    if not (grant.is_valid_at(payload.issued_at) and grant.is_valid_at(now)):
                        raise self._reject(
                            RejectionReason.CONSENT_EXPIRED,
                            f"consent {grant.id} valid {grant.valid_from.isoformat()} to "
                            f"{grant.valid_until.isoformat()}",
                            eid,
                        )
                    extra = scopes_used(payload) - grant.scopes
                    if extra:
                        raise self._reject(
                            RejectionReason.OUT_OF_SCOPE,
                            f"payload uses {sorted(s.value for s in extra)} beyond the consent",
                            eid,
                        )
                    if (
                        payload.finding is not None
                        and payload.finding.patient_id != grant.patient_id
                    ):
                        raise self._reject(
                            RejectionReason.MALFORMED,
                            f"finding.patient_id {payload.finding.patient_id!r} is not the "
                            "consent's patient",
                            eid,
                        )
                    prior = prior_delivery(conn, eid, payload.patient_did, payload.sequence)
                    decision = decide_delivery(eid, digest, payload.sequence, prior)
                    if decision.kind is DeliveryKind.REPLAY:
                        raise self._reject(RejectionReason.REPLAY, decision.reason, eid)
                    status = "stored" if decision.kind is DeliveryKind.NEW else "duplicate"
                    if decision.kind is DeliveryKind.NEW:
                        insert_envelope(
                            conn,
                            envelope_id=eid,
                            patient_did=payload.patient_did,
                            sequence=payload.sequence,
                            digest=digest,
                            consent_id=payload.consent_id,
                            issued_at=payload.issued_at,
                            received_at=now,
                            payload_json=payload.model_dump_json(),
                            finding=payload.finding,
                        )
                        if decision.gap is not None:
                            record_gap(conn, payload.patient_did, *decision.gap, now)
                    detail: dict[str, object] = {"sequence": payload.sequence, "digest": digest}
                    if decision.gap is not None:
                        detail["gap"] = list(decision.gap)
                    self.audit.append(
                        conn, at=now, actor=payload.patient_did, action="ingest.envelope",
                        subject=eid, outcome=status, detail=detail,
                    )  # fmt: skip
            except IntegrityError as exc:
                # A concurrent writer took the id or sequence between our check and insert.
                raise self._reject(
                    RejectionReason.REPLAY, "envelope id or sequence taken", eid
                ) from exc
            except EnvelopeRejectedError:
                raise
            except Exception as exc:
                raise StoreError(
                    f"storing envelope {eid} failed; nothing was written: {exc}"
                ) from exc
        receipt = Receipt(
            envelope_id=eid,
            digest=digest,
            status=status,
            received_at=now,
            clinic_did=self.clinic.did,
        )
        return IngestResult(
            status=status, receipt=issue_receipt(self.clinic, receipt), gap=decision.gap
        )
