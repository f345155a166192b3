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
    "ACT_CODE_SYSTEM",
    "ACT_REASON_SYSTEM",
    "AUDIT_ENTITY_TYPE_SYSTEM",
    "AUDIT_EVENT_TYPE_SYSTEM",
    "BEDSIDE_BASE",
    "BIOMARKER_SYSTEM",
    "CARE_ROLE_SYSTEM",
    "CONDITION_CLINICAL_SYSTEM",
    "CONSENT_SCOPE_SYSTEM",
    "DATA_OPERATION_SYSTEM",
    "DICOM_SYSTEM",
    "EXT_PROBABILITY_INTERVAL",
    "EXT_RECOMMENDATION_EXPIRES",
    "FHIR_NAMESPACE",
    "FLAG_CATEGORY_SYSTEM",
    "ICD10_SYSTEM",
    "INTERPRETATION_SYSTEM",
    "LOINC_DISPLAYS",
    "LOINC_SYSTEM",
    "OBJECT_ROLE_SYSTEM",
    "OBSERVATION_CATEGORY_SYSTEM",
    "PROTOCOL_SYSTEM",
    "PROVENANCE_AGENT_SYSTEM",
    "RESTFUL_INTERACTION_SYSTEM",
    "RISK_MODEL_SYSTEM",
    "RISK_PROBABILITY_SYSTEM",
    "RXNORM_SYSTEM",
    "SECURITY_SOURCE_TYPE_SYSTEM",
    "SID",
    "SNOMED_SYSTEM",
    "TREND_MEASURE_SYSTEM",
    "TREND_SYSTEM",
    "UCUM_SYSTEM",
    "VITAL_SIGN_LOINC",
    "biomarker_coding",
    "identifier",
    "if_none_exist",
    "loinc_coding",
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
    # Daily biomarkers (used when the registry gives a biomarker one of these codes).
    "93832-4": "Sleep duration",
    "41950-7": "Number of steps in 24 hour Measured",
    "8867-4": "Heart rate",
    "40443-4": "Heart rate --resting",
    "80404-7": "R-R interval.standard deviation (Heart rate variability)",
    "29463-7": "Body weight",
    # CGM summaries, displays as mapped by the HL7 FHIR CGM IG (ConceptMap CGMSummaryToLoinc).
    "97507-8": "Average glucose [Mass/volume] in Interstitial fluid during Reporting Period",
    "97510-2": (
        "Glucose measurements in range out of Total glucose measurements during reporting period"
    ),
    "104642-4": "Time below range, very low in Reporting Period Interstitial fluid by calculation",
    # PHQ-9 (Kroenke 2001): panel, total score, item 9 and the item answer codes.
    "44249-1": "PHQ-9 quick depression assessment panel [Reported.PHQ]",
    "44261-6": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    "44260-8": (
        "Thoughts that you would be better off dead, or of hurting yourself in some way "
        "in last 2 weeks [Reported.PHQ]"
    ),
    "LA6568-5": "Not at all",
    "LA6569-3": "Several days",
    "LA6570-1": "More than half the days",
    "LA6571-9": "Nearly every day",
    # Consent category.
    "59284-0": "Patient Consent",
}
"""Every LOINC code Bedside emits, with its official LOINC display name (Long Common Name for
terms, the answer text for LA answer codes)."""

VITAL_SIGN_LOINC = frozenset({"8867-4", "40443-4", "80404-7", "29463-7"})
"""LOINC codes whose Observations carry the ``vital-signs`` category (FHIR vital-signs profile
members, plus HRV SDNN, a heart-rhythm measurement)."""

RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED_SYSTEM = "http://snomed.info/sct"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
CONDITION_CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
FLAG_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-category"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
AUDIT_EVENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction"
AUDIT_ENTITY_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/object-role"
DICOM_SYSTEM = "http://dicom.nema.org/resources/ontology/DCM"
SECURITY_SOURCE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/security-source-type"
DATA_OPERATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"


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
    care_request = f"{BEDSIDE_BASE}/sid/care-request"
    care_role = f"{BEDSIDE_BASE}/sid/care-role"
    questionnaire_response = f"{BEDSIDE_BASE}/sid/questionnaire-response"
    phq9_observation = f"{BEDSIDE_BASE}/sid/phq9-observation"
    safety_flag = f"{BEDSIDE_BASE}/sid/safety-flag"
    detected_issue = f"{BEDSIDE_BASE}/sid/detected-issue"
    consent = f"{BEDSIDE_BASE}/sid/consent"
    raw_stream = f"{BEDSIDE_BASE}/sid/raw-data-stream"
    clinician = f"{BEDSIDE_BASE}/sid/clinician"


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


def loinc_coding(code: str) -> dict[str, str]:
    """A LOINC Coding with its official display; KeyError when `code` is not in the table."""
    if code not in LOINC_DISPLAYS:
        raise KeyError(f"LOINC code {code} is not in the curated LOINC table")
    return {"system": LOINC_SYSTEM, "code": code, "display": LOINC_DISPLAYS[code]}


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
