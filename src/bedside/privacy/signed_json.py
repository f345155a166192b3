"""Compact JWS (alg ``Ed25519``, RFC 9864) over JSON claims, signed and verified by did:key.

The ``kid`` header names the signer's verification method (``did:key:z...#z...``), so a token
verifies against the key its DID encodes with no registry lookup; whether that signer is *trusted*
is the caller's decision (a consent on file, a known clinic, a publisher allow-list).

The fully specified ``Ed25519`` algorithm is used, never the polymorphic ``EdDSA``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from bedside.privacy.errors import IdentityError
from bedside.privacy.identity import Identity, ed25519_public_from_did

__all__ = ["ALGORITHM", "SignedJson", "sign_json", "verify_json"]

ALGORITHM = "Ed25519"
_REGISTRY = jws.JWSRegistry(algorithms=[ALGORITHM])


@dataclass(frozen=True)
class SignedJson:
    """A verified token: its header, its JSON claims and the DID that signed it."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signer: str


def sign_json(identity: Identity, claims: dict[str, Any], *, typ: str) -> str:
    """Compact JWS of `claims` (canonical JSON: sorted keys, no spaces) signed by `identity`.

    Parameters
    ----------
    identity : Identity
        Must hold its Ed25519 private key.
    claims : dict
        JSON-serialisable claims.
    typ : str
        JOSE ``typ`` header, which verification checks (stops one token type passing as another).
    """
    key = OKPKey.import_key(identity.require_signing())
    header = {"alg": ALGORITHM, "typ": typ, "kid": identity.public.signing_kid}
    payload = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
    return jws.serialize_compact(header, payload, key, registry=_REGISTRY)


def verify_json(token: str, *, typ: str) -> SignedJson:
    """Verify a compact JWS by the did:key in its ``kid``; return its header and claims.

    Raises
    ------
    IdentityError
        Malformed token, wrong ``typ`` or ``alg``, a ``kid`` that is not an Ed25519 did:key, a
        signature that does not verify, or claims that are not a JSON object.
    """
    try:
        unverified = jws.extract_compact(token.encode("ascii"))
    except (JoseError, ValueError, KeyError, TypeError, UnicodeEncodeError) as exc:
        raise IdentityError(f"not a compact JWS: {exc}") from exc
    header = dict(unverified.protected)
    if header.get("alg") != ALGORITHM:
        raise IdentityError(f"JWS alg must be {ALGORITHM!r}, got {header.get('alg')!r}")
    if header.get("typ") != typ:
        raise IdentityError(f"JWS typ must be {typ!r}, got {header.get('typ')!r}")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise IdentityError("JWS header has no string 'kid'")
    did = kid.partition("#")[0]
    key = OKPKey.import_key(ed25519_public_from_did(kid))
    try:
        verified = jws.deserialize_compact(token, key, registry=_REGISTRY)
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise IdentityError(f"JWS signature by {did} does not verify: {exc}") from exc
    try:
        claims = json.loads(verified.payload)
    except ValueError as exc:
        raise IdentityError(f"JWS payload is not JSON: {exc}") from exc
    if not isinstance(claims, dict):
        raise IdentityError("JWS payload is not a JSON object")
    return SignedJson(header=header, claims=claims, signer=did)
