"""The clinic's daily round: findings from the store, context from the EHR, recommendations out."""

from __future__ import annotations

import datetime as dt

import pytest

from bedside.clinical import AlertBudget, CareTeam, Delivery, ReasonCode
from bedside.domain import (
    Finding,
    MedicationRecord,
    Modality,
    Phq9Response,
    Priority,
    RecommendationStatus,
    Role,
)
from bedside.fhir import EhrContext, EhrUnavailableError, Phq9Score
from bedside.server.clinic_round import run_clinic_round
from bedside.store import MemoryStore

DAY = dt.date(2026, 3, 20)
NOW = dt.datetime(2026, 3, 20, 22, 59, tzinfo=dt.UTC)


def store_with(*patients: str) -> MemoryStore:
    store = MemoryStore()
    for pid in patients:
        for k in range(10):
            store.findings.add(
                Finding(
                    patient_id=pid,
                    date=DAY - dt.timedelta(days=k),
                    coverage={Modality.ACTIGRAPHY: 0.95},
                    device_id=f"dev-{pid}",
                )
            )
    return store


def ehr_with_item9(item9: int, on: dt.date = DAY) -> dict[str, EhrContext]:
    return {"p1": EhrContext("p1", phq9_scores=[Phq9Score(on, total=14, item9=item9)])}


def test_an_item9_observation_in_the_ehr_raises_a_critical_recommendation() -> None:
    store = store_with("p1", "p2")
    contexts = ehr_with_item9(1)
    report = run_clinic_round(store, DAY, NOW, ehr=lambda pid: contexts.get(pid, EhrContext(pid)))
    assert [p.patient_id for p in report.patients] == ["p1", "p2"]
    crisis = [r for r in report.new if r.protocol_id == "crisis"]
    assert [r.patient_id for r in crisis] == ["p1"]
    assert crisis[0].priority is Priority.CRITICAL
    assert "item 9 = 1" in " ".join(e.statement for e in crisis[0].evidence)
    assert store.recommendations.get(crisis[0].id) == crisis[0]


def test_a_negative_item9_raises_nothing() -> None:
    store = store_with("p1")
    contexts = ehr_with_item9(0)
    report = run_clinic_round(store, DAY, NOW, ehr=contexts.__getitem__)
    assert [r for r in report.new if r.protocol_id == "crisis"] == []


def test_an_item9_after_the_day_is_not_seen_by_a_replay() -> None:
    store = store_with("p1")
    contexts = ehr_with_item9(2, on=DAY + dt.timedelta(days=1))
    report = run_clinic_round(store, DAY, NOW, ehr=contexts.__getitem__)
    assert report.new == []


def test_rerunning_a_day_updates_instead_of_duplicating() -> None:
    store = store_with("p1")
    contexts = ehr_with_item9(1)
    first = run_clinic_round(store, DAY, NOW, ehr=contexts.__getitem__)
    second = run_clinic_round(store, DAY, NOW, ehr=contexts.__getitem__)
    assert len(first.new) == 1
    assert second.new == []
    assert len(store.recommendations.list_for_patient("p1")) == 1


def test_an_unreadable_ehr_is_reported_and_the_patient_still_evaluated() -> None:
    store = store_with("p1", "p2")

    def reader(pid: str) -> EhrContext:
        if pid == "p2":
            raise EhrUnavailableError("connection refused")
        return EhrContext(pid)

    report = run_clinic_round(store, DAY, NOW, ehr=reader)
    assert set(report.ehr_errors) == {"p2"}
    assert "connection refused" in report.ehr_errors["p2"]
    p2 = next(p for p in report.patients if p.patient_id == "p2")
    assert p2.result.decision("crisis").fired is False


def test_ehr_medications_reach_the_protocols() -> None:
    start = DAY - dt.timedelta(days=5)
    context = EhrContext(
        "p1", medications=[MedicationRecord(patient_id="p1", name="sertraline", start=start)]
    )
    with_ehr = run_clinic_round(store_with("p1"), DAY, NOW, ehr=lambda pid: context)
    without = run_clinic_round(store_with("p1"), DAY, NOW)
    # no trend in the findings, so it does not fire; the reason shows whether it saw the drug
    seen = with_ehr.patients[0].result.decision("medication_effect")
    blind = without.patients[0].result.decision("medication_effect")
    assert not seen.fired
    assert not blind.fired
    assert [r.code for r in seen.reasons] == [ReasonCode.TOO_FEW_ADVERSE_TRENDS]
    assert [r.code for r in blind.reasons] == [ReasonCode.NO_EVENT]


def test_crisis_bypasses_a_zero_budget_in_triage() -> None:
    store = store_with("p1")
    team = CareTeam(members={"p1": {Role.PSYCHIATRIST: "dr-a", Role.CARE_COORDINATOR: "cc-a"}})
    contexts = ehr_with_item9(3)
    report = run_clinic_round(
        store,
        DAY,
        NOW,
        ehr=contexts.__getitem__,
        team=team,
        budget=AlertBudget(max_interruptive_per_day=0),
    )
    assert report.triage is not None
    interrupting = report.triage.by_delivery(Delivery.INTERRUPTIVE)
    assert [r.protocol_id for r in interrupting] == ["crisis"]
    assert interrupting[0].status is RecommendationStatus.OPEN


def test_naive_time_and_half_triage_settings_are_refused() -> None:
    store = store_with("p1")
    with pytest.raises(ValueError, match="timezone-aware"):
        run_clinic_round(store, DAY, dt.datetime(2026, 3, 20, 23, 59))
    with pytest.raises(ValueError, match="team and budget"):
        run_clinic_round(store, DAY, NOW, team=CareTeam())


def test_a_device_phq9_in_the_store_raises_a_crisis_without_any_ehr() -> None:
    store = store_with("p1")
    store.phq9.add(Phq9Response(patient_id="p1", date=DAY, items=[0] * 8 + [1], source="device"))
    report = run_clinic_round(store, DAY, NOW)
    assert [r.protocol_id for r in report.new] == ["crisis"]
    assert "device" in " ".join(e.statement for e in report.new[0].evidence)
