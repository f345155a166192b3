"""Compact JWS (alg ``Ed25519``, RFC 9864) over JSON claims, signed and verified by did:key.

The ``kid`` header names the signer's verification method (``did:key:z...#z...``), so a token
verifies against the key its DID encodes with no registry lookup; whether that signer is *trusted*
is the caller's decision (a consent on file, a known clinic, a publisher allow-list).

The fully specified ``Ed25519`` algorithm is used, never the polymorphic ``EdDSA``.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bedside.privacy.errors import IdentityError
from bedside.privacy.identity import Identity, ed25519_public_from_did

__all__ = ["ALGORITHM", "SignedJson", "sign_json", "verify_json"]

ALGORITHM = "Ed25519"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class SignedJson:
    """A verified token: its header, its JSON claims and the DID that signed it."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signer: str


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(part: str, what: str) -> bytes:
    """Strict unpadded base64url (the stdlib decoder would silently skip foreign characters)."""
    if len(part) % 4 == 1 or not _BASE64URL.fullmatch(part):
        raise IdentityError(f"not a compact JWS: the {what} is not unpadded base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@functools.lru_cache(maxsize=4096)
def _verification_key(kid: str) -> Ed25519PublicKey:
    # Decoding a did:key (base58, multicodec) costs more than the signature check it feeds;
    # ingest sees the same few thousand patients' kids over and over.
    return ed25519_public_from_did(kid)


def sign_json(identity: Identity, claims: dict[str, Any], *, typ: str) -> str:
    """Compact JWS of `claims` (canonical JSON: sorted keys, no spaces) signed by `identity`.

    Built directly on `cryptography` (RFC 7515 compact serialisation, RFC 9864 ``Ed25519``):
    the receipts and audit entries of ingest are signed per envelope, and joserfc's generic path
    cost twice the signature itself. jwcrypto and joserfc read these tokens (tests).

    Parameters
    ----------
    identity : Identity
        Must hold its Ed25519 private key.
    claims : dict
        JSON-serialisable claims.
    typ : str
        JOSE ``typ`` header, which verification checks (stops one token type passing as another).
    """
    key = identity.require_signing()
    header = {"alg": ALGORITHM, "typ": typ, "kid": identity.public.signing_kid}
    protected = _encode(json.dumps(header, separators=(",", ":")).encode())
    payload = _encode(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    signing_input = f"{protected}.{payload}"
    return f"{signing_input}.{_encode(key.sign(signing_input.encode('ascii')))}"


def verify_json(token: str, *, typ: str) -> SignedJson:
    """Verify a compact JWS by the did:key in its ``kid``; return its header and claims.

    Raises
    ------
    IdentityError
        Malformed token, wrong ``typ`` or ``alg``, a ``crit`` header (no extension is
        understood), a ``kid`` that is not an Ed25519 did:key, a signature that does not verify,
        or claims that are not a JSON object.
    """
    if not isinstance(token, str):
        raise IdentityError("not a compact JWS: not a string")
    parts = token.split(".")
    if len(parts) != 3:
        raise IdentityError(f"not a compact JWS: {len(parts)} dot-separated parts, expected 3")
    protected, payload, signature = parts
    try:
        header = json.loads(_decode(protected, "header"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IdentityError(f"not a compact JWS: header is not JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise IdentityError("not a compact JWS: header is not a JSON object")
    if header.get("alg") != ALGORITHM:
        raise IdentityError(f"JWS alg must be {ALGORITHM!r}, got {header.get('alg')!r}")
    if header.get("typ") != typ:
        raise IdentityError(f"JWS typ must be {typ!r}, got {header.get('typ')!r}")
    if "crit" in header:
        raise IdentityError("JWS 'crit' header names extensions this verifier does not support")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise IdentityError("JWS header has no string 'kid'")
    did = kid.partition("#")[0]
    key = _verification_key(kid)
    raw_signature = _decode(signature, "signature")
    raw_payload = _decode(payload, "payload")
    try:
        if len(raw_signature) != 64:
            raise InvalidSignature
        key.verify(raw_signature, f"{protected}.{payload}".encode("ascii"))
    except InvalidSignature as exc:
        raise IdentityError(f"JWS signature by {did} does not verify") from exc
    try:
        claims = json.loads(raw_payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise IdentityError(f"JWS payload is not JSON: {exc}") from exc
    if not isinstance(claims, dict):
        raise IdentityError("JWS payload is not a JSON object")
    return SignedJson(header=header, claims=claims, signer=did)
