"""The dashboard as a SMART on FHIR app: EHR launch with PKCE S256 (HL7 SMART App Launch 2.x).

A CDS Hooks card's ``smart`` link brings the clinician here from the EHR:

1. ``GET /smart/launch?iss=<EHR FHIR base>&launch=<id>`` -- `iss` must be one of the clinic's
   trusted EHRs (an open launch endpoint would let any server vouch for a user). Reads
   ``<iss>/.well-known/smart-configuration``, refuses an EHR without ``S256``, makes a fresh
   PKCE code verifier (64 url-safe characters) and ``state``, keeps them server-side for ten
   minutes and redirects to the EHR's authorize endpoint (scopes ``launch openid fhirUser``,
   ``aud`` = `iss`);
2. ``GET /smart/callback?code&state`` -- the state must be one we issued (single use); the code
   is exchanged at the EHR's token endpoint with the verifier. The token answer names the
   practitioner (``fhirUser`` ``.../Practitioner/<id>``, mapped to a clinic account by
   `SmartLaunch.practitioners`, default: the same id) and the patient in context (the CDS card's
   ``appContext`` ``bedsidePatientId`` when present, else ``patient``). The clinician then gets
   the dashboard's own session cookie (as after a password log-in) and moves on to the
   patient's page -- which still applies roles, care team and consent. Every launch is audited.

The EHR's access token is not kept: Bedside reads its own store, not the EHR, in the dashboard.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bedside.server.access_control import SESSION_COOKIE, AccessControl

__all__ = ["PENDING_LIFETIME_S", "SmartLaunch", "smart_launch_router"]

PENDING_LIFETIME_S = 600.0
_MAX_PENDING = 1000
SCOPE = "launch openid fhirUser patient/*.rs"


@dataclass(frozen=True)
class _Pending:
    iss: str
    token_endpoint: str
    verifier: str
    created: float


@dataclass
class SmartLaunch:
    """How this dashboard is registered with the clinic's EHRs.

    Attributes
    ----------
    client_id : str
        The app's client id at the EHRs (a public client: PKCE instead of a secret).
    redirect_uri : str
        ``<this server>/smart/callback``, as registered.
    trusted_issuers : tuple of str
        FHIR base URLs of the EHRs allowed to launch the app.
    http : httpx.Client
        For the configuration and token requests (back channel to the EHR).
    practitioners : mapping of str to str
        EHR Practitioner id -> clinic account id (unlisted ids map to themselves).
    """

    client_id: str
    redirect_uri: str
    trusted_issuers: tuple[str, ...]
    http: httpx.Client
    practitioners: Mapping[str, str] = field(default_factory=dict)
    pending: dict[str, _Pending] = field(default_factory=dict)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _page(title: str, text: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>"
        f"{escape(title)} - Bedside</title></head><body><main><h1>{escape(title)}</h1>"
        f"<p role='alert'>{escape(text)}</p><p><a href='/login'>Log in with a password</a>"
        "</p></main></body></html>",
        status_code=status,
    )


def smart_launch_router(
    smart: SmartLaunch, access: AccessControl, *, secure_cookies: bool
) -> APIRouter:
    """``/smart/launch`` and ``/smart/callback`` for `smart` over `access`."""
    router = APIRouter(tags=["smart"])
    trusted = {i.rstrip("/") for i in smart.trusted_issuers}

    def refuse(request: Request, reason: str, status: int = 400) -> HTMLResponse:
        access.record(
            request,
            actor="anonymous",
            action="access.smart_launch",
            subject="-",
            outcome="denied",
            reason=reason,
        )
        return _page("SMART launch refused", reason, status)

    @router.get("/smart/launch", response_model=None)
    def launch(request: Request, iss: str = "", launch: str = "") -> Response:
        iss = iss.rstrip("/")
        if iss not in trusted:
            return refuse(request, f"{iss or 'no iss'} is not an EHR this clinic trusts", 403)
        if not launch:
            return refuse(request, "the EHR sent no launch id")
        try:
            reply = smart.http.get(f"{iss}/.well-known/smart-configuration", timeout=10.0)
            reply.raise_for_status()
            config = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            return refuse(request, f"cannot read the EHR's SMART configuration: {exc}", 502)
        if "S256" not in config.get("code_challenge_methods_supported", []):
            return refuse(request, "the EHR does not support PKCE S256", 502)
        authorize = config.get("authorization_endpoint")
        token_endpoint = config.get("token_endpoint")
        if not isinstance(authorize, str) or not isinstance(token_endpoint, str):
            return refuse(request, "the EHR's SMART configuration lacks its endpoints", 502)
        now = time.monotonic()
        for key in [k for k, p in smart.pending.items() if now - p.created > PENDING_LIFETIME_S]:
            del smart.pending[key]
        if len(smart.pending) >= _MAX_PENDING:
            return refuse(request, "too many launches in progress; try again shortly", 503)
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)  # 64 characters: RFC 7636 asks for 43-128
        smart.pending[state] = _Pending(iss, token_endpoint, verifier, now)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": smart.client_id,
                "redirect_uri": smart.redirect_uri,
                "launch": launch,
                "scope": SCOPE,
                "state": state,
                "aud": iss,
                "code_challenge": _challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        return RedirectResponse(f"{authorize}?{query}", status_code=302)

    @router.get("/smart/callback", response_model=None)
    def callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
        pending = smart.pending.pop(state, None)
        if pending is None or time.monotonic() - pending.created > PENDING_LIFETIME_S:
            return refuse(request, "unknown or expired launch state")
        if error or not code:
            detail = request.query_params.get("error_description", "")
            return refuse(request, f"the EHR refused the launch: {error} {detail}".strip(), 403)
        try:
            reply = smart.http.post(
                pending.token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": smart.redirect_uri,
                    "client_id": smart.client_id,
                    "code_verifier": pending.verifier,
                },
                timeout=10.0,
            )
            answer: dict[str, Any] = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            return refuse(request, f"token request failed: {exc}", 502)
        if reply.status_code != 200:
            return refuse(request, f"the EHR refused the token: {answer.get('error')}", 403)
        user = str(answer.get("fhirUser", ""))
        practitioner = user.rsplit("Practitioner/", 1)[-1] if "Practitioner/" in user else ""
        account_id = smart.practitioners.get(practitioner, practitioner)
        account = access.roster.accounts.get(account_id)
        if account is None:
            return refuse(request, f"EHR user {user or '?'} has no account at this clinic", 403)
        patient = str(answer.get("patient", ""))
        try:
            context = json.loads(str(answer.get("appContext") or "{}"))
        except ValueError:
            context = {}
        if isinstance(context, dict) and isinstance(context.get("bedsidePatientId"), str):
            patient = context["bedsidePatientId"]
        if not patient:
            return refuse(request, "the EHR named no patient in context")
        access.record(
            request,
            actor=account.id,
            action="access.smart_launch",
            subject=patient,
            outcome="allowed",
            reason=f"EHR launch from {pending.iss} (PKCE S256)",
            role=account.role.value,
        )
        target = f"/patients/{quote(patient, safe='')}"
        # A page that moves on by itself, not a redirect: the EHR's redirect here is a
        # cross-site navigation, and a SameSite=Strict cookie set now is only sent on a
        # navigation this site starts.
        response = HTMLResponse(
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='refresh' content='0;url={target}'><title>Opening patient - "
            f"Bedside</title></head><body><main><p><a href='{target}'>Open patient "
            f"{escape(patient)}</a></p></main></body></html>"
        )
        response.set_cookie(
            SESSION_COOKIE,
            access.tokens.issue(account),
            max_age=int(access.tokens.lifetime.total_seconds()),
            httponly=True,
            secure=secure_cookies,
            samesite="strict",
        )
        return response

    return router
