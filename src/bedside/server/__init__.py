"""The clinic's FastAPI server: CDS Hooks service, read-only FHIR API and clinician dashboard."""

from bedside.server.app import create_app
from bedside.server.cds_hooks import (
    SERVICE_ID,
    CdsContext,
    CdsRequest,
    discovery_document,
    recommendation_card,
)
from bedside.server.fhir_api import (
    FHIR_JSON,
    SUPPORTED_TYPES,
    capability_statement,
    operation_outcome,
    searchset_bundle,
)
from bedside.server.serve import serve

__all__ = [
    "FHIR_JSON",
    "SERVICE_ID",
    "SUPPORTED_TYPES",
    "CdsContext",
    "CdsRequest",
    "capability_statement",
    "create_app",
    "discovery_document",
    "operation_outcome",
    "recommendation_card",
    "searchset_bundle",
    "serve",
]
