"""Errors of the privacy layer, rooted in `bedside.domain.errors.BedsideError`.

`EnvelopeRejectedError` carries a machine-readable `RejectionReason`, so that the clinic can
answer a device with the reason and write the same reason into its audit log.
"""

from __future__ import annotations

from enum import StrEnum

from bedside.domain import BedsideError

__all__ = [
    "ConsentError",
    "EnvelopeRejectedError",
    "IdentityError",
    "KeyStoreError",
    "RejectionReason",
]


class IdentityError(BedsideError, ValueError):
    """A DID, key or signature statement is malformed or does not verify."""


class KeyStoreError(BedsideError):
    """Encrypted key material could not be opened (wrong passphrase, corrupt or foreign file)."""


class ConsentError(BedsideError, ValueError):
    """A consent credential or revocation is malformed, forged, expired or not yet valid."""


class RejectionReason(StrEnum):
    """Why the clinic refused a sealed envelope."""

    TAMPERED = "tampered"
    WRONG_RECIPIENT = "wrong_recipient"
    FORGED_SIGNATURE = "forged_signature"
    UNKNOWN_SIGNER = "unknown_signer"
    REPLAY = "replay"
    NO_CONSENT = "no_consent"
    CONSENT_EXPIRED = "consent_expired"
    CONSENT_REVOKED = "consent_revoked"
    OUT_OF_SCOPE = "out_of_scope"
    OVERSIZED = "oversized"
    MALFORMED = "malformed"


class EnvelopeRejectedError(BedsideError):
    """A sealed envelope was refused; nothing of it was stored.

    Parameters
    ----------
    reason : RejectionReason
    detail : str
        What exactly was wrong, for the audit log and the device's error report.
    envelope_id : str or None
        The envelope's id when it could be read.
    """

    def __init__(self, reason: RejectionReason, detail: str, envelope_id: str | None = None):
        self.reason = reason
        self.detail = detail
        self.envelope_id = envelope_id
        super().__init__(f"envelope rejected ({reason.value}): {detail}")
