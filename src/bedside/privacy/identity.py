"""Identities of the parties (patient, clinician, clinic service, model publisher) as did:key.

An identity has two independent key pairs: Ed25519 for signing (its DID) and X25519 for
encryption (its ``encryption_did``). They are separate on purpose: the clinic's API process holds
only the signing half and its processor only the encryption half, and neither key is derived from
the other. Either private half may be absent (`Identity.signing_only`, `Identity.encryption_only`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from bedside.privacy.did_key import KeyType, did_from_public_key, key_id, public_key_from_did
from bedside.privacy.errors import IdentityError

__all__ = [
    "Identity",
    "PartyKind",
    "PublicIdentity",
    "ed25519_public_from_did",
    "jwk_dict",
    "verify_signature",
]


class PartyKind(StrEnum):
    """Who an identity belongs to."""

    PATIENT = "patient"
    CLINICIAN = "clinician"
    CLINIC_SERVICE = "clinic-service"
    MODEL_PUBLISHER = "model-publisher"


def ed25519_public_from_did(did: str) -> Ed25519PublicKey:
    """The Ed25519 verification key a did:key names; `IdentityError` for any other key type."""
    raw, key_type = public_key_from_did(did)
    if key_type is not KeyType.ED25519:
        raise IdentityError(f"{did!r} is a {key_type.value} key, not an Ed25519 signing key")
    return Ed25519PublicKey.from_public_bytes(raw)


def _x25519_public_from_did(did: str) -> X25519PublicKey:
    raw, key_type = public_key_from_did(did)
    if key_type is not KeyType.X25519:
        raise IdentityError(f"{did!r} is a {key_type.value} key, not an X25519 encryption key")
    return X25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class PublicIdentity:
    """What a party publishes: its signing DID, its encryption DID and its kind.

    Attributes
    ----------
    did : str
        did:key of the Ed25519 signing key (``did:key:z6Mk...``).
    encryption_did : str
        did:key of the X25519 key-agreement key (``did:key:z6LS...``).
    kind : PartyKind
    """

    did: str
    encryption_did: str
    kind: PartyKind

    def __post_init__(self) -> None:
        ed25519_public_from_did(self.did)
        _x25519_public_from_did(self.encryption_did)

    @property
    def signing_key(self) -> Ed25519PublicKey:
        """The Ed25519 public key."""
        return ed25519_public_from_did(self.did)

    @property
    def encryption_key(self) -> X25519PublicKey:
        """The X25519 public key."""
        return _x25519_public_from_did(self.encryption_did)

    @property
    def signing_kid(self) -> str:
        """JOSE ``kid`` of the signing key (the DID's verification method id)."""
        return key_id(self.did)

    @property
    def encryption_kid(self) -> str:
        """JOSE ``kid`` of the encryption key."""
        return key_id(self.encryption_did)

    def to_json(self) -> str:
        """JSON text with ``did``, ``encryption_did`` and ``kind``."""
        return json.dumps(
            {"did": self.did, "encryption_did": self.encryption_did, "kind": self.kind.value}
        )

    @classmethod
    def from_json(cls, text: str) -> PublicIdentity:
        """Inverse of `to_json`; `IdentityError` names the missing or bad field."""
        try:
            data = json.loads(text)
            return cls(
                did=str(data["did"]),
                encryption_did=str(data["encryption_did"]),
                kind=PartyKind(data["kind"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise IdentityError(f"public identity JSON is invalid: {exc}") from exc


@dataclass(frozen=True)
class Identity:
    """A party's private keys (either half may be absent) and the public identity they give.

    Attributes
    ----------
    public : PublicIdentity
    signing_private : Ed25519PrivateKey or None
    encryption_private : X25519PrivateKey or None
    created : datetime
        When the key pairs were generated (UTC).
    """

    public: PublicIdentity
    signing_private: Ed25519PrivateKey | None
    encryption_private: X25519PrivateKey | None
    created: dt.datetime

    @classmethod
    def generate(cls, kind: PartyKind, *, now: dt.datetime | None = None) -> Identity:
        """Two fresh key pairs from the operating system's CSPRNG."""
        signing = Ed25519PrivateKey.generate()
        encryption = X25519PrivateKey.generate()
        return cls.from_private_keys(kind, signing, encryption, now=now)

    @classmethod
    def from_private_keys(
        cls,
        kind: PartyKind,
        signing: Ed25519PrivateKey,
        encryption: X25519PrivateKey,
        *,
        now: dt.datetime | None = None,
    ) -> Identity:
        """The identity of two existing private keys."""
        public = PublicIdentity(
            did=did_from_public_key(signing.public_key().public_bytes_raw(), KeyType.ED25519),
            encryption_did=did_from_public_key(
                encryption.public_key().public_bytes_raw(), KeyType.X25519
            ),
            kind=kind,
        )
        return cls(public, signing, encryption, now or dt.datetime.now(dt.UTC))

    @property
    def did(self) -> str:
        """The signing DID."""
        return self.public.did

    def signing_only(self) -> Identity:
        """This identity without the X25519 private key (what the clinic's API process holds)."""
        return Identity(self.public, self.signing_private, None, self.created)

    def encryption_only(self) -> Identity:
        """This identity without the Ed25519 private key (what the clinic's processor holds)."""
        return Identity(self.public, None, self.encryption_private, self.created)

    def require_signing(self) -> Ed25519PrivateKey:
        """The Ed25519 private key; `IdentityError` when this process does not hold it."""
        if self.signing_private is None:
            raise IdentityError(f"{self.did} holds no signing key in this process")
        return self.signing_private

    def require_encryption(self) -> X25519PrivateKey:
        """The X25519 private key; `IdentityError` when this process does not hold it."""
        if self.encryption_private is None:
            raise IdentityError(f"{self.did} holds no decryption key in this process")
        return self.encryption_private

    def sign(self, message: bytes) -> bytes:
        """Raw 64-byte Ed25519 signature of `message`."""
        return self.require_signing().sign(message)


def verify_signature(did: str, signature: bytes, message: bytes) -> bool:
    """Whether `signature` is a valid Ed25519 signature of `message` by the key of `did`."""
    try:
        ed25519_public_from_did(did).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def jwk_dict(identity: Identity, *, private: bool) -> dict[str, Any]:
    """Ed25519 signing key as a JWK dict (``kid`` = DID verification method)."""
    import base64

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    key = identity.require_signing()
    out: dict[str, Any] = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64(key.public_key().public_bytes_raw()),
        "kid": identity.public.signing_kid,
    }
    if private:
        out["d"] = b64(key.private_bytes_raw())
    return out
