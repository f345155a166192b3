"""A simulated EHR authorisation server for SMART App Launch (tests and the demo, 127.0.0.1).

It plays the EHR's part of an EHR launch (HL7 SMART App Launch 2.x): the EHR creates a launch for
the signed-in practitioner and the patient in context (`SimulatedEhrAuth.new_launch`, what an
EHR does when a clinician follows a CDS Hooks card's ``smart`` link), and serves, under its FHIR
base ``/fhir``:

* ``GET /fhir/.well-known/smart-configuration`` -- endpoints and capabilities (PKCE ``S256``
  only, public clients, EHR launch);
* ``GET /fhir/authorize`` -- checks the registered client and redirect URI, ``response_type``
  ``code``, the launch id, ``aud`` (this FHIR base) and a ``S256`` code challenge, then
  redirects back with a single-use code (valid 60 s) and the app's ``state``;
* ``POST /fhir/token`` -- exchanges the code for an access token when ``client_id``,
  ``redirect_uri`` and the PKCE ``code_verifier`` match; the answer carries the launch context:
  ``patient``, ``fhirUser`` and the card's ``appContext``.

Errors follow RFC 6749: ``invalid_request``, ``unauthorized_client``, ``invalid_grant`` (400).
Nothing here authenticates a real person: the practitioner is whoever the test says launched.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

__all__ = ["SimulatedEhrAuth", "pkce_challenge"]

CODE_LIFETIME_S = 60.0
SCOPES = ("launch", "openid", "fhirUser", "patient/*.rs")


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE code verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class _Launch:
    practitioner: str
    patient: str
    app_context: str


@dataclass(frozen=True)
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    launch: _Launch
    scope: str
    expires: float


def _error(code: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


@dataclass
class SimulatedEhrAuth:
    """The simulated EHR: registered apps (client id -> redirect URIs) and its launches.

    Attributes
    ----------
    clients : dict of str to tuple of str
        Registered public clients and their exact redirect URIs.
    base_url : str
        Where this EHR is served (``http://127.0.0.1:<port>``); set before serving, since the
        FHIR base (``<base_url>/fhir``) is the ``aud`` apps must name.
    """

    clients: dict[str, tuple[str, ...]]
    base_url: str = ""
    launches: dict[str, _Launch] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    issued: list[dict[str, str]] = field(default_factory=list)

    @property
    def fhir_base(self) -> str:
        return f"{self.base_url.rstrip('/')}/fhir"

    def new_launch(self, practitioner: str, patient: str, app_context: str = "") -> str:
        """A launch id for `practitioner` opening the app on `patient` (the EHR's session)."""
        launch = secrets.token_urlsafe(16)
        self.launches[launch] = _Launch(practitioner, patient, app_context)
        return launch

    def app(self) -> FastAPI:
        """The ASGI app serving the endpoints above."""
        app = FastAPI(title="Simulated EHR authorisation server")

        @app.get("/fhir/.well-known/smart-configuration")
        def configuration() -> dict[str, object]:
            return {
                "issuer": self.fhir_base,
                "authorization_endpoint": f"{self.fhir_base}/authorize",
                "token_endpoint": f"{self.fhir_base}/token",
                "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "scopes_supported": list(SCOPES),
                "response_types_supported": ["code"],
                "capabilities": [
                    "launch-ehr",
                    "client-public",
                    "context-ehr-patient",
                    "permission-v2",
                    "sso-openid-connect",
                ],
            }

        @app.get("/fhir/authorize", response_model=None)
        def authorize(request: Request) -> Response:
            q = request.query_params
            client_id, redirect_uri = q.get("client_id", ""), q.get("redirect_uri", "")
            if redirect_uri not in self.clients.get(client_id, ()):
                # Never redirect to an unregistered URI: answer here.
                return _error("unauthorized_client", "unknown client_id or redirect_uri")
            problems = []
            if q.get("response_type") != "code":
                problems.append("response_type must be code")
            if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
                problems.append("a S256 code_challenge is required (PKCE)")
            if q.get("aud", "").rstrip("/") != self.fhir_base:
                problems.append(f"aud must be {self.fhir_base}")
            launch = self.launches.pop(q.get("launch", ""), None)
            if launch is None:
                problems.append("unknown or used launch")
            if not q.get("state"):
                problems.append("state is required")
            if problems or launch is None:
                query = urlencode(
                    {
                        "error": "invalid_request",
                        "error_description": "; ".join(problems),
                        "state": q.get("state", ""),
                    }
                )
                return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)
            code = secrets.token_urlsafe(24)
            self.codes[code] = _Code(
                client_id,
                redirect_uri,
                q.get("code_challenge", ""),
                launch,
                q.get("scope", ""),
                time.monotonic() + CODE_LIFETIME_S,
            )
            query = urlencode({"code": code, "state": q.get("state", "")})
            return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)

        @app.post("/fhir/token", response_model=None)
        async def token(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            if form.get("grant_type") != "authorization_code":
                return _error("unsupported_grant_type", "only authorization_code")
            grant = self.codes.pop(form.get("code", ""), None)  # single use
            if grant is None or grant.expires < time.monotonic():
                return _error("invalid_grant", "unknown, used or expired code")
            if form.get("client_id") != grant.client_id:
                return _error("invalid_grant", "code was issued to another client")
            if form.get("redirect_uri") != grant.redirect_uri:
                return _error("invalid_grant", "redirect_uri differs from the authorize request")
            if pkce_challenge(form.get("code_verifier", "")) != grant.challenge:
                return _error("invalid_grant", "code_verifier does not match the code_challenge")
            answer = {
                "access_token": secrets.token_urlsafe(32),
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": grant.scope,
                "patient": grant.launch.patient,
                "fhirUser": f"{self.fhir_base}/Practitioner/{grant.launch.practitioner}",
                "issued_at": dt.datetime.now(dt.UTC).isoformat(),
            }
            if grant.launch.app_context:
                answer["appContext"] = grant.launch.app_context
            self.issued.append({"client_id": grant.client_id, "patient": grant.launch.patient})
            return JSONResponse(answer, headers={"Cache-Control": "no-store"})

        return app
