"""Code systems, identifier systems and curated terminology tables Bedside emits in FHIR.

Bedside's own canonical base is ``https://bedside.example.org/fhir`` (``example.org`` is reserved
for documentation, RFC 2606): a deployment publishes the CodeSystems under its own domain by
changing :data:`BEDSIDE_BASE` only. Under it:

* ``/CodeSystem/<name>`` - Bedside CodeSystems (biomarker ids, trend measures, roles, ...);
* ``/sid/<name>`` - identifier systems for business identifiers (used in conditional creates);
* ``/StructureDefinition/<name>`` - extension URLs.

Biomarkers use LOINC when the registry has a LOINC code (only sleep duration, 93832-4, today) and
the Bedside biomarker CodeSystem (code = registry id) otherwise. Every LOINC code Bedside emits
must be in :data:`LOINC_DISPLAYS` with its official display name.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from bedside.biomarkers.registry import get_spec

__all__ = [
    "BEDSIDE_BASE",
    "BIOMARKER_SYSTEM",
    "CARE_ROLE_SYSTEM",
    "EXT_PROBABILITY_INTERVAL",
    "EXT_RECOMMENDATION_EXPIRES",
    "FHIR_NAMESPACE",
    "INTERPRETATION_SYSTEM",
    "LOINC_DISPLAYS",
    "LOINC_SYSTEM",
    "OBSERVATION_CATEGORY_SYSTEM",
    "PROTOCOL_SYSTEM",
    "PROVENANCE_AGENT_SYSTEM",
    "RISK_MODEL_SYSTEM",
    "RISK_PROBABILITY_SYSTEM",
    "SID",
    "TREND_MEASURE_SYSTEM",
    "TREND_SYSTEM",
    "UCUM_SYSTEM",
    "biomarker_coding",
    "identifier",
    "if_none_exist",
    "resource_id",
]

BEDSIDE_BASE = "https://bedside.example.org/fhir"
BIOMARKER_SYSTEM = f"{BEDSIDE_BASE}/CodeSystem/biomarker"
TREND_SYSTEM = f"{BEDSIDE_BASE}/CodeSystem/biomarker-trend"
TREND_MEASURE_SYSTEM = f"{BEDSIDE_BASE}/CodeSystem/trend-measure"
CARE_ROLE_SYSTEM = f"{BEDSIDE_BASE}/CodeSystem/care-role"
PROTOCOL_SYSTEM = f"{BEDSIDE_BASE}/CodeSystem/protocol"
RISK_MODEL_SYSTEM = f"{BEDSIDE_BASE}/CodeSystem/risk-model"
EXT_PROBABILITY_INTERVAL = f"{BEDSIDE_BASE}/StructureDefinition/probability-interval"
EXT_RECOMMENDATION_EXPIRES = f"{BEDSIDE_BASE}/StructureDefinition/recommendation-expires"

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
RISK_PROBABILITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/risk-probability"
PROVENANCE_AGENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

LOINC_DISPLAYS: dict[str, str] = {
    "93832-4": "Sleep duration",
}
"""Every LOINC code Bedside emits, with its official LOINC display name."""


class _Sid:
    """Identifier systems of Bedside's business identifiers."""

    patient = f"{BEDSIDE_BASE}/sid/patient"
    device = f"{BEDSIDE_BASE}/sid/device"
    model = f"{BEDSIDE_BASE}/sid/model"
    engine = f"{BEDSIDE_BASE}/sid/recommendation-engine"
    biomarker_observation = f"{BEDSIDE_BASE}/sid/biomarker-observation"
    trend_observation = f"{BEDSIDE_BASE}/sid/trend-observation"
    risk_assessment = f"{BEDSIDE_BASE}/sid/risk-assessment"
    recommendation = f"{BEDSIDE_BASE}/sid/recommendation"


SID = _Sid()

FHIR_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BEDSIDE_BASE)


def resource_id(system: str, value: str) -> str:
    """Deterministic FHIR id (a uuid5) of the resource with business identifier system|value."""
    return str(uuid.uuid5(FHIR_NAMESPACE, f"{system}|{value}"))


def identifier(system: str, value: str) -> dict[str, Any]:
    """A FHIR Identifier."""
    return {"system": system, "value": value}


def if_none_exist(system: str, value: str) -> str:
    """The ``ifNoneExist`` query of a conditional create on a business identifier."""
    return f"identifier={system}|{quote(value, safe=':/.-_~')}"


def biomarker_coding(biomarker_id: str) -> list[dict[str, Any]]:
    """Codings of a biomarker: LOINC when the registry has it (official display), else Bedside."""
    spec = get_spec(biomarker_id)
    bedside = {"system": BIOMARKER_SYSTEM, "code": spec.id, "display": spec.display}
    if spec.loinc is None:
        return [bedside]
    if spec.loinc not in LOINC_DISPLAYS:
        raise KeyError(f"LOINC code {spec.loinc} of {spec.id} is not in the curated LOINC table")
    return [
        {"system": LOINC_SYSTEM, "code": spec.loinc, "display": LOINC_DISPLAYS[spec.loinc]},
        bedside,
    ]
