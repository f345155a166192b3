"""Which consent scopes a finding uses, and how the device reduces a finding to its consent.

``trends`` covers verified trends and the per-biomarker values next to their baselines; ``risk``
covers the calibrated risk estimate; ``phq9`` covers self-reported questionnaires. Coverage and
insufficient-data flags describe the other parts and travel with them.
"""

from __future__ import annotations

from bedside.domain import Finding
from bedside.privacy.consent import Scope
from bedside.privacy.envelope import EnvelopePayload

__all__ = ["restrict_finding", "scopes_used"]


def scopes_used(payload: EnvelopePayload) -> frozenset[Scope]:
    """The scopes a payload's content needs (an empty finding needs none)."""
    used: set[Scope] = set()
    if payload.finding is not None:
        if payload.finding.trends or payload.finding.biomarkers:
            used.add(Scope.TRENDS)
        if payload.finding.risk is not None:
            used.add(Scope.RISK)
    if payload.phq9:
        used.add(Scope.PHQ9)
    return frozenset(used)


def restrict_finding(finding: Finding, scopes: frozenset[Scope]) -> Finding:
    """A copy of `finding` holding only what `scopes` allow (done on the device, before sealing)."""
    update: dict[str, object] = {}
    if Scope.TRENDS not in scopes:
        update["trends"] = []
        update["biomarkers"] = []
    if Scope.RISK not in scopes:
        update["risk"] = None
    return finding.model_copy(update=update)
