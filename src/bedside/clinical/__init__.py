"""Clinical layer: declarative protocols and the recommendation engine."""

from bedside.clinical.engine import (
    RECOMMENDATION_NAMESPACE,
    Decision,
    EngineResult,
    Reason,
    ReasonCode,
    RecommendationEngine,
    recommendation_id,
)
from bedside.clinical.evidence import (
    contribution_evidence,
    coverage_evidence,
    human_unit,
    risk_evidence,
    trend_evidence,
)
from bedside.clinical.protocol import (
    Protocol,
    ProtocolSchemaError,
    SuppressionRules,
    TriggerConditions,
    builtin_protocol_names,
    load_builtin_protocol,
    load_protocol,
    parse_protocol,
)

__all__ = [
    "RECOMMENDATION_NAMESPACE",
    "Decision",
    "EngineResult",
    "Protocol",
    "ProtocolSchemaError",
    "Reason",
    "ReasonCode",
    "RecommendationEngine",
    "SuppressionRules",
    "TriggerConditions",
    "builtin_protocol_names",
    "contribution_evidence",
    "coverage_evidence",
    "human_unit",
    "load_builtin_protocol",
    "load_protocol",
    "parse_protocol",
    "recommendation_id",
    "risk_evidence",
    "trend_evidence",
]
