"""POST /recommendations/{id}/status: access-checked, audited, history and Task updated."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bedside.domain import Evidence, Priority, Recommendation, RecommendationStatus, Role
from bedside.fhir.tasks import recommendation_task
from bedside.server import create_app
from bedside.store import MemoryStore

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _rec(rec_id: str, patient: str) -> Recommendation:
    return Recommendation(
        id=rec_id,
        patient_id=patient,
        action="Consider a follow-up call",
        priority=Priority.URGENT,
        created=NOW - dt.timedelta(hours=1),
        due=NOW + dt.timedelta(hours=5),
        expires=NOW + dt.timedelta(days=3),
        route=Role.PSYCHIATRIST,
        rationale="Risk rose.",
        evidence=[Evidence(kind="risk", label="Risk", statement="Up to 42%")],
        protocol_id="relapse_watch",
        protocol_version="1.0.0",
        protocol_hash="beef",
    )


@pytest.fixture
def setup(access_kit_factory: Any) -> tuple[Any, Any, MemoryStore]:
    kit = access_kit_factory(lambda: NOW, ["p1", "p2"])
    kit.consents.revoke("consent-p2", NOW - dt.timedelta(hours=1))
    store = MemoryStore(clock=lambda: NOW)
    for rec in (_rec("r1", "p1"), _rec("r2", "p2")):
        store.recommendations.upsert(rec)
        store.fhir.put(recommendation_task(rec))
    app = create_app(store, clock=lambda: NOW, access=kit.access)
    return kit, app, store


def _post(app: Any, kit: Any, who: str, rec_id: str, **body: str) -> Any:
    client = TestClient(app, headers=kit.headers(who))
    return client.post(f"/recommendations/{rec_id}/status", json=body)


def test_psychiatrist_accepts_then_completes_with_history_task_and_audit(setup: Any) -> None:
    kit, app, store = setup
    accepted = _post(app, kit, "dr-test", "r1", status="accepted")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    task_id = recommendation_task(_rec("r1", "p1"))["id"]
    assert store.fhir.get("Task", task_id)["status"] == "accepted"
    assert _post(app, kit, "dr-test", "r1", status="completed").status_code == 200
    assert store.fhir.get("Task", task_id)["status"] == "completed"
    history = store.recommendations.history("r1")
    assert [(h.status.value, h.who) for h in history] == [
        ("accepted", "dr-test"),
        ("completed", "dr-test"),
    ]
    # The access decision, then the change itself with the new status.
    access_entry, change = kit.entries()[-2:]
    assert (access_entry.actor, access_entry.action, access_entry.subject) == (
        "dr-test",
        "access.recommendation_action",
        "p1",
    )
    assert access_entry.outcome == "allowed"
    assert (change.actor, change.action, change.subject, change.outcome) == (
        "dr-test",
        "recommendation.status",
        "p1",
        "completed",
    )
    assert _post(app, kit, "dr-test", "r1", status="accepted").status_code == 409


def test_dismiss_needs_a_reason(setup: Any) -> None:
    kit, app, store = setup
    assert _post(app, kit, "th-test", "r1", status="dismissed").status_code == 422
    ok = _post(app, kit, "th-test", "r1", status="dismissed", reason="seen yesterday")
    assert ok.status_code == 200
    assert store.recommendations.history("r1")[-1].reason == "seen yesterday"


@pytest.mark.parametrize(
    ("who", "rec_id", "status", "why"),
    [
        ("aud-test", "r1", 403, "role auditor may not act on recommendation"),
        ("dr-outside", "r1", 403, "not in the care team"),
        ("dr-test", "r2", 403, "revoked"),
    ],
)
def test_refusals_change_nothing_and_are_audited(
    setup: Any, who: str, rec_id: str, status: int, why: str
) -> None:
    kit, app, store = setup
    response = _post(app, kit, who, rec_id, status="accepted")
    assert response.status_code == status
    assert why in response.json()["detail"]
    assert store.recommendations.get(rec_id).status is RecommendationStatus.OPEN  # type: ignore[union-attr]
    assert store.recommendations.history(rec_id) == []
    assert kit.entries()[-1].outcome == "denied"


def test_unknown_recommendation_is_404_and_anonymous_401(setup: Any) -> None:
    kit, app, _ = setup
    assert _post(app, kit, "dr-test", "nope", status="accepted").status_code == 404
    anonymous = TestClient(app).post("/recommendations/r1/status", json={"status": "accepted"})
    assert anonymous.status_code == 401
