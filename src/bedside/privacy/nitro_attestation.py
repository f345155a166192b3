"""Offline verification of AWS Nitro Enclaves attestation documents (cbor2 + cryptography).

A document is accepted when, at the caller's fixed verification time and with no network:

1. it parses as a COSE_Sign1 with alg ES384 (`parse_nitro_document`);
2. its ``cabundle`` starts with the pinned root (the AWS Nitro Enclaves Root G1 by default) and
   every certificate from the root through the intermediates to the leaf is issued by the one
   before it (signature and issuer name), is valid at that time, and every issuer is a CA;
3. the ES384 signature over the ``Sig_structure`` verifies under the leaf's P-384 key;
4. the document's timestamp lies inside the leaf's validity, is not in the future and, when
   `max_age` is given, not older than that;
5. ``nonce`` and ``user_data`` equal what the verifier expects (the nonce it sent; the digest
   of the processor's encryption DID, which binds the sealing key to the enclave);
6. the PCRs are on the allow-list, and an all-zero PCR0 (an enclave started in debug mode, whose
   memory the host can read) is refused unless `allow_debug`.

The measurement handed to the device's `ReleasePolicy` is PCR0 (hash of the enclave image), hex.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from bedside.privacy.attestation_policy import ProcessorEvidence
from bedside.privacy.aws_nitro_root import aws_nitro_root_der
from bedside.privacy.errors import IdentityError
from bedside.privacy.nitro_document import NitroDocument, parse_nitro_document, sig_structure

__all__ = ["NitroVerdict", "verify_nitro_document"]

_P384_COORDINATE = 48
_FUTURE_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class NitroVerdict:
    """A verified Nitro attestation document.

    Attributes
    ----------
    module_id : str
        The enclave's id (instance and enclave).
    timestamp : datetime
        When the NSM produced the document (UTC).
    pcrs : dict of int to str
        Every PCR, hex.
    debug : bool
        True when PCR0 is all zeros (debug-mode enclave).
    public_key, user_data, nonce : bytes or None
        As the (now authenticated) document carries them.
    """

    module_id: str
    timestamp: dt.datetime
    pcrs: dict[int, str]
    debug: bool
    public_key: bytes | None
    user_data: bytes | None
    nonce: bytes | None

    @property
    def measurement(self) -> str:
        """PCR0 (enclave image), hex: what the release policy's allow-list names."""
        return self.pcrs[0]

    @property
    def evidence(self) -> ProcessorEvidence:
        """What the device's `ReleasePolicy` checks."""
        return ProcessorEvidence(status="attested", measurement=self.measurement)


def _load(der: bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise IdentityError(f"Nitro attestation: {what} is not a DER certificate ({exc})") from exc


def _check_validity(cert: x509.Certificate, what: str, now: dt.datetime) -> None:
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise IdentityError(
            f"Nitro attestation: {what} is valid {cert.not_valid_before_utc.isoformat()} to "
            f"{cert.not_valid_after_utc.isoformat()}, not at {now.isoformat()}"
        )


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    return constraints.ca


def _verify_chain(doc: NitroDocument, root_der: bytes, now: dt.datetime) -> x509.Certificate:
    """The leaf certificate, after checking the path from the pinned root to it."""
    if not hmac.compare_digest(doc.cabundle[0], root_der):
        raise IdentityError("Nitro attestation: cabundle does not start with the pinned root")
    chain = [_load(der, f"cabundle[{i}]") for i, der in enumerate(doc.cabundle)]
    leaf = _load(doc.certificate, "certificate")
    names = [f"cabundle[{i}]" for i in range(len(chain))] + ["leaf certificate"]
    path = [*chain, leaf]
    for index, cert in enumerate(path):
        _check_validity(cert, names[index], now)
        if index == 0:
            continue
        issuer = path[index - 1]
        if not _is_ca(issuer):
            raise IdentityError(f"Nitro attestation: {names[index - 1]} is not a CA")
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise IdentityError(
                f"Nitro attestation: {names[index]} is not issued by {names[index - 1]}"
            ) from exc
    return leaf


def _verify_signature(doc: NitroDocument, leaf: x509.Certificate) -> None:
    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp384r1":
        raise IdentityError("Nitro attestation: leaf key is not an ECDSA P-384 key")
    if len(doc.signature) != 2 * _P384_COORDINATE:
        raise IdentityError("Nitro attestation: ES384 signature must be 96 bytes (r || s)")
    r = int.from_bytes(doc.signature[:_P384_COORDINATE], "big")
    s = int.from_bytes(doc.signature[_P384_COORDINATE:], "big")
    try:
        key.verify(
            encode_dss_signature(r, s),
            sig_structure(doc.protected, doc.payload),
            ec.ECDSA(hashes.SHA384()),
        )
    except InvalidSignature as exc:
        raise IdentityError("Nitro attestation: ES384 signature does not verify") from exc


def _check_binding(name: str, actual: bytes | None, expected: bytes | None) -> None:
    if expected is None:
        return
    if actual is None or not hmac.compare_digest(actual, expected):
        raise IdentityError(f"Nitro attestation: {name} does not match the expected value")


def _check_pcrs(
    pcrs: dict[int, str], allowed: Mapping[int, frozenset[str]], allow_debug: bool
) -> bool:
    if 0 not in pcrs:
        raise IdentityError("Nitro attestation: PCR0 (enclave image) is missing")
    debug = set(pcrs[0]) == {"0"}
    if debug and not allow_debug:
        raise IdentityError("Nitro attestation: PCR0 is all zeros (debug-mode enclave), refused")
    for index, values in sorted(allowed.items()):
        value = pcrs.get(index)
        if value not in {v.lower() for v in values}:
            raise IdentityError(f"Nitro attestation: PCR{index} {value} is not on the allow-list")
    return debug


def verify_nitro_document(
    document: bytes,
    *,
    now: dt.datetime,
    allowed_pcrs: Mapping[int, frozenset[str]],
    expected_nonce: bytes | None = None,
    expected_user_data: bytes | None = None,
    max_age: dt.timedelta | None = None,
    allow_debug: bool = False,
    root_der: bytes | None = None,
) -> NitroVerdict:
    """Verify a Nitro attestation document offline at time `now`.

    Parameters
    ----------
    document : bytes
        The CBOR document as the NSM returned it (not base64).
    now : datetime
        Verification time (timezone-aware); every certificate must be valid then.
    allowed_pcrs : mapping of int to frozenset of str
        For each PCR index listed, the hex values accepted (e.g. ``{0: {...}, 8: {...}}``);
        an empty mapping checks none (the release policy still checks PCR0).
    expected_nonce, expected_user_data : bytes or None
        Required values of the document's ``nonce`` / ``user_data`` (None: not checked).
    max_age : timedelta or None
        Refuse a document produced longer than this before `now` (seconds resolution).
    allow_debug : bool
        Accept a debug-mode enclave (all-zero PCR0); tests on recorded documents only.
    root_der : bytes or None
        Trust anchor (DER); the pinned AWS Nitro Enclaves Root G1 when None.

    Raises
    ------
    IdentityError
        Naming the first check that failed.
    """
    if now.tzinfo is None:
        raise IdentityError("verification time must be timezone-aware")
    doc = parse_nitro_document(document)
    leaf = _verify_chain(doc, root_der if root_der is not None else aws_nitro_root_der(), now)
    _verify_signature(doc, leaf)
    if not leaf.not_valid_before_utc <= doc.timestamp <= leaf.not_valid_after_utc:
        raise IdentityError("Nitro attestation: timestamp lies outside the leaf's validity")
    if doc.timestamp > now + _FUTURE_SKEW:
        raise IdentityError(f"Nitro attestation: timestamp {doc.timestamp.isoformat()} is ahead")
    if max_age is not None and now - doc.timestamp > max_age:
        raise IdentityError(
            f"Nitro attestation: document from {doc.timestamp.isoformat()} is older than {max_age}"
        )
    _check_binding("nonce", doc.nonce, expected_nonce)
    _check_binding("user_data", doc.user_data, expected_user_data)
    pcrs = {index: value.hex() for index, value in sorted(doc.pcrs.items())}
    debug = _check_pcrs(pcrs, allowed_pcrs, allow_debug)
    return NitroVerdict(
        module_id=doc.module_id,
        timestamp=doc.timestamp,
        pcrs=pcrs,
        debug=debug,
        public_key=doc.public_key,
        user_data=doc.user_data,
        nonce=doc.nonce,
    )
