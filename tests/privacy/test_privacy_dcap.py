"""DCAP quote verification offline on dcap-qvl's published samples (see data/dcap/PROVENANCE.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bedside.privacy import IdentityError, ReleasePolicy
from bedside.privacy.dcap_attestation import verify_dcap_quote

DATA = Path(__file__).parent / "data" / "dcap"


def _sample(name: str) -> tuple[bytes, str, dt.datetime]:
    quote = (DATA / name).read_bytes()
    collateral = (DATA / f"{name}_collateral.json").read_text()
    tcb_info = json.loads(json.loads(collateral)["tcb_info"])
    issued = dt.datetime.fromisoformat(tcb_info["issueDate"].replace("Z", "+00:00"))
    return quote, collateral, issued + dt.timedelta(hours=1)


def test_tdx_sample_verifies_and_yields_its_mrtd() -> None:
    quote, collateral, now = _sample("tdx_quote")
    verdict = verify_dcap_quote(quote, collateral, now=now)
    assert verdict.tee == "tdx"
    assert verdict.tcb_status == "UpToDate"
    # TDX quote v4: 48-byte header, then the TD report; MRTD is 48 bytes at body offset 136.
    assert verdict.measurement == quote[184:232].hex()
    policy = ReleasePolicy(allowed_measurements=frozenset({verdict.measurement}))
    assert "allow-list" in policy.check(verdict.evidence)


def test_sgx_sample_status_must_be_allowed_explicitly() -> None:
    quote, collateral, now = _sample("sgx_quote")
    with pytest.raises(IdentityError, match="ConfigurationAndSWHardeningNeeded"):
        verify_dcap_quote(quote, collateral, now=now)
    verdict = verify_dcap_quote(
        quote,
        collateral,
        now=now,
        allowed_statuses=frozenset({"UpToDate", "ConfigurationAndSWHardeningNeeded"}),
    )
    assert verdict.tee == "sgx"
    assert verdict.measurement == quote[112:144].hex()  # MRENCLAVE at body offset 64
    assert verdict.advisories


@pytest.mark.parametrize("offset", [200, 650, 720])  # report body, signature, attestation key
def test_modified_quote_is_refused(offset: int) -> None:
    quote, collateral, now = _sample("tdx_quote")
    mutated = bytearray(quote)
    mutated[offset] ^= 0x01
    with pytest.raises(IdentityError):
        verify_dcap_quote(bytes(mutated), collateral, now=now)


def test_collateral_outside_its_validity_is_refused() -> None:
    quote, collateral, now = _sample("tdx_quote")
    with pytest.raises(IdentityError):
        verify_dcap_quote(quote, collateral, now=now + dt.timedelta(days=3650))


def test_other_quotes_collateral_is_refused() -> None:
    quote, _, now = _sample("tdx_quote")
    _, sgx_collateral, _ = _sample("sgx_quote")
    with pytest.raises(IdentityError):
        verify_dcap_quote(quote, sgx_collateral, now=now)
