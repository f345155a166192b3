"""did:key identifiers for Ed25519 signing keys and X25519 key-agreement keys.

Per the did:key method (W3C CCG, v0.7): the method-specific id is the multibase base58btc
encoding (prefix ``z``) of the multicodec varint prefix followed by the raw 32-byte public key.
Multicodec ``ed25519-pub`` is 0xed (varint ``ed 01``), ``x25519-pub`` is 0xec (``ec 01``), so
Ed25519 DIDs start ``did:key:z6Mk`` and X25519 ones ``did:key:z6LS``. The verification method id
is the DID followed by ``#`` and the same multibase string.
"""

from __future__ import annotations

from enum import StrEnum

from bedside.privacy.errors import IdentityError

__all__ = [
    "KeyType",
    "b58decode",
    "b58encode",
    "did_from_public_key",
    "key_id",
    "public_key_from_did",
]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}


class KeyType(StrEnum):
    """Key types a did:key may carry here, with their multicodec varint prefix."""

    ED25519 = "ed25519-pub"
    X25519 = "x25519-pub"

    @property
    def prefix(self) -> bytes:
        """Multicodec code as an unsigned varint (2 bytes for both types)."""
        return b"\xed\x01" if self is KeyType.ED25519 else b"\xec\x01"


def b58encode(data: bytes) -> str:
    """Base58 (Bitcoin alphabet) encoding; each leading zero byte becomes ``1``."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_ALPHABET[rem])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Inverse of `b58encode`; `IdentityError` on a character outside the alphabet."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise IdentityError(f"invalid base58 character {char!r}")
        number = number * 58 + _INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def did_from_public_key(raw: bytes, key_type: KeyType) -> str:
    """``did:key:z...`` for a raw 32-byte public key of `key_type`."""
    if len(raw) != 32:
        raise IdentityError(f"{key_type.value} public key must be 32 bytes, got {len(raw)}")
    return "did:key:z" + b58encode(key_type.prefix + raw)


def public_key_from_did(did: str) -> tuple[bytes, KeyType]:
    """Raw public key and its type from a did:key (a ``#fragment`` is allowed and must match).

    Raises
    ------
    IdentityError
        Not a did:key, not base58btc, an unknown multicodec, a wrong key length, or a fragment
        that names a different key.
    """
    base, _, fragment = did.partition("#")
    if not base.startswith("did:key:"):
        raise IdentityError(f"not a did:key identifier: {did!r}")
    multibase = base.removeprefix("did:key:")
    if not multibase.startswith("z"):
        raise IdentityError(f"did:key {did!r} is not multibase base58btc (prefix 'z')")
    if fragment and fragment != multibase:
        raise IdentityError(f"did:key {did!r}: fragment does not name the DID's own key")
    decoded = b58decode(multibase[1:])
    for key_type in KeyType:
        if decoded.startswith(key_type.prefix):
            raw = decoded[len(key_type.prefix) :]
            if len(raw) != 32:
                raise IdentityError(f"did:key {did!r}: {key_type.value} key is {len(raw)} bytes")
            return raw, key_type
    raise IdentityError(f"did:key {did!r}: unsupported multicodec prefix {decoded[:2].hex()}")


def key_id(did: str) -> str:
    """The verification-method id of a did:key: ``did:key:zX#zX``."""
    return f"{did}#{did.removeprefix('did:key:')}"
