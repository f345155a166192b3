"""Dashboard forms and views: recommendation page, accept / complete / dismiss with a reason /
snooze (Task status, Provenance, audit), queue filters and budget, the auditor's view."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bedside.domain import Evidence, Priority, Recommendation, Role
from bedside.fhir.tasks import recommendation_task
from bedside.server import create_app
from bedside.store import MemoryStore

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _rec(
    rec_id: str, patient: str, priority: Priority = Priority.URGENT, **kw: Any
) -> Recommendation:
    fields: dict[str, Any] = {
        "id": rec_id,
        "patient_id": patient,
        "action": "Consider a follow-up call",
        "priority": priority,
        "created": NOW - dt.timedelta(hours=1),
        "due": NOW + dt.timedelta(hours=5),
        "expires": NOW + dt.timedelta(days=3),
        "route": Role.PSYCHIATRIST,
        "rationale": "Risk rose.",
        "evidence": [Evidence(kind="risk", label="Risk", statement="Up to 42%")],
        "protocol_id": "relapse_watch",
        "protocol_version": "1.0.0",
        "protocol_hash": "beef",
    }
    fields.update(kw)
    return Recommendation(**fields)


@pytest.fixture
def setup(access_kit_factory: Any) -> tuple[Any, Any, MemoryStore]:
    kit = access_kit_factory(lambda: NOW, ["p1", "p2"])
    store = MemoryStore(clock=lambda: NOW)
    for rec in (
        _rec("r1", "p1"),
        _rec("r2", "p1", protocol_id="data_gap", route=Role.CARE_COORDINATOR),
        _rec("crisis", "p2", Priority.CRITICAL, protocol_id="crisis"),
    ):
        store.recommendations.upsert(rec)
        store.fhir.put(recommendation_task(rec))
    app = create_app(store, clock=lambda: NOW, access=kit.access)
    return kit, app, store


def _client(app: Any, kit: Any, who: str = "dr-test") -> TestClient:
    return TestClient(app, headers=kit.headers(who), follow_redirects=False)


def _task_status(store: MemoryStore, rec_id: str) -> str:
    task = store.fhir.get("Task", recommendation_task(_rec(rec_id, "p1"))["id"])
    assert task is not None
    return str(task["status"])


def test_accept_form_changes_task_writes_provenance_and_audit(setup: Any) -> None:
    kit, app, store = setup
    client = _client(app, kit)
    page = client.get("/recommendations/r1")
    assert page.status_code == 200
    assert 'id="form-accept"' in page.text
    assert "relapse_watch version 1.0.0" in page.text
    resp = client.post("/recommendations/r1/action", data={"action": "accept"})
    assert resp.status_code == 303
    assert resp.headers["location"] == "/recommendations/r1?notice=Accepted"
    assert _task_status(store, "r1") == "accepted"
    entries = [e for e in kit.entries() if e.action == "recommendation.status"]
    assert [(e.actor, e.subject, e.outcome) for e in entries] == [("dr-test", "p1", "accepted")]
    after = client.get("/recommendations/r1").text
    assert "clinician accepted" in after  # the decision's Provenance in the chain
    assert 'id="form-accept"' not in after


def test_dismiss_needs_a_listed_reason_and_the_audit_log_keeps_it(setup: Any) -> None:
    kit, app, store = setup
    client = _client(app, kit)
    refused = client.post("/recommendations/r1/action", data={"action": "dismiss"})
    assert refused.status_code == 400
    assert _task_status(store, "r1") == "requested"
    resp = client.post(
        "/recommendations/r1/action",
        data={"action": "dismiss", "reason": "recipient-disagrees-evidence", "note": "seen today"},
    )
    assert resp.status_code == 303
    (entry,) = [e for e in kit.entries() if e.action == "recommendation.status"]
    assert entry.outcome == "dismissed"
    assert entry.detail["reason"] == (
        "recipient-disagrees-evidence: Disagree with the evidence. seen today"
    )
    assert store.recommendations.history("r1")[-1].reason == entry.detail["reason"]


def test_snooze_hides_from_the_queue_but_a_crisis_cannot_be_snoozed(setup: Any) -> None:
    kit, app, store = setup
    client = _client(app, kit)
    ok = client.post("/recommendations/r1/action", data={"action": "snooze", "hours": "4"})
    assert ok.status_code == 303
    assert store.recommendations.get("r1").snoozed_until == NOW + dt.timedelta(hours=4)
    queue = client.get("/").text
    assert 'data-rec-id="r1"' not in queue
    assert "1 snoozed not shown" in queue
    crisis = client.post("/recommendations/crisis/action", data={"action": "snooze", "hours": "4"})
    assert crisis.status_code == 409
    assert "critical" in crisis.text
    bad = client.post("/recommendations/r2/action", data={"action": "snooze", "hours": "999"})
    assert bad.status_code == 400


def test_cross_site_posts_and_wrong_roles_are_refused(setup: Any) -> None:
    kit, app, store = setup
    evil = _client(app, kit).post(
        "/recommendations/r1/action",
        data={"action": "accept"},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    auditor = _client(app, kit, "aud-test").post(
        "/recommendations/r1/action", data={"action": "accept"}
    )
    assert auditor.status_code == 403
    outsider = _client(app, kit, "dr-outside").get("/recommendations/r1")
    assert outsider.status_code == 403
    assert _task_status(store, "r1") == "requested"


def test_queue_filters_keep_crises_pinned_and_show_budget_use(setup: Any) -> None:
    kit, app, _store = setup
    client = _client(app, kit)
    html = client.get("/", params={"protocol": "data_gap"}).text
    assert 'data-rec-id="crisis"' in html  # pinned whatever the filter
    assert 'data-rec-id="r2"' in html
    assert 'data-rec-id="r1"' not in html
    assert html.index('data-rec-id="crisis"') < html.index('data-rec-id="r2"')
    by_role = client.get("/", params={"role": "care_coordinator"}).text
    assert 'data-rec-id="r2"' in by_role
    assert 'data-rec-id="r1"' not in by_role
    # r1 (routed to the psychiatrist, dr-test) counts; r2 goes to cc-test; the crisis never counts.
    assert "1 of 5 interruptive" in client.get("/").text


def test_audit_view_is_for_auditors_and_shows_chain_and_attestation(setup: Any) -> None:
    kit, app, _store = setup
    _client(app, kit).post(
        "/recommendations/r1/action",
        data={"action": "dismiss", "reason": "cds-not-applicable"},
    )
    assert _client(app, kit).get("/audit").status_code == 403
    home = _client(app, kit, "aud-test").get("/", headers={"Accept": "text/html"})
    assert (home.status_code, home.headers["location"]) == (303, "/audit")
    page = _client(app, kit, "aud-test").get("/audit", params={"action": "recommendation.status"})
    assert page.status_code == 200
    assert "intact" in page.text
    assert "unattested" in page.text
    assert page.text.count('class="audit-row"') == 1
    assert "cds-not-applicable: Does not apply to this patient" in page.text


def test_care_coordinator_sees_the_queue_without_links_to_clinical_pages(setup: Any) -> None:
    kit, app, _store = setup
    client = _client(app, kit, "cc-test")
    queue = client.get("/")
    assert queue.status_code == 200
    assert 'data-rec-id="r2"' in queue.text
    assert 'href="/patients/' not in queue.text  # findings and risk are not theirs to read
    assert client.get("/recommendations/r2").status_code == 200
    assert client.get("/patients/p1").status_code == 403
