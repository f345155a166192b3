"""Reading a patient's protocol context from the EHR's FHIR server (SMART Backend Services).

The clinic's daily round needs what the EHR knows: PHQ-9s (QuestionnaireResponses and the score
Observations 44261-6 / 44260-8), medications (MedicationRequest and MedicationStatement, any
status, because a start or dose change weeks ago still explains a trend) and conditions. Each is
one FHIR search; the results are parsed by :func:`~bedside.fhir.read_ehr_context`.

The EHR's Patient is found by Bedside's pseudonymous patient identifier (``SID.patient``),
which enrolment adds to the EHR's record; without such a record the deterministic id of the
Patient stub Bedside itself writes (`patient_stub`) is used.
"""

from __future__ import annotations

from typing import Any

from bedside.fhir.codes import SID, resource_id
from bedside.fhir.ehr_context import EhrContext, read_ehr_context
from bedside.fhir.smart_client import SmartBackendClient

__all__ = [
    "READ_SCOPES",
    "SEARCH_PAGE",
    "ehr_patient_ids",
    "read_patient_context",
    "searches_for",
]

SEARCH_PAGE = 200
"""Entries asked for per search; the newest come first where the server can sort by date."""

READ_SCOPES = [
    f"system/{t}.rs"
    for t in (
        "Condition",
        "MedicationRequest",
        "MedicationStatement",
        "Observation",
        "Patient",
        "QuestionnaireResponse",
    )
]
"""SMART v2 system scopes the reader needs (read and search)."""


def searches_for(ehr_patient: str) -> list[tuple[str, dict[str, str]]]:
    """The FHIR searches (resource type, parameters) that make up one patient's context.

    Parameters
    ----------
    ehr_patient : str
        The EHR's Patient resource id.
    """
    page = str(SEARCH_PAGE)
    ref = f"Patient/{ehr_patient}"
    return [
        ("QuestionnaireResponse", {"subject": ref, "_count": page}),
        (
            "Observation",
            {
                "subject": ref,
                "code": "http://loinc.org|44261-6,http://loinc.org|44260-8",
                "_count": page,
            },
        ),
        ("MedicationRequest", {"subject": ref, "_count": page}),
        ("MedicationStatement", {"subject": ref, "_count": page}),
        ("Condition", {"subject": ref, "_count": page}),
    ]


def ehr_patient_ids(client: SmartBackendClient, patient_id: str) -> list[str]:
    """The EHR's Patient ids carrying Bedside's identifier for `patient_id` (see module doc)."""
    found = client.search("Patient", {"identifier": f"{SID.patient}|{patient_id}"})
    ids = sorted({str(p["id"]) for p in found if p.get("id")})
    return ids or [resource_id(SID.patient, patient_id)]


def read_patient_context(client: SmartBackendClient, patient_id: str) -> EhrContext:
    """The patient's PHQ-9s, medications and conditions as the EHR holds them.

    Raises
    ------
    EhrUnavailableError, EhrAuthError
        From the client, when the EHR cannot be reached or refuses the token.
    InputFormatError
        When a returned resource is malformed (names the resource and the element).
    """
    resources: list[dict[str, Any]] = []
    for ehr_patient in ehr_patient_ids(client, patient_id):
        for resource_type, params in searches_for(ehr_patient):
            resources.extend(client.search(resource_type, params))
    return read_ehr_context(patient_id, resources)
