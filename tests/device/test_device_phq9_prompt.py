"""Sensor-triggered PHQ-9 prompts: triggers, boundaries, the rate limit and reminders."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bedside.device import Phq9Prompter, Phq9PromptPolicy, plan_phq9_prompts
from bedside.domain import Finding, RiskEstimate, TrendDirection, TrendFinding

DAY0 = dt.date(2026, 3, 1)


def _risk(day: dt.date, p: float) -> RiskEstimate:
    return RiskEstimate(
        as_of=day,
        probability=p,
        interval_low=max(0.0, p - 0.1),
        interval_high=min(1.0, p + 0.1),
        model_id="episode-risk",
        model_version="1",
    )


def _trend(day: dt.date, *, adverse: bool) -> TrendFinding:
    return TrendFinding(
        biomarker="activity.total_counts",
        direction=TrendDirection.DOWN,
        onset_date=day - dt.timedelta(days=5),
        detection_date=day,
        size=-40.0,
        robust_z=-2.0,
        false_alarm_rate_per_year=1.0,
        coverage=0.9,
        days_sustained=6,
        adverse=adverse,
    )


def _finding(k: int, p: float | None = 0.05, *, trend: bool | None = None) -> Finding:
    day = DAY0 + dt.timedelta(days=k)
    return Finding(
        patient_id="p1",
        date=day,
        risk=None if p is None else _risk(day, p),
        trends=[] if trend is None else [_trend(day, adverse=trend)],
    )


def _policy(**kw: object) -> Phq9PromptPolicy:
    return Phq9PromptPolicy.model_validate({"basis": "test", **kw})


def _always(_: dt.date) -> bool:
    return True


def _never(_: dt.date) -> bool:
    return False


def test_risk_at_the_threshold_prompts_the_next_day_and_just_below_does_not() -> None:
    policy = _policy(risk_threshold=0.30)
    prompts = plan_phq9_prompts([_finding(0, 0.30)], policy, _always)
    assert [(p.date, p.finding_date) for p in prompts] == [(DAY0 + dt.timedelta(1), DAY0)]
    assert prompts[0].reason == "risk 0.300 >= 0.3"
    assert plan_phq9_prompts([_finding(0, 0.2999)], policy, _always) == []
    assert plan_phq9_prompts([_finding(0, None)], policy, _always) == []


def test_adverse_trend_prompts_unless_switched_off_and_a_benign_trend_never_does() -> None:
    low = 0.01
    on, off = _policy(), _policy(on_adverse_trend=False)
    assert len(plan_phq9_prompts([_finding(0, low, trend=True)], on, _always)) == 1
    assert (
        on.trigger(_finding(0, low, trend=True)) == "verified adverse trend: activity.total_counts"
    )
    assert plan_phq9_prompts([_finding(0, low, trend=True)], off, _always) == []
    assert plan_phq9_prompts([_finding(0, low, trend=False)], on, _always) == []
    # Risk off: only trends trigger.
    trends_only = _policy(risk_threshold=None)
    assert plan_phq9_prompts([_finding(0, 0.99)], trends_only, _always) == []


def test_answered_prompt_waits_min_interval_days_before_the_next() -> None:
    policy = _policy(risk_threshold=0.3, min_interval_days=7)
    findings = [_finding(k, 0.9) for k in range(20)]
    prompts = plan_phq9_prompts(findings, policy, _always)
    offsets = [(p.date - DAY0).days for p in prompts]
    assert offsets == [1, 8, 15], "every 7 days exactly, the boundary day included"
    assert all(p.answered and p.reminder == 0 for p in prompts)


def test_unanswered_prompt_is_repeated_max_reminders_times_then_backs_off() -> None:
    policy = _policy(min_interval_days=7, max_reminders=2)
    findings = [_finding(k, 0.9) for k in range(12)]
    prompts = plan_phq9_prompts(findings, policy, _never)
    assert [(p.date - DAY0).days for p in prompts] == [1, 2, 3, 10, 11, 12]
    assert [p.reminder for p in prompts] == [0, 1, 2, 0, 1, 2]
    assert not any(p.answered for p in prompts)
    none = plan_phq9_prompts(findings, _policy(max_reminders=0), _never)
    assert [(p.date - DAY0).days for p in none][:2] == [1, 8]


def test_a_reminder_lapses_with_its_trigger() -> None:
    policy = _policy(max_reminders=2)
    findings = [_finding(0, 0.9), _finding(1, 0.05), _finding(2, 0.9)]
    prompts = plan_phq9_prompts(findings, policy, _never)
    assert [p.reminder for p in prompts] == [0, 0], "the second prompt starts afresh"


def test_answer_after_a_reminder_starts_the_interval_from_the_answer() -> None:
    policy = _policy(min_interval_days=7, max_reminders=2)
    answered_on = {DAY0 + dt.timedelta(days=2)}
    prompts = plan_phq9_prompts(
        [_finding(k, 0.9) for k in range(12)], policy, lambda d: d in answered_on
    )
    assert [((p.date - DAY0).days, p.answered) for p in prompts] == [
        (1, False),
        (2, True),
        (9, False),
        (10, False),
        (11, False),
    ]


def test_findings_out_of_order_are_refused() -> None:
    prompter = Phq9Prompter(_policy())
    prompter.consider(_finding(3))
    with pytest.raises(ValueError, match="date order"):
        prompter.consider(_finding(3))


@pytest.mark.parametrize(
    ("field", "value"),
    [("risk_threshold", 1.5), ("risk_threshold", -0.1), ("min_interval_days", 0)],
)
def test_policy_rejects_out_of_range_values_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        _policy(**{field: value})


def test_policy_requires_a_basis() -> None:
    with pytest.raises(ValidationError, match="basis"):
        Phq9PromptPolicy.model_validate({"risk_threshold": 0.3})
    assert "reminder" in _policy().describe()


@settings(max_examples=60, deadline=None)
@given(
    risks=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=60),
    answers=st.lists(st.booleans(), min_size=1, max_size=60),
    interval=st.integers(1, 14),
    reminders=st.integers(0, 3),
)
def test_prompts_follow_a_trigger_and_answers_respect_the_interval(
    risks: list[float], answers: list[bool], interval: int, reminders: int
) -> None:
    policy = _policy(risk_threshold=0.5, min_interval_days=interval, max_reminders=reminders)
    findings = [_finding(k, p) for k, p in enumerate(risks)]
    prompts = plan_phq9_prompts(findings, policy, lambda d: answers[(d - DAY0).days % len(answers)])
    by_day = {f.date: f for f in findings}
    for p in prompts:
        assert p.date == p.finding_date + dt.timedelta(days=1)
        assert policy.trigger(by_day[p.finding_date]) is not None
        assert p.reminder <= reminders
    shown = [p.date for p in prompts]
    assert shown == sorted(set(shown)), "at most one prompt a day"
    answered = [p.date for p in prompts if p.answered]
    assert all((b - a).days >= interval for a, b in itertools.pairwise(answered))
