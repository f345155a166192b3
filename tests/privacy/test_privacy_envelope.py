"""Sealed envelopes: round trip, jwcrypto as an independent reader and writer, each rejection."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from jwcrypto import jwe as jc_jwe
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from bedside.privacy import (
    EnvelopePayload,
    EnvelopeRejectedError,
    Identity,
    RejectionReason,
    Scope,
    SealedEnvelope,
    decrypt_envelope,
    new_envelope_id,
    open_envelope,
    restrict_finding,
    scopes_used,
    seal_payload,
    sign_json,
    verify_payload,
)
from bedside.privacy.envelope import ENVELOPE_TYP

from .conftest import T0, sample_finding


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _payload(patient: Identity, seq: int = 1, **kw: object) -> EnvelopePayload:
    args: dict[str, object] = {
        "envelope_id": new_envelope_id(),
        "sequence": seq,
        "issued_at": T0,
        "patient_did": patient.did,
        "consent_id": "urn:uuid:c1",
        "finding": sample_finding(),
    }
    args.update(kw)
    return EnvelopePayload.model_validate(args)


def _reason(exc: pytest.ExceptionInfo[EnvelopeRejectedError]) -> RejectionReason:
    return exc.value.reason


def test_round_trip(patient: Identity, clinic: Identity) -> None:
    payload = _payload(patient)
    sealed = seal_payload(patient, clinic.public, payload)
    assert sealed.envelope_id == payload.envelope_id
    assert "sleep.duration_min" not in sealed.jwe
    assert open_envelope(sealed, clinic) == payload


def test_split_processes_each_need_only_their_half(patient: Identity, clinic: Identity) -> None:
    sealed = seal_payload(patient, clinic.public, _payload(patient))
    inner = decrypt_envelope(sealed, clinic.encryption_only())
    assert verify_payload(inner, sealed.envelope_id).patient_did == patient.did


def test_jwcrypto_decrypts_and_verifies_our_envelope(patient: Identity, clinic: Identity) -> None:
    payload = _payload(patient)
    sealed = seal_payload(patient, clinic.public, payload)
    x_priv = clinic.require_encryption()
    key = jc_jwk.JWK(
        kty="OKP",
        crv="X25519",
        x=_b64(x_priv.public_key().public_bytes_raw()),
        d=_b64(x_priv.private_bytes_raw()),
    )
    outer = jc_jwe.JWE()
    outer.deserialize(sealed.jwe, key=key)
    assert outer.jose_header["alg"] == "ECDH-ES+A256KW"
    assert outer.jose_header["enc"] == "A256GCM"
    inner = jc_jws.JWS()
    inner.deserialize(outer.payload.decode())
    sig_key = jc_jwk.JWK(
        kty="OKP", crv="Ed25519", x=_b64(patient.require_signing().public_key().public_bytes_raw())
    )
    inner.verify(sig_key, alg="Ed25519")
    claims = json.loads(inner.payload)
    assert claims["envelope_id"] == payload.envelope_id
    assert claims["sequence"] == 1
    assert claims["finding"]["risk"]["probability"] == 0.3


def test_we_open_an_envelope_jwcrypto_sealed(patient: Identity, clinic: Identity) -> None:
    payload = _payload(patient)
    inner = sign_json(patient, json.loads(payload.model_dump_json()), typ=ENVELOPE_TYP)
    pub = jc_jwk.JWK(
        kty="OKP", crv="X25519", x=_b64(clinic.require_encryption().public_key().public_bytes_raw())
    )
    token = jc_jwe.JWE(
        inner.encode(),
        protected={"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": clinic.public.encryption_kid},
    )
    token.add_recipient(pub)
    sealed = SealedEnvelope(envelope_id=payload.envelope_id, jwe=token.serialize(compact=True))
    assert open_envelope(sealed, clinic) == payload


def _flip(token: str, part: int) -> str:
    parts = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(parts[part] + "=" * (-len(parts[part]) % 4)))
    raw[len(raw) // 2] ^= 0x01
    parts[part] = _b64(bytes(raw))
    return ".".join(parts)


@pytest.mark.parametrize("part", [1, 2, 3, 4])  # wrapped key, iv, ciphertext, tag
def test_tampered_ciphertext_is_rejected(patient: Identity, clinic: Identity, part: int) -> None:
    sealed = seal_payload(patient, clinic.public, _payload(patient))
    bad = sealed.model_copy(update={"jwe": _flip(sealed.jwe, part)})
    with pytest.raises(EnvelopeRejectedError) as exc:
        open_envelope(bad, clinic)
    assert _reason(exc) is RejectionReason.TAMPERED


def test_wrong_recipient_is_rejected(
    patient: Identity, clinic: Identity, stranger: Identity
) -> None:
    sealed = seal_payload(patient, stranger.public, _payload(patient))
    with pytest.raises(EnvelopeRejectedError) as exc:
        open_envelope(sealed, clinic)
    assert _reason(exc) is RejectionReason.WRONG_RECIPIENT


def test_forged_signer_is_rejected(patient: Identity, clinic: Identity, stranger: Identity) -> None:
    # The stranger signs a payload that claims to come from the patient.
    payload = _payload(patient)
    claims = json.loads(payload.model_dump_json())
    inner = sign_json(stranger, claims, typ=ENVELOPE_TYP)
    with pytest.raises(EnvelopeRejectedError) as exc:
        verify_payload(inner, payload.envelope_id)
    assert _reason(exc) is RejectionReason.FORGED_SIGNATURE
    # The stranger's signature under the patient's kid does not verify either.
    real = sign_json(patient, claims, typ=ENVELOPE_TYP)
    spliced = ".".join(real.split(".")[:2] + inner.split(".")[2:])
    with pytest.raises(EnvelopeRejectedError) as exc:
        verify_payload(spliced, payload.envelope_id)
    assert _reason(exc) is RejectionReason.FORGED_SIGNATURE


def test_swapped_outer_id_is_rejected(patient: Identity, clinic: Identity) -> None:
    sealed = seal_payload(patient, clinic.public, _payload(patient))
    bad = sealed.model_copy(update={"envelope_id": new_envelope_id()})
    with pytest.raises(EnvelopeRejectedError) as exc:
        open_envelope(bad, clinic)
    assert _reason(exc) is RejectionReason.TAMPERED


def test_oversized_envelope_is_rejected_before_decryption(
    patient: Identity, clinic: Identity
) -> None:
    sealed = seal_payload(patient, clinic.public, _payload(patient))
    with pytest.raises(EnvelopeRejectedError) as exc:
        open_envelope(sealed, clinic, max_bytes=len(sealed.jwe) - 1)
    assert _reason(exc) is RejectionReason.OVERSIZED


@pytest.mark.parametrize("text", ["", "a.b", "not base64!.b.c.d.e", "e30.a.b.c.d"])
def test_garbage_is_malformed(clinic: Identity, text: str) -> None:
    sealed = SealedEnvelope.model_construct(envelope_id="x", jwe=text)
    with pytest.raises(EnvelopeRejectedError) as exc:
        decrypt_envelope(sealed, clinic)
    assert _reason(exc) is RejectionReason.MALFORMED


def test_schema_violation_after_decryption_names_the_field(
    patient: Identity, clinic: Identity
) -> None:
    payload = _payload(patient)
    claims = json.loads(payload.model_dump_json())
    claims["finding"]["risk"]["probability"] = 1.7
    inner = sign_json(patient, claims, typ=ENVELOPE_TYP)
    with pytest.raises(EnvelopeRejectedError, match="probability") as exc:
        verify_payload(inner, payload.envelope_id)
    assert _reason(exc) is RejectionReason.MALFORMED


def test_scopes_used_and_restriction() -> None:
    finding = sample_finding()
    only_risk = restrict_finding(finding, frozenset({Scope.RISK}))
    assert only_risk.trends == []
    assert only_risk.risk == finding.risk
    payload = EnvelopePayload(
        envelope_id="e",
        sequence=1,
        issued_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        patient_did="did:key:z",
        consent_id="c",
        finding=only_risk,
    )
    assert scopes_used(payload) == {Scope.RISK}
    full = payload.model_copy(update={"finding": finding})
    assert scopes_used(full) == {Scope.RISK, Scope.TRENDS}


def test_mangled_ephemeral_key_curve_is_tampering_not_a_crash(
    patient: Identity, clinic: Identity
) -> None:
    # Regression: the fuzz test found joserfc raising KeyError on an unknown 'crv' in 'epk'.
    sealed = seal_payload(patient, clinic.public, _payload(patient))
    first, rest = sealed.jwe.split(".", 1)
    header = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    header["epk"]["crv"] = "X05519"
    bad = _b64(json.dumps(header).encode()) + "." + rest
    with pytest.raises(EnvelopeRejectedError) as exc:
        open_envelope(sealed.model_copy(update={"jwe": bad}), clinic)
    assert _reason(exc) is RejectionReason.TAMPERED
