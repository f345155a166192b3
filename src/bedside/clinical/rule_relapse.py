"""Relapse watch: sustained adverse trends in at least two families AND risk above threshold,
or (when the protocol enables them) a calibrated risk sustained above a higher threshold, or a
recent PHQ-9 at or above a threshold."""

from __future__ import annotations

import datetime as dt

from bedside.biomarkers.registry import REGISTRY
from bedside.clinical.context import PatientContext
from bedside.clinical.evidence import (
    contribution_evidence,
    coverage_evidence,
    phq9_evidence,
    risk_evidence,
    trend_evidence,
)
from bedside.clinical.protocol import Protocol, RelapseTrigger
from bedside.clinical.rule_outcome import Reason, ReasonCode, RuleOutcome
from bedside.domain import Evidence, Modality, TrendFinding

__all__ = ["check_relapse"]


def _why_not_counted(trend: TrendFinding, day: dt.date, trig: RelapseTrigger) -> str | None:
    """Why a trend does not count towards the trigger (None when it counts, coverage aside)."""
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


def _sustained_risk_days(ctx: PatientContext, threshold: float, days: int) -> int:
    """Consecutive local days up to the context's date with a risk at or above `threshold`
    (a day without a finding or without a risk breaks the run), counted up to `days`."""
    by_date = ctx.findings_by_date()
    run = 0
    while run < days:
        f = by_date.get(ctx.date - dt.timedelta(days=run))
        if f is None or f.risk is None or f.risk.probability < threshold:
            break
        run += 1
    return run


def _sustained_risk_outcome(
    protocol: Protocol,
    ctx: PatientContext,
    trig: RelapseTrigger,
    counted: list[TrendFinding],
    ignored: list[str],
) -> RuleOutcome | Reason:
    """The second evidence path: the calibrated risk sustained at or above its threshold."""
    finding = ctx.finding
    assert finding is not None
    assert finding.risk is not None
    assert trig.sustained_risk_threshold is not None
    risk = finding.risk
    run = _sustained_risk_days(ctx, trig.sustained_risk_threshold, trig.sustained_risk_days)
    if run < trig.sustained_risk_days:
        return Reason(
            ReasonCode.RISK_NOT_SUSTAINED,
            f"risk at or above {trig.sustained_risk_threshold:.3f} on {run} consecutive day(s), "
            f"{trig.sustained_risk_days} required",
        )
    cov = finding.coverage.get(Modality.ACTIGRAPHY)
    modalities = sorted(finding.coverage) if cov is None else [Modality.ACTIGRAPHY]
    low = [m for m in modalities if finding.coverage.get(m, 0.0) < trig.min_coverage]
    if low:
        return Reason(
            ReasonCode.LOW_COVERAGE,
            f"{', '.join(m.value for m in low)} coverage below {trig.min_coverage:.0%} "
            f"on {finding.date.isoformat()}",
        )
    ordered = sorted(counted, key=lambda t: (t.onset_date, t.biomarker))
    evidence: list[Evidence] = [trend_evidence(t) for t in ordered]
    evidence.append(risk_evidence(risk, trig.sustained_risk_threshold))
    evidence.extend(contribution_evidence(c) for c in risk.contributions)
    evidence.extend(
        coverage_evidence(m, finding.coverage.get(m, 0.0), finding.date) for m in modalities
    )
    top = ", ".join(
        f"{REGISTRY[c.biomarker].display if c.biomarker in REGISTRY else c.biomarker} "
        f"{c.direction or 'changed'}"
        for c in risk.contributions[:3]
    )
    rationale = (
        f"The calibrated probability of a depressive episode (PHQ-9 >= 10) now or within 14 "
        f"days has been at or above {trig.sustained_risk_threshold:.0%} on each of the last "
        f"{trig.sustained_risk_days} days; today it is {risk.probability:.0%} "
        f"(interval {risk.interval_low:.0%}-{risk.interval_high:.0%}, "
        f"model {risk.model_id} {risk.model_version})"
        + (f", driven mostly by {top}" if top else "")
        + f". Verified trends: {len(counted)} so far. Protocol {protocol.id} "
        f"{protocol.version} (sustained-risk path). "
        f"This is a recommendation for clinical judgement, not an order."
    )
    return RuleOutcome(
        True,
        ignored=tuple(ignored),
        key_date=finding.date,
        evidence=tuple(evidence),
        rationale=rationale,
        risk_probability=risk.probability,
    )


def _phq9_outcome(protocol: Protocol, ctx: PatientContext, trig: RelapseTrigger) -> RuleOutcome:
    """The third evidence path: the latest PHQ-9, recent enough, at or above its threshold."""
    assert trig.phq9_threshold is not None
    series = ctx.phq9_until_today()
    if not series:
        return RuleOutcome.no(Reason(ReasonCode.INSUFFICIENT_DATA, "no PHQ-9 yet"))
    latest = series[-1]
    age = (ctx.date - latest.date).days
    if age > trig.phq9_max_age_days:
        return RuleOutcome.no(
            Reason(
                ReasonCode.INSUFFICIENT_DATA,
                f"latest PHQ-9 is {age} d old, at most {trig.phq9_max_age_days} d allowed",
            )
        )
    if latest.total < trig.phq9_threshold:
        return RuleOutcome.no(
            Reason(
                ReasonCode.PHQ9_BELOW_THRESHOLD,
                f"latest PHQ-9 total {latest.total} on {latest.date.isoformat()} is below "
                f"{trig.phq9_threshold}",
            )
        )
    earlier = [r for r in series[:-1] if r.date < latest.date]
    previous = earlier[-1] if earlier else None
    if trig.phq9_min_rise is not None:
        if previous is None:
            return RuleOutcome.no(
                Reason(ReasonCode.INSUFFICIENT_DATA, "no earlier PHQ-9 to measure a rise against")
            )
        if latest.total - previous.total < trig.phq9_min_rise:
            return RuleOutcome.no(
                Reason(
                    ReasonCode.PHQ9_BELOW_THRESHOLD,
                    f"latest PHQ-9 total {latest.total} is {latest.total - previous.total:+d} "
                    f"against {previous.total} on {previous.date.isoformat()}, a rise of "
                    f"{trig.phq9_min_rise} required",
                )
            )
    evidence: list[Evidence] = [phq9_evidence(latest, f"At or above {trig.phq9_threshold}.")]
    if previous is not None:
        evidence.insert(0, phq9_evidence(previous, "The previous one."))
    finding = ctx.finding
    risk_text = ""
    if finding is not None and finding.risk is not None:
        risk = finding.risk
        evidence.append(risk_evidence(risk, trig.risk_threshold))
        risk_text = (
            f" The device's calibrated episode risk today is {risk.probability:.0%} "
            f"(interval {risk.interval_low:.0%}-{risk.interval_high:.0%}, "
            f"model {risk.model_id} {risk.model_version})."
        )
    # A clinician reads the rationale first: say the rise as well as the cut-off, since the rise
    # is what separates a new episode from a patient whose usual total sits near the cut-off.
    rise_text = (
        f" It is {latest.total - previous.total:+d} points against the previous PHQ-9 "
        f"({previous.total} on {previous.date.isoformat()})."
        if previous is not None
        else ""
    )
    rationale = (
        f"The patient's PHQ-9 of {latest.date.isoformat()} ({latest.source}) totals "
        f"{latest.total}/27, at or above {trig.phq9_threshold}, the questionnaire's cut-off for "
        f"at least moderate depressive symptoms."
        + rise_text
        + risk_text
        + f" Protocol {protocol.id} "
        f"{protocol.version} (PHQ-9 path). "
        f"This is a recommendation for clinical judgement, not an order."
    )
    return RuleOutcome(
        True,
        key_date=latest.date,
        evidence=tuple(evidence),
        rationale=rationale,
    )


def check_relapse(protocol: Protocol, ctx: PatientContext) -> tuple[RuleOutcome, ...]:
    """Apply a relapse-watch protocol to the day's finding and PHQ-9s (``relapse_watch.json``).

    The sensor paths (verified trends, sustained risk) are tried first; the PHQ-9 path only when
    neither fires, so a recommendation keeps the device evidence when there is some.
    """
    trig = protocol.trigger
    assert isinstance(trig, RelapseTrigger)
    sensors = _check_sensor_paths(protocol, ctx, trig)
    if sensors.fired or trig.phq9_threshold is None:
        return (sensors,)
    phq9 = _phq9_outcome(protocol, ctx, trig)
    if phq9.fired:
        return (phq9,)
    return (RuleOutcome.no(*sensors.reasons, *phq9.reasons, ignored=sensors.ignored),)


def _check_sensor_paths(
    protocol: Protocol, ctx: PatientContext, trig: RelapseTrigger
) -> RuleOutcome:
    """The trend path, then the sustained-risk path, on the day's finding."""
    finding = ctx.finding
    if finding is None:
        return RuleOutcome.no(Reason(ReasonCode.INSUFFICIENT_DATA, "no finding for this day"))
    reasons: list[Reason] = []
    risk = finding.risk
    if risk is None:
        reasons.append(Reason(ReasonCode.INSUFFICIENT_DATA, "no risk estimate for this day"))
    adverse: list[TrendFinding] = []
    ignored: list[str] = []
    for t in finding.trends:
        why = _why_not_counted(t, finding.date, trig)
        if why is None:
            adverse.append(t)
        else:
            ignored.append(f"{t.biomarker}: {why}")
    counted = [t for t in adverse if t.coverage >= trig.min_coverage]
    low = sorted(t.biomarker for t in adverse if t.coverage < trig.min_coverage)
    ignored.extend(f"{b}: coverage below {trig.min_coverage:.0%}" for b in low)
    if low:
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
    if reasons or risk is None:
        if risk is not None and trig.sustained_risk_threshold is not None:
            path = _sustained_risk_outcome(protocol, ctx, trig, counted, ignored)
            if isinstance(path, RuleOutcome):
                return path
            reasons.append(path)
        return RuleOutcome.no(*reasons, ignored=tuple(ignored))

    ordered = sorted(counted, key=lambda t: (t.onset_date, t.biomarker))
    evidence: list[Evidence] = [trend_evidence(t) for t in ordered]
    evidence.append(risk_evidence(risk, trig.risk_threshold))
    evidence.extend(contribution_evidence(c) for c in risk.contributions)
    modalities: set[Modality] = {REGISTRY[t.biomarker].modality for t in counted}
    evidence.extend(
        coverage_evidence(m, finding.coverage.get(m, 0.0), finding.date) for m in sorted(modalities)
    )
    changes = "; ".join(
        f"{REGISTRY[t.biomarker].display} {t.direction.value} since {t.onset_date.isoformat()}"
        for t in ordered
    )
    rationale = (
        f"Bedside detected sustained adverse changes against the patient's own baseline in "
        f"{len(families)} biomarker families ({', '.join(families)}): {changes}. The "
        f"calibrated probability of a depressive episode (PHQ-9 >= 10) now or within 14 days "
        f"is {risk.probability:.0%} "
        f"(interval {risk.interval_low:.0%}-{risk.interval_high:.0%}, "
        f"model {risk.model_id} {risk.model_version}), at or above the protocol threshold of "
        f"{trig.risk_threshold:.0%}. Protocol {protocol.id} {protocol.version}. "
        f"This is a recommendation for clinical judgement, not an order."
    )
    return RuleOutcome(
        True,
        ignored=tuple(ignored),
        key_date=finding.date,
        evidence=tuple(evidence),
        rationale=rationale,
        risk_probability=risk.probability,
    )
