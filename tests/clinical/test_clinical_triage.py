"""Triage under an alert budget: nothing dropped, crises never delayed, best-first otherwise."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.clinical import AlertBudget, CareTeam, Delivery, expected_benefit, queue_order, triage
from bedside.domain import Priority, Recommendation, Role

NOW = dt.datetime(2026, 3, 11, 8, 0, tzinfo=dt.UTC)
TEAM = CareTeam(
    members={
        f"p{i}": {Role.PSYCHIATRIST: f"dr{i % 3}", Role.CARE_COORDINATOR: "cc"} for i in range(40)
    }
)
ACTIONABILITY = {"relapse_watch": 0.8, "crisis": 1.0, "data_gap": 0.5}


def rec(
    i: int,
    *,
    patient: str = "p0",
    priority: Priority = Priority.URGENT,
    p: float | None = 0.5,
    due_hours: float = 72,
    protocol: str = "relapse_watch",
    interruptive: bool = True,
    route: Role = Role.PSYCHIATRIST,
) -> Recommendation:
    return Recommendation(
        id=f"r{i}",
        patient_id=patient,
        action="Consider contacting the patient",
        priority=priority,
        created=NOW,
        due=NOW + dt.timedelta(hours=due_hours),
        expires=NOW + dt.timedelta(days=7),
        route=route,
        rationale="test",
        protocol_id=protocol,
        protocol_version="1.0.0",
        protocol_hash="0" * 64,
        risk_probability=p,
        interruptive=interruptive,
    )


def test_budget_caps_interruptions_and_queues_the_rest_best_first() -> None:
    recs = [rec(i, patient="p0", p=0.3 + i / 100) for i in range(8)]
    result = triage(recs, NOW, TEAM, AlertBudget(max_interruptive_per_day=3), ACTIONABILITY)
    interrupted = result.by_delivery(Delivery.INTERRUPTIVE)
    assert [r.id for r in interrupted] == ["r7", "r6", "r5"]
    assert len(result.by_delivery(Delivery.QUEUE)) == 5
    assert result.interruptive_count() == {"dr0": 3}


def test_crisis_bypasses_an_exhausted_budget() -> None:
    crisis = rec(99, priority=Priority.CRITICAL, protocol="crisis", p=None, due_hours=4)
    result = triage(
        [crisis], NOW, TEAM, AlertBudget(max_interruptive_per_day=0), ACTIONABILITY, {"dr0": 50}
    )
    assert result.by_delivery(Delivery.INTERRUPTIVE) == [crisis]


def test_budget_off_interrupts_everything_interruptive() -> None:
    recs = [rec(i) for i in range(8)]
    result = triage(recs, NOW, TEAM, AlertBudget(enabled=False), ACTIONABILITY)
    assert len(result.by_delivery(Delivery.INTERRUPTIVE)) == 8


def test_non_interruptive_and_info_wait_in_the_queue_and_unknown_roles_are_flagged() -> None:
    gap = rec(1, protocol="data_gap", interruptive=False, route=Role.CARE_COORDINATOR)
    info = rec(2, priority=Priority.INFO, interruptive=False)
    orphan = rec(3, patient="nobody")
    result = triage([gap, info, orphan], NOW, TEAM, AlertBudget(), ACTIONABILITY)
    assert set(r.id for r in result.by_delivery(Delivery.QUEUE)) == {"r1", "r2"}
    assert result.by_delivery(Delivery.UNASSIGNED) == [orphan]


def test_benefit_grows_with_probability_actionability_and_urgency() -> None:
    base = expected_benefit(rec(1, p=0.4), NOW, ACTIONABILITY)
    assert expected_benefit(rec(1, p=0.8), NOW, ACTIONABILITY) > base
    assert expected_benefit(rec(1, p=0.4, due_hours=4), NOW, ACTIONABILITY) > base
    assert expected_benefit(rec(1, p=0.4, protocol="data_gap"), NOW, ACTIONABILITY) < base


def test_queue_pins_critical_first_then_due() -> None:
    recs = [rec(1, due_hours=5), rec(2, priority=Priority.CRITICAL, due_hours=20), rec(3)]
    assert [r.id for r in queue_order(recs, NOW, ACTIONABILITY)] == ["r2", "r1", "r3"]


arrivals = st.lists(
    st.tuples(
        st.integers(0, 39),
        st.sampled_from(list(Priority)),
        st.floats(0.0, 1.0),
        st.floats(1.0, 160.0),
        st.booleans(),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(
    arrivals,
    st.integers(0, 6),
    st.dictionaries(st.sampled_from(["dr0", "dr1", "dr2"]), st.integers(0, 10)),
)
def test_budget_never_drops_and_never_delays_a_crisis(
    stream: list[tuple[int, Priority, float, float, bool]], budget: int, used: dict[str, int]
) -> None:
    recs = [
        rec(
            i,
            patient=f"p{pid}",
            priority=prio,
            p=p,
            due_hours=due,
            interruptive=inter or prio is Priority.CRITICAL,
            protocol="crisis" if prio is Priority.CRITICAL else "relapse_watch",
        )
        for i, (pid, prio, p, due, inter) in enumerate(stream)
    ]
    result = triage(
        recs, NOW, TEAM, AlertBudget(max_interruptive_per_day=budget), ACTIONABILITY, used
    )
    assert sorted(i.recommendation.id for i in result.items) == sorted(r.id for r in recs)
    for item in result.items:
        if item.recommendation.priority is Priority.CRITICAL:
            assert item.delivery is Delivery.INTERRUPTIVE
    non_critical: dict[str, int] = {}
    for item in result.items:
        if (
            item.delivery is Delivery.INTERRUPTIVE
            and item.recommendation.priority is not Priority.CRITICAL
        ):
            assert item.clinician is not None
            non_critical[item.clinician] = non_critical.get(item.clinician, 0) + 1
    for clinician, n in non_critical.items():
        assert used.get(clinician, 0) + n <= budget
