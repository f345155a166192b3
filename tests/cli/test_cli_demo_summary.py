from __future__ import annotations

import datetime as dt

import pytest

from bedside.cli.demo_summary import summarise

D = dt.date(2025, 3, 1)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def test_caught_delay_and_false_recommendations() -> None:
    summary = summarise(
        episodes={"a": [(day(30), day(50))], "b": [(day(30), day(40))], "c": []},
        recommendation_dates={
            "a": [day(29), day(35), day(40)],  # day 29 is before onset: false
            "b": [day(52)],  # after onset + 21: not a catch; within end + 7? 40 + 7 = 47 -> false
            "c": [day(10)],  # no episode: false
        },
        patients=4,
        monitored_days=70,
        seed=7,
    )
    assert summary.episodes_injected == 2
    assert summary.episodes_caught == 1
    assert summary.median_delay_days == 5.0
    assert summary.false_recommendations == 3
    assert summary.recommendations_per_100_patients_per_week == pytest.approx(
        100 * 5 / (4 * 10), abs=1e-3
    )
    assert set(summary.to_json_dict()) == {
        "patients",
        "episodes_injected",
        "episodes_caught",
        "median_delay_days",
        "false_recommendations",
        "recommendations_per_100_patients_per_week",
        "seed",
    }


def test_boundaries_are_inclusive() -> None:
    summary = summarise(
        episodes={"a": [(day(10), day(12))]},
        recommendation_dates={"a": [day(31), day(19)]},  # onset + 21 is caught; end + 7 not false
        patients=1,
        monitored_days=7,
        seed=0,
    )
    assert summary.episodes_caught == 1
    assert summary.median_delay_days == 9.0
    assert summary.false_recommendations == 1  # day 31 is past end + 7 = day 19


def test_no_episodes_caught_gives_null_delay() -> None:
    summary = summarise(
        episodes={"a": [(day(10), day(20))]},
        recommendation_dates={},
        patients=1,
        monitored_days=30,
        seed=0,
    )
    assert summary.median_delay_days is None
    assert summary.episodes_caught == 0
