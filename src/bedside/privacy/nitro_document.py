"""Parsing an AWS Nitro attestation document: COSE_Sign1 (RFC 9052) around a CBOR payload.

The NSM returns ``[protected, unprotected, payload, signature]`` (optionally under CBOR tag 18).
The protected header must name ES384 (COSE alg -35); the payload is a map with ``module_id``,
``digest`` (``SHA384``), ``timestamp`` (UTC milliseconds), ``pcrs`` (index -> 32/48/64 bytes),
``certificate`` (the signing leaf, DER), ``cabundle`` (DER certificates, root first) and the
optional ``public_key``, ``user_data`` and ``nonce`` (each at most 1024 bytes), as AWS's
"Verifying attestation documents" guide lays out. Parsing checks every field's type and size
and names the first one that is wrong; it verifies nothing cryptographically.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import cbor2

from bedside.privacy.errors import IdentityError

__all__ = ["COSE_ES384", "NitroDocument", "parse_nitro_document", "sig_structure"]

COSE_ES384 = -35
_COSE_SIGN1_TAG = 18
_MAX_OPTIONAL_BYTES = 1024
_PCR_LENGTHS = frozenset({32, 48, 64})
_MAX_PCR_INDEX = 31


@dataclass(frozen=True)
class NitroDocument:
    """A parsed (not yet verified) attestation document.

    Attributes
    ----------
    protected : bytes
        The serialised protected header, as signed.
    payload : bytes
        The serialised payload, as signed.
    signature : bytes
        ES384 signature, raw ``r || s`` (96 bytes).
    module_id : str
    timestamp : datetime
        When the NSM produced the document (UTC, millisecond resolution).
    pcrs : dict of int to bytes
        Platform configuration registers by index.
    certificate : bytes
        The leaf certificate (DER) whose key signed the document.
    cabundle : tuple of bytes
        Issuer certificates (DER), root first, leaf's issuer last.
    public_key, user_data, nonce : bytes or None
        Optional fields the enclave asked the NSM to include.
    """

    protected: bytes
    payload: bytes
    signature: bytes
    module_id: str
    timestamp: dt.datetime
    pcrs: dict[int, bytes]
    certificate: bytes
    cabundle: tuple[bytes, ...]
    public_key: bytes | None
    user_data: bytes | None
    nonce: bytes | None


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The COSE ``Sig_structure`` for Signature1 with empty external AAD (what ES384 signs)."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _bytes_field(payload: dict[Any, Any], name: str) -> bytes:
    value = payload.get(name)
    if not isinstance(value, bytes) or not value:
        raise IdentityError(f"Nitro attestation payload: field {name!r} must be non-empty bytes")
    return value


def _optional_bytes(payload: dict[Any, Any], name: str) -> bytes | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, bytes) or len(value) > _MAX_OPTIONAL_BYTES:
        raise IdentityError(
            f"Nitro attestation payload: field {name!r} must be bytes of at most "
            f"{_MAX_OPTIONAL_BYTES} bytes"
        )
    return value


def _pcrs(payload: dict[Any, Any]) -> dict[int, bytes]:
    value = payload.get("pcrs")
    if not isinstance(value, dict) or not value:
        raise IdentityError("Nitro attestation payload: field 'pcrs' must be a non-empty map")
    pcrs: dict[int, bytes] = {}
    for index, digest in value.items():
        if not isinstance(index, int) or not 0 <= index <= _MAX_PCR_INDEX:
            raise IdentityError(f"Nitro attestation payload: PCR index {index!r} out of range")
        if not isinstance(digest, bytes) or len(digest) not in _PCR_LENGTHS:
            raise IdentityError(f"Nitro attestation payload: PCR{index} must be 32/48/64 bytes")
        pcrs[index] = digest
    return pcrs


def _decode(data: bytes, what: str) -> Any:
    try:
        return cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise IdentityError(f"Nitro attestation: {what} is not valid CBOR ({exc})") from exc


def parse_nitro_document(document: bytes) -> NitroDocument:
    """Parse the CBOR bytes of a Nitro attestation document.

    Raises
    ------
    IdentityError
        Not CBOR, not a COSE_Sign1, an algorithm other than ES384, or a payload field with the
        wrong type or size (named in the message).
    """
    outer = _decode(document, "document")
    if isinstance(outer, cbor2.CBORTag):
        if outer.tag != _COSE_SIGN1_TAG:
            raise IdentityError(f"Nitro attestation: CBOR tag {outer.tag} is not COSE_Sign1")
        outer = outer.value
    if not isinstance(outer, list | tuple) or len(outer) != 4:
        raise IdentityError("Nitro attestation: not a COSE_Sign1 array of four elements")
    protected, _unprotected, payload_bytes, signature = outer
    if not all(isinstance(part, bytes) for part in (protected, payload_bytes, signature)):
        raise IdentityError(
            "Nitro attestation: protected header, payload and signature must be bytes"
        )
    header = _decode(protected, "protected header")
    if not isinstance(header, dict) or header.get(1) != COSE_ES384:
        raise IdentityError("Nitro attestation: protected header must name alg ES384 (-35)")
    payload = _decode(payload_bytes, "payload")
    if not isinstance(payload, dict):
        raise IdentityError("Nitro attestation: payload is not a CBOR map")
    module_id = payload.get("module_id")
    if not isinstance(module_id, str) or not module_id:
        raise IdentityError("Nitro attestation payload: field 'module_id' must be a non-empty text")
    if payload.get("digest") != "SHA384":
        raise IdentityError("Nitro attestation payload: field 'digest' must be 'SHA384'")
    millis = payload.get("timestamp")
    if not isinstance(millis, int) or isinstance(millis, bool) or millis <= 0:
        raise IdentityError("Nitro attestation payload: field 'timestamp' must be a positive int")
    bundle = payload.get("cabundle")
    if (
        not isinstance(bundle, list | tuple)
        or not bundle
        or not all(isinstance(c, bytes) and c for c in bundle)
    ):
        raise IdentityError(
            "Nitro attestation payload: field 'cabundle' must list DER certificates"
        )
    return NitroDocument(
        protected=protected,
        payload=payload_bytes,
        signature=signature,
        module_id=module_id,
        timestamp=dt.datetime.fromtimestamp(millis / 1000, dt.UTC),
        pcrs=_pcrs(payload),
        certificate=_bytes_field(payload, "certificate"),
        cabundle=tuple(bundle),
        public_key=_optional_bytes(payload, "public_key"),
        user_data=_optional_bytes(payload, "user_data"),
        nonce=_optional_bytes(payload, "nonce"),
    )
