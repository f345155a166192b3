"""Prefetch for the CDS Hooks services: PHQ-9, medications and conditions from the EHR.

The discovery document declares :data:`PREFETCH_TEMPLATES`. For each key the service uses the
prefetched value when the EHR sent one; a key that is missing or ``null`` is fetched from the
EHR's ``fhirServer`` with the request's ``fhirAuthorization`` bearer token (the template with
``{{context.patientId}}`` filled in). When neither is possible the request cannot be answered
safely and the service responds 412 Precondition Failed (:class:`PrefetchUnavailableError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from bedside.fhir import EhrContext, read_ehr_context

__all__ = ["CONTEXT_KEYS", "PREFETCH_TEMPLATES", "PrefetchUnavailableError", "resolve_ehr_context"]

PREFETCH_TEMPLATES: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "phq9": (
        "Observation?patient={{context.patientId}}"
        "&code=http://loinc.org|44261-6,http://loinc.org|44260-8&_sort=-date&_count=10"
    ),
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
}
CONTEXT_KEYS = ("phq9", "medications", "conditions")
"""Prefetch keys the cards need; ``patient`` is informational only."""


class PrefetchUnavailableError(Exception):
    """Neither prefetch nor FHIR access gave the data (-> HTTP 412); names the keys."""

    def __init__(self, missing: list[str], why: str) -> None:
        self.missing = missing
        super().__init__(f"no data for prefetch key(s) {', '.join(missing)}: {why}")


def _fill(template: str, patient_id: str) -> str:
    return template.replace("{{context.patientId}}", patient_id)


def _fetch(
    http: httpx.Client, fhir_server: str, token: str, query: str, key: str
) -> dict[str, Any]:
    url = f"{fhir_server.rstrip('/')}/{query}"
    try:
        resp = http.get(
            url,
            headers={"authorization": f"Bearer {token}", "accept": "application/fhir+json"},
        )
    except httpx.HTTPError as exc:
        raise PrefetchUnavailableError([key], f"FHIR server unreachable ({exc})") from exc
    if resp.status_code != 200:
        raise PrefetchUnavailableError([key], f"FHIR server answered HTTP {resp.status_code}")
    body = resp.json()
    if not isinstance(body, dict):
        raise PrefetchUnavailableError([key], "FHIR server answered something other than JSON")
    return body


def resolve_ehr_context(
    patient_id: str,
    prefetch: Mapping[str, Any] | None,
    fhir_server: str | None,
    fhir_authorization: Mapping[str, Any] | None,
    http: httpx.Client,
) -> EhrContext:
    """The patient's EHR context from prefetch, falling back to FHIR queries.

    Raises
    ------
    PrefetchUnavailableError
        When a needed key is neither prefetched nor fetchable (no ``fhirServer`` or
        ``fhirAuthorization``, or the query failed).
    InputFormatError
        When the EHR's data is malformed (see :func:`bedside.fhir.read_ehr_context`).
    """
    prefetch = prefetch or {}
    found: list[Mapping[str, Any] | None] = []
    missing = [k for k in CONTEXT_KEYS if prefetch.get(k) is None]
    for key in CONTEXT_KEYS:
        if key not in missing:
            found.append(prefetch[key])
    if missing:
        token = (fhir_authorization or {}).get("access_token")
        if not fhir_server or not isinstance(token, str) or not token:
            raise PrefetchUnavailableError(
                missing, "not prefetched and no fhirServer/fhirAuthorization"
            )
        for key in missing:
            found.append(
                _fetch(http, fhir_server, token, _fill(PREFETCH_TEMPLATES[key], patient_id), key)
            )
    return read_ehr_context(patient_id, found)
