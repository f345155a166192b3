"""A small synthetic clinic for the dashboard's browser tests and its bench.

Two patients (``p1``, ``p2``) with 45 days of findings each (daily sleep duration and activity
against a baseline, a verified sleep trend from day 30, a day without a finding, two low-coverage
days, rising episode risk), recommendations with FHIR Tasks and Provenance (one crisis), and a
psychiatrist ``dr-a`` caring for both plus an auditor ``aud-a`` sharing `PASSWORD`. Consents come
from the store (what the sealed ingest registered), so a test decides who has consented.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from bedside.audit import SqlAuditLog
from bedside.clinical import CareTeam
from bedside.domain import (
    BaselineSummary,
    Evidence,
    Finding,
    Modality,
    Priority,
    Recommendation,
    RiskEstimate,
    Role,
    TrendDirection,
    TrendFinding,
)
from bedside.fhir.provenance import ProvenanceAgent, provenance
from bedside.fhir.tasks import recommendation_task, task_ref
from bedside.privacy import Identity
from bedside.server.access_control import AccessControl, ClinicRoster
from bedside.server.clinician_auth import (
    ClinicianAccount,
    ClinicianTokens,
    StaffRole,
    hash_password,
)
from bedside.server.consent_lookup import SqlConsentLookup
from bedside.store import SqlStore

__all__ = ["DAYS", "PASSWORD", "START", "clinic_access", "recommendation", "seed_clinic"]

PASSWORD = "correct horse battery staple"
START = dt.date(2026, 1, 15)
DAYS = 45


def clinic_access(
    store: SqlStore, clinic: Identity, base_url: str, now: dt.datetime
) -> AccessControl:
    """dr-a (psychiatrist) cares for p1 and p2; aud-a is the auditor; consents from the store."""
    hashed = hash_password(PASSWORD, log2_n=14)  # the minimum cost: test accounts
    accounts = [
        ClinicianAccount(id="dr-a", name="Dr A", role=StaffRole.PSYCHIATRIST, password_hash=hashed),
        ClinicianAccount(id="aud-a", name="Aud A", role=StaffRole.AUDITOR, password_hash=hashed),
    ]
    team = CareTeam(members={p: {Role.PSYCHIATRIST: "dr-a"} for p in ("p1", "p2")})
    return AccessControl(
        ClinicRoster.of(accounts, team),
        ClinicianTokens(clinic, audience=base_url, clock=lambda: now),
        SqlConsentLookup(store.engine),
        SqlAuditLog(store.engine, clinic.signing_only(), attestation="unattested"),
        clock=lambda: now,
    )


def _finding(patient: str, day: int, rng: np.random.Generator) -> Finding:
    date = START + dt.timedelta(days=day)
    shift = -70.0 if day >= 30 else 0.0
    trends = []
    if day >= 34:
        trends.append(
            TrendFinding(
                biomarker="sleep.duration_min",
                direction=TrendDirection.DOWN,
                onset_date=START + dt.timedelta(days=30),
                detection_date=START + dt.timedelta(days=34),
                size=-70.0,
                robust_z=-3.1,
                false_alarm_rate_per_year=1.0,
                coverage=0.9,
                days_sustained=5,
                adverse=True,
            )
        )
    p = min(0.15 + max(0, day - 28) * 0.03, 0.8)
    return Finding(
        patient_id=patient,
        date=date,
        device_id=f"device-{patient}",
        trends=trends,
        risk=RiskEstimate(
            as_of=date,
            probability=p,
            interval_low=max(p - 0.1, 0),
            interval_high=min(p + 0.1, 1),
            model_id="bedside.episode-risk",
            model_version="0.2.0",
        ),
        coverage={Modality.ACTIGRAPHY: 0.2 if day in (12, 13) else 0.95},
        biomarkers=[
            BaselineSummary(
                biomarker="sleep.duration_min",
                value=float(430 + shift + rng.normal(0, 15)),
                baseline_median=430.0,
                baseline_scale=18.0,
            ),
            BaselineSummary(
                biomarker="activity.total_counts",
                value=float(250_000 + rng.normal(0, 20_000)),
                baseline_median=250_000.0,
                baseline_scale=21_000.0,
            ),
        ],
    )


def recommendation(rec_id: str, patient: str, now: dt.datetime, **kw: Any) -> Recommendation:
    fields: dict[str, Any] = {
        "id": rec_id,
        "patient_id": patient,
        "action": "Consider contacting the patient within 72 h and administering a PHQ-9",
        "priority": Priority.URGENT,
        "created": now - dt.timedelta(hours=2),
        "due": now + dt.timedelta(hours=70),
        "expires": now + dt.timedelta(days=7),
        "route": Role.PSYCHIATRIST,
        "rationale": "Sleep shortened against the patient's own baseline.",
        "evidence": [
            Evidence(
                kind="trend",
                label="Sleep duration",
                statement="Down 70 min/night since onset",
                biomarker="sleep.duration_min",
                value=360.0,
                baseline=430.0,
                unit="min",
                onset_date=START + dt.timedelta(days=30),
            )
        ],
        "protocol_id": "relapse_watch",
        "protocol_version": "1.0.0",
        "protocol_hash": "0123456789abcdef",
        "model_id": "bedside.episode-risk",
        "model_version": "0.2.0",
    }
    fields.update(kw)
    return Recommendation(**fields)


def seed_clinic(store: SqlStore, now: dt.datetime, open_recommendations: int = 0) -> None:
    """Findings of p1 and p2 (45 days, a sleep trend from day 30), two recommendations for p1
    with FHIR Tasks and Provenance, and `open_recommendations` more spread over p1 and p2."""
    rng = np.random.default_rng(7)
    for patient in ("p1", "p2"):
        for day in range(DAYS):
            if day != 20:  # a day without any finding
                store.findings.add(_finding(patient, day, rng))
    recs = [
        recommendation("r-accept", "p1", now),
        recommendation(
            "r-dismiss",
            "p1",
            now,
            protocol_id="data_gap",
            action="Consider asking about the device",
            due=now + dt.timedelta(hours=80),
        ),
        recommendation("r-crisis", "p2", now, priority=Priority.CRITICAL, protocol_id="crisis"),
    ]
    recs += [
        recommendation(
            f"r-bulk-{i:04d}",
            "p1" if i % 2 else "p2",
            now,
            priority=(Priority.URGENT, Priority.ROUTINE, Priority.INFO)[i % 3],
            due=now + dt.timedelta(minutes=10 * i),
        )
        for i in range(open_recommendations)
    ]
    for rec in recs:
        store.recommendations.upsert(rec)
        store.fhir.put(recommendation_task(rec))
        store.fhir.put(
            provenance(
                task_ref(rec.id),
                now,
                [ProvenanceAgent("Device/bedside-engine-relapse-watch-1.0.0", "author")],
                sources=["RiskAssessment/risk-p1-latest"],
            )
        )
