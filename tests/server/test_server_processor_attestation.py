"""The processor presents Nitro evidence on /attestation; the device's release policy decides."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bedside.privacy import Identity, IdentityError, PartyKind, ReleasePolicy
from bedside.privacy.processor_report import check_processor_report
from bedside.server.processor import HttpDecryptor, processor_app

PCR0 = "11" * 48


def _client(nitro_pki: Any, identity: Identity, **document_overrides: Any) -> TestClient:
    def attest(nonce: bytes, user_data: bytes) -> bytes:
        fields = {"nonce": nonce, "user_data": user_data, **document_overrides}
        return bytes(nitro_pki.document(**fields))

    return TestClient(processor_app(identity, nitro_attestor=attest))


def test_attested_processor_on_the_allow_list_is_released_to(nitro_pki: Any) -> None:
    identity = Identity.generate(PartyKind.CLINIC_SERVICE)
    client = _client(nitro_pki, identity)
    nonce = os.urandom(16)
    report = client.get("/attestation", params={"nonce": nonce.hex()}).json()
    assert report["status"] == "attested"
    assert report["format"] == "aws-nitro"
    policy = ReleasePolicy(allowed_measurements=frozenset({PCR0}))
    reason = check_processor_report(
        report, policy, now=nitro_pki.now, nonce=nonce, root_der=nitro_pki.root_der
    )
    assert PCR0 in reason
    assert HttpDecryptor(client).attestation == "attested"


def test_measurement_off_the_allow_list_or_replayed_report_is_refused(nitro_pki: Any) -> None:
    identity = Identity.generate(PartyKind.CLINIC_SERVICE)
    client = _client(nitro_pki, identity)
    nonce = os.urandom(16)
    report = client.get("/attestation", params={"nonce": nonce.hex()}).json()
    with pytest.raises(IdentityError, match="not allowed"):
        check_processor_report(
            report,
            ReleasePolicy(allowed_measurements=frozenset({"ab" * 48})),
            now=nitro_pki.now,
            nonce=nonce,
            root_der=nitro_pki.root_der,
        )
    policy = ReleasePolicy(allowed_measurements=frozenset({PCR0}))
    with pytest.raises(IdentityError, match="nonce"):
        check_processor_report(
            report, policy, now=nitro_pki.now, nonce=os.urandom(16), root_der=nitro_pki.root_der
        )


def test_document_bound_to_another_encryption_key_is_refused(nitro_pki: Any) -> None:
    identity = Identity.generate(PartyKind.CLINIC_SERVICE)
    client = _client(nitro_pki, identity, user_data=b"\x00" * 32)
    nonce = os.urandom(8)
    report = client.get("/attestation", params={"nonce": nonce.hex()}).json()
    policy = ReleasePolicy(allowed_measurements=frozenset({PCR0}))
    with pytest.raises(IdentityError, match="user_data"):
        check_processor_report(
            report, policy, now=nitro_pki.now, nonce=nonce, root_der=nitro_pki.root_der
        )


def test_unattested_processor_needs_the_explicit_development_policy() -> None:
    client = TestClient(processor_app(Identity.generate(PartyKind.CLINIC_SERVICE)))
    report = client.get("/attestation").json()
    now = dt.datetime.now(dt.UTC)
    assert "UNATTESTED" in check_processor_report(
        report, ReleasePolicy(allow_unattested=True), now=now, nonce=b"n"
    )
    with pytest.raises(IdentityError, match="allow_unattested is off"):
        check_processor_report(report, ReleasePolicy(), now=now, nonce=b"n")


def test_attestation_without_nonce_is_only_a_claim_and_bad_nonce_is_422(nitro_pki: Any) -> None:
    client = _client(nitro_pki, Identity.generate(PartyKind.CLINIC_SERVICE))
    claim = client.get("/attestation").json()
    assert claim["status"] == "attested"
    assert "document" not in claim
    with pytest.raises(IdentityError, match="lacks"):
        check_processor_report(
            claim,
            ReleasePolicy(allowed_measurements=frozenset({PCR0})),
            now=nitro_pki.now,
            nonce=b"n",
        )
    assert client.get("/attestation", params={"nonce": "zz"}).status_code == 422
