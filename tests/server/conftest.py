"""Clinician access for server tests: a roster, care teams, consents and an audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from bedside.audit import SqlAuditLog
from bedside.audit.chain import AuditEntry
from bedside.audit.sql_log import read_audit_log
from bedside.clinical import CareTeam
from bedside.domain import Role
from bedside.privacy import ConsentGrant, Identity, PartyKind, Purpose, Scope
from bedside.server.access_control import AccessControl, ClinicRoster
from bedside.server.clinician_auth import (
    ClinicianAccount,
    ClinicianTokens,
    StaffRole,
    hash_password,
)
from bedside.server.consent_lookup import MemoryConsentLookup

PASSWORD = "correct horse battery staple"
STAFF = {
    "dr-test": StaffRole.PSYCHIATRIST,
    "th-test": StaffRole.THERAPIST,
    "cc-test": StaffRole.CARE_COORDINATOR,
    "aud-test": StaffRole.AUDITOR,
    "dr-outside": StaffRole.PSYCHIATRIST,
}


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD, log2_n=14)  # the minimum cost, to keep tests fast


@dataclass
class AccessKit:
    """An `AccessControl` plus handles tests need (consents to revoke, tokens, audit entries)."""

    access: AccessControl
    clinic: Identity
    consents: MemoryConsentLookup
    engine: sa.Engine

    def token(self, clinician: str) -> str:
        return self.access.tokens.issue(self.access.roster.accounts[clinician])

    def headers(self, clinician: str = "dr-test") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(clinician)}"}

    def entries(self) -> list[AuditEntry]:
        return read_audit_log(self.engine)[0]


def make_access_kit(
    clock: Callable[[], dt.datetime],
    patients: Iterable[str],
    *,
    audience: str = "http://127.0.0.1:8000",
    consent_until: Mapping[str, dt.datetime] | None = None,
) -> AccessKit:
    """dr-test, th-test and cc-test care for every patient in `patients` (each with a consent
    valid a year around `clock()` unless `consent_until` says otherwise); dr-outside cares for
    nobody; aud-test is the auditor."""
    now = clock()
    clinic = Identity.generate(PartyKind.CLINIC_SERVICE)
    team = CareTeam(
        members={
            p: {
                Role.PSYCHIATRIST: "dr-test",
                Role.THERAPIST: "th-test",
                Role.CARE_COORDINATOR: "cc-test",
            }
            for p in patients
        }
    )
    accounts = [
        ClinicianAccount(id=cid, name=cid, role=role, password_hash=_password_hash())
        for cid, role in STAFF.items()
    ]
    consents = MemoryConsentLookup()
    for p in team.members:
        consents.add(
            ConsentGrant(
                id=f"consent-{p}",
                patient_did=f"did:example:{p}",
                patient_id=p,
                grantee_did=clinic.did,
                scopes=frozenset({Scope.TRENDS, Scope.RISK}),
                purpose=Purpose.TREATMENT,
                valid_from=now - dt.timedelta(days=180),
                valid_until=(consent_until or {}).get(p, now + dt.timedelta(days=180)),
            )
        )
    engine = sa.create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    audit = SqlAuditLog(engine, clinic.signing_only(), attestation="unattested")
    tokens = ClinicianTokens(clinic, audience=audience, clock=clock)
    access = AccessControl(ClinicRoster.of(accounts, team), tokens, consents, audit, clock=clock)
    return AccessKit(access, clinic, consents, engine)


@pytest.fixture
def access_kit_factory() -> Callable[..., AccessKit]:
    return make_access_kit
