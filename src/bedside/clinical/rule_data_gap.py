"""Data gap: a modality the patient normally has stays nearly empty for several days."""

from __future__ import annotations

import datetime as dt

from bedside.clinical.context import PatientContext
from bedside.clinical.evidence import coverage_evidence
from bedside.clinical.protocol import DataGapTrigger, Protocol
from bedside.clinical.rule_outcome import Reason, ReasonCode, RuleOutcome
from bedside.domain import Modality

__all__ = ["VOLUNTARY_MODALITIES", "check_data_gap"]

VOLUNTARY_MODALITIES: frozenset[Modality] = frozenset({Modality.LANGUAGE})
"""Modalities the patient produces by choice (journal entries): days without them are not a
device fault, so they never make a data gap (measured on the demo: journals written on 60 % of
days raised 59 care-coordination recommendations before this exclusion)."""


def check_data_gap(protocol: Protocol, ctx: PatientContext) -> tuple[RuleOutcome, ...]:
    """Fire when, for some modality, the last `min_days` days all had coverage below the limit.

    A day with no finding at all counts as zero coverage of every modality. A modality counts
    only if the patient had it above the limit on some earlier day: a sensor the patient never
    used is not a gap. :data:`VOLUNTARY_MODALITIES` never count.
    """
    trig = protocol.trigger
    assert isinstance(trig, DataGapTrigger)
    by_date = ctx.findings_by_date()
    days = [ctx.date - dt.timedelta(days=k) for k in range(trig.min_days)]
    modalities: set[Modality] = set()
    for finding in by_date.values():
        modalities.update(
            m
            for m, c in finding.coverage.items()
            if c >= trig.max_coverage and m not in VOLUNTARY_MODALITIES
        )
    gaps: list[Modality] = []
    for modality in sorted(modalities):
        window = [by_date[d].coverage.get(modality, 0.0) if d in by_date else 0.0 for d in days]
        before = [f.coverage.get(modality, 0.0) for d, f in by_date.items() if d < days[-1]]
        if all(c < trig.max_coverage for c in window) and any(
            c >= trig.max_coverage for c in before
        ):
            gaps.append(modality)
    if not gaps:
        return (
            RuleOutcome.no(
                Reason(
                    ReasonCode.NO_EVENT,
                    f"no modality below {trig.max_coverage:.0%} for {trig.min_days} days",
                )
            ),
        )
    # The gap's first day keys the recommendation, so one gap raises one recommendation.
    earliest = min(by_date)
    first = days[-1]
    while first - dt.timedelta(days=1) >= earliest:
        f = by_date.get(first - dt.timedelta(days=1))
        if f is not None and any(f.coverage.get(m, 0.0) >= trig.max_coverage for m in gaps):
            break
        first -= dt.timedelta(days=1)
    evidence = tuple(
        coverage_evidence(m, by_date[d].coverage.get(m, 0.0) if d in by_date else 0.0, d)
        for m in gaps
        for d in reversed(days)
    )
    names = ", ".join(m.value.replace("_", " ") for m in gaps)
    rationale = (
        f"{names.capitalize()} coverage has been below {trig.max_coverage:.0%} every day since "
        f"{first.isoformat()} ({(ctx.date - first).days + 1} days). Nothing can be detected "
        f"without data, so this is routed to care coordination to check the device. Protocol "
        f"{protocol.id} {protocol.version}. A recommendation, not an order."
    )
    return (RuleOutcome(True, key_date=first, evidence=evidence, rationale=rationale),)
