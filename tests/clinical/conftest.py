"""Builders for clinical tests: findings, trends, risks, PHQ-9s on fixed dates."""

from __future__ import annotations

import datetime as dt

from bedside.domain import (
    Finding,
    Modality,
    Phq9Response,
    RiskEstimate,
    TrendDirection,
    TrendFinding,
)

DAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 11, 6, 0, tzinfo=dt.UTC)
PATIENT = "p001"


def make_trend(
    biomarker: str,
    *,
    onset: dt.date,
    detected: dt.date,
    direction: TrendDirection = TrendDirection.DOWN,
    adverse: bool = True,
    coverage: float = 0.95,
) -> TrendFinding:
    return TrendFinding(
        biomarker=biomarker,
        direction=direction,
        onset_date=onset,
        detection_date=detected,
        size=-40.0,
        robust_z=-2.1,
        false_alarm_rate_per_year=0.5,
        coverage=coverage,
        days_sustained=max(1, (detected - onset).days + 1),
        adverse=adverse,
    )


def make_risk(day: dt.date, p: float) -> RiskEstimate:
    return RiskEstimate(
        as_of=day,
        probability=p,
        interval_low=max(0.0, p - 0.1),
        interval_high=min(1.0, p + 0.1),
        model_id="episode-risk",
        model_version="1.2.0",
    )


def make_finding(
    day: dt.date,
    *,
    trends: list[TrendFinding] | None = None,
    p: float | None = 0.05,
    coverage: float = 0.9,
    patient: str = PATIENT,
) -> Finding:
    return Finding(
        patient_id=patient,
        date=day,
        trends=trends or [],
        risk=None if p is None else make_risk(day, p),
        coverage={Modality.ACTIGRAPHY: coverage},
        device_id="watch-1",
    )


def phq9(day: dt.date, total: int, item9: int = 0, patient: str = PATIENT) -> Phq9Response:
    """A PHQ-9 with the given total and item 9 (the rest spread over items 1-8)."""
    rest = total - item9
    items = [min(3, max(0, rest - 3 * i)) for i in range(8)]
    assert sum(items) == rest, "total too high for items 1-8"
    return Phq9Response(patient_id=patient, date=day, items=[*items, item9])


def days_before(day: dt.date, n: int) -> list[dt.date]:
    """The n days ending on `day`, oldest first."""
    return [day - dt.timedelta(days=n - 1 - k) for k in range(n)]
