"""Patient charts from the store: values and baseline from findings, trends, gaps, risk, PHQ-9,
EHR medications on the same axis; what is missing is said."""

from __future__ import annotations

import datetime as dt

from bedside.domain import (
    BaselineSummary,
    Finding,
    MedicationRecord,
    Modality,
    Phq9Response,
    RiskEstimate,
    TrendDirection,
    TrendFinding,
)
from bedside.fhir.medication_request import medication_request
from bedside.server.patient_charts import patient_charts
from bedside.store import MemoryStore

START = dt.date(2026, 1, 1)


def _finding(day: int, *, coverage: float = 0.95, trend: bool = False) -> Finding:
    date = START + dt.timedelta(days=day)
    trends = (
        [
            TrendFinding(
                biomarker="sleep.duration_min",
                direction=TrendDirection.DOWN,
                onset_date=START + dt.timedelta(days=10),
                detection_date=START + dt.timedelta(days=14),
                size=-60.0,
                robust_z=-2.5,
                false_alarm_rate_per_year=1.0,
                coverage=0.9,
                days_sustained=5,
                adverse=True,
            )
        ]
        if trend
        else []
    )
    return Finding(
        patient_id="p1",
        date=date,
        trends=trends,
        risk=RiskEstimate(
            as_of=date,
            probability=0.2,
            interval_low=0.1,
            interval_high=0.3,
            model_id="episode-risk",
            model_version="1.0",
        ),
        coverage={Modality.ACTIGRAPHY: coverage},
        biomarkers=[
            BaselineSummary(
                biomarker="sleep.duration_min",
                value=420.0 - (60.0 if day >= 10 else 0.0),
                baseline_median=420.0,
                baseline_scale=20.0,
            )
        ],
    )


def _store() -> MemoryStore:
    store = MemoryStore()
    for day in range(20):
        if day == 5:
            continue  # no finding at all that day
        store.findings.add(_finding(day, coverage=0.3 if day == 6 else 0.95, trend=day >= 14))
    store.phq9.add(Phq9Response(patient_id="p1", date=START + dt.timedelta(days=3), items=[1] * 9))
    store.phq9.add(Phq9Response(patient_id="p1", date=START + dt.timedelta(days=17), items=[2] * 9))
    store.fhir.put(
        medication_request(
            MedicationRecord(patient_id="p1", name="sertraline", rxnorm="36437", start=START)
        )
    )
    return store


def test_charts_carry_values_baseline_trend_gaps_risk_phq9_and_medications() -> None:
    charts = patient_charts(_store(), "p1")
    assert charts.axis is not None
    assert (charts.axis.start, charts.axis.end) == (START, START + dt.timedelta(days=19))
    assert [f.family for f in charts.families] == ["sleep"]
    (panel,) = charts.families[0].panels
    svg = str(panel.svg)
    assert 'class="trend-line"' in svg
    assert "onset 11 Jan" in svg
    assert svg.count('class="gap"') == 1  # day 5 (no finding) and day 6 (coverage 30%)
    assert "2 coverage-gap days" in panel.summary
    assert "baseline band 400 to 440" in panel.summary
    assert "Verified trend down since 2026-01-11" in panel.summary
    assert [m.name for m in charts.medications] == ["sertraline"]
    assert 'class="event"' in svg  # the medication start on the same axis
    assert charts.risk is not None
    assert "latest 20% (interval 10% to 30%)" in charts.risk.summary
    assert charts.phq9 is not None
    assert "9 on 2026-01-04, 18 on 2026-01-18" in charts.phq9.summary
    assert str(charts.phq9.svg).count('class="point"') == 2
    assert charts.missing == []


def test_a_patient_without_findings_has_no_axis_and_old_findings_say_what_is_missing() -> None:
    assert patient_charts(MemoryStore(), "nobody").axis is None
    store = MemoryStore()
    store.findings.add(Finding(patient_id="p2", date=START))
    charts = patient_charts(store, "p2")
    assert charts.families == []
    assert any("no daily biomarker values" in m for m in charts.missing)
    assert any("no episode-risk estimate" in m for m in charts.missing)
    assert any("no PHQ-9" in m for m in charts.missing)
