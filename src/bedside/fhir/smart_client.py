"""SMART Backend Services client: ``client_credentials`` with ``private_key_jwt``.

The client authenticates to the EHR's token endpoint with a signed JWT assertion (RS384 or
ES384; ``iss`` = ``sub`` = client id, ``aud`` = the token URL, ``exp`` at most 5 minutes after
``iat``, a fresh ``jti`` each time), asks for SMART v2 system scopes, caches the access token and
fetches a new one ``refresh_margin`` before it expires, or at once when the FHIR server answers
401 (the token was revoked or expired early), retrying that request once.

FHIR calls map failures onto :mod:`bedside.fhir.ehr_errors`: unreachable / 5xx / 429 ->
``EhrUnavailableError`` (retry later), other 4xx -> ``EhrRejectedError`` with the server's
OperationOutcome, token endpoint refusal -> ``EhrAuthError``.

Reference: HL7 SMART App Launch 2.x, "SMART Backend Services"
(https://hl7.org/fhir/smart-app-launch/backend-services.html).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from bedside.domain import ConfigurationError
from bedside.fhir.ehr_errors import EhrAuthError, EhrRejectedError, EhrUnavailableError

__all__ = [
    "ASSERTION_TYPE",
    "MAX_ASSERTION_LIFETIME",
    "AccessToken",
    "ClientKey",
    "SmartBackendClient",
    "write_scopes",
]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = dt.timedelta(minutes=5)
_ALGS = {"ES384": "EC", "RS384": "RSA"}


def write_scopes(resource_types: Sequence[str]) -> list[str]:
    """SMART v2 system scopes to write `resource_types` with conditional creates.

    ``c`` create, ``u`` update (PUT of Provenance), ``d`` delete (retractions), ``s`` search
    (a conditional create searches on the business identifier); in SMART v2's c-r-u-d-s order.
    """
    return [f"system/{t}.cuds" for t in sorted(set(resource_types))]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ClientKey:
    """The client's private signing key, with its algorithm and key id.

    Parameters
    ----------
    key : ECKey or RSAKey
        joserfc private key (P-384 for ES384; RSA of at least 2048 bits for RS384).
    alg : str
        ``ES384`` or ``RS384``.
    kid : str
        Key id, published in the client's JWKS and sent in the JWT header.
    """

    def __init__(self, key: ECKey | RSAKey, alg: str, kid: str) -> None:
        if alg not in _ALGS:
            raise ConfigurationError(f"alg must be ES384 or RS384, got {alg!r}")
        if key.key_type != _ALGS[alg]:
            raise ConfigurationError(f"{alg} needs a {_ALGS[alg]} key, got {key.key_type}")
        if alg == "ES384" and key.as_dict().get("crv") != "P-384":
            raise ConfigurationError("ES384 needs a P-384 key")
        self.key = key
        self.alg = alg
        self.kid = kid

    @classmethod
    def generate(cls, alg: str = "ES384", kid: str | None = None) -> ClientKey:
        """A new random key for `alg` (P-384 for ES384, RSA 2048 for RS384)."""
        kid = kid or str(uuid.uuid4())
        key: ECKey | RSAKey
        if alg == "ES384":
            key = ECKey.generate_key("P-384", parameters={"kid": kid})
        elif alg == "RS384":
            key = RSAKey.generate_key(2048, parameters={"kid": kid})
        else:
            raise ConfigurationError(f"alg must be ES384 or RS384, got {alg!r}")
        return cls(key, alg, kid)

    @classmethod
    def from_pem(cls, pem: bytes, alg: str, kid: str) -> ClientKey:
        """Load a PEM private key (PKCS#8 or traditional)."""
        key: ECKey | RSAKey = (
            ECKey.import_key(pem, {"kid": kid})
            if alg == "ES384"
            else RSAKey.import_key(pem, {"kid": kid})
        )
        return cls(key, alg, kid)

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with ``kid``, ``alg`` and ``use: sig``."""
        jwk = dict(self.key.as_dict(private=False))
        jwk.update(kid=self.kid, alg=self.alg, use="sig")
        return jwk

    def public_jwks(self) -> dict[str, Any]:
        """The client's JWKS (what is registered with the EHR)."""
        return {"keys": [self.public_jwk()]}

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of `claims` (header ``alg``, ``kid``, ``typ: JWT``)."""
        header = {"alg": self.alg, "kid": self.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.key, algorithms=[self.alg])


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A cached access token and when it stops being usable (UTC)."""

    value: str
    expires_at: dt.datetime
    scope: str


class SmartBackendClient:
    """A FHIR client authenticated with SMART Backend Services.

    Parameters
    ----------
    fhir_base : str
        The EHR's FHIR base URL.
    token_url : str
        The EHR's token endpoint (from ``.well-known/smart-configuration``).
    client_id : str
        The registered client id.
    key : ClientKey
        The client's signing key (its public JWKS is registered with the EHR).
    scopes : sequence of str
        SMART v2 scopes to request (see :func:`write_scopes`).
    http : httpx.Client, optional
        Transport (tests pass one with ``MockTransport``); the default has a 30 s timeout.
    clock : callable returning datetime
        Current UTC time (tests move it forward).
    refresh_margin : timedelta
        Fetch a new token this long before the cached one expires.
    assertion_lifetime : timedelta
        ``exp - iat`` of client assertions; at most 5 minutes.
    """

    def __init__(
        self,
        *,
        fhir_base: str,
        token_url: str,
        client_id: str,
        key: ClientKey,
        scopes: Sequence[str],
        http: httpx.Client | None = None,
        clock: Callable[[], dt.datetime] = _utc_now,
        refresh_margin: dt.timedelta = dt.timedelta(seconds=60),
        assertion_lifetime: dt.timedelta = MAX_ASSERTION_LIFETIME,
    ) -> None:
        if assertion_lifetime > MAX_ASSERTION_LIFETIME or assertion_lifetime <= dt.timedelta(0):
            raise ConfigurationError("assertion_lifetime must be in (0, 5 min]")
        if not scopes:
            raise ConfigurationError("at least one scope is needed")
        self.fhir_base = fhir_base.rstrip("/")
        self.token_url = token_url
        self.client_id = client_id
        self.key = key
        self.scopes = list(scopes)
        self._http = http or httpx.Client(timeout=30.0)
        self._clock = clock
        self._margin = refresh_margin
        self._assertion_lifetime = assertion_lifetime
        self._token: AccessToken | None = None
        self.token_requests = 0
        """How many tokens this client has requested (for tests and metrics)."""

    def close(self) -> None:
        self._http.close()

    def client_assertion(self) -> str:
        """A fresh signed client assertion (new ``jti``; ``exp`` = now + assertion lifetime)."""
        now = self._clock()
        return self.key.sign(
            {
                "iss": self.client_id,
                "sub": self.client_id,
                "aud": self.token_url,
                "iat": int(now.timestamp()),
                "exp": int((now + self._assertion_lifetime).timestamp()),
                "jti": str(uuid.uuid4()),
            }
        )

    def _fetch_token(self) -> AccessToken:
        form = {
            "grant_type": "client_credentials",
            "scope": " ".join(self.scopes),
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.client_assertion(),
        }
        requested_at = self._clock()
        self.token_requests += 1
        try:
            resp = self._http.post(self.token_url, data=form)
        except httpx.TransportError as exc:
            raise EhrUnavailableError(
                f"token endpoint {self.token_url} unreachable: {exc}"
            ) from exc
        if resp.status_code >= 500:
            raise EhrUnavailableError(f"token endpoint answered HTTP {resp.status_code}")
        body = _json(resp)
        if resp.status_code != 200 or "access_token" not in body:
            reason = body.get("error_description") or body.get("error") or resp.text[:200]
            raise EhrAuthError(f"token request refused (HTTP {resp.status_code}): {reason}")
        lifetime = dt.timedelta(seconds=int(body.get("expires_in", 300)))
        return AccessToken(
            value=str(body["access_token"]),
            expires_at=requested_at + lifetime,
            scope=str(body.get("scope", "")),
        )

    def access_token(self) -> str:
        """The cached token, or a new one when it is missing or within the refresh margin."""
        if self._token is None or self._clock() >= self._token.expires_at - self._margin:
            self._token = self._fetch_token()
        return self._token.value

    def invalidate_token(self) -> None:
        """Forget the cached token (the next call fetches a new one)."""
        self._token = None

    def request(
        self, method: str, path: str, *, json_body: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """One authenticated FHIR interaction; returns the JSON body.

        A 401 refreshes the token and retries once.

        Raises
        ------
        EhrUnavailableError, EhrRejectedError, EhrAuthError
        """
        url = f"{self.fhir_base}/{path.lstrip('/')}" if path else self.fhir_base
        for attempt in (1, 2):
            headers = {
                "authorization": f"Bearer {self.access_token()}",
                "accept": "application/fhir+json",
            }
            if json_body is not None:
                headers["content-type"] = "application/fhir+json"
            try:
                resp = self._http.request(
                    method, url, json=json_body, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                raise EhrUnavailableError(
                    f"FHIR server {self.fhir_base} unreachable: {exc}"
                ) from exc
            if resp.status_code == 401 and attempt == 1:
                self.invalidate_token()
                continue
            if resp.status_code >= 500 or resp.status_code == 429:
                raise EhrUnavailableError(f"FHIR server answered HTTP {resp.status_code}")
            body = _json(resp)
            if resp.status_code >= 400:
                if body.get("resourceType") != "OperationOutcome":
                    body = {
                        "resourceType": "OperationOutcome",
                        "issue": [
                            {"severity": "error", "code": "processing", "diagnostics": resp.text}
                        ],
                    }
                raise EhrRejectedError(resp.status_code, body)
            return body
        raise EhrAuthError("FHIR server refused a freshly issued token (HTTP 401)")

    def transaction(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """POST a transaction Bundle to the FHIR base; returns the transaction-response."""
        if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
            raise ValueError("transaction() needs a Bundle of type transaction")
        return self.request("POST", "", json_body=bundle)

    def search(self, resource_type: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Resources of a search (first page only)."""
        body = self.request("GET", resource_type, params=params)
        return [e["resource"] for e in body.get("entry", []) or [] if "resource" in e]


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
