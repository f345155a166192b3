"""Routes of clinician access: log in (form and token), log out, the auditor's audit view.

* ``GET /login`` -- the log-in form; ``POST /login`` (form) sets the session cookie and
  redirects to ``next`` (a local path only);
* ``POST /auth/token`` (JSON ``username``, ``password``) -- a bearer token for API clients;
* ``POST /logout`` -- clears the cookie;
* ``GET /audit/entries`` -- the latest audit entries, for the auditor role only.

`access_denied_handler` turns `AccessDeniedError` into 401/403 with the reason: an
OperationOutcome on ``/fhir``, a redirect to the log-in form (401) or a short page (403) for a
browser, JSON otherwise.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from bedside.audit.sql_log import read_audit_log
from bedside.server.access_control import SESSION_COOKIE, AccessControl, Permission, Principal
from bedside.server.clinician_auth import AccessDeniedError
from bedside.server.dashboard import template_environment

__all__ = ["TokenRequest", "access_denied_handler", "access_router"]

_MAX_FORM_BYTES = 4096
_AUDIT_PAGE = 200


class TokenRequest(BaseModel):
    """Credentials of ``POST /auth/token``."""

    username: str
    password: str


def _local_path(target: str) -> str:
    # Only same-site paths: an open redirect would let a phishing link bounce through us.
    return target if target.startswith("/") and not target.startswith("//") else "/"


def access_router(access: AccessControl, *, secure_cookies: bool) -> APIRouter:
    """Log-in, log-out, token and audit routes over `access`."""
    router = APIRouter(tags=["access"])
    env = template_environment()

    def login_page(next_path: str, error: str | None, status: int = 200) -> HTMLResponse:
        page = env.get_template("login.html").render(next=next_path, error=error)
        return HTMLResponse(page, status_code=status)

    @router.get("/login", response_class=HTMLResponse)
    def login_form(next: str = "/") -> HTMLResponse:
        return login_page(_local_path(next), None)

    @router.post("/login", response_model=None)
    async def login_submit(request: Request) -> Response:
        body = (await request.body())[:_MAX_FORM_BYTES].decode("utf-8", errors="replace")
        form = {k: v[0] for k, v in parse_qs(body).items()}
        next_path = _local_path(form.get("next", "/"))
        try:
            token = access.login(request, form.get("username", ""), form.get("password", ""))
        except AccessDeniedError as exc:
            return login_page(next_path, exc.reason, status=exc.status)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(access.tokens.lifetime.total_seconds()),
            httponly=True,
            secure=secure_cookies,
            samesite="strict",
        )
        return response

    @router.post("/auth/token")
    def token(request: Request, credentials: TokenRequest) -> dict[str, Any]:
        issued = access.login(request, credentials.username, credentials.password)
        return {
            "access_token": issued,
            "token_type": "Bearer",
            "expires_in": int(access.tokens.lifetime.total_seconds()),
        }

    @router.post("/logout")
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @router.get("/audit/entries")
    def audit_entries(
        request: Request,
        who: Principal = Depends(access.principal),  # noqa: B008 -- a per-app dependency
    ) -> dict[str, Any]:
        action = "access.audit_log"
        access.require(request, who, Permission.READ_AUDIT, action)
        entries, _head = read_audit_log(access.audit.engine)
        access.record(
            request,
            actor=who.id,
            action=action,
            subject="-",
            outcome="allowed",
            reason="auditor role",
            role=who.role.value,
        )
        return {
            "total": len(entries),
            "entries": [e.model_dump(mode="json") for e in entries[-_AUDIT_PAGE:]],
        }

    return router


def access_denied_handler(request: Request, exc: Exception) -> Response:
    """401/403 with the reason, in the form the caller understands."""
    assert isinstance(exc, AccessDeniedError)
    headers = {"WWW-Authenticate": 'Bearer realm="bedside"'} if exc.status == 401 else None
    if request.url.path.startswith("/fhir"):
        code = "login" if exc.status == 401 else "forbidden"
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": exc.reason}],
        }
        return JSONResponse(
            outcome, status_code=exc.status, media_type="application/fhir+json", headers=headers
        )
    if "text/html" in request.headers.get("accept", ""):
        if exc.status == 401:
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        page = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Not allowed - "
            f"Bedside</title></head><body><main><h1>Not allowed</h1><p role='alert'>"
            f"{html.escape(exc.reason)}</p><p><a href='/'>Back to the queue</a></p></main>"
            "</body></html>"
        )
        return HTMLResponse(page, status_code=exc.status)
    return JSONResponse({"detail": exc.reason}, status_code=exc.status, headers=headers)
