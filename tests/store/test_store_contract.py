"""Contract tests shared by every Store implementation: in-memory twin, SQLite file, PostgreSQL.

The PostgreSQL runs use $BEDSIDE_TEST_POSTGRES_URL (a fresh schema per test); they skip locally
without it and fail in CI.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bedside.domain import (
    Evidence,
    Finding,
    Modality,
    Phq9Response,
    Priority,
    Recommendation,
    RecommendationStatus,
    RiskEstimate,
    Role,
    StoreError,
    TrendDirection,
    TrendFinding,
)
from bedside.store import MemoryStore, Store, create_store

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


class StepClock:
    """A clock that advances one second per call."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    clock = StepClock()
    made: Store
    if request.param == "memory":
        made = MemoryStore(clock=clock)
    elif request.param == "sqlite":
        made = create_store(f"sqlite:///{tmp_path / 'bedside.db'}", clock=clock)
    else:
        made = create_store(request.getfixturevalue("postgres_url"), clock=clock)
    yield made
    made.close()


def make_finding(patient: str, day: int, device: str = "dev-1", p: float = 0.3) -> Finding:
    date = dt.date(2026, 2, day)
    return Finding(
        patient_id=patient,
        date=date,
        device_id=device,
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
            probability=p,
            interval_low=max(0.0, p - 0.1),
            interval_high=min(1.0, p + 0.1),
            model_id="episode-risk",
            model_version="1.0.0",
        ),
        coverage={Modality.ACTIGRAPHY: 0.95},
    )


def make_rec(
    rec_id: str,
    patient: str = "p1",
    priority: Priority = Priority.ROUTINE,
    due_h: float = 24.0,
    status: RecommendationStatus = RecommendationStatus.OPEN,
    expires_h: float = 72.0,
) -> Recommendation:
    return Recommendation(
        id=rec_id,
        patient_id=patient,
        action="Consider a check-in call about sleep",
        priority=priority,
        created=T0,
        due=T0 + dt.timedelta(hours=due_h),
        expires=T0 + dt.timedelta(hours=max(due_h, expires_h)),
        route=Role.CARE_COORDINATOR,
        rationale="Sleep shortened for six days.",
        evidence=[Evidence(kind="trend", label="Sleep duration", statement="Sleep down 62 min")],
        protocol_id="sleep-drop",
        protocol_version="1.0.0",
        protocol_hash="abc123",
        status=status,
    )


# -- findings -------------------------------------------------------------------------------------


def test_findings_round_trip_equal(store: Store) -> None:
    f = make_finding("p1", 3)
    store.findings.add(f)
    assert store.findings.list_for_patient("p1") == [f]
    assert store.findings.list_for_patient("p2") == []


def test_findings_ordered_by_date_and_filtered_by_patient(store: Store) -> None:
    for day in (5, 2, 9):
        store.findings.add(make_finding("p1", day))
    store.findings.add(make_finding("p2", 4))
    dates = [f.date.day for f in store.findings.list_for_patient("p1")]
    assert dates == [2, 5, 9]


def test_finding_redelivery_replaces_same_day_and_device(store: Store) -> None:
    store.findings.add(make_finding("p1", 3, p=0.2))
    store.findings.add(make_finding("p1", 3, p=0.7))
    store.findings.add(make_finding("p1", 3, device="dev-2", p=0.4))
    got = store.findings.list_for_patient("p1")
    assert [(f.device_id, f.risk.probability if f.risk else None) for f in got] == [
        ("dev-1", 0.7),
        ("dev-2", 0.4),
    ]


def test_latest_finding_is_the_last_listed(store: Store) -> None:
    assert store.findings.latest_for_patient("p1") is None
    for day, device in ((5, "dev-1"), (9, "dev-1"), (2, "dev-1"), (9, "dev-2")):
        store.findings.add(make_finding("p1", day, device=device))
    store.findings.add(make_finding("p2", 12))
    latest = store.findings.latest_for_patient("p1")
    assert latest is not None
    assert latest == store.findings.list_for_patient("p1")[-1]
    assert (latest.date.day, latest.device_id) == (9, "dev-2")


def test_patient_ids_lists_each_patient_with_findings_once(store: Store) -> None:
    assert store.findings.patient_ids() == []
    for patient, day in (("p2", 1), ("p1", 3), ("p2", 4)):
        store.findings.add(make_finding(patient, day))
    assert store.findings.patient_ids() == ["p1", "p2"]


def test_phq9_round_trip_ordered_and_replaced_per_day_and_source(store: Store) -> None:
    def answer(day: int, item9: int, source: str = "device") -> Phq9Response:
        return Phq9Response(
            patient_id="p1", date=dt.date(2026, 3, day), items=[1] * 8 + [item9], source=source
        )

    store.phq9.add(answer(5, 0))
    store.phq9.add(answer(2, 1))
    store.phq9.add(answer(5, 2))
    store.phq9.add(answer(5, 3, source="ehr"))
    assert store.phq9.list_for_patient("p1") == [answer(2, 1), answer(5, 2), answer(5, 3, "ehr")]
    assert store.phq9.list_for_patient("p2") == []


# -- recommendations ------------------------------------------------------------------------------


def test_recommendation_round_trip_and_missing(store: Store) -> None:
    rec = make_rec("r1")
    store.recommendations.upsert(rec)
    assert store.recommendations.get("r1") == rec
    assert store.recommendations.get("nope") is None


def test_upsert_replaces(store: Store) -> None:
    store.recommendations.upsert(make_rec("r1", priority=Priority.ROUTINE))
    store.recommendations.upsert(make_rec("r1", priority=Priority.CRITICAL))
    got = store.recommendations.get("r1")
    assert got is not None
    assert got.priority is Priority.CRITICAL
    assert len(store.recommendations.list_open()) == 1


def test_list_open_in_queue_order(store: Store) -> None:
    recs = [
        make_rec("a", priority=Priority.ROUTINE, due_h=1),
        make_rec("b", priority=Priority.CRITICAL, due_h=10),
        make_rec("c", priority=Priority.CRITICAL, due_h=2),
        make_rec("d", priority=Priority.URGENT, due_h=0.5),
        make_rec("e", priority=Priority.INFO, due_h=0.1),
        make_rec("f", priority=Priority.URGENT, due_h=5, status=RecommendationStatus.DISMISSED),
    ]
    for rec in recs:
        store.recommendations.upsert(rec)
    assert [r.id for r in store.recommendations.list_open()] == ["c", "b", "d", "a", "e"]


def test_list_open_as_of_leaves_out_expired(store: Store) -> None:
    store.recommendations.upsert(make_rec("soon", expires_h=30))
    store.recommendations.upsert(make_rec("late", expires_h=100))
    as_of = T0 + dt.timedelta(hours=50)
    assert [r.id for r in store.recommendations.list_open(as_of=as_of)] == ["late"]
    assert len(store.recommendations.list_open()) == 2


def test_list_for_patient_includes_closed(store: Store) -> None:
    store.recommendations.upsert(make_rec("r1", patient="p1"))
    store.recommendations.upsert(
        make_rec(
            "r2", patient="p1", status=RecommendationStatus.COMPLETED, priority=Priority.URGENT
        )
    )
    store.recommendations.upsert(make_rec("r3", patient="p2"))
    assert [r.id for r in store.recommendations.list_for_patient("p1")] == ["r2", "r1"]


def test_set_status_records_feedback(store: Store) -> None:
    store.recommendations.upsert(make_rec("r1"))
    when = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    new = store.recommendations.set_status(
        "r1", RecommendationStatus.DISMISSED, "clin-7", when, "patient already seen"
    )
    assert new.status is RecommendationStatus.DISMISSED
    stored = store.recommendations.get("r1")
    assert stored is not None
    assert stored.status is RecommendationStatus.DISMISSED
    assert store.recommendations.list_open() == []
    store.recommendations.set_status("r1", RecommendationStatus.OPEN, "clin-8", when, "")
    history = store.recommendations.history("r1")
    assert [(h.previous_status, h.status, h.who) for h in history] == [
        (RecommendationStatus.OPEN, RecommendationStatus.DISMISSED, "clin-7"),
        (RecommendationStatus.DISMISSED, RecommendationStatus.OPEN, "clin-8"),
    ]
    assert history[0].when == when
    assert history[0].when.utcoffset() == dt.timedelta(0)
    assert history[0].reason == "patient already seen"


def test_set_status_unknown_or_naive_raises_and_writes_nothing(store: Store) -> None:
    with pytest.raises(StoreError, match="nope"):
        store.recommendations.set_status("nope", RecommendationStatus.ACCEPTED, "c", T0, "")
    store.recommendations.upsert(make_rec("r1"))
    with pytest.raises(StoreError, match="timezone"):
        store.recommendations.set_status(
            "r1", RecommendationStatus.ACCEPTED, "c", dt.datetime(2026, 3, 1), ""
        )
    assert store.recommendations.history("r1") == []
    got = store.recommendations.get("r1")
    assert got is not None
    assert got.status is RecommendationStatus.OPEN


# -- FHIR resources -------------------------------------------------------------------------------


def observation(oid: str, patient: str, value: float = 1.0) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "subject": {"reference": f"Patient/{patient}"},
        "valueQuantity": {"value": value, "unit": "min"},
        "meta": {"profile": ["http://example.org/p"]},
    }


def test_fhir_put_get_versions(store: Store) -> None:
    first = store.fhir.put(observation("o1", "p1", 1.0))
    second = store.fhir.put(observation("o1", "p1", 2.0))
    assert first["meta"]["versionId"] == "1"
    assert second["meta"]["versionId"] == "2"
    assert second["meta"]["profile"] == ["http://example.org/p"]
    assert second["meta"]["lastUpdated"] > first["meta"]["lastUpdated"]
    got = store.fhir.get("Observation", "o1")
    assert got == second
    assert got is not None
    assert got["valueQuantity"]["value"] == 2.0
    assert store.fhir.get("Observation", "o2") is None
    assert store.fhir.get("Patient", "o1") is None


def test_fhir_put_does_not_share_state_with_caller(store: Store) -> None:
    resource = observation("o1", "p1")
    store.fhir.put(resource)
    assert "versionId" not in resource["meta"]  # type: ignore[operator]
    got = store.fhir.get("Observation", "o1")
    assert got is not None
    got["status"] = "cancelled"
    again = store.fhir.get("Observation", "o1")
    assert again is not None
    assert again["status"] == "final"


def test_fhir_search_by_type_and_patient(store: Store) -> None:
    store.fhir.put(observation("o2", "p1"))
    store.fhir.put(observation("o1", "p1"))
    store.fhir.put(observation("o3", "p2"))
    store.fhir.put({"resourceType": "Patient", "id": "p1"})
    store.fhir.put({"resourceType": "Task", "id": "t1", "for": {"reference": "Patient/p1"}})
    assert [r["id"] for r in store.fhir.search("Observation")] == ["o1", "o2", "o3"]
    assert [r["id"] for r in store.fhir.search("Observation", patient="p1")] == ["o1", "o2"]
    assert [r["id"] for r in store.fhir.search("Task", patient="p1")] == ["t1"]
    assert [r["id"] for r in store.fhir.search("Patient", patient="p1")] == ["p1"]
    assert store.fhir.search("Observation", patient="p9") == []


@pytest.mark.parametrize(
    "bad", [{"id": "x"}, {"resourceType": "Observation"}, {"resourceType": "", "id": "x"}]
)
def test_fhir_put_rejects_resources_without_type_or_id(
    store: Store, bad: dict[str, object]
) -> None:
    with pytest.raises(StoreError):
        store.fhir.put(bad)


def test_fhir_put_many_versions_like_successive_puts(store: Store) -> None:
    store.fhir.put(observation("o1", "p1", 1.0))
    stored = store.fhir.put_many(
        [observation("o1", "p1", 2.0), observation("o2", "p2"), observation("o1", "p1", 3.0)]
    )
    assert [(r["id"], r["meta"]["versionId"]) for r in stored] == [
        ("o1", "2"),
        ("o2", "1"),
        ("o1", "3"),
    ]
    assert store.fhir.get("Observation", "o1") == stored[2]
    assert store.fhir.get("Observation", "o2") == stored[1]
    assert store.fhir.put_many([]) == []


def test_fhir_put_many_writes_nothing_when_one_resource_is_bad(store: Store) -> None:
    with pytest.raises(StoreError):
        store.fhir.put_many([observation("o1", "p1"), {"resourceType": "Observation"}])
    assert store.fhir.get("Observation", "o1") is None


# -- SQLite specifics -----------------------------------------------------------------------------


def test_sqlite_file_persists_and_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    first = create_store(f"sqlite:///{path}")
    first.recommendations.upsert(make_rec("r1"))
    first.findings.add(make_finding("p1", 3))
    with first.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    first.close()
    second = create_store(f"sqlite:///{path}")
    assert second.recommendations.get("r1") == make_rec("r1")
    assert len(second.findings.list_for_patient("p1")) == 1
    second.close()
    # The feedback table refuses rows about recommendations that do not exist.
    raw = sqlite3.connect(path)
    try:
        raw.execute("PRAGMA foreign_keys=ON")
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(
                "INSERT INTO recommendation_feedback "
                "(recommendation_id, previous_status, status, who, at, reason) "
                "VALUES ('ghost', 'open', 'accepted', 'c', 'x', '')"
            )
    finally:
        raw.close()


def test_in_memory_sqlite_url_shares_one_database() -> None:
    made = create_store("sqlite://")
    made.recommendations.upsert(make_rec("r1"))
    assert made.recommendations.get("r1") is not None
    made.close()


@pytest.mark.parametrize("url", ["not a url", "nosuchdialect://x"])
def test_bad_url_raises_store_error(url: str) -> None:
    with pytest.raises(StoreError):
        create_store(url)


def test_both_implementations_satisfy_the_protocols() -> None:
    from bedside.store import (
        FhirResourceRepository,
        FindingRepository,
        Phq9Repository,
        RecommendationRepository,
    )

    stores: list[Callable[[], Store]] = [MemoryStore, lambda: create_store("sqlite://")]
    for factory in stores:
        made = factory()
        assert isinstance(made.findings, FindingRepository)
        assert isinstance(made.recommendations, RecommendationRepository)
        assert isinstance(made.fhir, FhirResourceRepository)
        assert isinstance(made.phq9, Phq9Repository)
        made.close()
