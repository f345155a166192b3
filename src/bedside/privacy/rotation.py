"""Key rotation: a new identity, announced by a statement the old signing key signs.

The statement (compact JWS, ``typ`` ``bedside-key-rotation+jwt``) names the old DID, the new DID
and encryption DID, and carries the new key's own signature over the old DID (proof that whoever
announces the new key holds it). A verifier that trusts the old DID can move its trust to the new
one; the old keys should then be destroyed.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from bedside.privacy.errors import IdentityError
from bedside.privacy.identity import Identity, PartyKind, PublicIdentity, verify_signature
from bedside.privacy.signed_json import sign_json, verify_json

__all__ = ["ROTATION_TYP", "Rotation", "rotate_identity", "verify_rotation"]

ROTATION_TYP = "bedside-key-rotation+jwt"


@dataclass(frozen=True)
class Rotation:
    """A verified rotation: the old DID now speaks through `new`, from `at` (UTC)."""

    old_did: str
    new: PublicIdentity
    at: dt.datetime


def rotate_identity(old: Identity, *, now: dt.datetime | None = None) -> tuple[Identity, str]:
    """Fresh key pairs for the same party and the statement announcing them.

    Returns
    -------
    (Identity, str)
        The new identity and the rotation statement signed by the old key.
    """
    when = now or dt.datetime.now(dt.UTC)
    new = Identity.generate(old.public.kind, now=when)
    proof = base64.urlsafe_b64encode(new.sign(old.did.encode())).decode()
    claims = {
        "iss": old.did,
        "sub": new.did,
        "encryption_did": new.public.encryption_did,
        "kind": new.public.kind.value,
        "iat": int(when.timestamp()),
        "proof": proof,
    }
    return new, sign_json(old, claims, typ=ROTATION_TYP)


def verify_rotation(token: str) -> Rotation:
    """Check a rotation statement; `IdentityError` when either signature or a field is bad."""
    signed = verify_json(token, typ=ROTATION_TYP)
    claims = signed.claims
    try:
        if claims["iss"] != signed.signer:
            raise IdentityError("rotation 'iss' is not the DID that signed it")
        new = PublicIdentity(
            did=str(claims["sub"]),
            encryption_did=str(claims["encryption_did"]),
            kind=PartyKind(claims["kind"]),
        )
        proof = base64.urlsafe_b64decode(str(claims["proof"]))
        at = dt.datetime.fromtimestamp(int(claims["iat"]), dt.UTC)
    except (KeyError, ValueError, TypeError) as exc:
        raise IdentityError(f"rotation statement field is missing or bad: {exc}") from exc
    if not verify_signature(new.did, proof, signed.signer.encode()):
        raise IdentityError("rotation proof by the new key does not verify")
    return Rotation(old_did=signed.signer, new=new, at=at)
