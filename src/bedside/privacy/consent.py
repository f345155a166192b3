"""Consent as a W3C Verifiable Credential in JWT form (VC-JWT), signed by the patient.

The patient (issuer and subject) grants a grantee (the clinic's DID) access to some finding
families (`Scope`) for a purpose (treatment) over a validity period. Raw data is never a scope:
there is no value for it, so a credential that asks for it does not parse. A revocation is a
separate token signed by the same patient that names the credential's id.

JWT claims follow VC Data Model 1.1 section 6.3.1: ``iss`` = patient DID, ``sub`` = patient DID,
``jti`` = credential id (``urn:uuid:...``), ``nbf``/``exp`` = validity (Unix seconds), ``vc`` =
the credential (``@context``, ``type``, ``credentialSubject``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from bedside.privacy.errors import ConsentError, IdentityError
from bedside.privacy.identity import Identity
from bedside.privacy.signed_json import sign_json, verify_json

__all__ = [
    "CONSENT_TYP",
    "REVOCATION_TYP",
    "ConsentGrant",
    "ConsentRevocation",
    "Purpose",
    "Scope",
    "issue_consent",
    "issue_revocation",
    "verify_consent",
    "verify_revocation",
]

CONSENT_TYP = "vc+jwt"
REVOCATION_TYP = "bedside-consent-revocation+jwt"
_VC_CONTEXT = "https://www.w3.org/2018/credentials/v1"
_VC_TYPE = "BedsideConsentCredential"


class Scope(StrEnum):
    """Finding families a patient may share. Raw sensor data is deliberately not among them."""

    TRENDS = "trends"
    RISK = "risk"
    PHQ9 = "phq9"


class Purpose(StrEnum):
    """Purpose of use (HL7 v3 ActReason TREAT)."""

    TREATMENT = "treatment"


class ConsentGrant(BaseModel):
    """The content of a verified consent credential.

    Attributes
    ----------
    id : str
        Credential id (``urn:uuid:...``); revocations name it.
    patient_did : str
        Issuer and subject: the patient's signing DID.
    patient_id : str
        The patient's record id at the grantee (what findings carry as ``patient_id``).
    grantee_did : str
        The clinic service's signing DID.
    scopes : frozenset of Scope
    purpose : Purpose
    valid_from, valid_until : datetime
        Validity period (UTC, whole seconds); `valid_until` is exclusive.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    patient_did: str
    patient_id: str
    grantee_did: str
    scopes: frozenset[Scope]
    purpose: Purpose
    valid_from: dt.datetime
    valid_until: dt.datetime

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _aware(cls, when: dt.datetime) -> dt.datetime:
        if when.tzinfo is None:
            raise ValueError("validity times must be timezone-aware")
        return when.astimezone(dt.UTC).replace(microsecond=0)

    @model_validator(mode="after")
    def _ordered(self) -> ConsentGrant:
        if not self.scopes:
            raise ValueError("a consent must grant at least one scope")
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self

    def is_valid_at(self, when: dt.datetime) -> bool:
        """Whether `when` lies in [valid_from, valid_until)."""
        return self.valid_from <= when < self.valid_until


class ConsentRevocation(BaseModel):
    """A verified revocation of a consent credential by its patient."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    consent_id: str
    patient_did: str
    revoked_at: dt.datetime


def issue_consent(
    patient: Identity,
    *,
    patient_id: str,
    grantee_did: str,
    scopes: set[Scope] | frozenset[Scope],
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    purpose: Purpose = Purpose.TREATMENT,
) -> tuple[ConsentGrant, str]:
    """Sign a consent credential on the patient's device.

    Returns
    -------
    (ConsentGrant, str)
        The grant and its VC-JWT (compact JWS, alg ``Ed25519``).
    """
    grant = ConsentGrant(
        id=f"urn:uuid:{uuid.uuid4()}",
        patient_did=patient.did,
        patient_id=patient_id,
        grantee_did=grantee_did,
        scopes=frozenset(Scope(s) for s in scopes),
        purpose=purpose,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    claims: dict[str, Any] = {
        "iss": grant.patient_did,
        "sub": grant.patient_did,
        "jti": grant.id,
        "nbf": int(grant.valid_from.timestamp()),
        "exp": int(grant.valid_until.timestamp()),
        "iat": int(grant.valid_from.timestamp()),
        "vc": {
            "@context": [_VC_CONTEXT],
            "type": ["VerifiableCredential", _VC_TYPE],
            "credentialSubject": {
                "id": grant.patient_did,
                "patientId": grant.patient_id,
                "grantee": grant.grantee_did,
                "scopes": sorted(s.value for s in grant.scopes),
                "purpose": grant.purpose.value,
            },
        },
    }
    return grant, sign_json(patient, claims, typ=CONSENT_TYP)


def verify_consent(token: str, *, now: dt.datetime | None = None) -> ConsentGrant:
    """Verify a consent VC-JWT's signature and structure; with `now`, also its validity period.

    Raises
    ------
    ConsentError
        Bad signature, the signer is not the issuer and subject, a missing or unknown field or
        scope (including any raw-data scope), or `now` outside the validity period.
    """
    try:
        signed = verify_json(token, typ=CONSENT_TYP)
    except IdentityError as exc:
        raise ConsentError(f"consent credential: {exc}") from exc
    claims = signed.claims
    try:
        vc = claims["vc"]
        subject = vc["credentialSubject"]
        if _VC_CONTEXT not in vc["@context"] or _VC_TYPE not in vc["type"]:
            raise ConsentError("consent credential has the wrong @context or type")
        if not (claims["iss"] == claims["sub"] == subject["id"] == signed.signer):
            raise ConsentError("consent must be issued by its subject, the patient who signed it")
        grant = ConsentGrant(
            id=claims["jti"],
            patient_did=claims["iss"],
            patient_id=subject["patientId"],
            grantee_did=subject["grantee"],
            scopes=frozenset(subject["scopes"]),
            purpose=subject["purpose"],
            valid_from=dt.datetime.fromtimestamp(int(claims["nbf"]), dt.UTC),
            valid_until=dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC),
        )
    except (KeyError, TypeError) as exc:
        raise ConsentError(f"consent credential is missing field {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConsentError(f"consent credential field {where!r}: {first['msg']}") from exc
    if now is not None and not grant.is_valid_at(now):
        raise ConsentError(
            f"consent {grant.id} is valid {grant.valid_from.isoformat()} to "
            f"{grant.valid_until.isoformat()}, not at {now.isoformat()}"
        )
    return grant


def issue_revocation(
    patient: Identity, consent_id: str, *, now: dt.datetime | None = None
) -> tuple[ConsentRevocation, str]:
    """Sign the revocation of consent `consent_id`; returns the revocation and its token."""
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    revocation = ConsentRevocation(consent_id=consent_id, patient_did=patient.did, revoked_at=when)
    claims = {"iss": patient.did, "consent_id": consent_id, "iat": int(when.timestamp())}
    return revocation, sign_json(patient, claims, typ=REVOCATION_TYP)


def verify_revocation(token: str) -> ConsentRevocation:
    """Verify a revocation token; `ConsentError` when forged or malformed.

    The caller must check that `patient_did` is the issuer of the consent it names.
    """
    try:
        signed = verify_json(token, typ=REVOCATION_TYP)
        if signed.claims.get("iss") != signed.signer:
            raise ConsentError("revocation 'iss' is not the DID that signed it")
        return ConsentRevocation(
            consent_id=str(signed.claims["consent_id"]),
            patient_did=signed.signer,
            revoked_at=dt.datetime.fromtimestamp(int(signed.claims["iat"]), dt.UTC),
        )
    except IdentityError as exc:
        raise ConsentError(f"consent revocation: {exc}") from exc
    except ConsentError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ConsentError(f"consent revocation field is missing or bad: {exc}") from exc
