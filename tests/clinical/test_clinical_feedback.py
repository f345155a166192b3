"""Feedback transitions, reasons and snooze; analytics and bounded threshold adaptation."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from bedside.clinical import (
    NON_ADHERENCE_REASONS,
    NON_ADHERENCE_SYSTEM,
    Feedback,
    FeedbackAction,
    FeedbackError,
    adapt_risk_threshold,
    apply_feedback,
    load_builtin_protocol,
    protocol_stats,
)
from bedside.clinical.protocol import RelapseTrigger
from bedside.domain import ConfigurationError, Priority, Recommendation, RecommendationStatus, Role

NOW = dt.datetime(2026, 3, 11, 8, 0, tzinfo=dt.UTC)


def rec(
    i: int = 1, priority: Priority = Priority.URGENT, protocol: str = "relapse_watch"
) -> Recommendation:
    return Recommendation(
        id=f"r{i}",
        patient_id=f"p{i}",
        action="Consider contacting the patient",
        priority=priority,
        created=NOW,
        due=NOW + dt.timedelta(hours=72),
        expires=NOW + dt.timedelta(days=7),
        route=Role.PSYCHIATRIST,
        rationale="test",
        protocol_id=protocol,
        protocol_version="1.0.0",
        protocol_hash="0" * 64,
    )


def fb(action: FeedbackAction, i: int = 1, hours: float = 2, **kw: object) -> Feedback:
    return Feedback(
        recommendation_id=f"r{i}",
        action=action,
        by="dr0",
        at=NOW + dt.timedelta(hours=hours),
        **kw,  # type: ignore[arg-type]
    )


def test_accept_then_complete() -> None:
    accepted = apply_feedback(rec(), fb(FeedbackAction.ACCEPT))
    assert accepted.status is RecommendationStatus.ACCEPTED
    done = apply_feedback(accepted, fb(FeedbackAction.COMPLETE, hours=5))
    assert done.status is RecommendationStatus.COMPLETED


def test_dismiss_needs_a_reason_from_the_hl7_codes() -> None:
    with pytest.raises(ValidationError, match="reason"):
        fb(FeedbackAction.DISMISS)
    assert len(NON_ADHERENCE_REASONS) == 6
    assert {r.system for r in NON_ADHERENCE_REASONS} == {NON_ADHERENCE_SYSTEM}
    out = apply_feedback(rec(), fb(FeedbackAction.DISMISS, reason=NON_ADHERENCE_REASONS[2]))
    assert out.status is RecommendationStatus.DISMISSED


def test_terminal_states_refuse_more_feedback() -> None:
    done = apply_feedback(rec(), fb(FeedbackAction.COMPLETE))
    with pytest.raises(FeedbackError, match="completed"):
        apply_feedback(done, fb(FeedbackAction.ACCEPT))


def test_snooze_is_capped_at_expiry_and_refused_for_crises() -> None:
    r = rec()
    out = apply_feedback(r, fb(FeedbackAction.SNOOZE, snooze_until=NOW + dt.timedelta(days=30)))
    assert out.snoozed_until == r.expires
    assert out.status is RecommendationStatus.OPEN
    with pytest.raises(FeedbackError, match="critical"):
        apply_feedback(
            rec(priority=Priority.CRITICAL, protocol="crisis"),
            fb(FeedbackAction.SNOOZE, snooze_until=NOW + dt.timedelta(hours=5)),
        )


def test_feedback_for_another_recommendation_is_refused() -> None:
    with pytest.raises(FeedbackError, match="not r1"):
        apply_feedback(rec(1), fb(FeedbackAction.ACCEPT, i=2))


def test_protocol_stats_count_acceptance_ppv_and_time_to_action() -> None:
    recs = [rec(i) for i in range(4)]
    feedback = [
        fb(FeedbackAction.ACCEPT, 0, hours=2),
        fb(FeedbackAction.COMPLETE, 0, hours=30),
        fb(FeedbackAction.DISMISS, 1, hours=6, reason=NON_ADHERENCE_REASONS[0]),
        fb(FeedbackAction.SNOOZE, 2, hours=1, snooze_until=NOW + dt.timedelta(days=1)),
    ]
    outcomes = {
        "p0": [NOW.date() + dt.timedelta(days=10)],
        "p3": [NOW.date() + dt.timedelta(days=40)],
    }
    (stats,) = protocol_stats(recs, feedback, outcomes, window_days=28)
    assert stats.raised == 4
    assert stats.answered == 2
    assert stats.acceptance_rate == 0.5
    assert stats.ppv == 0.25
    assert stats.median_hours_to_action == 4.0


def test_threshold_adapts_within_bounds_and_bumps_the_version() -> None:
    protocol = load_builtin_protocol("relapse_watch")
    assert isinstance(protocol.trigger, RelapseTrigger)
    start = protocol.trigger.risk_threshold
    recs = [rec(i) for i in range(40)]
    (low_ppv,) = protocol_stats(recs, [], {}, window_days=28)
    assert low_ppv.ppv == 0.0
    current = protocol
    for _ in range(50):
        current = adapt_risk_threshold(current, low_ppv, bounds=(0.2, 0.4), target_ppv=0.3)
    assert isinstance(current.trigger, RelapseTrigger)
    assert current.trigger.risk_threshold == 0.4
    assert current.version != protocol.version
    assert current.protocol_hash != protocol.protocol_hash
    once = adapt_risk_threshold(protocol, low_ppv, bounds=(0.2, 0.4), target_ppv=0.3)
    assert isinstance(once.trigger, RelapseTrigger)
    assert once.trigger.risk_threshold == pytest.approx(start + 0.02)
    few = protocol_stats(recs[:5], [], {}, window_days=28)[0]
    assert adapt_risk_threshold(protocol, few, bounds=(0.2, 0.4), target_ppv=0.3) is protocol
    with pytest.raises(ConfigurationError):
        adapt_risk_threshold(
            load_builtin_protocol("crisis"), low_ppv, bounds=(0.2, 0.4), target_ppv=0.3
        )
