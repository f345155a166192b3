"""Crisis: PHQ-9 item 9 >= 1 or a configured crisis signal; never suppressed by anything."""

from __future__ import annotations

import datetime as dt

from bedside.clinical.context import PatientContext
from bedside.clinical.evidence import phq9_evidence
from bedside.clinical.protocol import CrisisTrigger, Protocol
from bedside.clinical.rule_outcome import Reason, ReasonCode, RuleOutcome
from bedside.domain import Evidence

__all__ = ["check_crisis", "crisis_events"]


def crisis_events(protocol: Protocol, ctx: PatientContext) -> list[tuple[dt.date, Evidence]]:
    """Every crisis event of the patient inside the protocol's look-back, oldest first.

    Each event is keyed by its local date: two positive answers on different days are two
    events, each with its own recommendation, because an update to an older recommendation
    would not alert anyone again.
    """
    trig = protocol.trigger
    assert isinstance(trig, CrisisTrigger)
    earliest = ctx.date - dt.timedelta(days=trig.lookback_days)
    events: list[tuple[dt.date, Evidence]] = []
    for response in ctx.phq9_until_today():
        if response.date >= earliest and response.item9 >= trig.item9_min:
            events.append((response.date, phq9_evidence(response)))
    for report in ctx.phq9_reports:
        if (
            report.patient_id == ctx.patient_id
            and report.item9 is not None
            and report.item9 >= trig.item9_min
            and earliest <= report.date <= ctx.date
        ):
            total = "not reported" if report.total is None else f"{report.total}/27"
            events.append(
                (
                    report.date,
                    Evidence(
                        kind="phq9",
                        label="PHQ-9 item 9",
                        statement=f"PHQ-9 of {report.date.isoformat()} ({report.source}): item 9 "
                        f"= {report.item9} (thoughts of being better off dead or of self-harm); "
                        f"total {total}",
                        onset_date=report.date,
                    ),
                )
            )
    for signal in ctx.crisis_signals:
        if (
            signal.patient_id == ctx.patient_id
            and signal.kind in trig.signals
            and earliest <= signal.date <= ctx.date
        ):
            events.append(
                (
                    signal.date,
                    Evidence(
                        kind="crisis_signal",
                        label=signal.kind,
                        statement=f"Crisis signal '{signal.kind}' on {signal.date.isoformat()} "
                        f"({signal.source}): {signal.detail}",
                        onset_date=signal.date,
                    ),
                )
            )
    return sorted(events, key=lambda e: (e[0], e[1].statement))


def check_crisis(protocol: Protocol, ctx: PatientContext) -> tuple[RuleOutcome, ...]:
    """One fired outcome per crisis event date in the look-back (the engine dedups by id)."""
    events = crisis_events(protocol, ctx)
    if not events:
        # A negative item 9 is not clearance: this only says there is no new event to raise.
        return (RuleOutcome.no(Reason(ReasonCode.NO_EVENT, "no crisis signal in the look-back")),)
    outcomes = []
    for day in sorted({d for d, _ in events}):
        same_day = tuple(e for d, e in events if d == day)
        rationale = (
            f"A crisis signal was recorded on {day.isoformat()}: "
            + " ".join(e.statement for e in same_day)
            + " Any endorsement of PHQ-9 item 9 needs a same-day clinical assessment under the "
            "clinic's safety protocol; a later negative answer does not clear it. "
            f"Protocol {protocol.id} {protocol.version}. A recommendation, not an order."
        )
        outcomes.append(RuleOutcome(True, key_date=day, evidence=same_day, rationale=rationale))
    return tuple(outcomes)
