"""The device agent: seals the day's findings and PHQ-9 answers to the clinic under consent.

No valid consent, nothing is sealed or sent. Each finding is first reduced to the consented scopes
(`restrict_finding`), then signed by the patient and encrypted to the clinic, numbered with a
per-patient sequence kept in the encrypted vault, and queued in the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from bedside.device.outbox import Outbox
from bedside.device.vault import LocalVault
from bedside.domain import Finding, Phq9Response
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
_PHQ9_PER_ENVELOPE = 31  # EnvelopePayload.phq9 max_length: one month of daily answers


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
    consent : ConsentGrant
        The patient's consent for that clinic (verified when it was issued on this device).
    vault : LocalVault
        Encrypted local store (outbox and sequence counter live here).
    clock : callable returning datetime, optional
    """

    def __init__(
        self,
        patient: Identity,
        clinic: PublicIdentity,
        consent: ConsentGrant,
        vault: LocalVault,
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        if consent.grantee_did != clinic.did:
            raise ValueError("consent is granted to another clinic")
        self.patient = patient
        self.clinic = clinic
        self.consent = consent
        self.vault = vault
        self.clock = clock
        self.outbox = Outbox(vault, clinic.did, clock=clock)

    def _next_sequence(self) -> int:
        raw = self.vault.get(_STATE, "sequence")
        seq = (int(raw.decode()) if raw else 0) + 1
        self.vault.put(_STATE, "sequence", str(seq).encode())
        return seq

    def queue_findings(self, findings: Sequence[Finding]) -> int:
        """Seal and queue findings; returns how many were queued (0 without valid consent)."""
        now = self.clock()
        if not self.consent.is_valid_at(now):
            return 0
        queued = 0
        for finding in findings:
            payload = EnvelopePayload(
                envelope_id=new_envelope_id(),
                sequence=self._next_sequence(),
                issued_at=now,
                patient_did=self.patient.did,
                consent_id=self.consent.id,
                finding=restrict_finding(finding, self.consent.scopes),
            )
            self.outbox.put(seal_payload(self.patient, self.clinic, payload))
            queued += 1
        return queued

    def queue_phq9(self, responses: Sequence[Phq9Response]) -> int:
        """Seal and queue the patient's PHQ-9 answers; returns how many were queued.

        Nothing is queued without a valid consent that includes the ``phq9`` scope: the patient
        decides whether questionnaires reach the clinic. (The device app itself must still show
        crisis resources for a positive item 9, whatever the consent says.)
        """
        now = self.clock()
        if not self.consent.is_valid_at(now) or Scope.PHQ9 not in self.consent.scopes:
            return 0
        own = [r for r in responses if r.patient_id == self.consent.patient_id]
        if len(own) != len(responses):
            raise ValueError("a PHQ-9 of another patient cannot be sent under this consent")
        for start in range(0, len(own), _PHQ9_PER_ENVELOPE):
            payload = EnvelopePayload(
                envelope_id=new_envelope_id(),
                sequence=self._next_sequence(),
                issued_at=now,
                patient_did=self.patient.did,
                consent_id=self.consent.id,
                phq9=own[start : start + _PHQ9_PER_ENVELOPE],
            )
            self.outbox.put(seal_payload(self.patient, self.clinic, payload))
        return len(own)
