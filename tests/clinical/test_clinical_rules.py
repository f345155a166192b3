"""Each protocol kind on crafted cases: fires, does not fire, and boundary values."""

from __future__ import annotations

import datetime as dt

import pytest

from bedside.clinical import (
    CourseStatus,
    CrisisSignal,
    PatientContext,
    ReasonCode,
    RecommendationEngine,
    assess_course,
    load_builtin_protocol,
)
from bedside.clinical.protocol import MeasurementTrigger
from bedside.domain import (
    MedicationRecord,
    Modality,
    Priority,
    Recommendation,
    RecommendationStatus,
    Role,
    TrendDirection,
)

from .conftest import DAY, NOW, PATIENT, days_before, make_finding, make_trend, phq9

CRISIS = load_builtin_protocol("crisis")
MBC = load_builtin_protocol("measurement_based_care")
MED = load_builtin_protocol("medication_effect")
GAP = load_builtin_protocol("data_gap")
IMPROVE = load_builtin_protocol("improvement")
RELAPSE = load_builtin_protocol("relapse_watch")


def run(protocols: list[str], ctx: PatientContext, recs: list[Recommendation] | None = None):  # type: ignore[no-untyped-def]
    engine = RecommendationEngine([load_builtin_protocol(p) for p in protocols])
    return engine.evaluate_context(ctx, NOW, recs or [])


# -- crisis -------------------------------------------------------------------------------


@pytest.mark.parametrize(("item9", "fires"), [(0, False), (1, True), (3, True)])
def test_crisis_fires_on_any_item9_endorsement(item9: int, fires: bool) -> None:
    ctx = PatientContext(PATIENT, DAY, phq9=(phq9(DAY, 12, item9=item9),))
    result = run(["crisis"], ctx)
    assert bool(result.new) is fires
    if fires:
        rec = result.new[0]
        assert rec.priority is Priority.CRITICAL
        assert rec.due - rec.created <= dt.timedelta(hours=24)
        assert "item 9" in rec.rationale
        assert rec.action.startswith("Consider ")


def test_crisis_needs_no_finding_and_ignores_everything_else() -> None:
    ctx = PatientContext(PATIENT, DAY, finding=None, phq9=(phq9(DAY, 3, item9=1),))
    assert len(run(["crisis"], ctx).new) == 1


def test_a_later_negative_item9_is_not_clearance() -> None:
    first = PatientContext(PATIENT, DAY, phq9=(phq9(DAY, 12, item9=2),))
    rec = run(["crisis"], first).new[0]
    later_day = DAY + dt.timedelta(days=2)
    ctx = PatientContext(
        PATIENT,
        later_day,
        finding=make_finding(later_day, p=0.01),
        history=tuple(make_finding(d, p=0.01) for d in days_before(later_day, 20)[:-1]),
        phq9=(phq9(DAY, 12, item9=2), phq9(later_day, 2, item9=0)),
    )
    result = run(["crisis", "improvement"], ctx, [rec])
    assert not result.closed
    assert not result.expired
    assert all(r.status is RecommendationStatus.OPEN for r in result.updated)


def test_each_crisis_event_gets_its_own_recommendation() -> None:
    day2 = DAY + dt.timedelta(days=3)
    ctx1 = PatientContext(PATIENT, DAY, phq9=(phq9(DAY, 12, item9=1),))
    first = run(["crisis"], ctx1).new[0]
    accepted = first.model_copy(update={"status": RecommendationStatus.ACCEPTED})
    ctx2 = PatientContext(PATIENT, day2, phq9=(phq9(DAY, 12, item9=1), phq9(day2, 14, item9=1)))
    result = run(["crisis"], ctx2, [accepted])
    assert len(result.new) == 1
    assert result.new[0].id != first.id


def test_configured_crisis_signal_fires_and_unknown_kinds_do_not() -> None:
    flag = CrisisSignal(patient_id=PATIENT, kind="clinician_flag", date=DAY, detail="call")
    other = CrisisSignal(patient_id=PATIENT, kind="weather", date=DAY, detail="rain")
    assert run(["crisis"], PatientContext(PATIENT, DAY, crisis_signals=(flag,))).new
    assert not run(["crisis"], PatientContext(PATIENT, DAY, crisis_signals=(other,))).new


def test_crisis_outside_lookback_does_not_fire() -> None:
    old = DAY - dt.timedelta(days=CRISIS.trigger.lookback_days + 1)  # type: ignore[union-attr]
    assert not run(["crisis"], PatientContext(PATIENT, DAY, phq9=(phq9(old, 12, item9=1),))).new


# -- measurement-based care ---------------------------------------------------------------


def _course(baseline: int, latest: int, weeks: int) -> PatientContext:
    start = DAY - dt.timedelta(weeks=weeks)
    return PatientContext(PATIENT, DAY, phq9=(phq9(start, baseline), phq9(DAY, latest)))


@pytest.mark.parametrize(
    ("baseline", "latest", "weeks", "status"),
    [
        (16, 8, 8, CourseStatus.RESPONSE),  # exactly 50 % drop is response
        (16, 9, 8, CourseStatus.NON_RESPONSE),
        (16, 4, 8, CourseStatus.REMISSION),
        (16, 5, 8, CourseStatus.RESPONSE),  # 5 is not remission (< 5), but >= 50 % drop
        (16, 12, 7, CourseStatus.TOO_EARLY),
        (9, 9, 10, CourseStatus.BELOW_BASELINE_THRESHOLD),
    ],
)
def test_course_status_boundaries(
    baseline: int, latest: int, weeks: int, status: CourseStatus
) -> None:
    assert isinstance(MBC.trigger, MeasurementTrigger)
    assert assess_course(MBC.trigger, _course(baseline, latest, weeks)).status is status


def test_non_response_fires_a_consultation_recommendation() -> None:
    result = run(["measurement_based_care"], _course(18, 15, 9))
    assert len(result.new) == 1
    rec = result.new[0]
    assert rec.route is Role.PSYCHIATRIST
    assert "psychiatric consultation or a medication review" in rec.action
    assert {e.value for e in rec.evidence} == {18.0, 15.0}


def test_medication_change_restarts_the_course() -> None:
    ctx = _course(18, 15, 9)
    change = MedicationRecord(
        patient_id=PATIENT, name="sertraline", start=DAY - dt.timedelta(weeks=2), kind="dose_change"
    )
    ctx = PatientContext(PATIENT, DAY, phq9=ctx.phq9, medications=(change,))
    assert isinstance(MBC.trigger, MeasurementTrigger)
    assert assess_course(MBC.trigger, ctx).status is not CourseStatus.NON_RESPONSE


def test_nonresponse_weeks_outside_8_to_12_are_refused() -> None:
    data = MBC.model_dump(mode="json")
    data["trigger"]["nonresponse_after_weeks"] = 4
    from bedside.clinical import ProtocolSchemaError, parse_protocol

    with pytest.raises(ProtocolSchemaError, match=r"trigger\.nonresponse_after_weeks"):
        parse_protocol(data)


# -- medication effect --------------------------------------------------------------------


def _med_ctx(
    onset_offset_days: int, family_biomarker: str = "sleep.duration_min"
) -> PatientContext:
    start = DAY - dt.timedelta(days=30)
    med = MedicationRecord(patient_id=PATIENT, name="mirtazapine", start=start, kind="start")
    onset = start + dt.timedelta(days=onset_offset_days)
    t = make_trend(family_biomarker, onset=onset, detected=DAY, direction=TrendDirection.UP)
    return PatientContext(PATIENT, DAY, finding=make_finding(DAY, trends=[t]), medications=(med,))


def test_trend_after_medication_start_names_drug_and_date() -> None:
    result = run(["medication_effect"], _med_ctx(5))
    assert len(result.new) == 1
    action = result.new[0].action
    assert "mirtazapine" in action
    assert (DAY - dt.timedelta(days=30)).isoformat() in action
    assert "{" not in action


@pytest.mark.parametrize(("offset", "fires"), [(0, True), (28, True), (29, False), (-1, False)])
def test_medication_window_boundaries(offset: int, fires: bool) -> None:
    assert bool(run(["medication_effect"], _med_ctx(offset)).new) is fires


def test_trend_in_another_family_does_not_count() -> None:
    assert not run(["medication_effect"], _med_ctx(5, "circadian.is_7d")).new


# -- data gap ----------------------------------------------------------------------------


def _gap_ctx(covs: list[float]) -> PatientContext:
    days = days_before(DAY, len(covs))
    findings = [make_finding(d, coverage=c) for d, c in zip(days, covs, strict=True)]
    return PatientContext(PATIENT, DAY, finding=findings[-1], history=tuple(findings[:-1]))


def test_three_low_days_route_to_care_coordinator() -> None:
    result = run(["data_gap"], _gap_ctx([0.9] * 10 + [0.1, 0.0, 0.29]))
    assert len(result.new) == 1
    assert result.new[0].route is Role.CARE_COORDINATOR
    assert not result.new[0].interruptive


@pytest.mark.parametrize(
    "covs",
    [[0.9] * 10 + [0.1, 0.3, 0.1], [0.9] * 10 + [0.1, 0.1], [0.1] * 12],
    ids=["boundary-0.3-is-not-a-gap", "two-days-only", "never-had-data"],
)
def test_no_gap_recommendation(covs: list[float]) -> None:
    assert not run(["data_gap"], _gap_ctx(covs)).new


def test_days_without_journal_entries_are_not_a_data_gap() -> None:
    days = days_before(DAY, 13)
    findings = [
        make_finding(d).model_copy(
            update={"coverage": {Modality.ACTIGRAPHY: 0.9, Modality.LANGUAGE: lang}}
        )
        for d, lang in zip(days, [0.9] * 10 + [0.0] * 3, strict=True)
    ]
    ctx = PatientContext(PATIENT, DAY, finding=findings[-1], history=tuple(findings[:-1]))
    assert not run(["data_gap"], ctx).new


def test_missing_findings_count_as_gap_days() -> None:
    days = days_before(DAY, 10)
    history = tuple(make_finding(d) for d in days[:6])  # nothing for the last 4 days
    ctx = PatientContext(PATIENT, DAY, finding=None, history=history)
    assert len(run(["data_gap"], ctx).new) == 1


def test_one_gap_raises_one_recommendation_over_days() -> None:
    first = run(["data_gap"], _gap_ctx([0.9] * 10 + [0.1] * 3)).new[0]
    ctx = _gap_ctx([0.9] * 10 + [0.1] * 4)
    later = PatientContext(
        PATIENT,
        DAY + dt.timedelta(days=1),
        finding=make_finding(DAY + dt.timedelta(days=1), coverage=0.1),
        history=(*ctx.history, ctx.finding),  # type: ignore[arg-type]
    )
    result = RecommendationEngine([GAP]).evaluate_context(
        later, NOW + dt.timedelta(days=1), [first]
    )
    assert not result.new
    assert [r.id for r in result.updated] == [first.id]


# -- improvement and relapse ---------------------------------------------------------------


def _relapse_rec() -> Recommendation:
    trends = [
        make_trend("sleep.duration_min", onset=DAY - dt.timedelta(days=10), detected=DAY),
        make_trend("activity.mean_counts", onset=DAY - dt.timedelta(days=10), detected=DAY),
    ]
    ctx = PatientContext(PATIENT, DAY, finding=make_finding(DAY, trends=trends, p=0.6))
    result = run(["relapse_watch"], ctx)
    assert len(result.new) == 1
    return result.new[0]


def test_sustained_return_to_baseline_closes_open_relapse_recommendation() -> None:
    rec = _relapse_rec()
    day = DAY + dt.timedelta(days=20)
    findings = [make_finding(d, p=0.05) for d in days_before(day, 14)]
    ctx = PatientContext(PATIENT, day, finding=findings[-1], history=tuple(findings[:-1]))
    engine = RecommendationEngine([RELAPSE, IMPROVE])
    result = engine.evaluate_context(ctx, NOW + dt.timedelta(days=5), [rec])
    assert [r.id for r in result.closed] == [rec.id]
    assert result.closed[0].status is RecommendationStatus.RESOLVED
    assert len(result.new) == 1
    assert result.new[0].priority is Priority.INFO


def test_improvement_needs_every_day_back_to_baseline() -> None:
    rec = _relapse_rec()
    day = DAY + dt.timedelta(days=20)
    findings = [make_finding(d, p=0.05) for d in days_before(day, 14)]
    findings[3] = make_finding(findings[3].date, p=0.2)  # one day with risk above 15 %
    ctx = PatientContext(PATIENT, day, finding=findings[-1], history=tuple(findings[:-1]))
    result = RecommendationEngine([IMPROVE]).evaluate_context(ctx, NOW, [rec])
    assert not result.closed
    assert not result.new


def test_improvement_without_anything_open_stays_silent() -> None:
    findings = [make_finding(d, p=0.05) for d in days_before(DAY, 14)]
    ctx = PatientContext(PATIENT, DAY, finding=findings[-1], history=tuple(findings[:-1]))
    result = run(["improvement"], ctx)
    assert not result.new
    assert result.decision("improvement").has(ReasonCode.NOTHING_TO_CLOSE)


def test_improvement_may_not_close_a_crisis_protocol() -> None:
    data = IMPROVE.model_dump(mode="json")
    data["trigger"]["closes"] = ["crisis"]
    from bedside.clinical import parse_protocol
    from bedside.domain import ConfigurationError

    with pytest.raises(ConfigurationError, match="crisis"):
        RecommendationEngine([CRISIS, parse_protocol(data)])


# -- escalation ---------------------------------------------------------------------------


def test_overdue_recommendation_escalates_once() -> None:
    ctx = _course(18, 15, 9)
    rec = run(["measurement_based_care"], ctx).new[0]
    rule = MBC.escalation
    assert rule is not None
    late = rec.due + dt.timedelta(hours=rule.after_overdue_hours)
    engine = RecommendationEngine([MBC])
    early = engine.evaluate_context(ctx, late - dt.timedelta(minutes=1), [rec])
    assert not early.escalated
    result = engine.evaluate_context(ctx, late, [rec])
    assert len(result.escalated) == 1
    up = result.escalated[0]
    assert up.priority is Priority.URGENT
    assert up.escalation_level == 1
    assert up.due > late
    again = engine.evaluate_context(ctx, late + dt.timedelta(days=30), [up])
    assert not again.escalated


def test_snoozed_recommendation_does_not_escalate() -> None:
    ctx = _course(18, 15, 9)
    rec = run(["measurement_based_care"], ctx).new[0]
    late = rec.due + dt.timedelta(days=10)
    snoozed = rec.model_copy(update={"snoozed_until": late + dt.timedelta(days=1)})
    assert not RecommendationEngine([MBC]).evaluate_context(ctx, late, [snoozed]).escalated


def test_every_builtin_protocol_loads_and_is_a_recommendation() -> None:
    engine = RecommendationEngine.builtin()
    kinds = {p.trigger.kind for p in engine.protocols}
    assert kinds == {
        "relapse_watch",
        "measurement_based_care",
        "medication_effect",
        "crisis",
        "data_gap",
        "improvement",
    }
    assert all(p.action.startswith("Consider ") for p in engine.protocols)
