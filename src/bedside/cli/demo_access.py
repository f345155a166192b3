"""Clinician access for `bedside demo`: the demo's staff, their care teams and a printed log-in.

The demo never switches access control off. Its clinic has the staff the triage simulation routes
to (``psychiatrist-1`` ... and ``care-coordinator-1``, with the same round-robin caseloads) plus
``auditor-1``; all share one password, random per run unless ``--demo-password`` fixes it (e.g.
for a browser test), and the command prints it. Tokens and audit entries are signed by the
clinic key that also signed the sealed-ingest audit entries, so ``bedside audit verify`` checks
one chain.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from bedside.audit import SqlAuditLog
from bedside.cli.clinic_simulation import care_team
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

__all__ = ["DEMO_AUDITOR", "demo_access", "demo_password"]

DEMO_AUDITOR = "auditor-1"


def demo_password() -> str:
    """A fresh random password (16 url-safe characters, about 96 bits)."""
    return secrets.token_urlsafe(12)


def demo_access(
    store: SqlStore,
    clinic: Identity,
    patient_ids: Sequence[str],
    clinicians: int,
    *,
    password: str,
    base_url: str,
    clock_end: dt.datetime,
) -> AccessControl:
    """The demo clinic's `AccessControl` over its store (consents from the sealed ingest).

    Parameters
    ----------
    store : SqlStore
        The demo's clinic store (consents table and audit log live in it).
    clinic : Identity
        The clinic service's identity (its signing key is used).
    patient_ids : sequence of str
    clinicians : int
        As in the triage simulation (one care coordinator, the rest psychiatrists).
    password : str
        Every demo account's password.
    base_url : str
        The server's URL, the tokens' audience.
    clock_end : datetime
        The demo's frozen "now".
    """
    team = care_team(list(patient_ids), clinicians)
    staff = sorted({cid for roles in team.members.values() for cid in roles.values()})
    hashed = hash_password(password)
    accounts = [
        ClinicianAccount(
            id=cid,
            name=cid.replace("-", " ").title(),
            role=StaffRole.CARE_COORDINATOR if cid.startswith("care") else StaffRole.PSYCHIATRIST,
            password_hash=hashed,
        )
        for cid in staff
    ]
    accounts.append(
        ClinicianAccount(
            id=DEMO_AUDITOR, name="Auditor 1", role=StaffRole.AUDITOR, password_hash=hashed
        )
    )
    clock = lambda: clock_end  # noqa: E731 -- the demo's frozen clock
    audit = SqlAuditLog(store.engine, clinic.signing_only(), attestation="unattested")
    return AccessControl(
        ClinicRoster.of(accounts, team),
        ClinicianTokens(clinic, audience=base_url, clock=clock),
        SqlConsentLookup(store.engine),
        audit,
        clock=clock,
    )
