"""Clinician accounts and credentials at the clinic: scrypt password hashes, signed access tokens.

Why this mechanism: a clinic deployment has to accept it without an identity provider in the
loop, and it must work the same for a browser (the dashboard) and an API client (the FHIR read
API). Clinicians log in with a password that is stored only as an scrypt hash (n=2^15, r=8,
p=1, 16-byte salt: memory-hard, in the standard library); the clinic then issues a short-lived
access token -- a compact JWS (alg ``Ed25519``, ``typ`` ``at+jwt`` as RFC 9068 names access
tokens) signed by the clinic service's own did:key, with issuer, audience (this server's base
URL), subject (clinician id), role, issue/not-before/expiry times and a unique id. Browsers carry
it in an ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` on https), API clients in
``Authorization: Bearer``. A clinic with single sign-on would put its OpenID Connect provider in
front of `ClinicianTokens.issue`; everything after issuance stays the same.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bedside.domain import BedsideError
from bedside.privacy import Identity, IdentityError, sign_json, verify_json

__all__ = [
    "ACCESS_TOKEN_TYP",
    "AccessDeniedError",
    "ClinicianAccount",
    "ClinicianTokens",
    "StaffRole",
    "TokenClaims",
    "hash_password",
    "verify_password",
]

ACCESS_TOKEN_TYP = "at+jwt"
_SCRYPT_R, _SCRYPT_P, _SALT_BYTES, _KEY_BYTES = 8, 1, 16, 32
_MIN_LOG2_N = 14


class AccessDeniedError(BedsideError):
    """A request was refused: `status` 401 (who are you?) or 403 (not allowed), with a reason."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{status}: {reason}")


class StaffRole(StrEnum):
    """What a clinic staff member is; the access policy maps each to its permissions."""

    PSYCHIATRIST = "psychiatrist"
    THERAPIST = "therapist"
    CARE_COORDINATOR = "care_coordinator"
    AUDITOR = "auditor"


class ClinicianAccount(BaseModel):
    """One staff member: id (as used in care teams), display name, role and password hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    role: StaffRole
    password_hash: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, log2_n: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
        dklen=_KEY_BYTES,
        maxmem=256 * n * _SCRYPT_R,  # 128 * n * r bytes needed; headroom for the library
    )


def hash_password(password: str, *, log2_n: int = 15) -> str:
    """``scrypt$<log2 n>$<salt>$<hash>`` (urlsafe base64) of `password` under a fresh salt."""
    if not password:
        raise ValueError("password must not be empty")
    if log2_n < _MIN_LOG2_N:
        raise ValueError(f"scrypt cost 2^{log2_n} is below the minimum 2^{_MIN_LOG2_N}")
    salt = os.urandom(_SALT_BYTES)
    return f"scrypt${log2_n}${_b64(salt)}${_b64(_scrypt(password, salt, log2_n))}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches `encoded` (constant-time compare; False on a malformed hash)."""
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != "scrypt" or not parts[1].isdigit():
        return False
    log2_n = int(parts[1])
    if not _MIN_LOG2_N <= log2_n <= 20:
        return False
    try:
        salt, expected = _unb64(parts[2]), _unb64(parts[3])
    except ValueError:
        return False
    return hmac.compare_digest(_scrypt(password, salt, log2_n), expected)


@dataclass(frozen=True)
class TokenClaims:
    """A verified access token: clinician id, role, expiry and token id."""

    subject: str
    role: StaffRole
    expires: dt.datetime
    token_id: str


class ClinicianTokens:
    """Issues and verifies the clinic's access tokens.

    Parameters
    ----------
    signer : Identity
        The clinic service's identity (the API process holds its Ed25519 key).
    audience : str
        This server's base URL; a token for another audience is refused.
    lifetime : timedelta
        How long a token is valid (default 8 hours: one clinical shift).
    clock : callable returning datetime
        Current time (timezone-aware).
    """

    def __init__(
        self,
        signer: Identity,
        *,
        audience: str,
        clock: Callable[[], dt.datetime],
        lifetime: dt.timedelta = dt.timedelta(hours=8),
    ) -> None:
        self._signer = signer.signing_only()
        self.issuer = signer.did
        self.audience = audience.rstrip("/")
        self.lifetime = lifetime
        self.clock = clock

    def issue(self, account: ClinicianAccount) -> str:
        """A signed access token for `account`, valid from now for `lifetime`."""
        now = self.clock()
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": account.id,
            "role": account.role.value,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": str(uuid.uuid4()),
        }
        return sign_json(self._signer, claims, typ=ACCESS_TOKEN_TYP)

    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid token; `AccessDeniedError` (401) naming what is wrong."""
        try:
            signed = verify_json(token, typ=ACCESS_TOKEN_TYP)
        except IdentityError as exc:
            raise AccessDeniedError(401, f"access token rejected: {exc}") from exc
        claims = signed.claims
        if signed.signer != self.issuer or claims.get("iss") != self.issuer:
            raise AccessDeniedError(401, "access token was not issued by this clinic")
        if claims.get("aud") != self.audience:
            raise AccessDeniedError(
                401, f"access token audience {claims.get('aud')!r} is not {self.audience!r}"
            )
        now = self.clock().timestamp()
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int) or not isinstance(nbf, int):
            raise AccessDeniedError(401, "access token lacks integer exp/nbf")
        if now >= exp:
            raise AccessDeniedError(401, "access token expired; log in again")
        if now < nbf:
            raise AccessDeniedError(401, "access token is not valid yet")
        try:
            role = StaffRole(str(claims.get("role")))
        except ValueError as exc:
            raise AccessDeniedError(401, "access token names no known role") from exc
        subject, token_id = claims.get("sub"), claims.get("jti")
        if not isinstance(subject, str) or not isinstance(token_id, str):
            raise AccessDeniedError(401, "access token lacks sub/jti")
        return TokenClaims(subject, role, dt.datetime.fromtimestamp(exp, dt.UTC), token_id)
