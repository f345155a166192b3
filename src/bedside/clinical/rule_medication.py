"""Possible medication effect: a sleep or activity trend starting soon after a medication event."""

from __future__ import annotations

import datetime as dt

from bedside.biomarkers.registry import REGISTRY
from bedside.clinical.context import PatientContext
from bedside.clinical.evidence import medication_evidence, trend_evidence
from bedside.clinical.protocol import MedicationTrigger, Protocol
from bedside.clinical.rule_outcome import Reason, ReasonCode, RuleOutcome
from bedside.domain import MedicationRecord, TrendFinding

__all__ = ["check_medication"]


def _trends_since(ctx: PatientContext, start: dt.date) -> list[TrendFinding]:
    """Distinct verified trends reported on or after `start` (by biomarker and onset)."""
    seen: dict[tuple[str, dt.date], TrendFinding] = {}
    for day, finding in sorted(ctx.findings_by_date().items()):
        if day < start:
            continue
        for t in finding.trends:
            seen[(t.biomarker, t.onset_date)] = t  # the latest report of a trend wins
    return list(seen.values())


def check_medication(protocol: Protocol, ctx: PatientContext) -> tuple[RuleOutcome, ...]:
    """Fire for the latest medication event followed by a qualifying trend."""
    trig = protocol.trigger
    assert isinstance(trig, MedicationTrigger)
    meds: list[MedicationRecord] = sorted(
        (m for m in ctx.medications if m.patient_id == ctx.patient_id and m.start <= ctx.date),
        key=lambda m: (m.start, m.name),
    )
    if not meds:
        return (RuleOutcome.no(Reason(ReasonCode.NO_EVENT, "no medication start or change")),)
    ignored: list[str] = []
    for med in reversed(meds):
        window_end = med.start + dt.timedelta(days=trig.window_days)
        hits = []
        for t in _trends_since(ctx, med.start):
            spec = REGISTRY.get(t.biomarker)
            if spec is None or spec.family not in trig.families:
                continue
            if not med.start <= t.onset_date <= window_end:
                ignored.append(f"{t.biomarker}: onset {t.onset_date} outside {med.name}'s window")
            elif t.days_sustained < trig.min_days_sustained:
                ignored.append(f"{t.biomarker}: sustained {t.days_sustained} d only")
            elif t.coverage < trig.min_coverage:
                ignored.append(f"{t.biomarker}: coverage {t.coverage:.0%}")
            else:
                hits.append(t)
        if not hits:
            continue
        hits.sort(key=lambda t: (t.onset_date, t.biomarker))
        event = "dose change" if med.kind == "dose_change" else "start"
        action = protocol.action.format(drug=med.name, event=event, date=med.start.isoformat())
        changes = "; ".join(
            f"{REGISTRY[t.biomarker].display} {t.direction.value} since {t.onset_date}"
            for t in hits
        )
        rationale = (
            f"{med.name} {event} on {med.start.isoformat()} (EHR). Within {trig.window_days} "
            f"days after it, verified trends began: {changes}. The timing is compatible with a "
            f"medication effect; it does not show that the drug caused the change. Protocol "
            f"{protocol.id} {protocol.version}. A recommendation, not an order."
        )
        return (
            RuleOutcome(
                True,
                ignored=tuple(ignored),
                key_date=med.start,
                evidence=(medication_evidence(med), *(trend_evidence(t) for t in hits)),
                rationale=rationale,
                action=action,
            ),
        )
    return (
        RuleOutcome.no(
            Reason(
                ReasonCode.TOO_FEW_ADVERSE_TRENDS,
                f"no sustained {'/'.join(trig.families)} trend began within "
                f"{trig.window_days} days after a medication event",
            ),
            ignored=tuple(ignored),
        ),
    )
