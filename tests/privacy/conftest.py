"""Shared identities and a sample finding for the privacy tests (keys are generated per session)."""

from __future__ import annotations

import datetime as dt

import pytest

from bedside.domain import Finding, Modality, RiskEstimate, TrendDirection, TrendFinding
from bedside.privacy import Identity, PartyKind

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def patient() -> Identity:
    return Identity.generate(PartyKind.PATIENT, now=T0)


@pytest.fixture(scope="session")
def clinic() -> Identity:
    return Identity.generate(PartyKind.CLINIC_SERVICE, now=T0)


@pytest.fixture(scope="session")
def stranger() -> Identity:
    return Identity.generate(PartyKind.PATIENT, now=T0)


def sample_finding(patient_id: str = "p1", day: int = 3) -> Finding:
    date = dt.date(2026, 2, day)
    return Finding(
        patient_id=patient_id,
        date=date,
        device_id="dev-1",
        trends=[
            TrendFinding(
                biomarker="sleep.duration_min",
                direction=TrendDirection.DOWN,
                onset_date=date - dt.timedelta(days=5),
                detection_date=date,
                size=-62.5,
                robust_z=-2.4,
                false_alarm_rate_per_year=0.5,
                coverage=0.9,
                days_sustained=6,
                adverse=True,
            )
        ],
        risk=RiskEstimate(
            as_of=date,
            probability=0.3,
            interval_low=0.2,
            interval_high=0.4,
            model_id="episode-risk",
            model_version="1.0.0",
        ),
        coverage={Modality.ACTIGRAPHY: 0.95},
    )
