"""The recommendation engine: findings + protocols -> new or updated recommendations.

Pure and deterministic: the same finding, time and open recommendations always give the same
result, and recommendation ids are uuid5 of (patient, protocol id, first-trigger date), so a
repeated evaluation never creates a second recommendation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bedside.biomarkers.registry import REGISTRY
from bedside.clinical.evidence import (
    contribution_evidence,
    coverage_evidence,
    risk_evidence,
    trend_evidence,
)
from bedside.clinical.protocol import Protocol
from bedside.domain import (
    Evidence,
    Finding,
    Modality,
    Recommendation,
    RecommendationStatus,
    TrendFinding,
)

__all__ = [
    "RECOMMENDATION_NAMESPACE",
    "Decision",
    "EngineResult",
    "Reason",
    "ReasonCode",
    "RecommendationEngine",
    "recommendation_id",
]

RECOMMENDATION_NAMESPACE = uuid.uuid5(
    uuid.NAMESPACE_URL, "https://bedside.example.org/recommendation"
)
_ACTIVE = (RecommendationStatus.OPEN, RecommendationStatus.ACCEPTED)


class ReasonCode(StrEnum):
    """Why a protocol did not fire."""

    INSUFFICIENT_DATA = "insufficient_data"
    LOW_COVERAGE = "low_coverage"
    TOO_FEW_ADVERSE_TRENDS = "too_few_adverse_trends"
    TOO_FEW_FAMILIES = "too_few_families"
    RISK_BELOW_THRESHOLD = "risk_below_threshold"
    SUPPRESSED = "suppressed"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason a protocol did not fire, with the numbers behind it."""

    code: ReasonCode
    detail: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one protocol for one finding."""

    protocol_id: str
    fired: bool
    reasons: tuple[Reason, ...] = ()
    ignored_trends: tuple[str, ...] = ()
    """Trends of the finding that did not count, each as ``<biomarker>: <why>``."""

    def has(self, code: ReasonCode) -> bool:
        return any(r.code is code for r in self.reasons)


@dataclass(frozen=True, slots=True)
class EngineResult:
    """What one evaluation produced.

    Attributes
    ----------
    new : tuple of Recommendation
        Recommendations raised for the first time.
    updated : tuple of Recommendation
        Open recommendations refreshed with new evidence (same id).
    expired : tuple of Recommendation
        Open recommendations of the patient whose expiry has passed, now marked expired.
    decisions : tuple of Decision
        One per protocol, with the reasons when it did not fire.
    """

    new: tuple[Recommendation, ...] = ()
    updated: tuple[Recommendation, ...] = ()
    expired: tuple[Recommendation, ...] = ()
    decisions: tuple[Decision, ...] = field(default=())

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        """New and updated recommendations together."""
        return self.new + self.updated

    def decision(self, protocol_id: str) -> Decision:
        for d in self.decisions:
            if d.protocol_id == protocol_id:
                return d
        raise KeyError(f"no decision for protocol {protocol_id!r}")


def recommendation_id(patient_id: str, protocol_id: str, first_trigger: dt.date) -> str:
    """Stable id: uuid5 of patient, protocol id and the local date the protocol first fired."""
    name = f"{patient_id}|{protocol_id}|{first_trigger.isoformat()}"
    return str(uuid.uuid5(RECOMMENDATION_NAMESPACE, name))


def _is_active(rec: Recommendation, now: dt.datetime) -> bool:
    return rec.status in _ACTIVE and rec.expires > now


def _why_not_counted(trend: TrendFinding, day: dt.date, protocol: Protocol) -> str | None:
    """Why a trend does not count towards the trigger (None when it counts, coverage aside)."""
    trig = protocol.trigger
    if trend.biomarker not in REGISTRY:
        return "not in the biomarker registry"
    if not trend.adverse:
        return "not in the direction of concern"
    if trend.days_sustained < trig.min_days_sustained:
        return f"sustained {trend.days_sustained} d, {trig.min_days_sustained} d required"
    age = (day - trend.detection_date).days
    if age < 0:
        return "detected after the finding's date"
    if age > trig.max_trend_age_days:
        return f"detected {age} d ago, at most {trig.max_trend_age_days} d allowed"
    return None


class RecommendationEngine:
    """Evaluate findings against declarative protocols.

    Parameters
    ----------
    protocols : sequence of Protocol
        Distinct protocol ids.
    """

    def __init__(self, protocols: Sequence[Protocol]) -> None:
        ids = [p.id for p in protocols]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate protocol ids in {ids}")
        self.protocols = tuple(protocols)

    def evaluate(
        self, finding: Finding, now: dt.datetime, open_recs: Sequence[Recommendation] = ()
    ) -> EngineResult:
        """Apply every protocol to one finding.

        Parameters
        ----------
        finding : Finding
        now : datetime
            Timezone-aware evaluation time; ``created``, ``due`` and ``expires`` derive from it.
        open_recs : sequence of Recommendation
            The patient's known recommendations (any status); others' are ignored.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        now = now.astimezone(dt.UTC)
        mine = [r for r in open_recs if r.patient_id == finding.patient_id]
        expired = tuple(
            r.model_copy(update={"status": RecommendationStatus.EXPIRED})
            for r in mine
            if r.status in _ACTIVE and r.expires <= now
        )
        new: list[Recommendation] = []
        updated: list[Recommendation] = []
        decisions: list[Decision] = []
        for protocol in self.protocols:
            own = [r for r in mine if r.protocol_id == protocol.id]
            decision, counted = self._check(protocol, finding, now, own)
            decisions.append(decision)
            if not decision.fired:
                continue
            active = [r for r in own if _is_active(r, now)]
            if active and protocol.suppression.one_open_per_patient:
                current = min(active, key=lambda r: (r.created, r.id))
                updated.append(self._refresh(protocol, finding, now, counted, current))
            else:
                new.append(self._raise(protocol, finding, now, counted))
        return EngineResult(tuple(new), tuple(updated), expired, tuple(decisions))

    # -- conditions ------------------------------------------------------------------------

    def _check(
        self,
        protocol: Protocol,
        finding: Finding,
        now: dt.datetime,
        own: list[Recommendation],
    ) -> tuple[Decision, list[TrendFinding]]:
        trig = protocol.trigger
        reasons: list[Reason] = []
        risk = finding.risk
        if risk is None:
            reasons.append(Reason(ReasonCode.INSUFFICIENT_DATA, "no risk estimate for this day"))

        adverse: list[TrendFinding] = []
        ignored: list[str] = []
        for t in finding.trends:
            why = _why_not_counted(t, finding.date, protocol)
            if why is None:
                adverse.append(t)
            else:
                ignored.append(f"{t.biomarker}: {why}")
        counted = [t for t in adverse if t.coverage >= trig.min_coverage]
        ignored.extend(
            f"{t.biomarker}: coverage {t.coverage:.0%} below {trig.min_coverage:.0%}"
            for t in adverse
            if t.coverage < trig.min_coverage
        )
        if len(counted) < len(adverse):
            low = sorted(t.biomarker for t in adverse if t.coverage < trig.min_coverage)
            reasons.append(
                Reason(
                    ReasonCode.LOW_COVERAGE,
                    f"trend coverage below {trig.min_coverage:.0%} for {', '.join(low)}",
                )
            )
        for modality in sorted({REGISTRY[t.biomarker].modality for t in counted}):
            day = finding.coverage.get(modality, 0.0)
            if day < trig.min_coverage:
                reasons.append(
                    Reason(
                        ReasonCode.LOW_COVERAGE,
                        f"{modality.value} coverage {day:.0%} on {finding.date.isoformat()} "
                        f"is below {trig.min_coverage:.0%}",
                    )
                )
        if len(counted) < trig.min_adverse_trends:
            reasons.append(
                Reason(
                    ReasonCode.TOO_FEW_ADVERSE_TRENDS,
                    f"{len(counted)} sustained adverse verified trend(s), "
                    f"{trig.min_adverse_trends} required",
                )
            )
        families = sorted({REGISTRY[t.biomarker].family for t in counted})
        if len(families) < trig.min_families:
            reasons.append(
                Reason(
                    ReasonCode.TOO_FEW_FAMILIES,
                    f"adverse trends in {len(families)} famil(ies) ({', '.join(families) or '-'})"
                    f", {trig.min_families} required",
                )
            )
        if risk is not None and risk.probability < trig.risk_threshold:
            reasons.append(
                Reason(
                    ReasonCode.RISK_BELOW_THRESHOLD,
                    f"risk {risk.probability:.3f} below threshold {trig.risk_threshold:.3f}",
                )
            )
        cooldown = dt.timedelta(days=protocol.suppression.dismissal_cooldown_days)
        dismissed = [
            r
            for r in own
            if r.status is RecommendationStatus.DISMISSED and now < r.created + cooldown
        ]
        if dismissed:
            reasons.append(
                Reason(
                    ReasonCode.SUPPRESSED,
                    f"dismissed recommendation {dismissed[0].id} within the "
                    f"{protocol.suppression.dismissal_cooldown_days}-day cooldown",
                )
            )
        return Decision(protocol.id, not reasons, tuple(reasons), tuple(ignored)), counted

    # -- building --------------------------------------------------------------------------

    def _evidence(
        self, protocol: Protocol, finding: Finding, counted: list[TrendFinding]
    ) -> list[Evidence]:
        assert finding.risk is not None  # guaranteed by _check
        ordered = sorted(counted, key=lambda t: (t.onset_date, t.biomarker))
        evidence = [trend_evidence(t) for t in ordered]
        evidence.append(risk_evidence(finding.risk, protocol.trigger.risk_threshold))
        evidence.extend(contribution_evidence(c) for c in finding.risk.contributions)
        modalities: set[Modality] = {REGISTRY[t.biomarker].modality for t in counted}
        for modality in sorted(modalities):
            evidence.append(
                coverage_evidence(modality, finding.coverage.get(modality, 0.0), finding.date)
            )
        return evidence

    def _rationale(self, protocol: Protocol, finding: Finding, counted: list[TrendFinding]) -> str:
        assert finding.risk is not None
        risk = finding.risk
        families = sorted({REGISTRY[t.biomarker].family for t in counted})
        changes = "; ".join(
            f"{REGISTRY[t.biomarker].display} {t.direction.value} since {t.onset_date.isoformat()}"
            for t in sorted(counted, key=lambda t: (t.onset_date, t.biomarker))
        )
        return (
            f"Bedside detected sustained adverse changes against the patient's own baseline in "
            f"{len(families)} biomarker families ({', '.join(families)}): {changes}. The "
            f"calibrated probability of a depressive episode (PHQ-9 >= 10) now or within 14 days "
            f"is {risk.probability:.0%} "
            f"(interval {risk.interval_low:.0%}-{risk.interval_high:.0%}, "
            f"model {risk.model_id} {risk.model_version}), at or above the protocol threshold of "
            f"{protocol.trigger.risk_threshold:.0%}. Protocol {protocol.id} {protocol.version}. "
            f"This is a recommendation for clinical judgement, not an order."
        )

    def _raise(
        self, protocol: Protocol, finding: Finding, now: dt.datetime, counted: list[TrendFinding]
    ) -> Recommendation:
        assert finding.risk is not None
        return Recommendation(
            id=recommendation_id(finding.patient_id, protocol.id, finding.date),
            patient_id=finding.patient_id,
            action=protocol.action,
            priority=protocol.priority,
            created=now,
            due=now + dt.timedelta(hours=protocol.due_within_hours),
            expires=now + dt.timedelta(days=protocol.expiry_days),
            route=protocol.route,
            rationale=self._rationale(protocol, finding, counted),
            evidence=self._evidence(protocol, finding, counted),
            protocol_id=protocol.id,
            protocol_version=protocol.version,
            protocol_hash=protocol.protocol_hash,
            model_id=finding.risk.model_id,
            model_version=finding.risk.model_version,
        )

    def _refresh(
        self,
        protocol: Protocol,
        finding: Finding,
        now: dt.datetime,
        counted: list[TrendFinding],
        current: Recommendation,
    ) -> Recommendation:
        """Same id, created and due; evidence, rationale and model refreshed; expiry extended."""
        assert finding.risk is not None
        return current.model_copy(
            update={
                "rationale": self._rationale(protocol, finding, counted),
                "evidence": self._evidence(protocol, finding, counted),
                "expires": max(current.expires, now + dt.timedelta(days=protocol.expiry_days)),
                "protocol_version": protocol.version,
                "protocol_hash": protocol.protocol_hash,
                "model_id": finding.risk.model_id,
                "model_version": finding.risk.model_version,
            }
        )
