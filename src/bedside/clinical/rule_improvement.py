"""Improvement: sustained return to baseline, or PHQ-9 remission, while something is open."""

from __future__ import annotations

import datetime as dt

from bedside.clinical.context import PatientContext
from bedside.clinical.evidence import phq9_evidence
from bedside.clinical.protocol import ImprovementTrigger, Protocol
from bedside.clinical.rule_outcome import Reason, ReasonCode, RuleOutcome
from bedside.domain import Evidence

__all__ = ["check_improvement"]


def _back_to_baseline(trig: ImprovementTrigger, ctx: PatientContext) -> tuple[bool, str]:
    by_date = ctx.findings_by_date()
    for k in range(trig.min_days):
        day = ctx.date - dt.timedelta(days=k)
        f = by_date.get(day)
        if f is None:
            return False, f"no finding on {day.isoformat()}"
        if any(t.adverse for t in f.trends):
            return False, f"adverse trend active on {day.isoformat()}"
        if f.risk is None or f.risk.probability >= trig.risk_below:
            return False, f"risk not below {trig.risk_below:.0%} on {day.isoformat()}"
    return True, ""


def check_improvement(protocol: Protocol, ctx: PatientContext) -> tuple[RuleOutcome, ...]:
    """Fire on a sustained return to baseline or a PHQ-9 remission.

    The engine only raises it while a recommendation it `closes` is open (otherwise every
    well patient would get a daily note); the outcome lists what to close.
    """
    trig = protocol.trigger
    assert isinstance(trig, ImprovementTrigger)
    evidence: list[Evidence] = []
    phrases: list[str] = []
    back, why_not = _back_to_baseline(trig, ctx)
    if back:
        phrases.append(
            f"no adverse verified trend and a calibrated risk below {trig.risk_below:.0%} on "
            f"each of the last {trig.min_days} days"
        )
        evidence.append(
            Evidence(
                kind="improvement",
                label="Back to baseline",
                statement=f"{trig.min_days} consecutive days to {ctx.date.isoformat()} without "
                f"an adverse verified trend, risk below {trig.risk_below:.0%} each day.",
            )
        )
    series = ctx.phq9_until_today()
    if series and series[-1].total < trig.remission_below:
        earlier_high = [r for r in series[:-1] if r.total >= 10]
        if earlier_high:
            phrases.append(
                f"PHQ-9 remission ({series[-1].total} on {series[-1].date.isoformat()} after "
                f"{earlier_high[-1].total} on {earlier_high[-1].date.isoformat()})"
            )
            evidence.append(phq9_evidence(series[-1], "Remission (total below 5)."))
    if not phrases:
        return (RuleOutcome.no(Reason(ReasonCode.NO_EVENT, f"not improved: {why_not}")),)
    rationale = (
        "Improvement: " + "; ".join(phrases) + ". Open relapse-related recommendations are "
        f"closed as resolved; crisis recommendations are never closed automatically. Protocol "
        f"{protocol.id} {protocol.version}. For information."
    )
    return (
        RuleOutcome(
            True,
            key_date=ctx.date,
            evidence=tuple(evidence),
            rationale=rationale,
            closes=tuple(trig.closes),
        ),
    )
