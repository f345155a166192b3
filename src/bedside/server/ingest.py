"""Clinic ingest: decrypt (processor), verify, check consent and replay, store, audit, receipt.

`IngestService.ingest` either stores the envelope, its finding, any sequence gap and an audit entry
in one transaction and returns a signed receipt, or raises `EnvelopeRejectedError` after writing
only an audit entry of the rejection. A re-delivered envelope (same id, same bytes) is stored once
and receipted again (status ``duplicate``). `IngestService.ingest_many` (`open_many` +
`store_many`) does the same for a batch with one processor round trip and ONE commit (group
commit, see `bedside.server.ingest_batch`); each envelope is still accepted or refused on its own.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bedside.audit import AuditEvent, SqlAuditLog
from bedside.domain import StoreError
from bedside.privacy import (
    ConsentError,
    ConsentGrant,
    DeliveryDecision,
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
    BatchPrior,
    EnvelopeRow,
    create_ingest_tables,
    get_consent,
    get_consents,
    has_any_consent,
    insert_envelopes,
    prior_deliveries,
    put_consent,
    revoke_consent,
)

__all__ = ["IngestOutcome", "IngestResult", "IngestService"]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_Outcome = tuple[str, str, tuple[int, int] | None]
"""An accepted envelope inside a batch: status, digest, gap."""


@dataclass(frozen=True)
class IngestResult:
    """Outcome of an accepted envelope: ``stored`` or ``duplicate``, and the signed receipt."""

    status: str
    receipt: str
    gap: tuple[int, int] | None = None


IngestOutcome = IngestResult | EnvelopeRejectedError | StoreError
"""Per envelope of a batch: accepted (with receipt), rejected (audited), or not stored (retry)."""


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
    max_batch : int
        Most envelopes the HTTP routes group into one transaction (``1``: a commit per envelope).
    """

    def __init__(
        self,
        engine: Engine,
        clinic: Identity,
        decryptor: Decryptor,
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
        max_clock_skew: dt.timedelta = dt.timedelta(minutes=10),
        max_batch: int = 128,
    ) -> None:
        self.engine = engine
        self.clinic = clinic.signing_only()
        self.decryptor = decryptor
        self.clock = clock
        self.max_clock_skew = max_clock_skew
        self.max_batch = max_batch
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
        result = self.store_many([sealed], self.open_many([sealed]), now=now)[0]
        if isinstance(result, IngestResult):
            return result
        raise result

    def ingest_many(self, batch: Sequence[SealedEnvelope]) -> list[IngestOutcome]:
        """`open_many` then `store_many`: every envelope's result, in order, one commit."""
        return self.store_many(batch, self.open_many(batch))

    def open_many(
        self, batch: Sequence[SealedEnvelope]
    ) -> list[EnvelopePayload | EnvelopeRejectedError]:
        """Decrypt (one processor round trip) and verify each envelope's signature and schema."""
        opened: list[EnvelopePayload | EnvelopeRejectedError] = []
        for sealed, inner in zip(batch, self.decryptor.decrypt_many(batch), strict=True):
            if isinstance(inner, EnvelopeRejectedError):
                opened.append(inner)
                continue
            try:
                opened.append(verify_payload(inner, sealed.envelope_id))
            except EnvelopeRejectedError as exc:
                opened.append(exc)
        return opened

    def store_many(
        self,
        batch: Sequence[SealedEnvelope],
        opened: Sequence[EnvelopePayload | EnvelopeRejectedError],
        *,
        now: dt.datetime | None = None,
    ) -> list[IngestOutcome]:
        """Check, store and audit a batch in ONE transaction (group commit); receipts after it.

        Each envelope is accepted or rejected on its own: checks only read, so a rejected
        envelope writes nothing but its audit entry. Receipts are signed only once the
        transaction holding the envelope has committed, so a receipt never precedes durability.
        If the transaction fails as a whole (e.g. a concurrent writer on PostgreSQL took an id),
        every envelope is retried in a transaction of its own, so one cannot sink the others.

        Raises
        ------
        StoreError
            A single envelope could not be stored for a database reason; nothing was written.
        """
        now = self.clock() if now is None else now
        try:
            with self._lock, self.audit.lock, self.engine.begin() as conn:
                outcomes = self._admit_batch(conn, batch, opened, now)
        except Exception as exc:
            if len(batch) > 1:
                return [
                    self._store_one_or_refuse(sealed, item, now)
                    for sealed, item in zip(batch, opened, strict=True)
                ]
            eid = batch[0].envelope_id
            if isinstance(exc, IntegrityError):
                # A concurrent writer took the id or sequence between our check and insert.
                rejection = self._reject(
                    RejectionReason.REPLAY, "envelope id or sequence taken", eid
                )
                self._audit_rejection(rejection, now)
                return [rejection]
            raise StoreError(f"storing envelope {eid} failed; nothing was written: {exc}") from exc
        results: list[IngestOutcome] = []
        for sealed, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, EnvelopeRejectedError):
                results.append(outcome)
                continue
            status, digest, gap = outcome
            receipt = Receipt(
                envelope_id=sealed.envelope_id,
                digest=digest,
                status=status,
                received_at=now,
                clinic_did=self.clinic.did,
            )
            results.append(
                IngestResult(status=status, receipt=issue_receipt(self.clinic, receipt), gap=gap)
            )
        return results

    def _store_one_or_refuse(
        self,
        sealed: SealedEnvelope,
        item: EnvelopePayload | EnvelopeRejectedError,
        now: dt.datetime,
    ) -> IngestOutcome:
        try:
            return self.store_many([sealed], [item], now=now)[0]
        except StoreError as exc:
            return exc

    def record_refusal(
        self, reason: RejectionReason, detail: str, envelope_id: str | None = None
    ) -> None:
        """Audit a refusal made before an envelope could be parsed (oversized or malformed body)."""
        self.audit.record(
            at=self.clock(), actor="device", action="ingest.envelope", subject=envelope_id or "-",
            outcome=f"rejected:{reason.value}", detail={"detail": detail},
        )  # fmt: skip

    def _audit_rejection(self, exc: EnvelopeRejectedError, now: dt.datetime) -> None:
        self.audit.record(
            at=now, actor="device", action="ingest.envelope", subject=exc.envelope_id or "-",
            outcome=f"rejected:{exc.reason.value}", detail={"detail": exc.detail},
        )  # fmt: skip

    def _reject(self, reason: RejectionReason, detail: str, eid: str) -> EnvelopeRejectedError:
        return EnvelopeRejectedError(reason, detail, eid)

    def _admit_batch(
        self,
        conn: Connection,
        batch: Sequence[SealedEnvelope],
        opened: Sequence[EnvelopePayload | EnvelopeRejectedError],
        now: dt.datetime,
    ) -> list[_Outcome | EnvelopeRejectedError]:
        """Check every envelope of a batch in order, then write the accepted ones and chain all
        audit entries -- a handful of statements per batch, not per envelope."""
        payloads = [p for p in opened if isinstance(p, EnvelopePayload)]
        found = get_consents(conn, (p.consent_id for p in payloads))
        consents = {p.consent_id: found.get(p.consent_id) for p in payloads}
        prior = prior_deliveries(
            conn,
            [(s.envelope_id, p.patient_did, p.sequence) for s, p in zip(batch, opened, strict=True)
             if isinstance(p, EnvelopePayload)],
        )  # fmt: skip
        outcomes: list[_Outcome | EnvelopeRejectedError] = []
        events: list[AuditEvent] = []
        rows: list[EnvelopeRow] = []
        for sealed, item in zip(batch, opened, strict=True):
            eid = sealed.envelope_id
            try:
                if isinstance(item, EnvelopeRejectedError):
                    raise item
                digest = envelope_digest(sealed)
                decision = self._admit(conn, consents, prior, item, digest, eid, now)
            except EnvelopeRejectedError as exc:
                outcomes.append(exc)
                events.append(
                    AuditEvent(now, "device", "ingest.envelope", eid,
                               f"rejected:{exc.reason.value}", {"detail": exc.detail})
                )  # fmt: skip
                continue
            status = "stored" if decision.kind is DeliveryKind.NEW else "duplicate"
            if decision.kind is DeliveryKind.NEW:
                prior.accept(eid, item.patient_did, item.sequence, digest)
                rows.append(
                    EnvelopeRow(
                        envelope_id=eid,
                        patient_did=item.patient_did,
                        sequence=item.sequence,
                        digest=digest,
                        consent_id=item.consent_id,
                        issued_at=item.issued_at,
                        received_at=now,
                        payload_json=item.model_dump_json(),
                        finding=item.finding,
                        gap=decision.gap,
                        phq9=item.phq9,
                    )
                )
            detail: dict[str, object] = {"sequence": item.sequence, "digest": digest}
            if decision.gap is not None:
                detail["gap"] = list(decision.gap)
            events.append(AuditEvent(now, item.patient_did, "ingest.envelope", eid, status, detail))
            outcomes.append((status, digest, decision.gap))
        insert_envelopes(conn, rows)
        self.audit.append_many(conn, events)
        return outcomes

    def _admit(
        self,
        conn: Connection,
        consents: dict[str, tuple[ConsentGrant, dt.datetime | None] | None],
        prior: BatchPrior,
        payload: EnvelopePayload,
        digest: str,
        eid: str,
        now: dt.datetime,
    ) -> DeliveryDecision:
        """Consent, scope, clock and replay checks (reads only); raises the rejection."""
        if payload.issued_at > now + self.max_clock_skew:
            raise self._reject(RejectionReason.MALFORMED, "issued_at is in the future", eid)
        stored = consents[payload.consent_id]
        # "Unknown signer" wins over the consent problems, as in the unbatched checks.
        if (stored is None or stored[0].patient_did != payload.patient_did) and not (
            has_any_consent(conn, payload.patient_did)
        ):
            raise self._reject(
                RejectionReason.UNKNOWN_SIGNER,
                f"no consent on file from {payload.patient_did}",
                eid,
            )
        if stored is None:
            raise self._reject(
                RejectionReason.NO_CONSENT, f"unknown consent {payload.consent_id}", eid
            )
        grant, revoked_at = stored
        if grant.patient_did != payload.patient_did:
            raise self._reject(
                RejectionReason.NO_CONSENT, f"consent {grant.id} was not issued by the signer", eid
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
        if payload.finding is not None and payload.finding.patient_id != grant.patient_id:
            raise self._reject(
                RejectionReason.MALFORMED,
                f"finding.patient_id {payload.finding.patient_id!r} is not the consent's patient",
                eid,
            )
        strangers = sorted({r.patient_id for r in payload.phq9} - {grant.patient_id})
        if strangers:
            raise self._reject(
                RejectionReason.MALFORMED,
                f"phq9 patient_id {strangers} is not the consent's patient",
                eid,
            )
        seen = prior.prior(eid, payload.patient_did, payload.sequence)
        decision = decide_delivery(eid, digest, payload.sequence, seen)
        if decision.kind is DeliveryKind.REPLAY:
            raise self._reject(RejectionReason.REPLAY, decision.reason, eid)
        return decision
