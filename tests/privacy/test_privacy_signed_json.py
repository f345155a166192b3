"""Compact JWS (alg Ed25519) built on `cryptography`: interoperable, and strict when reading."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc import jws
from joserfc.jwk import OKPKey
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from bedside.privacy import Identity, IdentityError, PartyKind, sign_json, verify_json
from bedside.privacy.identity import jwk_dict


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def signer() -> Identity:
    return Identity.generate(PartyKind.CLINIC_SERVICE)


def test_joserfc_and_jwcrypto_verify_our_token(signer: Identity) -> None:
    token = sign_json(signer, {"b": 2, "a": "x"}, typ="demo+jws")
    public = jwk_dict(signer, private=False)
    theirs = jws.deserialize_compact(
        token, OKPKey.import_key(public), registry=jws.JWSRegistry(algorithms=["Ed25519"])
    )
    assert json.loads(theirs.payload) == {"a": "x", "b": 2}
    assert theirs.protected["kid"] == signer.public.signing_kid
    other = jc_jws.JWS()
    other.deserialize(token)
    other.verify(jc_jwk.JWK(**public), alg="Ed25519")
    assert json.loads(other.payload) == {"a": "x", "b": 2}


def test_we_verify_a_joserfc_token(signer: Identity) -> None:
    header = {"alg": "Ed25519", "typ": "demo+jws", "kid": signer.public.signing_kid}
    key = OKPKey.import_key(jwk_dict(signer, private=True))
    token = jws.serialize_compact(
        header, b'{"n":1}', key, registry=jws.JWSRegistry(algorithms=["Ed25519"])
    )
    verified = verify_json(token, typ="demo+jws")
    assert verified.claims == {"n": 1}
    assert verified.signer == signer.did


def _resign(signer: Identity, header: dict[str, object], payload: bytes) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    return f"{signing_input}.{_b64(signer.sign(signing_input.encode()))}"


def test_strict_reading(signer: Identity) -> None:
    good = sign_json(signer, {"n": 1}, typ="t")
    h, p, s = good.split(".")
    kid = signer.public.signing_kid
    other_payload = _b64(b'{"n":2}')
    cases = {
        "4 dot-separated parts": f"{good}.x",
        "not unpadded base64url": f"{h}.{p}.{s[:-2]}*=",
        "does not verify": f"{h}.{other_payload}.{s}",
        "'crit'": _resign(signer, {"alg": "Ed25519", "typ": "t", "kid": kid, "crit": ["b64"]},
                          b"{}"),
        "alg must be": _resign(signer, {"alg": "EdDSA", "typ": "t", "kid": kid}, b"{}"),
        "typ must be": _resign(signer, {"alg": "Ed25519", "typ": "u", "kid": kid}, b"{}"),
        "not a JSON object": _resign(signer, {"alg": "Ed25519", "typ": "t", "kid": kid}, b"[1]"),
    }  # fmt: skip
    for message, token in cases.items():
        with pytest.raises(IdentityError, match=message):
            verify_json(token, typ="t")
    short = f"{h}.{p}.{_b64(base64.urlsafe_b64decode(s + '==')[:63])}"
    with pytest.raises(IdentityError, match="does not verify"):
        verify_json(short, typ="t")
