"""Domain objects for the FHIR mapping tests, built by hand (no upstream pipeline)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from bedside.clinical import RecommendationEngine, load_builtin_protocol
from bedside.domain import (
    Contribution,
    DailyBiomarkerTable,
    Finding,
    Modality,
    PatientId,
    Recommendation,
    RiskEstimate,
    TrendDirection,
    TrendFinding,
)
from bedside.fhir import finding_bundle

ZONE = "Europe/Oslo"
# 2026-03-29 is the spring-forward day in Europe/Oslo: the table crosses it.
FIRST = dt.date(2026, 3, 20)
DAY = dt.date(2026, 4, 2)
NOW = dt.datetime(2026, 4, 3, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def table() -> DailyBiomarkerTable:
    n = (DAY - FIRST).days + 1
    sleep = np.linspace(450.0, 380.0, n)
    sleep[3] = np.nan  # a missing day
    activity = np.linspace(300.0, 220.0, n)
    return DailyBiomarkerTable(
        patient_id=PatientId("p001"),
        zone=ZONE,
        dates=np.arange(np.datetime64(FIRST), np.datetime64(DAY) + 1),
        values={"sleep.duration_min": sleep, "activity.mean_counts": activity},
        coverage={Modality.ACTIGRAPHY: np.full(n, 0.95)},
    )


def _trend(biomarker: str, size: float) -> TrendFinding:
    return TrendFinding(
        biomarker=biomarker,
        direction=TrendDirection.DOWN,
        onset_date=dt.date(2026, 3, 26),
        detection_date=DAY,
        size=size,
        robust_z=-2.5,
        false_alarm_rate_per_year=0.5,
        coverage=0.95,
        days_sustained=8,
        adverse=True,
    )


@pytest.fixture
def finding() -> Finding:
    risk = RiskEstimate(
        as_of=DAY,
        probability=0.42,
        interval_low=0.3,
        interval_high=0.55,
        model_id="episode-risk",
        model_version="1.2.0",
        contributions=[
            Contribution(
                biomarker="sleep.duration_min", value=385.0, baseline=445.0, contribution=0.4
            )
        ],
    )
    return Finding(
        patient_id="p001",
        date=DAY,
        trends=[_trend("sleep.duration_min", -55.0), _trend("activity.mean_counts", -60.0)],
        risk=risk,
        coverage={Modality.ACTIGRAPHY: 0.95},
        device_id="watch-1",
    )


@pytest.fixture
def recommendation(finding: Finding) -> Recommendation:
    result = RecommendationEngine([load_builtin_protocol()]).evaluate(finding, NOW, [])
    assert len(result.new) == 1
    return result.new[0]


@pytest.fixture
def bundle(
    finding: Finding, recommendation: Recommendation, table: DailyBiomarkerTable
) -> dict[str, Any]:
    return finding_bundle(
        finding, zone=ZONE, recorded=NOW, recommendations=[recommendation], table=table
    )
