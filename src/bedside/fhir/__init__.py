"""FHIR layer: mapping findings and recommendations to FHIR R4 resources, and validation."""

from bedside.fhir.audit_event import AUDIT_ACTIONS, AUDIT_OUTCOMES, audit_event
from bedside.fhir.bundle import (
    CONTRIBUTION_WINDOW_DAYS,
    bundle_resources,
    finding_bundle,
    merge_transaction_bundles,
    transaction_bundle,
)
from bedside.fhir.care_requests import (
    care_request,
    care_request_ref,
    care_role,
    care_role_ref,
    is_communication,
)
from bedside.fhir.codes import (
    BEDSIDE_BASE,
    BIOMARKER_SYSTEM,
    LOINC_DISPLAYS,
    LOINC_SYSTEM,
    SID,
    UCUM_SYSTEM,
    VITAL_SIGN_LOINC,
    biomarker_coding,
    if_none_exist,
    loinc_coding,
    resource_id,
)
from bedside.fhir.consent import consent_resource
from bedside.fhir.ehr_context import EhrContext, Phq9Score, flatten_resources, read_ehr_context
from bedside.fhir.ehr_errors import EhrAuthError, EhrError, EhrRejectedError, EhrUnavailableError
from bedside.fhir.ehr_push import EhrPusher, FlushReport, RetryPolicy
from bedside.fhir.ehr_reader import READ_SCOPES, read_patient_context
from bedside.fhir.medplum import (
    LocalFhirServer,
    MedplumIssue,
    MedplumResult,
    medplum_validate,
    node_dir,
)
from bedside.fhir.observations import (
    biomarker_category,
    biomarker_observation,
    biomarker_observation_ref,
    biomarker_observations,
    local_day_period,
)
from bedside.fhir.outbox import MemoryOutbox, Outbox, OutboxItem, OutboxStatus, SqliteOutbox
from bedside.fhir.participants import (
    engine_device,
    model_device,
    patient_device,
    patient_ref,
    patient_stub,
)
from bedside.fhir.phq9 import (
    PHQ9_ANSWERS,
    PHQ9_ITEMS,
    PHQ9_QUESTIONNAIRE_URL,
    phq9_observations,
    phq9_questionnaire,
    phq9_questionnaire_response,
    questionnaire_response_ref,
)
from bedside.fhir.provenance import (
    ProvenanceAgent,
    RawSource,
    clinician_outcome_provenance,
    protocol_policy,
    provenance,
)
from bedside.fhir.risk import OUTCOME_TEXT, QUALITATIVE_CUTS, qualitative_risk, risk_assessment
from bedside.fhir.safety import crisis_detected_issue, crisis_flag, is_crisis
from bedside.fhir.smart_client import (
    ASSERTION_TYPE,
    MAX_ASSERTION_LIFETIME,
    AccessToken,
    ClientKey,
    SmartBackendClient,
    write_scopes,
)
from bedside.fhir.tasks import TASK_STATUS, recommendation_task, task_ref
from bedside.fhir.trends import trend_observation, trend_observation_ref
from bedside.fhir.ucum import EMITTED_UNITS, UcumSyntaxError, parse_ucum
from bedside.fhir.validate import FhirValidationError, validate_bundle, validate_resource

__all__ = [
    "ASSERTION_TYPE",
    "AUDIT_ACTIONS",
    "AUDIT_OUTCOMES",
    "BEDSIDE_BASE",
    "BIOMARKER_SYSTEM",
    "CONTRIBUTION_WINDOW_DAYS",
    "EMITTED_UNITS",
    "LOINC_DISPLAYS",
    "LOINC_SYSTEM",
    "MAX_ASSERTION_LIFETIME",
    "OUTCOME_TEXT",
    "PHQ9_ANSWERS",
    "PHQ9_ITEMS",
    "PHQ9_QUESTIONNAIRE_URL",
    "QUALITATIVE_CUTS",
    "READ_SCOPES",
    "SID",
    "TASK_STATUS",
    "UCUM_SYSTEM",
    "VITAL_SIGN_LOINC",
    "AccessToken",
    "ClientKey",
    "EhrAuthError",
    "EhrContext",
    "EhrError",
    "EhrPusher",
    "EhrRejectedError",
    "EhrUnavailableError",
    "FhirValidationError",
    "FlushReport",
    "LocalFhirServer",
    "MedplumIssue",
    "MedplumResult",
    "MemoryOutbox",
    "Outbox",
    "OutboxItem",
    "OutboxStatus",
    "Phq9Score",
    "ProvenanceAgent",
    "RawSource",
    "RetryPolicy",
    "SmartBackendClient",
    "SqliteOutbox",
    "UcumSyntaxError",
    "audit_event",
    "biomarker_category",
    "biomarker_coding",
    "biomarker_observation",
    "biomarker_observation_ref",
    "biomarker_observations",
    "bundle_resources",
    "care_request",
    "care_request_ref",
    "care_role",
    "care_role_ref",
    "clinician_outcome_provenance",
    "consent_resource",
    "crisis_detected_issue",
    "crisis_flag",
    "engine_device",
    "finding_bundle",
    "flatten_resources",
    "if_none_exist",
    "is_communication",
    "is_crisis",
    "local_day_period",
    "loinc_coding",
    "medplum_validate",
    "merge_transaction_bundles",
    "model_device",
    "node_dir",
    "parse_ucum",
    "patient_device",
    "patient_ref",
    "patient_stub",
    "phq9_observations",
    "phq9_questionnaire",
    "phq9_questionnaire_response",
    "protocol_policy",
    "provenance",
    "qualitative_risk",
    "questionnaire_response_ref",
    "read_ehr_context",
    "read_patient_context",
    "recommendation_task",
    "resource_id",
    "risk_assessment",
    "task_ref",
    "transaction_bundle",
    "trend_observation",
    "trend_observation_ref",
    "validate_bundle",
    "validate_resource",
    "write_scopes",
]
