"""Dashboard: queue in priority order, patient page with evidence and findings, accessible HTML."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bedside.domain import (
    Evidence,
    Finding,
    Modality,
    Priority,
    Recommendation,
    RecommendationStatus,
    RiskEstimate,
    Role,
)
from bedside.server import create_app
from bedside.server.dashboard import RECENT_FINDINGS
from bedside.store import MemoryStore, create_store

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def rec(
    rec_id: str,
    patient: str,
    priority: Priority,
    due_h: float,
    status: RecommendationStatus = RecommendationStatus.OPEN,
    action: str = "Consider reviewing sleep with the patient",
) -> Recommendation:
    created = NOW - dt.timedelta(hours=1)
    return Recommendation(
        id=rec_id,
        patient_id=patient,
        action=action,
        priority=priority,
        created=created,
        due=created + dt.timedelta(hours=due_h),
        expires=created + dt.timedelta(hours=due_h + 72),
        route=Role.THERAPIST,
        rationale="Sleep shortened for nine days.",
        evidence=[
            Evidence(
                kind="trend",
                label="Sleep duration",
                statement="Down 71 min/night",
                value=389.0,
                baseline=460.0,
                unit="min",
                onset_date=dt.date(2026, 2, 20),
            )
        ],
        protocol_id="sleep-drop",
        protocol_version="1.2.0",
        protocol_hash="f00d",
        status=status,
    )


def finding(patient: str, day: int) -> Finding:
    date = dt.date(2026, 1, 1) + dt.timedelta(days=day)
    return Finding(
        patient_id=patient,
        date=date,
        risk=RiskEstimate(
            as_of=date,
            probability=0.42,
            interval_low=0.3,
            interval_high=0.55,
            model_id="episode-risk",
            model_version="0.3.1",
        ),
        coverage={Modality.ACTIGRAPHY: 0.9},
    )


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    for r in [
        rec("r-routine-early", "p2", Priority.ROUTINE, 1),
        rec("r-urgent-late", "p1", Priority.URGENT, 30),
        rec("r-crisis-late", "p3", Priority.CRITICAL, 6),
        rec("r-urgent-early", "p2", Priority.URGENT, 3),
        rec("r-crisis-early", "p1", Priority.CRITICAL, 2),
        rec("r-info", "p1", Priority.INFO, 0.5),
        rec("r-done", "p1", Priority.CRITICAL, 1, status=RecommendationStatus.COMPLETED),
    ]:
        s.recommendations.upsert(r)
    for day in range(20):
        s.findings.add(finding("p1", day))
    return s


@pytest.fixture
def kit(access_kit_factory: Any) -> Any:
    """dr-test cares for p1, p2, p3, p7 and p9, each with a valid consent."""
    return access_kit_factory(lambda: NOW, ["p1", "p2", "p3", "p7", "p9"])


def logged_in(store: Any, kit: Any) -> TestClient:
    app = create_app(store, clock=lambda: NOW, access=kit.access)
    return TestClient(app, headers=kit.headers("dr-test"))


@pytest.fixture
def client(store: MemoryStore, kit: Any) -> TestClient:
    return logged_in(store, kit)


class Collect(HTMLParser):
    """Collects tags with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Collect()
    parser.feed(html)
    return parser.tags


def test_queue_lists_open_recommendations_by_tier_then_due(client: TestClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    ids = [a["data-rec-id"] for tag, a in parse(resp.text) if tag == "tr" and "data-rec-id" in a]
    assert ids == [
        "r-crisis-early",
        "r-crisis-late",
        "r-urgent-early",
        "r-urgent-late",
        "r-routine-early",
        "r-info",
    ]
    rows = [a for tag, a in parse(resp.text) if tag == "tr" and "data-rec-id" in a]
    assert ["crisis" in (a["class"] or "") for a in rows] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_queue_is_accessible_markup_without_external_assets(client: TestClient) -> None:
    html = client.get("/").text
    tags = parse(html)
    assert ("html", {"lang": "en"}) in tags
    headers = [a for tag, a in tags if tag == "th" and a.get("scope") == "col"]
    assert len(headers) == 6
    assert not [a for tag, a in tags if tag in ("script", "link", "img")]
    assert "http://" not in html
    assert "https://" not in html
    assert '<a href="/patients/p1">p1</a>' in html


def test_queue_escapes_untrusted_text(store: MemoryStore, kit: Any) -> None:
    store.recommendations.upsert(
        rec("x", "p9", Priority.INFO, 1, action="<script>alert(1)</script>")
    )
    html = logged_in(store, kit).get("/").text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_empty_queue_says_so(kit: Any) -> None:
    html = logged_in(MemoryStore(), kit).get("/").text
    assert "No open recommendations." in html


def test_patient_page_shows_recommendations_evidence_and_recent_findings(
    client: TestClient,
) -> None:
    resp = client.get("/patients/p1")
    assert resp.status_code == 200
    html = resp.text
    tags = parse(html)
    sections = [a["data-rec-id"] for tag, a in tags if tag == "section" and "data-rec-id" in a]
    assert sections == ["r-crisis-early", "r-urgent-late", "r-info", "r-done"]
    assert "Down 71 min/night" in html
    assert "389 min" in html
    assert "sleep-drop version 1.2.0" in html
    assert "42% (30-55%)" in html
    dates = re.findall(r'<th scope="row"><time datetime="(\d{4}-\d\d-\d\d)"', html)
    newest = dt.date(2026, 1, 20)
    assert dates == [(newest - dt.timedelta(days=i)).isoformat() for i in range(RECENT_FINDINGS)]


def test_patient_without_data_page_says_there_is_nothing(client: TestClient) -> None:
    resp = client.get("/patients/p9")
    assert resp.status_code == 200
    assert "No recommendations for this patient." in resp.text
    assert "No findings received for this patient." in resp.text


def test_app_serves_from_a_sqlite_store(tmp_path: Path, kit: Any) -> None:
    sql = create_store(f"sqlite:///{tmp_path / 'clinic.db'}")
    sql.recommendations.upsert(rec("r-sql", "p7", Priority.URGENT, 2))
    sql.findings.add(finding("p7", 3))
    with logged_in(sql, kit) as client:
        ids = [a.get("data-rec-id") for tag, a in parse(client.get("/").text) if tag == "tr"]
        assert "r-sql" in ids
        assert "2026-01-04" in client.get("/patients/p7").text
    sql.close()
