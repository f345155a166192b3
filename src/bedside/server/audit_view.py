"""The auditor's view of the clinic's audit log: ``GET /audit`` (HTML, auditor role only).

Shows whether the hash chain verifies (every entry's hash, signature by the clinic key and the
recorded head), the decrypting processor's attestation status (what this server writes into new
entries, and each status the log has recorded with how many entries carry it), and the latest
entries, newest first, filtered by ``action``, ``actor`` and ``subject`` (exact match). The view
itself is audited.
"""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from bedside.audit.sql_log import read_audit_log, verify_audit_log
from bedside.server.access_control import AccessControl, Permission, Principal
from bedside.server.dashboard import template_environment

__all__ = ["AUDIT_VIEW_ROWS", "audit_view_router"]

AUDIT_VIEW_ROWS = 200
"""Entries shown per page (the newest matching ones)."""


def audit_view_router(access: AccessControl) -> APIRouter:
    """``GET /audit`` over `access`'s audit log."""
    router = APIRouter(tags=["access"])
    env = template_environment()

    @router.get("/audit", response_class=HTMLResponse)
    def audit_page(
        request: Request,
        who: Principal = Depends(access.principal),  # noqa: B008 -- a per-app dependency
        action: str = "",
        actor: str = "",
        subject: str = "",
    ) -> HTMLResponse:
        name = "access.audit_view"
        access.require(request, who, Permission.READ_AUDIT, name)
        access.record(
            request,
            actor=who.id,
            action=name,
            subject="-",
            outcome="allowed",
            reason="auditor role",
            role=who.role.value,
        )
        engine = access.audit.engine
        problems = verify_audit_log(engine, trusted_did=access.tokens.issuer)
        entries, _head = read_audit_log(engine)
        attestations = Counter(e.attestation for e in entries)
        shown = [
            e
            for e in entries
            if (not action or e.action == action)
            and (not actor or e.actor == actor)
            and (not subject or e.subject == subject)
        ][-AUDIT_VIEW_ROWS:][::-1]
        html = env.get_template("audit.html").render(
            user=who,
            entries=shown,
            total=len(entries),
            problems=problems,
            attestation=access.audit.attestation,
            attestations=sorted(attestations.items()),
            actions=sorted({e.action for e in entries}),
            action=action,
            actor=actor,
            subject=subject,
            rows=AUDIT_VIEW_ROWS,
        )
        return HTMLResponse(html)

    return router
