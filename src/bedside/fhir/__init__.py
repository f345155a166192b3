"""FHIR layer: mapping findings and recommendations to FHIR R4 resources, and validation."""

from bedside.fhir.bundle import (
    CONTRIBUTION_WINDOW_DAYS,
    bundle_resources,
    finding_bundle,
    merge_transaction_bundles,
    transaction_bundle,
)
from bedside.fhir.codes import (
    BEDSIDE_BASE,
    BIOMARKER_SYSTEM,
    LOINC_DISPLAYS,
    LOINC_SYSTEM,
    SID,
    UCUM_SYSTEM,
    biomarker_coding,
    if_none_exist,
    resource_id,
)
from bedside.fhir.observations import (
    biomarker_observation,
    biomarker_observation_ref,
    biomarker_observations,
    local_day_period,
)
from bedside.fhir.participants import (
    engine_device,
    model_device,
    patient_device,
    patient_ref,
    patient_stub,
)
from bedside.fhir.provenance import ProvenanceAgent, protocol_policy, provenance
from bedside.fhir.risk import OUTCOME_TEXT, QUALITATIVE_CUTS, qualitative_risk, risk_assessment
from bedside.fhir.tasks import TASK_STATUS, recommendation_task
from bedside.fhir.trends import trend_observation, trend_observation_ref
from bedside.fhir.ucum import EMITTED_UNITS, UcumSyntaxError, parse_ucum
from bedside.fhir.validate import FhirValidationError, validate_bundle, validate_resource

__all__ = [
    "BEDSIDE_BASE",
    "BIOMARKER_SYSTEM",
    "CONTRIBUTION_WINDOW_DAYS",
    "EMITTED_UNITS",
    "LOINC_DISPLAYS",
    "LOINC_SYSTEM",
    "OUTCOME_TEXT",
    "QUALITATIVE_CUTS",
    "SID",
    "TASK_STATUS",
    "UCUM_SYSTEM",
    "FhirValidationError",
    "ProvenanceAgent",
    "UcumSyntaxError",
    "biomarker_coding",
    "biomarker_observation",
    "biomarker_observation_ref",
    "biomarker_observations",
    "bundle_resources",
    "engine_device",
    "finding_bundle",
    "if_none_exist",
    "local_day_period",
    "merge_transaction_bundles",
    "model_device",
    "parse_ucum",
    "patient_device",
    "patient_ref",
    "patient_stub",
    "protocol_policy",
    "provenance",
    "qualitative_risk",
    "recommendation_task",
    "resource_id",
    "risk_assessment",
    "transaction_bundle",
    "trend_observation",
    "trend_observation_ref",
    "validate_bundle",
    "validate_resource",
]
