"""Read-only FHIR R4 API over the store's FHIR resources (``application/fhir+json``).

* ``GET /fhir/metadata`` -- a minimal CapabilityStatement;
* ``GET /fhir/{type}/{id}`` -- read; 404 with an OperationOutcome when missing;
* ``GET /fhir/{type}?patient=X`` -- search, answered with a ``searchset`` Bundle.

Only the resource types in `SUPPORTED_TYPES` are served; other types get 404 ``not-supported``.
Reads and searches need a logged-in clinician (`AccessControl`, bearer token): care-team
membership, a valid consent and the role's permission for the resource type (clinical types for
psychiatrists and therapists; Task, Patient and Device also for care coordinators); a search
must name its patient. Refusals are 401/403 OperationOutcomes, audited like every access.
Every read and search adds an AuditEvent (IHE BALP style: ``read`` / ``search-type``, the
client's address, the patient, the resource read or the search query) to ``store.fhir``.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

import bedside
from bedside.fhir import audit_event, patient_ref
from bedside.server.access_control import AccessControl, Permission, Principal, principal_dependency
from bedside.server.clinician_auth import AccessDeniedError
from bedside.store import Store, fhir_patient_id, utc_text

__all__ = [
    "FHIR_JSON",
    "SUPPORTED_TYPES",
    "capability_statement",
    "fhir_router",
    "operation_outcome",
    "searchset_bundle",
]

FHIR_JSON = "application/fhir+json"
SUPPORTED_TYPES = (
    "Bundle",
    "Device",
    "DetectedIssue",
    "Observation",
    "Patient",
    "Provenance",
    "RiskAssessment",
    "Task",
)
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_COORDINATION_TYPES = frozenset({"Task", "Patient", "Device"})


def _permission_for(resource_type: str) -> Permission:
    return (
        Permission.READ_TASKS if resource_type in _COORDINATION_TYPES else Permission.READ_CLINICAL
    )


def _fhir_json(content: dict[str, Any], status_code: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(
        content=content, status_code=status_code, media_type=FHIR_JSON, headers=headers or None
    )


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    """An OperationOutcome with one issue (``code`` from the FHIR issue-type value set)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def capability_statement(base_url: str, now: dt.datetime) -> dict[str, Any]:
    """A minimal CapabilityStatement: read and patient search on `SUPPORTED_TYPES`."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": now.astimezone(dt.UTC).date().isoformat(),
        "kind": "instance",
        "software": {"name": "Bedside", "version": bedside.__version__},
        "implementation": {
            "description": "Bedside read-only FHIR API",
            "url": f"{base_url.rstrip('/')}/fhir",
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "resource": [
                    {
                        "type": rtype,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [{"name": "patient", "type": "reference"}],
                    }
                    for rtype in SUPPORTED_TYPES
                ],
            }
        ],
    }


def searchset_bundle(
    resources: list[dict[str, Any]], *, base_url: str, self_url: str, now: dt.datetime
) -> dict[str, Any]:
    """A ``searchset`` Bundle of `resources` (all matches, one page)."""
    base = base_url.rstrip("/")
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": utc_text(now)},
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": self_url}],
    }
    if resources:  # FHIR JSON forbids empty arrays
        bundle["entry"] = [
            {
                "fullUrl": f"{base}/fhir/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ]
    return bundle


def _unsupported(resource_type: str) -> JSONResponse | None:
    if resource_type in SUPPORTED_TYPES:
        return None
    return _fhir_json(
        operation_outcome("not-supported", f"resource type {resource_type!r} is not served"),
        status_code=404,
    )


def fhir_router(
    store: Store,
    *,
    base_url: str,
    clock: Callable[[], dt.datetime],
    access: AccessControl | None = None,
) -> APIRouter:
    """Routes of the read-only FHIR API, answering from ``store.fhir``.

    Without `access` every read and search answers 401 (``metadata`` stays public).
    """
    router = APIRouter(prefix="/fhir", tags=["fhir"])
    base = base_url.rstrip("/")
    principal = principal_dependency(access)

    def audit(
        request: Request,
        interaction: str,
        patient: str | None,
        entities: list[str],
        outcome: str = "success",
        why: str | None = None,
    ) -> None:
        client = request.client.host if request.client else "unknown"
        store.fhir.put(
            audit_event(
                interaction=interaction,
                recorded=clock(),
                client=client,
                server=base,
                outcome=outcome,
                patient_ref=None if patient is None else patient_ref(patient),
                entities=entities,
                outcome_desc=why,
                query=str(request.url.path)
                + (f"?{request.url.query}" if request.url.query else ""),
            )
        )

    @router.get("/metadata")
    def metadata() -> JSONResponse:
        return _fhir_json(capability_statement(base, clock()))

    @router.get("/{resource_type}/{resource_id}")
    def read(
        resource_type: str,
        resource_id: str,
        request: Request,
        who: Principal = Depends(principal),  # noqa: B008 -- a per-app dependency
    ) -> JSONResponse:
        assert access is not None  # principal() refused otherwise
        bad = _unsupported(resource_type)
        if bad is not None:
            return bad
        action = "access.fhir_read"
        access.require(request, who, _permission_for(resource_type), action)
        if not _ID.match(resource_id):
            return _fhir_json(
                operation_outcome("invalid", f"{resource_id!r} is not a valid FHIR id"),
                status_code=400,
            )
        resource = store.fhir.get(resource_type, resource_id)
        if resource is None:
            audit(request, "read", None, [], "minor-failure", "not found")
            return _fhir_json(
                operation_outcome("not-found", f"{resource_type}/{resource_id} is not known"),
                status_code=404,
            )
        owner = fhir_patient_id(resource)
        if owner is None:
            access.record(
                request,
                actor=who.id,
                action=action,
                subject=f"{resource_type}/{resource_id}",
                outcome="allowed",
                reason="resource names no patient",
                role=who.role.value,
            )
        else:
            access.require_patient(request, who, owner, _permission_for(resource_type), action)
        audit(request, "read", owner, [f"{resource_type}/{resource_id}"])
        version = str(resource.get("meta", {}).get("versionId", "1"))
        return _fhir_json(resource, ETag=f'W/"{version}"')

    @router.get("/{resource_type}")
    def search(
        request: Request,
        resource_type: str,
        who: Principal = Depends(principal),  # noqa: B008 -- a per-app dependency
        patient: str | None = Query(default=None, description="Patient id or Patient/<id>"),
    ) -> JSONResponse:
        assert access is not None
        bad = _unsupported(resource_type)
        if bad is not None:
            return bad
        action = "access.fhir_search"
        pid = None if patient is None else patient.removeprefix("Patient/")
        if pid is None:
            access.require(request, who, _permission_for(resource_type), action)
            access.record(
                request,
                actor=who.id,
                action=action,
                subject="-",
                outcome="denied",
                reason="search without patient",
                status=403,
            )
            raise AccessDeniedError(403, "searches must name one patient (patient=<id>)")
        access.require_patient(request, who, pid, _permission_for(resource_type), action)
        found = store.fhir.search(resource_type, patient=pid)
        audit(request, "search-type", pid, [])  # BALP records the query, not every match
        self_url = f"{base}/fhir/{resource_type}" + (
            "" if pid is None else f"?patient={quote(pid, safe='')}"
        )
        return _fhir_json(searchset_bundle(found, base_url=base, self_url=self_url, now=clock()))

    return router
