"""Authentication of the EHR calling the CDS Hooks service (CDS Hooks 2.0, "Trusting CDS Clients").

Every request carries ``Authorization: Bearer <JWT>`` signed by the CDS client (the EHR). The
service accepts it only when:

* the header's ``alg`` is ES384 or RS384 (``none`` and every HMAC algorithm are refused, as is
  anything else), and its ``kid`` names a key in the JWKS registered for the token's ``iss``;
* ``iss`` is on the allow-list (:class:`TrustedIssuer`), and the signature verifies;
* ``aud`` is exactly the URL of the service endpoint being called;
* ``exp`` is in the future, ``iat`` is not in the future and not older than ``max_age``
  (clock skew ``leeway`` either way);
* ``jti`` is present and has not been seen before (kept until the token expires).

A failure is an :class:`AuthError` with the HTTP status (401 for a missing, invalid or replayed
token) and a reason naming what is wrong.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bedside.server.replay_cache import MemoryReplayCache, ReplayCache

__all__ = ["ACCEPTED_ALGS", "AuthError", "CdsJwtVerifier", "TrustedIssuer", "VerifiedCaller"]

ACCEPTED_ALGS = ("ES384", "RS384")


class AuthError(Exception):
    """The request is not authenticated; `status` is the HTTP status, `reason` says why."""

    def __init__(self, status: int, reason: str, issuer: str | None = None) -> None:
        self.status = status
        self.reason = reason
        self.issuer = issuer
        super().__init__(reason)


@dataclass(frozen=True)
class TrustedIssuer:
    """A CDS client allowed to call the service: its ``iss`` and its public JWKS."""

    iss: str
    jwks: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class VerifiedCaller:
    """Who called, from a verified token."""

    iss: str
    sub: str | None
    jti: str
    tenant: str | None


def _b64json(part: str) -> dict[str, Any]:
    padded = part + "=" * (-len(part) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CdsJwtVerifier:
    """Verifies CDS client JWTs (see the module docstring).

    Parameters
    ----------
    issuers : iterable of TrustedIssuer
        The allow-list.
    clock : callable returning datetime
    leeway : timedelta
        Clock skew tolerated on ``exp`` and ``iat``.
    max_age : timedelta
        Oldest acceptable ``iat`` (the spec recommends tokens live about 5 minutes).
    replay_cache : ReplayCache, optional
        Where used ``jti`` claims are kept: this process's memory by default; a
        `SqliteReplayCache` shared by every worker when the service runs several processes.
    """

    def __init__(
        self,
        issuers: list[TrustedIssuer],
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
        leeway: dt.timedelta = dt.timedelta(seconds=30),
        max_age: dt.timedelta = dt.timedelta(minutes=5),
        replay_cache: ReplayCache | None = None,
    ) -> None:
        self._keys = {i.iss: KeySet.import_key_set(dict(i.jwks)) for i in issuers}  # type: ignore[arg-type]
        self._clock = clock
        self._leeway = leeway
        self._max_age = max_age
        self._replay = replay_cache or MemoryReplayCache()

    def verify(self, authorization: str | None, audience: str) -> VerifiedCaller:
        """Check an ``Authorization`` header for a call to `audience` (the exact URL called).

        Raises
        ------
        AuthError
            401 with the reason when the token is missing, malformed or fails a check.
        """
        if not authorization:
            raise AuthError(401, "missing Authorization header (Bearer JWT required)")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError(401, "Authorization must be 'Bearer <JWT>'")
        token = token.strip()
        parts = token.split(".")
        if len(parts) != 3:
            raise AuthError(401, "token is not a compact JWS (three dot-separated parts)")
        try:
            header = _b64json(parts[0])
            unverified = _b64json(parts[1])
        except (ValueError, UnicodeDecodeError):
            raise AuthError(401, "token header or claims are not base64url JSON") from None
        alg = header.get("alg")
        if alg not in ACCEPTED_ALGS:
            raise AuthError(401, f"alg {alg!r} not accepted (ES384 or RS384 only)")
        iss = unverified.get("iss")
        if not isinstance(iss, str) or iss not in self._keys:
            raise AuthError(401, f"issuer {iss!r} is not trusted")
        keys = self._keys[iss]
        kid = header.get("kid")
        if kid is not None and not any(k.kid == kid for k in keys.keys):
            raise AuthError(401, f"kid {kid!r} is not in the JWKS of {iss}", iss)
        try:
            claims = jwt.decode(token, keys, algorithms=[str(alg)]).claims
        except (JoseError, ValueError) as exc:
            raise AuthError(401, f"signature does not verify: {exc}", iss) from None
        return self._check_claims(claims, iss, audience)

    def _check_claims(self, claims: dict[str, Any], iss: str, audience: str) -> VerifiedCaller:
        now = self._clock().timestamp()
        leeway = self._leeway.total_seconds()
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if audience not in auds:
            raise AuthError(401, f"aud {aud!r} is not this service ({audience})", iss)
        exp, iat, jti = claims.get("exp"), claims.get("iat"), claims.get("jti")
        if not isinstance(exp, int | float):
            raise AuthError(401, "exp claim missing", iss)
        if exp <= now - leeway:
            raise AuthError(401, "token expired", iss)
        if not isinstance(iat, int | float):
            raise AuthError(401, "iat claim missing", iss)
        if iat > now + leeway:
            raise AuthError(401, "iat is in the future", iss)
        if iat < now - self._max_age.total_seconds() - leeway:
            raise AuthError(401, "token too old (iat)", iss)
        if not isinstance(jti, str) or not jti:
            raise AuthError(401, "jti claim missing", iss)
        if not self._replay.claim(f"{iss}|{jti}", float(exp) + leeway, now):
            raise AuthError(401, "jti already used (replay)", iss)
        sub = claims.get("sub")
        tenant = claims.get("tenant")
        return VerifiedCaller(
            iss=iss,
            sub=sub if isinstance(sub, str) else None,
            jti=jti,
            tenant=tenant if isinstance(tenant, str) else None,
        )
