"""Sealed findings: signed by the patient (JWS), then encrypted to the clinic (JWE).

Sealing, on the device::

    payload (EnvelopePayload JSON) --JWS Ed25519, patient--> --JWE ECDH-ES+A256KW/A256GCM,
    clinic X25519--> SealedEnvelope {envelope_id, jwe}

Opening is split in two on purpose. `decrypt_envelope` needs the clinic's X25519 private key and
runs in the processor process; it returns the inner JWS unchanged. `verify_payload` needs no secret
and runs in the API process: it checks the patient's signature and the payload schema itself, so
the API does not have to trust the processor for authenticity. Each failure raises
`EnvelopeRejectedError` with its `RejectionReason`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bedside.domain import Finding, Phq9Response
from bedside.privacy.errors import EnvelopeRejectedError, IdentityError, RejectionReason
from bedside.privacy.identity import Identity, PublicIdentity
from bedside.privacy.signed_json import sign_json, verify_json

__all__ = [
    "ENVELOPE_TYP",
    "MAX_ENVELOPE_BYTES",
    "EnvelopePayload",
    "SealedEnvelope",
    "decrypt_envelope",
    "envelope_digest",
    "new_envelope_id",
    "open_envelope",
    "seal_payload",
    "verify_payload",
]

ENVELOPE_TYP = "bedside-finding+jws"
MAX_ENVELOPE_BYTES = 64 * 1024
"""Largest accepted JWE text (bytes). A patient-day's finding is a few KB."""

_JWE_ALG = "ECDH-ES+A256KW"
_JWE_ENC = "A256GCM"
_JWE_REGISTRY = jwe.JWERegistry(algorithms=[_JWE_ALG, _JWE_ENC])


def new_envelope_id() -> str:
    """A fresh random envelope id (UUID4 text)."""
    return str(uuid.uuid4())


class EnvelopePayload(BaseModel):
    """What a patient signs: one patient-day's finding with delivery metadata.

    Attributes
    ----------
    envelope_id : str
        Unique per envelope; the clinic's idempotency key.
    sequence : int
        Per-patient delivery counter, starting at 1; the clinic records gaps.
    issued_at : datetime
        When the device sealed the envelope (UTC).
    patient_did : str
        The signer; must equal the JWS ``kid`` DID.
    consent_id : str
        The consent credential under which the finding is sent.
    finding : Finding or None
        Trends/risk of the day, reduced to the consented scopes.
    phq9 : list of Phq9Response
        Self-reported PHQ-9 answers (scope ``phq9``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    envelope_id: str = Field(min_length=1, max_length=100)
    sequence: int = Field(ge=1)
    issued_at: dt.datetime
    patient_did: str
    consent_id: str
    finding: Finding | None = None
    phq9: list[Phq9Response] = Field(default_factory=list, max_length=31)

    @field_validator("issued_at")
    @classmethod
    def _aware(cls, when: dt.datetime) -> dt.datetime:
        if when.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        return when.astimezone(dt.UTC)


class SealedEnvelope(BaseModel):
    """What travels: the envelope id in clear (for idempotency and receipts) and the JWE."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    envelope_id: str = Field(min_length=1, max_length=100)
    jwe: str = Field(min_length=1)


def envelope_digest(sealed: SealedEnvelope) -> str:
    """SHA-256 (hex) of the JWE text: what a receipt acknowledges and replays are compared by."""
    return hashlib.sha256(sealed.jwe.encode()).hexdigest()


def _protected_header(token: str) -> dict[str, object]:
    parts = token.split(".")
    if len(parts) != 5:
        raise ValueError(f"{len(parts)} dot-separated parts, expected 5")
    first = parts[0]
    header = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    if not isinstance(header, dict):
        raise ValueError("protected header is not a JSON object")
    return header


def seal_payload(
    patient: Identity, clinic: PublicIdentity, payload: EnvelopePayload
) -> SealedEnvelope:
    """Sign `payload` with the patient's key, then encrypt it to the clinic's X25519 key."""
    if payload.patient_did != patient.did:
        raise IdentityError("payload.patient_did must be the sealing patient's DID")
    inner = sign_json(patient, json.loads(payload.model_dump_json()), typ=ENVELOPE_TYP)
    header = {"alg": _JWE_ALG, "enc": _JWE_ENC, "kid": clinic.encryption_kid, "cty": "JWS"}
    key = OKPKey.import_key(clinic.encryption_key)
    token = jwe.encrypt_compact(header, inner.encode(), key, registry=_JWE_REGISTRY)
    return SealedEnvelope(envelope_id=payload.envelope_id, jwe=token)


def decrypt_envelope(
    sealed: SealedEnvelope, clinic: Identity, *, max_bytes: int = MAX_ENVELOPE_BYTES
) -> str:
    """Decrypt with the clinic's X25519 private key; returns the inner JWS (not yet verified).

    Raises
    ------
    EnvelopeRejectedError
        ``oversized`` beyond `max_bytes`; ``malformed`` when not a compact JWE of the expected
        algorithms; ``wrong_recipient`` when addressed to another key; ``tampered`` when the
        authentication tag or key unwrap fails.
    """
    eid = sealed.envelope_id
    size = len(sealed.jwe.encode())
    if size > max_bytes:
        raise EnvelopeRejectedError(RejectionReason.OVERSIZED, f"{size} bytes > {max_bytes}", eid)
    try:
        header = _protected_header(sealed.jwe)
    except (ValueError, UnicodeError) as exc:
        raise EnvelopeRejectedError(
            RejectionReason.MALFORMED, f"not a compact JWE: {exc}", eid
        ) from exc
    if header.get("alg") != _JWE_ALG or header.get("enc") != _JWE_ENC:
        raise EnvelopeRejectedError(
            RejectionReason.MALFORMED,
            f"JWE must use {_JWE_ALG}/{_JWE_ENC}, got {header.get('alg')}/{header.get('enc')}",
            eid,
        )
    if header.get("kid") != clinic.public.encryption_kid:
        raise EnvelopeRejectedError(
            RejectionReason.WRONG_RECIPIENT,
            f"sealed to {header.get('kid')!r}, not to this clinic's key",
            eid,
        )
    key = OKPKey.import_key(clinic.require_encryption())
    try:
        plaintext = jwe.decrypt_compact(sealed.jwe, key, registry=_JWE_REGISTRY).plaintext
    # joserfc parses the (not yet authenticated) ephemeral key before the tag check and lets
    # KeyError/TypeError escape on a mangled header (found by the ingest fuzz test).
    except (JoseError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise EnvelopeRejectedError(
            RejectionReason.TAMPERED, f"decryption failed ({type(exc).__name__})", eid
        ) from exc
    if plaintext is None:
        raise EnvelopeRejectedError(RejectionReason.MALFORMED, "JWE has no plaintext", eid)
    try:
        return plaintext.decode("ascii")
    except UnicodeDecodeError as exc:
        raise EnvelopeRejectedError(
            RejectionReason.MALFORMED, "inner JWS is not ASCII", eid
        ) from exc


def verify_payload(inner_jws: str, envelope_id: str) -> EnvelopePayload:
    """Verify the patient's signature on the inner JWS and validate the payload schema.

    Raises
    ------
    EnvelopeRejectedError
        ``forged_signature`` when the signature does not verify with the ``kid`` DID's key or the
        payload names another patient; ``malformed`` for a payload that fails the schema (the
        message names the field); ``tampered`` when the inner id differs from the outer one.
    """
    try:
        signed = verify_json(inner_jws, typ=ENVELOPE_TYP)
    except IdentityError as exc:
        raise EnvelopeRejectedError(
            RejectionReason.FORGED_SIGNATURE, str(exc), envelope_id
        ) from exc
    try:
        payload = EnvelopePayload.model_validate(signed.claims)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EnvelopeRejectedError(
            RejectionReason.MALFORMED, f"payload field {where!r}: {first['msg']}", envelope_id
        ) from exc
    if payload.patient_did != signed.signer:
        raise EnvelopeRejectedError(
            RejectionReason.FORGED_SIGNATURE,
            f"payload names {payload.patient_did} but was signed by {signed.signer}",
            envelope_id,
        )
    if payload.envelope_id != envelope_id:
        raise EnvelopeRejectedError(
            RejectionReason.TAMPERED,
            f"outer envelope id {envelope_id!r} differs from the signed {payload.envelope_id!r}",
            envelope_id,
        )
    return payload


def open_envelope(
    sealed: SealedEnvelope, clinic: Identity, *, max_bytes: int = MAX_ENVELOPE_BYTES
) -> EnvelopePayload:
    """`decrypt_envelope` then `verify_payload` in one process (tests, device self-check)."""
    return verify_payload(decrypt_envelope(sealed, clinic, max_bytes=max_bytes), sealed.envelope_id)
