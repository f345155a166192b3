"""The clinic's signed receipt for a stored envelope; the device deletes an envelope only on one.

A receipt (compact JWS, ``typ`` ``bedside-receipt+jws``, signed by the clinic service's Ed25519
key) names the envelope id and the SHA-256 of the JWE the clinic stored, so a device can check it
acknowledges exactly what it sent.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, ValidationError

from bedside.privacy.errors import IdentityError
from bedside.privacy.identity import Identity
from bedside.privacy.signed_json import sign_json, verify_json

__all__ = ["RECEIPT_TYP", "Receipt", "issue_receipt", "verify_receipt"]

RECEIPT_TYP = "bedside-receipt+jws"


class Receipt(BaseModel):
    """What the clinic acknowledges: envelope id, content digest, status and time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    envelope_id: str
    digest: str
    status: str
    """``stored`` the first time, ``duplicate`` on every re-delivery."""
    received_at: dt.datetime
    clinic_did: str


def issue_receipt(clinic: Identity, receipt: Receipt) -> str:
    """Sign `receipt` with the clinic's signing key (its `clinic_did` must be that key's DID)."""
    if receipt.clinic_did != clinic.did:
        raise IdentityError("receipt.clinic_did must be the signing clinic's DID")
    return sign_json(clinic, receipt.model_dump(mode="json"), typ=RECEIPT_TYP)


def verify_receipt(token: str, *, clinic_did: str) -> Receipt:
    """Verify a receipt signed by `clinic_did`; `IdentityError` otherwise."""
    signed = verify_json(token, typ=RECEIPT_TYP)
    if signed.signer != clinic_did:
        raise IdentityError(f"receipt signed by {signed.signer}, expected {clinic_did}")
    try:
        receipt = Receipt.model_validate(signed.claims)
    except ValidationError as exc:
        raise IdentityError(f"receipt is malformed: {exc.errors()[0]['msg']}") from exc
    if receipt.clinic_did != signed.signer:
        raise IdentityError("receipt names a clinic other than its signer")
    return receipt
