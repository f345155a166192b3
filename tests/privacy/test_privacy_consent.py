"""Consent VC-JWT: issued and verified here, read independently with jwcrypto; revocation."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from jwcrypto import jwk, jws

from bedside.privacy import (
    ConsentError,
    Identity,
    Scope,
    issue_consent,
    issue_revocation,
    sign_json,
    verify_consent,
    verify_revocation,
)
from bedside.privacy.consent import CONSENT_TYP

from .conftest import T0

UNTIL = T0 + dt.timedelta(days=180)


def _jwcrypto_key(identity: Identity) -> jwk.JWK:
    raw = identity.require_signing().public_key().public_bytes_raw()
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return jwk.JWK(kty="OKP", crv="Ed25519", x=x)


def _consent(patient: Identity, clinic: Identity, **kw: object) -> tuple[object, str]:
    args: dict[str, object] = {
        "patient_id": "p1",
        "grantee_did": clinic.did,
        "scopes": {Scope.TRENDS, Scope.RISK},
        "valid_from": T0,
        "valid_until": UNTIL,
    }
    args.update(kw)
    return issue_consent(patient, **args)  # type: ignore[arg-type]


def test_consent_round_trip(patient: Identity, clinic: Identity) -> None:
    grant, token = _consent(patient, clinic)
    got = verify_consent(token, now=T0 + dt.timedelta(days=1))
    assert got == grant
    assert got.scopes == {Scope.TRENDS, Scope.RISK}
    assert got.grantee_did == clinic.did
    assert got.patient_did == patient.did


def test_jwcrypto_verifies_our_consent_as_a_vc_jwt(patient: Identity, clinic: Identity) -> None:
    grant, token = _consent(patient, clinic)
    parsed = jws.JWS()
    parsed.deserialize(token)
    parsed.verify(_jwcrypto_key(patient), alg="Ed25519")
    header = parsed.jose_header
    assert header["alg"] == "Ed25519"
    assert header["typ"] == CONSENT_TYP
    assert header["kid"].startswith(patient.did + "#z6Mk")
    claims = json.loads(parsed.payload)
    assert claims["iss"] == claims["sub"] == patient.did
    assert claims["jti"] == grant.id
    assert claims["exp"] - claims["nbf"] == 180 * 86400
    assert "VerifiableCredential" in claims["vc"]["type"]
    subject = claims["vc"]["credentialSubject"]
    assert subject["grantee"] == clinic.did
    assert subject["scopes"] == ["risk", "trends"]
    assert subject["purpose"] == "treatment"


def test_jwcrypto_rejects_our_consent_under_another_key(
    patient: Identity, clinic: Identity, stranger: Identity
) -> None:
    _, token = _consent(patient, clinic)
    parsed = jws.JWS()
    parsed.deserialize(token)
    with pytest.raises(jws.InvalidJWSSignature):
        parsed.verify(_jwcrypto_key(stranger), alg="Ed25519")


@pytest.mark.parametrize(
    ("offset", "ok"),
    [(dt.timedelta(seconds=-1), False), (dt.timedelta(0), True), (dt.timedelta(days=180), False)],
)
def test_validity_period_is_enforced(
    patient: Identity, clinic: Identity, offset: dt.timedelta, ok: bool
) -> None:
    _, token = _consent(patient, clinic)
    if ok:
        verify_consent(token, now=T0 + offset)
    else:
        with pytest.raises(ConsentError, match="is valid"):
            verify_consent(token, now=T0 + offset)


def test_raw_data_is_never_a_scope(patient: Identity, clinic: Identity) -> None:
    with pytest.raises(ValueError, match="raw"):
        _consent(patient, clinic, scopes={"raw"})
    # A hand-made credential asking for raw data does not verify either.
    _, token = _consent(patient, clinic)
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    claims["vc"]["credentialSubject"]["scopes"] = ["trends", "raw_actigraphy"]
    forged = sign_json(patient, claims, typ=CONSENT_TYP)
    with pytest.raises(ConsentError, match="scopes"):
        verify_consent(forged)


def test_consent_signed_by_someone_else_is_refused(
    patient: Identity, clinic: Identity, stranger: Identity
) -> None:
    _, token = _consent(patient, clinic)
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    forged = sign_json(stranger, claims, typ=CONSENT_TYP)  # stranger signs patient's claims
    with pytest.raises(ConsentError, match="issued by its subject"):
        verify_consent(forged)
    header, payload, _sig = token.split(".")
    other_sig = forged.split(".")[2]
    with pytest.raises(ConsentError, match="does not verify"):
        verify_consent(f"{header}.{payload}.{other_sig}")


def test_eddsa_and_other_algorithms_are_refused(patient: Identity, clinic: Identity) -> None:
    _, token = _consent(patient, clinic)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    header["alg"] = "EdDSA"
    swapped = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    with pytest.raises(ConsentError, match="alg"):
        verify_consent(swapped + token[token.index(".") :])


def test_revocation_round_trip_and_forgery(
    patient: Identity, clinic: Identity, stranger: Identity
) -> None:
    grant, _ = _consent(patient, clinic)
    revocation, token = issue_revocation(patient, grant.id, now=T0 + dt.timedelta(days=3))
    got = verify_revocation(token)
    assert got == revocation
    assert got.patient_did == patient.did
    assert got.consent_id == grant.id
    parsed = jws.JWS()
    parsed.deserialize(token)
    parsed.verify(_jwcrypto_key(patient), alg="Ed25519")
    header, payload, _ = token.split(".")
    bad_sig = issue_revocation(stranger, grant.id)[1].split(".")[2]
    with pytest.raises(ConsentError, match="does not verify"):
        verify_revocation(f"{header}.{payload}.{bad_sig}")
