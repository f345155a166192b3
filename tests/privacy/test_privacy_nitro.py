"""AWS Nitro attestation documents: a real AWS-signed sample and documents from a test PKI."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import cbor2
import pytest

from bedside.privacy import IdentityError, ReleasePolicy
from bedside.privacy.aws_nitro_root import AWS_NITRO_ROOT_G1_SHA256, aws_nitro_root_der
from bedside.privacy.nitro_attestation import verify_nitro_document
from bedside.privacy.nitro_document import parse_nitro_document

DATA = Path(__file__).parent / "data" / "nitro"
# Inside the sample's leaf certificate validity (04:33:09-07:33:12 UTC), read in PROVENANCE.md.
SAMPLE_TIME = dt.datetime(2024, 9, 6, 5, 0, tzinfo=dt.UTC)
SAMPLE_NONCE = bytes(19) + b"\x01"


def _sample() -> bytes:
    return base64.b64decode((DATA / "example_attestation").read_text())


def test_pinned_root_matches_the_published_fingerprint_and_the_sample_bundle() -> None:
    root = aws_nitro_root_der()
    assert hashlib.sha256(root).hexdigest() == AWS_NITRO_ROOT_G1_SHA256
    assert parse_nitro_document(_sample()).cabundle[0] == root


def test_real_aws_sample_verifies_against_the_aws_root() -> None:
    doc = _sample()
    pcr3 = parse_nitro_document(doc).pcrs[3].hex()
    verdict = verify_nitro_document(
        doc,
        now=SAMPLE_TIME,
        allowed_pcrs={3: frozenset({pcr3})},
        expected_nonce=SAMPLE_NONCE,
        allow_debug=True,
    )
    assert verdict.module_id.startswith("i-0bbf1bfe232b8c2ce-enc")
    assert verdict.debug  # the sample enclave ran in debug mode: PCR0 is all zeros
    assert verdict.measurement == "00" * 48
    assert verdict.timestamp == dt.datetime(2024, 9, 6, 4, 33, 12, 729000, tzinfo=dt.UTC)


def test_real_sample_in_debug_mode_is_refused_by_default() -> None:
    with pytest.raises(IdentityError, match="debug-mode"):
        verify_nitro_document(_sample(), now=SAMPLE_TIME, allowed_pcrs={})


def test_real_sample_outside_its_validity_is_refused() -> None:
    later = SAMPLE_TIME + dt.timedelta(hours=3)
    with pytest.raises(IdentityError, match="leaf certificate is valid"):
        verify_nitro_document(_sample(), now=later, allowed_pcrs={}, allow_debug=True)


def test_real_sample_with_another_nonce_is_refused() -> None:
    with pytest.raises(IdentityError, match="nonce"):
        verify_nitro_document(
            _sample(), now=SAMPLE_TIME, allowed_pcrs={}, allow_debug=True, expected_nonce=b"x"
        )


@pytest.mark.parametrize("position", [2, 1, 3])  # payload byte, protected header, signature
def test_real_sample_modified_anywhere_is_refused(position: int) -> None:
    parts: list[Any] = list(cbor2.loads(_sample()))
    if position == 2:
        payload = cbor2.loads(parts[2])
        payload["module_id"] = payload["module_id"][:-1] + "x"
        parts[2] = cbor2.dumps(payload)
    elif position == 1:
        parts[0] = cbor2.dumps({1: -35, 4: b"kid"})
    else:
        parts[3] = parts[3][:-1] + bytes([parts[3][-1] ^ 1])
    with pytest.raises(IdentityError, match="signature does not verify"):
        verify_nitro_document(
            cbor2.dumps(parts), now=SAMPLE_TIME, allowed_pcrs={}, allow_debug=True
        )


def test_test_pki_document_verifies_and_feeds_the_release_policy(nitro_pki: Any) -> None:
    doc = nitro_pki.document(nonce=b"n1", user_data=b"u1")
    verdict = verify_nitro_document(
        doc,
        now=nitro_pki.now,
        allowed_pcrs={0: frozenset({"11" * 48}), 1: frozenset({"22" * 48})},
        expected_nonce=b"n1",
        expected_user_data=b"u1",
        root_der=nitro_pki.root_der,
    )
    assert not verdict.debug
    policy = ReleasePolicy(allowed_measurements=frozenset({"11" * 48}))
    assert "allow-list" in policy.check(verdict.evidence)
    with pytest.raises(IdentityError, match="not allowed"):
        ReleasePolicy(allowed_measurements=frozenset({"ab" * 48})).check(verdict.evidence)


def test_test_pki_document_is_refused_under_the_aws_root(nitro_pki: Any) -> None:
    with pytest.raises(IdentityError, match="pinned root"):
        verify_nitro_document(nitro_pki.document(), now=nitro_pki.now, allowed_pcrs={})


def test_pcr_off_the_allow_list_is_named(nitro_pki: Any) -> None:
    with pytest.raises(IdentityError, match=r"PCR1 .* not on the allow-list"):
        verify_nitro_document(
            nitro_pki.document(),
            now=nitro_pki.now,
            allowed_pcrs={1: frozenset({"99" * 48})},
            root_der=nitro_pki.root_der,
        )


def test_user_data_binding_and_age(nitro_pki: Any) -> None:
    with pytest.raises(IdentityError, match="user_data"):
        verify_nitro_document(
            nitro_pki.document(user_data=b"other"),
            now=nitro_pki.now,
            allowed_pcrs={},
            expected_user_data=b"mine",
            root_der=nitro_pki.root_der,
        )
    old = nitro_pki.document(timestamp=nitro_pki.now - dt.timedelta(hours=1))
    with pytest.raises(IdentityError, match="older than"):
        verify_nitro_document(
            old,
            now=nitro_pki.now,
            allowed_pcrs={},
            max_age=dt.timedelta(minutes=5),
            root_der=nitro_pki.root_der,
        )


def test_chain_must_lead_from_root_to_leaf(nitro_pki: Any) -> None:
    skipped = nitro_pki.document(mutate_payload={"cabundle": [nitro_pki.root_der]})
    with pytest.raises(IdentityError, match="leaf certificate is not issued by cabundle"):
        verify_nitro_document(
            skipped, now=nitro_pki.now, allowed_pcrs={}, root_der=nitro_pki.root_der
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"digest": "SHA256"}, "digest"),
        ({"timestamp": -1}, "timestamp"),
        ({"pcrs": {0: b"short"}}, "PCR0"),
        ({"pcrs": {40: b"\x00" * 48}}, "PCR index 40"),
        ({"nonce": b"x" * 2000}, "nonce"),
        ({"cabundle": []}, "cabundle"),
        ({"module_id": ""}, "module_id"),
    ],
)
def test_malformed_payload_fields_are_named(
    nitro_pki: Any, change: dict[str, object], message: str
) -> None:
    with pytest.raises(IdentityError, match=message):
        parse_nitro_document(nitro_pki.document(mutate_payload=change))


def test_wrong_algorithm_and_garbage_are_refused(nitro_pki: Any) -> None:
    with pytest.raises(IdentityError, match="ES384"):
        parse_nitro_document(nitro_pki.document(protected={1: -7}))
    with pytest.raises(IdentityError, match="not valid CBOR"):
        parse_nitro_document(b"\xff\x00garbage")
    with pytest.raises(IdentityError, match="four elements"):
        parse_nitro_document(cbor2.dumps([b"a", {}]))
