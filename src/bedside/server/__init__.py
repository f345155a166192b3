"""The clinic's FastAPI server: CDS Hooks service, read-only FHIR API and clinician dashboard."""

from bedside.server.app import create_app
from bedside.server.cds_auth import (
    ACCEPTED_ALGS,
    AuthError,
    CdsJwtVerifier,
    TrustedIssuer,
    VerifiedCaller,
)
from bedside.server.cds_cards import (
    OVERRIDE_REASON_SYSTEM,
    OVERRIDE_REASONS,
    order_select_card,
    recommendation_card,
    trends_summary_card,
)
from bedside.server.cds_hooks import (
    ORDER_SELECT_ID,
    SERVICE_ID,
    CdsContext,
    CdsRequest,
    FeedbackRequest,
    discovery_document,
)
from bedside.server.cds_prefetch import PREFETCH_TEMPLATES, PrefetchUnavailableError
from bedside.server.fhir_api import (
    FHIR_JSON,
    SUPPORTED_TYPES,
    capability_statement,
    operation_outcome,
    searchset_bundle,
)
from bedside.server.serve import serve

__all__ = [
    "ACCEPTED_ALGS",
    "FHIR_JSON",
    "ORDER_SELECT_ID",
    "OVERRIDE_REASONS",
    "OVERRIDE_REASON_SYSTEM",
    "PREFETCH_TEMPLATES",
    "SERVICE_ID",
    "SUPPORTED_TYPES",
    "AuthError",
    "CdsContext",
    "CdsJwtVerifier",
    "CdsRequest",
    "FeedbackRequest",
    "PrefetchUnavailableError",
    "TrustedIssuer",
    "VerifiedCaller",
    "capability_statement",
    "create_app",
    "discovery_document",
    "operation_outcome",
    "order_select_card",
    "recommendation_card",
    "searchset_bundle",
    "serve",
    "trends_summary_card",
]
