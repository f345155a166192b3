"""The device agent: seals the day's findings and PHQ-9 answers to the clinic under consent.

Before sealing, the agent asks the patient's consents (normally the device's `ConsentBook`)
which consent to this clinic is in force now; without one nothing is sealed. Each finding is
reduced to the consented scopes (`restrict_finding`) -- a consent that covers no finding family
seals no finding -- then signed by the patient, encrypted to the clinic, numbered with a
per-patient sequence kept in the encrypted vault, and queued in the outbox with the id of the
consent it was sealed under. Before sending (`deliver`), every queued envelope's consent is
checked again (revoked or expired: withdrawn, never sent) and the processor's attestation report
is checked by the `ReleaseGate` (refused or unavailable: everything held). The semantics are
spelled out in :mod:`bedside.device.release_gate`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from bedside.device.outbox import DeliveryReport, Outbox, Transport
from bedside.device.release_gate import ConsentLookup, FixedConsent, ReleaseGate
from bedside.device.sent_log import describe_finding, describe_phq9, note_sent
from bedside.device.vault import LocalVault
from bedside.domain import ConfigurationError, Finding, Phq9Response
from bedside.privacy import (
    ConsentGrant,
    EnvelopePayload,
    Identity,
    PublicIdentity,
    Scope,
    new_envelope_id,
    restrict_finding,
    seal_payload,
)

__all__ = ["DeviceAgent"]

_STATE = "state"
_CONSENT_OF = "envelope_consent"  # envelope id -> id of the consent it was sealed under
_PHQ9_PER_ENVELOPE = 31  # EnvelopePayload.phq9 max_length: one month of daily answers
_FINDING_SCOPES = frozenset({Scope.TRENDS, Scope.RISK})

_log = logging.getLogger(__name__)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeviceAgent:
    """One patient's device.

    Parameters
    ----------
    patient : Identity
        The patient's keys (unlocked from the keystore).
    clinic : PublicIdentity
        Where findings go.
    consent : ConsentLookup or ConsentGrant
        The patient's consents (a `ConsentBook`: asked before every sealing and sending, so a
        revocation on the consent page stops sending at once), or one grant fixed up front.
    vault : LocalVault
        Encrypted local store (outbox and sequence counter live here).
    clock : callable returning datetime, optional
    release : ReleaseGate, optional
        The processor check `deliver` requires (attestation against the release policy).

    Attributes
    ----------
    hold_reason : str or None
        Why the last sealing or delivery attempt sent nothing, or None.
    """

    def __init__(
        self,
        patient: Identity,
        clinic: PublicIdentity,
        consent: ConsentLookup | ConsentGrant,
        vault: LocalVault,
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
        release: ReleaseGate | None = None,
    ) -> None:
        if isinstance(consent, ConsentGrant):
            if consent.grantee_did != clinic.did:
                raise ValueError("consent is granted to another clinic")
            consent = FixedConsent(consent)
        self.patient = patient
        self.clinic = clinic
        self.consents = consent
        self.vault = vault
        self.clock = clock
        self.release = release
        self.outbox = Outbox(vault, clinic.did, clock=clock)
        self.hold_reason: str | None = None

    def _hold(self, reason: str) -> None:
        self.hold_reason = reason
        _log.warning("device agent holds findings for clinic %s: %s", self.clinic.did, reason)

    def _active(self, now: dt.datetime, needed: frozenset[Scope]) -> ConsentGrant | None:
        """The consent in force to seal data of the `needed` families under, or None (logged)."""
        record = self.consents.active(self.clinic.did, now)
        if record is None:
            self._hold(f"no active consent to clinic {self.clinic.did} at {now.isoformat()}")
            return None
        grant = record.grant
        if grant.patient_did != self.patient.did:
            raise ValueError(f"consent {grant.id} was signed by another patient")
        if not grant.scopes & needed:
            names = ", ".join(sorted(s.value for s in grant.scopes))
            wanted = ", ".join(sorted(s.value for s in needed))
            self._hold(f"consent {grant.id} covers {names}, not {wanted}")
            return None
        self.hold_reason = None
        return grant

    def _next_sequence(self) -> int:
        raw = self.vault.get(_STATE, "sequence")
        seq = (int(raw.decode()) if raw else 0) + 1
        self.vault.put(_STATE, "sequence", str(seq).encode())
        return seq

    def _queue(self, payload: EnvelopePayload) -> None:
        sealed = seal_payload(self.patient, self.clinic, payload)
        self.vault.put(_CONSENT_OF, sealed.envelope_id, payload.consent_id.encode())
        # The envelope is unreadable on the device once sealed: keep what the patient may ask
        # about ("what was sent and when") beside it.
        if payload.finding is not None:
            day, what = payload.finding.date, describe_finding(payload.finding)
        elif payload.phq9:
            day, what = max(r.date for r in payload.phq9), describe_phq9(list(payload.phq9))
        else:
            day, what = payload.issued_at.date(), "an empty envelope"
        note_sent(
            self.vault,
            sealed.envelope_id,
            clinic_did=self.clinic.did,
            day=day,
            what=what,
            prepared=payload.issued_at,
        )
        self.outbox.put(sealed)

    def queue_findings(self, findings: Sequence[Finding]) -> int:
        """Seal and queue findings; returns how many were queued.

        0 without a consent in force that covers trends or risk (`hold_reason` says why; the
        findings stay on the device).
        """
        now = self.clock()
        grant = self._active(now, _FINDING_SCOPES)
        if grant is None:
            return 0
        for finding in findings:
            self._queue(
                EnvelopePayload(
                    envelope_id=new_envelope_id(),
                    sequence=self._next_sequence(),
                    issued_at=now,
                    patient_did=self.patient.did,
                    consent_id=grant.id,
                    finding=restrict_finding(finding, grant.scopes),
                )
            )
        return len(findings)

    def queue_phq9(self, responses: Sequence[Phq9Response]) -> int:
        """Seal and queue the patient's PHQ-9 answers; returns how many were queued.

        Nothing is queued without a valid consent that includes the ``phq9`` scope: the patient
        decides whether questionnaires reach the clinic. (The device app itself must still show
        crisis resources for a positive item 9, whatever the consent says.)
        """
        now = self.clock()
        grant = self._active(now, frozenset({Scope.PHQ9}))
        if grant is None:
            return 0
        own = [r for r in responses if r.patient_id == grant.patient_id]
        if len(own) != len(responses):
            raise ValueError("a PHQ-9 of another patient cannot be sent under this consent")
        for start in range(0, len(own), _PHQ9_PER_ENVELOPE):
            self._queue(
                EnvelopePayload(
                    envelope_id=new_envelope_id(),
                    sequence=self._next_sequence(),
                    issued_at=now,
                    patient_did=self.patient.did,
                    consent_id=grant.id,
                    phq9=own[start : start + _PHQ9_PER_ENVELOPE],
                )
            )
        return len(own)

    def _withdraw_unconsented(self, now: dt.datetime) -> int:
        """Withdraw queued envelopes whose consent is no longer in force; returns how many."""
        status = {r.grant.id: r.status(now) for r in self.consents.records()}
        withdrawn = 0
        for sealed in self.outbox.pending():
            raw = self.vault.get(_CONSENT_OF, sealed.envelope_id)
            consent_id = raw.decode() if raw is not None else None
            state = status.get(consent_id, "unknown") if consent_id else "unknown"
            if state == "active":
                continue
            reason = f"consent {consent_id or '(not recorded)'} is {state}: withdrawn, not sent"
            self.outbox.withdraw(sealed.envelope_id, reason)
            _log.warning("envelope %s %s", sealed.envelope_id, reason)
            withdrawn += 1
        return withdrawn

    def deliver(self, transport: Transport) -> DeliveryReport:
        """One delivery pass, after the consent and processor checks.

        Returns
        -------
        DeliveryReport
            ``withdrawn``: envelopes whose consent was revoked or expired (never sent);
            ``held``: envelopes kept queued because the processor check failed; ``reason``:
            the release decision.

        Raises
        ------
        ConfigurationError
            When the agent has no `ReleaseGate` (no release policy, no sending).
        """
        if self.release is None:
            raise ConfigurationError(
                "the device agent has no release gate: set a ReleasePolicy (an allow-list of "
                "processor measurements, or allow_unattested for development) before sending"
            )
        now = self.clock()
        withdrawn = self._withdraw_unconsented(now)
        pending = len(self.outbox.pending())
        if pending == 0:
            return DeliveryReport(withdrawn=withdrawn)
        decision = self.release.check(self.clinic.encryption_did, now)
        if not decision.allowed:
            self._hold(decision.reason)
            return DeliveryReport(held=pending, withdrawn=withdrawn, reason=decision.reason)
        report = self.outbox.deliver(transport)
        report.withdrawn, report.reason = withdrawn, decision.reason
        return report
