"""The clinic's FastAPI application: CDS Hooks service, FHIR read API, dashboard, health check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import FastAPI

import bedside
from bedside.clinical import AlertBudget
from bedside.fhir.outbox import Outbox
from bedside.server.access_control import AccessControl
from bedside.server.access_routes import access_denied_handler, access_router
from bedside.server.audit_view import audit_view_router
from bedside.server.cds_auth import CdsJwtVerifier
from bedside.server.cds_hooks import cds_hooks_router
from bedside.server.clinician_auth import AccessDeniedError
from bedside.server.dashboard import dashboard_router
from bedside.server.dashboard_actions import dashboard_actions_router
from bedside.server.fhir_api import fhir_router
from bedside.server.ingest import IngestService
from bedside.server.ingest_api import IngestFastPath, ingest_router
from bedside.server.recommendation_actions import recommendation_actions_router
from bedside.server.smart_launch import SmartLaunch, smart_launch_router
from bedside.store import Store

__all__ = ["create_app"]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_app(
    store: Store,
    *,
    base_url: str = "http://127.0.0.1:8000",
    clock: Callable[[], dt.datetime] = _utc_now,
    cds_verifier: CdsJwtVerifier | None = None,
    ehr_http: httpx.Client | None = None,
    ingest: IngestService | None = None,
    access: AccessControl | None = None,
    secure_cookies: bool | None = None,
    alert_budget: AlertBudget | None = None,
    model_dir: Path | None = None,
    smart: SmartLaunch | None = None,
    ehr_outbox: Outbox | None = None,
) -> FastAPI:
    """Build the Bedside server application on a store.

    Parameters
    ----------
    store : Store
        Where recommendations, findings and FHIR resources are read from.
    base_url : str
        Absolute URL at which clients reach this server; used in CDS card links and FHIR
        ``fullUrl`` values.
    clock : callable returning datetime, optional
        Current time (timezone-aware); recommendations expired by then are not shown.
    cds_verifier : CdsJwtVerifier, optional
        Authenticates the EHR on CDS Hooks calls; without it they are accepted unauthenticated
        (the local demo) and audited as such.
    ehr_http : httpx.Client, optional
        Client for the CDS service's FHIR queries to the EHR when prefetch is missing.
    ingest : IngestService, optional
        When given, the sealed-ingest routes (``/ingest/...``) are served too.
    access : AccessControl, optional
        Clinician authentication and authorisation for the dashboard and the FHIR read API
        (and the log-in and audit routes). Without it those routes answer 401: the server never
        serves patient data to an unauthenticated caller.
    secure_cookies : bool, optional
        Mark the session cookie ``Secure``; default: when `base_url` is https.
    alert_budget : AlertBudget, optional
        The clinic's interruptive-alert budget, shown on the dashboard's queue.
    model_dir : Path, optional
        Folder of model bundles whose cards the dashboard links to.
    smart : SmartLaunch, optional
        Registration with the clinic's EHRs: serves the SMART EHR launch (``/smart/launch``,
        ``/smart/callback``; needs `access`).
    ehr_outbox : Outbox, optional
        The FHIR outbox to the EHR: clinicians' decisions on recommendations (Task status,
        snooze, Provenance) are queued there (`bedside.server.ehr_task_sync`).

    Returns
    -------
    FastAPI
        The application; ``app.state.store`` and ``app.state.base_url`` hold the arguments.
    """
    base = base_url.rstrip("/")
    app = FastAPI(
        title="Bedside",
        version=bedside.__version__,
        description="Triaged, explained recommendations from digital biomarkers.",
    )
    app.state.store = store
    app.state.base_url = base

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": bedside.__version__}

    app.include_router(
        cds_hooks_router(
            store, base_url=base, clock=clock, verifier=cds_verifier, ehr_http=ehr_http
        )
    )
    app.add_exception_handler(AccessDeniedError, access_denied_handler)
    app.include_router(fhir_router(store, base_url=base, clock=clock, access=access))
    app.include_router(
        dashboard_router(
            store, clock=clock, access=access, budget=alert_budget, model_dir=model_dir
        )
    )
    app.include_router(
        recommendation_actions_router(store, clock=clock, access=access, outbox=ehr_outbox)
    )
    app.include_router(
        dashboard_actions_router(store, clock=clock, access=access, outbox=ehr_outbox)
    )
    if access is not None:
        secure = base.startswith("https://") if secure_cookies is None else secure_cookies
        app.include_router(access_router(access, secure_cookies=secure))
        app.include_router(audit_view_router(access))
        if smart is not None:
            app.include_router(smart_launch_router(smart, access, secure_cookies=secure))
    if ingest is not None:
        app.include_router(ingest_router(ingest))
        app.add_middleware(IngestFastPath, service=ingest)  # the hot route, past FastAPI
    return app
