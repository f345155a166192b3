"""Keys and identity (did:key), signatures, consent credentials, sealed envelopes, receipts.

Everything here is pure computation over keys and bytes (no I/O, no network): the device agent,
the clinic's processor and its API each use the part they need.
"""

from bedside.privacy.attestation_policy import ProcessorEvidence, ReleasePolicy
from bedside.privacy.consent import (
    CONSENT_TYP,
    REVOCATION_TYP,
    ConsentGrant,
    ConsentRevocation,
    Purpose,
    Scope,
    issue_consent,
    issue_revocation,
    verify_consent,
    verify_revocation,
)
from bedside.privacy.did_key import KeyType, did_from_public_key, key_id, public_key_from_did
from bedside.privacy.envelope import (
    MAX_ENVELOPE_BYTES,
    EnvelopePayload,
    SealedEnvelope,
    decrypt_envelope,
    envelope_digest,
    new_envelope_id,
    open_envelope,
    seal_payload,
    verify_payload,
)
from bedside.privacy.errors import (
    ConsentError,
    EnvelopeRejectedError,
    IdentityError,
    KeyStoreError,
    RejectionReason,
)
from bedside.privacy.identity import (
    Identity,
    PartyKind,
    PublicIdentity,
    ed25519_public_from_did,
    verify_signature,
)
from bedside.privacy.keystore import (
    export_recovery_backup,
    lock_identity,
    restore_recovery_backup,
    unlock_identity,
)
from bedside.privacy.receipt import Receipt, issue_receipt, verify_receipt
from bedside.privacy.replay import DeliveryDecision, DeliveryKind, PriorDelivery, decide_delivery
from bedside.privacy.rotation import Rotation, rotate_identity, verify_rotation
from bedside.privacy.scopes import restrict_finding, scopes_used
from bedside.privacy.signed_json import SignedJson, sign_json, verify_json

__all__ = [
    "CONSENT_TYP",
    "MAX_ENVELOPE_BYTES",
    "REVOCATION_TYP",
    "ConsentError",
    "ConsentGrant",
    "ConsentRevocation",
    "DeliveryDecision",
    "DeliveryKind",
    "EnvelopePayload",
    "EnvelopeRejectedError",
    "Identity",
    "IdentityError",
    "KeyStoreError",
    "KeyType",
    "PartyKind",
    "PriorDelivery",
    "ProcessorEvidence",
    "PublicIdentity",
    "Purpose",
    "Receipt",
    "RejectionReason",
    "ReleasePolicy",
    "Rotation",
    "Scope",
    "SealedEnvelope",
    "SignedJson",
    "decide_delivery",
    "decrypt_envelope",
    "did_from_public_key",
    "ed25519_public_from_did",
    "envelope_digest",
    "export_recovery_backup",
    "issue_consent",
    "issue_receipt",
    "issue_revocation",
    "key_id",
    "lock_identity",
    "new_envelope_id",
    "open_envelope",
    "public_key_from_did",
    "restore_recovery_backup",
    "restrict_finding",
    "rotate_identity",
    "scopes_used",
    "seal_payload",
    "sign_json",
    "unlock_identity",
    "verify_consent",
    "verify_json",
    "verify_payload",
    "verify_receipt",
    "verify_revocation",
    "verify_rotation",
    "verify_signature",
]
