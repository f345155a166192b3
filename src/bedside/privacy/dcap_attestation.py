"""Offline verification of Intel SGX / TDX DCAP quotes with ``dcap-qvl`` (no network fetch).

The caller supplies the quote, its collateral (PCK CRL, TCB info, QE identity and their issuer
chains, as the JSON ``dcap_qvl.QuoteCollateralV3`` reads) and the verification time; nothing here
fetches anything. A quote is accepted when its signature chain to Intel's root verifies at that
time and its TCB status is one the caller allows (``UpToDate`` by default). The measurement is
the TD's MRTD (TDX) or the enclave's MRENCLAVE (SGX), read from the signed report body at the
offsets of Intel's quote format (header 48 bytes; TDX MRTD at body offset 136, SGX MRENCLAVE at
body offset 64), which the device's `ReleasePolicy` compares with its allow-list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import dcap_qvl  # type: ignore[import-untyped]

from bedside.privacy.attestation_policy import ProcessorEvidence
from bedside.privacy.errors import IdentityError

__all__ = ["DcapVerdict", "verify_dcap_quote"]

_HEADER = 48
_TDX_MRTD = slice(_HEADER + 136, _HEADER + 136 + 48)
_SGX_MRENCLAVE = slice(_HEADER + 64, _HEADER + 64 + 32)
_TEE_TDX = 0x81


@dataclass(frozen=True)
class DcapVerdict:
    """A verified quote: measurement (hex), TCB status, advisories and TEE kind (tdx or sgx)."""

    measurement: str
    tcb_status: str
    advisories: tuple[str, ...]
    tee: str

    @property
    def evidence(self) -> ProcessorEvidence:
        """What the device's `ReleasePolicy` checks."""
        return ProcessorEvidence(status="attested", measurement=self.measurement)


def verify_dcap_quote(
    raw_quote: bytes,
    collateral_json: str,
    *,
    now: dt.datetime,
    allowed_statuses: frozenset[str] = frozenset({"UpToDate"}),
) -> DcapVerdict:
    """Verify a DCAP quote offline at time `now`.

    Parameters
    ----------
    raw_quote : bytes
        The quote as the TEE produced it (SGX v3 or TDX v4).
    collateral_json : str
        Collateral in dcap-qvl's JSON form.
    now : datetime
        Verification time (timezone-aware); certificates, CRLs and TCB info must be valid then.
    allowed_statuses : frozenset of str
        TCB statuses accepted (e.g. add ``ConfigurationAndSWHardeningNeeded`` deliberately).

    Raises
    ------
    IdentityError
        Unparseable quote or collateral, a signature or certificate chain that does not verify at
        `now`, or a TCB status outside `allowed_statuses`.
    """
    if now.tzinfo is None:
        raise IdentityError("verification time must be timezone-aware")
    try:
        collateral = dcap_qvl.QuoteCollateralV3.from_json(collateral_json)
        report = dcap_qvl.verify(raw_quote, collateral, int(now.timestamp()))
    except (ValueError, RuntimeError, TypeError) as exc:
        raise IdentityError(f"DCAP quote does not verify: {exc}") from exc
    status = str(report.status)
    if status not in allowed_statuses:
        raise IdentityError(
            f"DCAP TCB status {status} (advisories {list(report.advisory_ids)}) is not allowed"
        )
    tee_type = int.from_bytes(raw_quote[4:8], "little")
    if tee_type == _TEE_TDX:
        measurement, tee = raw_quote[_TDX_MRTD].hex(), "tdx"
    else:
        measurement, tee = raw_quote[_SGX_MRENCLAVE].hex(), "sgx"
    return DcapVerdict(measurement, status, tuple(report.advisory_ids), tee)
