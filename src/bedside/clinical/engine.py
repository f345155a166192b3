"""The recommendation engine: a patient's day + protocols -> new, updated, closed recommendations.

Pure and deterministic: the same context, time and known recommendations always give the same
result. Recommendation ids are uuid5 of (patient, protocol id, the date that keys the episode of
evidence), so a repeated evaluation never creates a second recommendation, and an episode a
clinician already answered (dismissed, completed) is not raised again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bedside.clinical.context import CrisisSignal, PatientContext
from bedside.clinical.protocol import Protocol, builtin_protocol_names, load_builtin_protocol
from bedside.clinical.rule_crisis import check_crisis
from bedside.clinical.rule_data_gap import check_data_gap
from bedside.clinical.rule_improvement import check_improvement
from bedside.clinical.rule_measurement import check_measurement
from bedside.clinical.rule_medication import check_medication
from bedside.clinical.rule_outcome import Reason, ReasonCode, RuleOutcome
from bedside.clinical.rule_relapse import check_relapse
from bedside.domain import (
    ConfigurationError,
    Finding,
    MedicationRecord,
    Phq9Response,
    Recommendation,
    RecommendationStatus,
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
Rule = Callable[[Protocol, PatientContext], tuple[RuleOutcome, ...]]
RULES: dict[str, Rule] = {
    "relapse_watch": check_relapse,
    "measurement_based_care": check_measurement,
    "medication_effect": check_medication,
    "crisis": check_crisis,
    "data_gap": check_data_gap,
    "improvement": check_improvement,
}


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one protocol for one patient-day."""

    protocol_id: str
    fired: bool
    reasons: tuple[Reason, ...] = ()
    ignored_trends: tuple[str, ...] = ()
    """Inputs of the day that did not count, each as ``<what>: <why>``."""

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
        Active recommendations refreshed with new evidence (same id).
    expired : tuple of Recommendation
        Active recommendations whose expiry has passed, now marked expired.
    closed : tuple of Recommendation
        Open recommendations the improvement protocol resolved (status ``resolved``).
    escalated : tuple of Recommendation
        Overdue open recommendations moved to a more urgent tier or another role.
    decisions : tuple of Decision
        One per protocol, with the reasons when it did not fire.
    """

    new: tuple[Recommendation, ...] = ()
    updated: tuple[Recommendation, ...] = ()
    expired: tuple[Recommendation, ...] = ()
    decisions: tuple[Decision, ...] = field(default=())
    closed: tuple[Recommendation, ...] = ()
    escalated: tuple[Recommendation, ...] = ()

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        """New and updated recommendations together."""
        return self.new + self.updated

    @property
    def changed(self) -> tuple[Recommendation, ...]:
        """Everything to write back, in an order where the last write of an id wins."""
        return self.expired + self.closed + self.new + self.updated + self.escalated

    def decision(self, protocol_id: str) -> Decision:
        for d in self.decisions:
            if d.protocol_id == protocol_id:
                return d
        raise KeyError(f"no decision for protocol {protocol_id!r}")


def recommendation_id(patient_id: str, protocol_id: str, first_trigger: dt.date) -> str:
    """Stable id: uuid5 of patient, protocol id and the date keying the episode of evidence."""
    name = f"{patient_id}|{protocol_id}|{first_trigger.isoformat()}"
    return str(uuid.uuid5(RECOMMENDATION_NAMESPACE, name))


def _is_active(rec: Recommendation, now: dt.datetime) -> bool:
    return rec.status in _ACTIVE and rec.expires > now


class RecommendationEngine:
    """Evaluate a patient's day against declarative protocols.

    Parameters
    ----------
    protocols : sequence of Protocol
        Distinct protocol ids. An improvement protocol may close only non-crisis protocols.
    """

    def __init__(self, protocols: Sequence[Protocol]) -> None:
        ids = [p.id for p in protocols]
        if len(set(ids)) != len(ids):
            raise ConfigurationError(f"duplicate protocol ids in {ids}")
        crisis = {p.id for p in protocols if p.trigger.kind == "crisis"}
        for p in protocols:
            closes = set(getattr(p.trigger, "closes", ()))
            if closes & crisis:
                raise ConfigurationError(
                    f"protocol {p.id} would close crisis protocol(s) {sorted(closes & crisis)}"
                )
        self.protocols = tuple(protocols)
        self._by_id = {p.id: p for p in protocols}

    @classmethod
    def builtin(cls) -> RecommendationEngine:
        """An engine with every protocol shipped in ``bedside/clinical/protocols``."""
        return cls([load_builtin_protocol(n) for n in builtin_protocol_names()])

    def protocol(self, protocol_id: str) -> Protocol:
        return self._by_id[protocol_id]

    def evaluate(
        self,
        finding: Finding,
        now: dt.datetime,
        open_recs: Sequence[Recommendation] = (),
        *,
        history: Sequence[Finding] = (),
        phq9: Sequence[Phq9Response] = (),
        medications: Sequence[MedicationRecord] = (),
        crisis_signals: Sequence[CrisisSignal] = (),
    ) -> EngineResult:
        """Apply every protocol to the patient-day of `finding` (see `evaluate_context`)."""
        ctx = PatientContext(
            patient_id=finding.patient_id,
            date=finding.date,
            finding=finding,
            history=tuple(history),
            phq9=tuple(phq9),
            medications=tuple(medications),
            crisis_signals=tuple(crisis_signals),
        )
        return self.evaluate_context(ctx, now, open_recs)

    def evaluate_context(
        self, ctx: PatientContext, now: dt.datetime, open_recs: Sequence[Recommendation] = ()
    ) -> EngineResult:
        """Apply every protocol to one patient-day.

        Parameters
        ----------
        ctx : PatientContext
            The day's finding (or None when the device sent none), history, PHQ-9s,
            medications and crisis signals.
        now : datetime
            Timezone-aware evaluation time; ``created``, ``due`` and ``expires`` derive from it.
        open_recs : sequence of Recommendation
            The patient's known recommendations (any status); others' are ignored.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        now = now.astimezone(dt.UTC)
        mine = {r.id: r for r in open_recs if r.patient_id == ctx.patient_id}
        expired = tuple(
            r.model_copy(update={"status": RecommendationStatus.EXPIRED})
            for r in mine.values()
            if r.status in _ACTIVE and r.expires <= now
        )
        mine.update({r.id: r for r in expired})
        new: list[Recommendation] = []
        updated: list[Recommendation] = []
        closed: list[Recommendation] = []
        decisions: list[Decision] = []
        for protocol in self.protocols:
            outcomes = RULES[protocol.trigger.kind](protocol, ctx)
            fired = [o for o in outcomes if o.fired]
            if not fired:
                o = outcomes[0]
                decisions.append(Decision(protocol.id, False, o.reasons, o.ignored))
                continue
            reasons: list[Reason] = []
            for outcome in fired:
                if outcome.closes:
                    to_close = [
                        r
                        for r in mine.values()
                        if r.protocol_id in outcome.closes
                        and r.status is RecommendationStatus.OPEN
                        and r.expires > now
                    ]
                    if not to_close:
                        reasons.append(
                            Reason(ReasonCode.NOTHING_TO_CLOSE, "no open recommendation to close")
                        )
                        continue
                    for r in to_close:
                        done = r.model_copy(update={"status": RecommendationStatus.RESOLVED})
                        closed.append(done)
                        mine[r.id] = done
                why_not = self._place(protocol, ctx, now, outcome, mine, new, updated)
                if why_not is not None:
                    reasons.append(why_not)
            any_placed = len(reasons) < len(fired)
            ignored = tuple(i for o in fired for i in o.ignored)
            decisions.append(
                Decision(protocol.id, any_placed, () if any_placed else tuple(reasons), ignored)
            )
        escalated = self._escalate(ctx.patient_id, now, mine, new, updated)
        return EngineResult(
            tuple(new), tuple(updated), expired, tuple(decisions), tuple(closed), escalated
        )

    # -- placing a fired outcome ------------------------------------------------------------

    def _place(
        self,
        protocol: Protocol,
        ctx: PatientContext,
        now: dt.datetime,
        outcome: RuleOutcome,
        mine: dict[str, Recommendation],
        new: list[Recommendation],
        updated: list[Recommendation],
    ) -> Reason | None:
        """Raise, refresh or (with the reason) suppress one fired outcome."""
        assert outcome.key_date is not None
        rec_id = recommendation_id(ctx.patient_id, protocol.id, outcome.key_date)
        own = [r for r in mine.values() if r.protocol_id == protocol.id]
        existing = mine.get(rec_id)
        if existing is not None and not _is_active(existing, now):
            return Reason(
                ReasonCode.SUPPRESSED,
                f"this episode's recommendation {rec_id} is already {existing.status.value}",
            )
        rules = protocol.suppression
        cooldowns = (
            (RecommendationStatus.DISMISSED, rules.dismissal_cooldown_days, "dismissal"),
            (RecommendationStatus.RESOLVED, rules.resolution_cooldown_days, "resolution"),
        )
        for status, days, kind in cooldowns if existing is None else ():
            # counted from the earlier recommendation's creation, as a clinician sees its age
            recent = [r for r in own if r.status is status and now < r.created + dt.timedelta(days)]
            if recent:
                return Reason(
                    ReasonCode.SUPPRESSED,
                    f"recommendation {recent[0].id} was {status.value} within the {days}-day "
                    f"{kind} cooldown",
                )
        if existing is not None:
            current: Recommendation | None = existing
        elif protocol.trigger.kind == "crisis" or not protocol.suppression.one_open_per_patient:
            # Each crisis event is its own recommendation: an update would alert nobody.
            current = None
        else:
            active = [r for r in own if _is_active(r, now)]
            current = min(active, key=lambda r: (r.created, r.id)) if active else None
        if current is None:
            rec = self._raise(protocol, ctx, now, outcome, rec_id)
            new.append(rec)
        else:
            rec = self._refresh(protocol, ctx, now, outcome, current)
            updated.append(rec)
        mine[rec.id] = rec
        return None

    def _raise(
        self,
        protocol: Protocol,
        ctx: PatientContext,
        now: dt.datetime,
        outcome: RuleOutcome,
        rec_id: str,
    ) -> Recommendation:
        risk = ctx.finding.risk if ctx.finding is not None else None
        return Recommendation(
            id=rec_id,
            patient_id=ctx.patient_id,
            action=outcome.action or protocol.action,
            priority=protocol.priority,
            created=now,
            due=now + dt.timedelta(hours=protocol.due_within_hours),
            expires=now + dt.timedelta(days=protocol.expiry_days),
            route=protocol.route,
            rationale=outcome.rationale,
            evidence=list(outcome.evidence),
            protocol_id=protocol.id,
            protocol_version=protocol.version,
            protocol_hash=protocol.protocol_hash,
            model_id=risk.model_id if risk else None,
            model_version=risk.model_version if risk else None,
            risk_probability=outcome.risk_probability,
            interruptive=protocol.interruptive,
        )

    def _refresh(
        self,
        protocol: Protocol,
        ctx: PatientContext,
        now: dt.datetime,
        outcome: RuleOutcome,
        current: Recommendation,
    ) -> Recommendation:
        """Same id, created, due, tier and route; evidence, rationale, model refreshed."""
        risk = ctx.finding.risk if ctx.finding is not None else None
        return current.model_copy(
            update={
                "rationale": outcome.rationale,
                "evidence": list(outcome.evidence),
                "expires": max(current.expires, now + dt.timedelta(days=protocol.expiry_days)),
                "protocol_version": protocol.version,
                "protocol_hash": protocol.protocol_hash,
                "model_id": risk.model_id if risk else current.model_id,
                "model_version": risk.model_version if risk else current.model_version,
                "risk_probability": outcome.risk_probability
                if outcome.risk_probability is not None
                else current.risk_probability,
            }
        )

    def _escalate(
        self,
        patient_id: str,
        now: dt.datetime,
        mine: dict[str, Recommendation],
        new: list[Recommendation],
        updated: list[Recommendation],
    ) -> tuple[Recommendation, ...]:
        """Escalate (once) each open, unsnoozed recommendation overdue past its rule."""
        fresh = {r.id for r in new}
        out: list[Recommendation] = []
        for rec in sorted(mine.values(), key=lambda r: r.id):
            protocol = self._by_id.get(rec.protocol_id)
            rule = protocol.escalation if protocol else None
            if (
                protocol is None
                or rule is None
                or rec.id in fresh
                or rec.status is not RecommendationStatus.OPEN
                or rec.expires <= now
                or rec.escalation_level > 0
                or (rec.snoozed_until is not None and rec.snoozed_until > now)
                or now < rec.due + dt.timedelta(hours=rule.after_overdue_hours)
            ):
                continue
            due = now + dt.timedelta(hours=protocol.due_within_hours)
            out.append(
                rec.model_copy(
                    update={
                        "priority": rule.to_priority or rec.priority,
                        "route": rule.to_route or rec.route,
                        "escalation_level": rec.escalation_level + 1,
                        "due": due,
                        "expires": max(rec.expires, due),
                    }
                )
            )
        return tuple(out)
