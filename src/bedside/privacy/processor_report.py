"""What a device does with a processor's ``/attestation`` report before releasing findings.

The processor answers ``/attestation?nonce=<hex>`` with its status, its encryption DID and, in
a Nitro enclave, a fresh attestation document whose ``nonce`` is the device's and whose
``user_data`` is `encryption_binding` of that DID -- so the X25519 key findings are sealed to
provably lives in the attested enclave. The device verifies the document offline and lets its
`ReleasePolicy` decide on PCR0; an ``unattested`` report passes only under ``allow_unattested``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Mapping

from bedside.privacy.attestation_policy import ProcessorEvidence, ReleasePolicy
from bedside.privacy.errors import IdentityError
from bedside.privacy.nitro_attestation import verify_nitro_document

__all__ = ["NITRO_FORMAT", "check_processor_report", "encryption_binding"]

NITRO_FORMAT = "aws-nitro"


def encryption_binding(encryption_did: str) -> bytes:
    """SHA-256 of the processor's encryption DID: the ``user_data`` its document must carry."""
    return hashlib.sha256(encryption_did.encode("utf-8")).digest()


def check_processor_report(
    report: Mapping[str, object],
    policy: ReleasePolicy,
    *,
    now: dt.datetime,
    nonce: bytes,
    max_age: dt.timedelta = dt.timedelta(minutes=5),
    root_der: bytes | None = None,
) -> str:
    """Why release to this processor is allowed; `IdentityError` when it is not.

    Parameters
    ----------
    report : mapping
        The JSON body of the processor's ``/attestation`` (``status``, ``encryption_did``,
        and for ``attested`` a ``format`` and base64 ``document``).
    policy : ReleasePolicy
        The device's allow-list (PCR0 hex) or explicit ``allow_unattested``.
    now : datetime
        Verification time (timezone-aware).
    nonce : bytes
        The fresh nonce the device sent with this request.
    max_age : timedelta
        How old the document may be (default 5 minutes).
    root_der : bytes or None
        Trust anchor; AWS's Nitro root when None (tests pass their own).
    """
    status = report.get("status")
    if status != "attested":
        return policy.check(ProcessorEvidence(status=str(status)))
    did, encoded = report.get("encryption_did"), report.get("document")
    if not isinstance(did, str) or not isinstance(encoded, str):
        raise IdentityError("processor attestation report lacks encryption_did or document")
    if report.get("format") != NITRO_FORMAT:
        raise IdentityError(f"processor attestation format {report.get('format')!r} unsupported")
    try:
        document = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise IdentityError("processor attestation document is not base64") from exc
    verdict = verify_nitro_document(
        document,
        now=now,
        allowed_pcrs={},
        expected_nonce=nonce,
        expected_user_data=encryption_binding(did),
        max_age=max_age,
        root_der=root_der,
    )
    return policy.check(verdict.evidence)
