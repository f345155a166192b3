"""did:key encoding: base58btc against the base58 draft's examples, multicodec prefixes, errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedside.privacy import (
    Identity,
    IdentityError,
    KeyType,
    PartyKind,
    PublicIdentity,
    did_from_public_key,
    key_id,
    public_key_from_did,
)
from bedside.privacy.did_key import b58decode, b58encode


def test_base58_matches_the_draft_examples() -> None:
    # draft-msporny-base58-03, section 5 (examples).
    assert b58encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert b58encode(bytes.fromhex("0000287fb4cd")) == "11233QC4"
    assert b58decode("11233QC4") == bytes.fromhex("0000287fb4cd")


@given(st.binary(max_size=40))
def test_base58_round_trips(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data


def test_key_types_have_their_documented_did_prefixes() -> None:
    # did:key spec: Ed25519 identifiers begin z6Mk, X25519 ones z6LS.
    ident = Identity.generate(PartyKind.CLINICIAN)
    assert ident.did.startswith("did:key:z6Mk")
    assert ident.public.encryption_did.startswith("did:key:z6LS")
    raw, key_type = public_key_from_did(ident.did)
    assert key_type is KeyType.ED25519
    assert raw == ident.require_signing().public_key().public_bytes_raw()
    assert public_key_from_did(key_id(ident.did)) == (raw, KeyType.ED25519)


@given(st.binary(min_size=32, max_size=32), st.sampled_from(list(KeyType)))
def test_did_round_trips_any_key(raw: bytes, key_type: KeyType) -> None:
    assert public_key_from_did(did_from_public_key(raw, key_type)) == (raw, key_type)


@pytest.mark.parametrize(
    ("did", "match"),
    [
        ("did:web:example.org", "not a did:key"),
        ("did:key:u6Mkabc", "base58btc"),
        ("did:key:z0OIl", "invalid base58"),
        ("did:key:z" + b58encode(b"\x12\x00" + bytes(32)), "unsupported multicodec"),
        ("did:key:z" + b58encode(b"\xed\x01" + bytes(31)), "31 bytes"),
    ],
)
def test_malformed_dids_are_refused_with_the_reason(did: str, match: str) -> None:
    with pytest.raises(IdentityError, match=match):
        public_key_from_did(did)


def test_fragment_naming_another_key_is_refused() -> None:
    a, b = Identity.generate(PartyKind.PATIENT), Identity.generate(PartyKind.PATIENT)
    with pytest.raises(IdentityError, match="fragment"):
        public_key_from_did(a.did + "#" + b.did.removeprefix("did:key:"))


def test_public_identity_json_round_trip_and_type_checks() -> None:
    ident = Identity.generate(PartyKind.MODEL_PUBLISHER)
    assert PublicIdentity.from_json(ident.public.to_json()) == ident.public
    with pytest.raises(IdentityError, match="not an Ed25519"):
        PublicIdentity(ident.public.encryption_did, ident.public.encryption_did, PartyKind.PATIENT)
    with pytest.raises(IdentityError, match="invalid"):
        PublicIdentity.from_json('{"did": 1}')


def test_split_identities_hold_only_their_half() -> None:
    ident = Identity.generate(PartyKind.CLINIC_SERVICE)
    api, processor = ident.signing_only(), ident.encryption_only()
    assert api.encryption_private is None
    assert api.signing_private is not None
    assert processor.signing_private is None
    assert processor.encryption_private is not None
    with pytest.raises(IdentityError, match="no decryption key"):
        api.require_encryption()
    with pytest.raises(IdentityError, match="no signing key"):
        processor.sign(b"x")
