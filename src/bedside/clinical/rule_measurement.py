"""Measurement-based care: PHQ-9 response, remission and non-response over a treatment course."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bedside.clinical.context import PatientContext
from bedside.clinical.evidence import phq9_evidence
from bedside.clinical.protocol import MeasurementTrigger, Protocol
from bedside.clinical.rule_outcome import Reason, ReasonCode, RuleOutcome
from bedside.domain import Phq9Response

__all__ = ["CourseStatus", "MeasurementAssessment", "assess_course", "check_measurement"]


class CourseStatus(StrEnum):
    """Where a treatment course stands on the PHQ-9 (Rush et al. 2006 definitions)."""

    NO_DATA = "no_data"
    BELOW_BASELINE_THRESHOLD = "below_baseline_threshold"
    REMISSION = "remission"
    RESPONSE = "response"
    TOO_EARLY = "too_early"
    STALE = "stale"
    NON_RESPONSE = "non_response"


@dataclass(frozen=True, slots=True)
class MeasurementAssessment:
    """The course's status with the two PHQ-9s it rests on."""

    status: CourseStatus
    course_start: dt.date | None = None
    baseline: Phq9Response | None = None
    latest: Phq9Response | None = None

    @property
    def relative_change(self) -> float | None:
        """(latest - baseline) / baseline total; negative is improvement."""
        if self.baseline is None or self.latest is None or self.baseline.total == 0:
            return None
        return (self.latest.total - self.baseline.total) / self.baseline.total


def assess_course(trig: MeasurementTrigger, ctx: PatientContext) -> MeasurementAssessment:
    """Judge the current treatment course.

    The course starts at the latest medication start or dose change on or before the day (a
    new trial restarts the clock), else at the first PHQ-9; the baseline is the first PHQ-9 on
    or after the start, the latest is the most recent one.
    """
    series = ctx.phq9_until_today()
    if not series:
        return MeasurementAssessment(CourseStatus.NO_DATA)
    events = [
        m.start for m in ctx.medications if m.patient_id == ctx.patient_id and m.start <= ctx.date
    ]
    start = max(events) if events else series[0].date
    in_course = [r for r in series if r.date >= start]
    if not in_course:
        return MeasurementAssessment(CourseStatus.NO_DATA, start)
    baseline, latest = in_course[0], in_course[-1]
    status = CourseStatus.NON_RESPONSE
    if baseline.total < trig.min_baseline_total:
        status = CourseStatus.BELOW_BASELINE_THRESHOLD
    elif latest.total < trig.remission_below:
        status = CourseStatus.REMISSION
    elif latest.total <= baseline.total * (1 - trig.response_drop):
        status = CourseStatus.RESPONSE
    elif (latest.date - baseline.date).days < 7 * trig.nonresponse_after_weeks:
        status = CourseStatus.TOO_EARLY
    elif (ctx.date - latest.date).days > trig.max_latest_age_days:
        status = CourseStatus.STALE
    return MeasurementAssessment(status, start, baseline, latest)


def check_measurement(protocol: Protocol, ctx: PatientContext) -> tuple[RuleOutcome, ...]:
    """Fire on non-response; response and remission are evidence, not recommendations."""
    trig = protocol.trigger
    assert isinstance(trig, MeasurementTrigger)
    a = assess_course(trig, ctx)
    if a.status is not CourseStatus.NON_RESPONSE:
        code = {
            CourseStatus.NO_DATA: ReasonCode.INSUFFICIENT_DATA,
            CourseStatus.STALE: ReasonCode.INSUFFICIENT_DATA,
            CourseStatus.TOO_EARLY: ReasonCode.NOT_YET_DUE,
        }.get(a.status, ReasonCode.RESPONDING)
        return (RuleOutcome.no(Reason(code, f"PHQ-9 course status: {a.status.value}")),)
    assert a.baseline is not None
    assert a.latest is not None
    assert a.relative_change is not None
    weeks = (a.latest.date - a.baseline.date).days / 7
    change = a.relative_change
    rationale = (
        f"PHQ-9 went from {a.baseline.total} on {a.baseline.date.isoformat()} to "
        f"{a.latest.total} on {a.latest.date.isoformat()} ({change:+.0%}) over {weeks:.1f} "
        f"weeks of the course that started on {a.course_start}; response needs a drop of "
        f"{trig.response_drop:.0%} and remission a total below {trig.remission_below}. Protocol "
        f"{protocol.id} {protocol.version}. A recommendation, not an order."
    )
    return (
        RuleOutcome(
            True,
            key_date=a.baseline.date,
            evidence=(
                phq9_evidence(a.baseline, "Baseline of the course."),
                phq9_evidence(a.latest, f"Latest; change {change:+.0%}."),
            ),
            rationale=rationale,
        ),
    )
