"""Recommendation engine: fires, does not fire, boundaries, dedup/update, expiry, suppression."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.clinical import (
    Protocol,
    ReasonCode,
    RecommendationEngine,
    load_builtin_protocol,
    parse_protocol,
    recommendation_id,
)
from bedside.domain import (
    Contribution,
    Finding,
    Modality,
    Priority,
    Recommendation,
    RecommendationStatus,
    RiskEstimate,
    Role,
    TrendDirection,
    TrendFinding,
)

DAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 11, 6, 0, tzinfo=dt.UTC)
PROTOCOL = load_builtin_protocol()
THRESHOLD = PROTOCOL.trigger.risk_threshold


def trend(
    biomarker: str,
    direction: TrendDirection = TrendDirection.DOWN,
    *,
    adverse: bool = True,
    coverage: float = 0.95,
    days: int = 8,
) -> TrendFinding:
    return TrendFinding(
        biomarker=biomarker,
        direction=direction,
        onset_date=DAY - dt.timedelta(days=days - 1),
        detection_date=DAY,
        size=-55.0,
        robust_z=-2.4,
        false_alarm_rate_per_year=0.5,
        coverage=coverage,
        days_sustained=days,
        adverse=adverse,
    )


def risk(p: float) -> RiskEstimate:
    return RiskEstimate(
        as_of=DAY,
        probability=p,
        interval_low=max(0.0, p - 0.1),
        interval_high=min(1.0, p + 0.1),
        model_id="episode-risk",
        model_version="1.2.0",
        contributions=[
            Contribution(
                biomarker="sleep.duration_min", value=380.0, baseline=445.0, contribution=0.4
            )
        ],
    )


def finding(
    trends: list[TrendFinding] | None = None,
    p: float | None = 0.5,
    coverage: float = 0.9,
    day: dt.date = DAY,
) -> Finding:
    if trends is None:
        trends = [trend("sleep.duration_min"), trend("activity.mean_counts")]
    return Finding(
        patient_id="p001",
        date=day,
        trends=trends,
        risk=None if p is None else risk(p),
        coverage={Modality.ACTIGRAPHY: coverage},
        device_id="watch-1",
    )


def engine(**overrides: Any) -> RecommendationEngine:
    if not overrides:
        return RecommendationEngine([PROTOCOL])
    data = PROTOCOL.model_dump(mode="json")
    for key, value in overrides.items():
        if key in data["trigger"]:
            data["trigger"][key] = value
        else:
            data[key] = value
    return RecommendationEngine([parse_protocol(data)])


def test_fires_with_two_families_and_risk_above_threshold() -> None:
    result = engine().evaluate(finding(), NOW, [])
    assert result.decision("relapse_watch").fired
    assert len(result.new) == 1
    assert not result.updated
    rec = result.new[0]
    assert rec.action == PROTOCOL.action
    assert rec.action.startswith("Consider")
    assert rec.priority is Priority.URGENT
    assert rec.route is Role.PSYCHIATRIST
    assert rec.due - rec.created == dt.timedelta(hours=72)
    assert rec.expires - rec.created == dt.timedelta(days=PROTOCOL.expiry_days)
    assert rec.created == NOW
    assert rec.protocol_hash == PROTOCOL.protocol_hash
    assert rec.protocol_version == PROTOCOL.version
    assert (rec.model_id, rec.model_version) == ("episode-risk", "1.2.0")
    assert rec.id == recommendation_id("p001", "relapse_watch", DAY)
    kinds = [e.kind for e in rec.evidence]
    assert kinds.count("trend") == 2
    assert kinds.count("risk") == 1
    assert kinds.count("biomarker") == 1
    assert kinds.count("coverage") == 1
    sleep = next(e for e in rec.evidence if e.kind == "trend" and e.label == "Sleep duration")
    assert "55 min" in sleep.statement
    assert "z -2.4" in sleep.statement
    assert sleep.onset_date == DAY - dt.timedelta(days=7)
    assert "false-alarm rate 0.5" in sleep.statement
    risk_ev = next(e for e in rec.evidence if e.kind == "risk")
    assert "50%" in risk_ev.statement
    assert "episode-risk" in risk_ev.statement
    assert "40%-60%" in risk_ev.statement
    contrib = next(e for e in rec.evidence if e.kind == "biomarker")
    assert (contrib.value, contrib.baseline) == (380.0, 445.0)
    assert "not an order" in rec.rationale
    assert "activity" in rec.rationale
    assert "sleep" in rec.rationale


def test_same_input_gives_same_recommendation() -> None:
    a = engine().evaluate(finding(), NOW, []).new[0]
    b = engine().evaluate(finding(), NOW, []).new[0]
    assert a == b


def test_one_family_only_does_not_fire() -> None:
    trends = [trend("sleep.duration_min"), trend("sleep.efficiency")]
    result = engine().evaluate(finding(trends), NOW, [])
    d = result.decision("relapse_watch")
    assert not d.fired
    assert not result.new
    assert d.has(ReasonCode.TOO_FEW_FAMILIES)
    assert not d.has(ReasonCode.TOO_FEW_ADVERSE_TRENDS)


def test_risk_below_threshold_does_not_fire() -> None:
    result = engine().evaluate(finding(p=THRESHOLD - 1e-9), NOW, [])
    assert not result.new
    assert result.decision("relapse_watch").has(ReasonCode.RISK_BELOW_THRESHOLD)


def test_risk_exactly_at_threshold_fires() -> None:
    result = engine().evaluate(finding(p=THRESHOLD), NOW, [])
    assert len(result.new) == 1


def test_non_adverse_trends_do_not_count() -> None:
    trends = [
        trend("sleep.duration_min", TrendDirection.UP, adverse=False),
        trend("activity.mean_counts", TrendDirection.UP, adverse=False),
    ]
    result = engine().evaluate(finding(trends), NOW, [])
    d = result.decision("relapse_watch")
    assert not d.fired
    assert d.has(ReasonCode.TOO_FEW_ADVERSE_TRENDS)
    assert len(d.ignored_trends) == 2
    assert all("direction of concern" in note for note in d.ignored_trends)


def test_unknown_biomarker_trend_is_reported_not_counted() -> None:
    trends = [trend("sleep.duration_min"), trend("activity.mean_counts"), trend("voice.pitch")]
    result = engine().evaluate(finding(trends), NOW, [])
    d = result.decision("relapse_watch")
    assert d.fired
    assert d.ignored_trends == ("voice.pitch: not in the biomarker registry",)
    assert sum(e.kind == "trend" for e in result.new[0].evidence) == 2


def test_short_trends_do_not_count() -> None:
    short = PROTOCOL.trigger.min_days_sustained - 1
    trends = [trend("sleep.duration_min", days=short), trend("activity.mean_counts")]
    assert not engine().evaluate(finding(trends), NOW, []).new
    trends = [trend("sleep.duration_min", days=short + 1), trend("activity.mean_counts")]
    assert engine().evaluate(finding(trends), NOW, []).new


def test_missing_risk_is_insufficient_data_never_fires() -> None:
    result = engine().evaluate(finding(p=None), NOW, [])
    d = result.decision("relapse_watch")
    assert not d.fired
    assert not result.new
    assert d.has(ReasonCode.INSUFFICIENT_DATA)


def test_low_coverage_never_fires() -> None:
    low = PROTOCOL.trigger.min_coverage - 0.01
    day_low = engine().evaluate(finding(coverage=low), NOW, [])
    assert not day_low.new
    assert day_low.decision("relapse_watch").has(ReasonCode.LOW_COVERAGE)
    trends = [trend("sleep.duration_min", coverage=low), trend("activity.mean_counts")]
    trend_low = engine().evaluate(finding(trends), NOW, [])
    assert not trend_low.new
    assert trend_low.decision("relapse_watch").has(ReasonCode.LOW_COVERAGE)
    # exactly at the minimum is enough
    at_min = engine().evaluate(finding(coverage=PROTOCOL.trigger.min_coverage), NOW, [])
    assert at_min.new


def test_open_recommendation_is_updated_not_duplicated() -> None:
    first = engine().evaluate(finding(), NOW, []).new[0]
    later = NOW + dt.timedelta(days=2)
    more = [*finding().trends, trend("circadian.interdaily_stability")]
    next_day = finding(more, p=0.6, day=DAY + dt.timedelta(days=2))
    result = engine().evaluate(next_day, later, [first])
    assert not result.new
    assert len(result.updated) == 1
    upd = result.updated[0]
    assert upd.id == first.id
    assert upd.created == first.created
    assert upd.due == first.due
    assert upd.expires == later + dt.timedelta(days=PROTOCOL.expiry_days)
    assert sum(e.kind == "trend" for e in upd.evidence) == 3
    assert "60%" in next(e for e in upd.evidence if e.kind == "risk").statement


def test_other_patients_recommendations_are_ignored() -> None:
    first = engine().evaluate(finding(), NOW, []).new[0]
    other = first.model_copy(update={"patient_id": "p999"})
    result = engine().evaluate(finding(), NOW, [other])
    assert len(result.new) == 1


def test_expired_recommendation_allows_a_new_one() -> None:
    first = engine().evaluate(finding(), NOW, []).new[0]
    after = first.expires + dt.timedelta(minutes=1)
    new_day = DAY + dt.timedelta(days=PROTOCOL.expiry_days + 1)
    f = finding([trend("sleep.duration_min"), trend("activity.mean_counts")], day=new_day)
    result = engine().evaluate(
        f.model_copy(update={"trends": _shift(f.trends, new_day)}), after, [first]
    )
    assert len(result.new) == 1
    assert result.new[0].id != first.id
    assert result.new[0].id == recommendation_id("p001", "relapse_watch", new_day)
    assert [r.status for r in result.expired] == [RecommendationStatus.EXPIRED]
    assert result.expired[0].id == first.id


def _shift(trends: list[TrendFinding], day: dt.date) -> list[TrendFinding]:
    delta = day - DAY
    return [
        t.model_copy(
            update={"onset_date": t.onset_date + delta, "detection_date": t.detection_date + delta}
        )
        for t in trends
    ]


def test_stale_trends_do_not_count() -> None:
    late = DAY + dt.timedelta(days=PROTOCOL.trigger.max_trend_age_days + 1)
    result = engine().evaluate(finding(day=late), NOW, [])
    assert not result.new
    assert result.decision("relapse_watch").has(ReasonCode.TOO_FEW_ADVERSE_TRENDS)


def test_dismissal_cooldown_suppresses() -> None:
    first = engine().evaluate(finding(), NOW, []).new[0]
    dismissed = first.model_copy(update={"status": RecommendationStatus.DISMISSED})
    soon = NOW + dt.timedelta(days=1)
    result = engine().evaluate(finding(), soon, [dismissed])
    assert not result.new
    assert not result.updated
    assert result.decision("relapse_watch").has(ReasonCode.SUPPRESSED)
    cooldown = dt.timedelta(days=PROTOCOL.suppression.dismissal_cooldown_days)
    next_day = engine().evaluate(finding(day=DAY + dt.timedelta(days=1)), soon, [dismissed])
    assert not next_day.new
    details = [r.detail for r in next_day.decision("relapse_watch").reasons]
    assert any("was dismissed within the 7-day dismissal cooldown" in d for d in details)
    same_episode = engine().evaluate(finding(), NOW + cooldown, [dismissed])
    assert not same_episode.new, "an episode the clinician dismissed is never raised again"
    after = engine().evaluate(finding(day=DAY + cooldown), NOW + cooldown, [dismissed])
    assert len(after.new) == 1


def test_resolution_cooldown_stops_the_daily_raise_and_close_cycle() -> None:
    first = engine().evaluate(finding(), NOW, []).new[0]
    resolved = first.model_copy(update={"status": RecommendationStatus.RESOLVED})
    settle = PROTOCOL.suppression.resolution_cooldown_days
    assert settle >= 1, "the built-in relapse watch waits after an improvement resolved it"
    next_day = engine().evaluate(
        finding(day=DAY + dt.timedelta(days=1)), NOW + dt.timedelta(days=1), [resolved]
    )
    assert not next_day.new
    assert next_day.decision("relapse_watch").has(ReasonCode.SUPPRESSED)
    details = [r.detail for r in next_day.decision("relapse_watch").reasons]
    assert any(f"was resolved within the {settle}-day resolution cooldown" in d for d in details)
    last_quiet = dt.timedelta(days=settle) - dt.timedelta(seconds=1)
    still = engine().evaluate(
        finding(day=DAY + dt.timedelta(days=settle)), NOW + last_quiet, [resolved]
    )
    assert not still.new
    after = dt.timedelta(days=settle)
    again = engine().evaluate(finding(day=DAY + after), NOW + after, [resolved])
    assert len(again.new) == 1, "the cooldown ends; lasting evidence is raised again"


def test_route_and_threshold_come_from_protocol_data() -> None:
    e = engine(route="therapist", risk_threshold=0.8)
    assert not e.evaluate(finding(p=0.7), NOW, []).new
    rec = e.evaluate(finding(p=0.8), NOW, []).new[0]
    assert rec.route is Role.THERAPIST


def test_duplicate_protocol_ids_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        RecommendationEngine([PROTOCOL, PROTOCOL])


def test_naive_now_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        engine().evaluate(finding(), NOW.replace(tzinfo=None), [])


def test_recommendations_validate_as_domain_objects() -> None:
    rec = engine().evaluate(finding(), NOW, []).new[0]
    assert Recommendation.model_validate(rec.model_dump()) == rec
    assert isinstance(PROTOCOL, Protocol)


@settings(max_examples=60, deadline=None)
@given(p=st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_fires_iff_probability_reaches_threshold(p: float) -> None:
    result = engine().evaluate(finding(p=p), NOW, [])
    assert bool(result.new) == (p >= THRESHOLD)
    assert result.decision("relapse_watch").has(ReasonCode.RISK_BELOW_THRESHOLD) == (p < THRESHOLD)
