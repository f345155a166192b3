"""Who may see which patient at the clinic: authentication, roles, care team, consent, audit.

A request to a patient-data route passes four gates, in order, and every outcome -- allowed or
refused -- is one entry in the clinic's hash-chained audit log:

1. **authenticated** (401 otherwise): a valid access token of this clinic (`ClinicianTokens`)
   whose subject is on the roster with the role the token names;
2. **role** (403): the staff role holds the permission the route needs (`ROLE_PERMISSIONS`:
   psychiatrists and therapists read clinical data; care coordinators see the queue, tasks and
   patients but not findings or risk; auditors read the audit log and no patient data);
3. **care team** (403): the clinician holds a role in the patient's care team;
4. **consent** (403): the patient's consent to this clinic is valid now (not revoked, inside
   its validity period).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from fastapi import Request

from bedside.audit import SqlAuditLog
from bedside.clinical import CareTeam
from bedside.server.clinician_auth import (
    AccessDeniedError,
    ClinicianAccount,
    ClinicianTokens,
    StaffRole,
    verify_password,
)
from bedside.server.consent_lookup import ConsentLookup

__all__ = [
    "ROLE_PERMISSIONS",
    "SESSION_COOKIE",
    "AccessControl",
    "ClinicRoster",
    "Permission",
    "Principal",
    "principal_dependency",
]

SESSION_COOKIE = "bedside_session"
MAX_LOGIN_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)


class Permission(StrEnum):
    """What a route needs."""

    VIEW_QUEUE = "view_queue"
    READ_CLINICAL = "read_clinical"
    READ_TASKS = "read_tasks"
    ACT_ON_RECOMMENDATION = "act_on_recommendation"
    READ_AUDIT = "read_audit"


ROLE_PERMISSIONS: Mapping[StaffRole, frozenset[Permission]] = {
    StaffRole.PSYCHIATRIST: frozenset(
        {
            Permission.VIEW_QUEUE,
            Permission.READ_CLINICAL,
            Permission.READ_TASKS,
            Permission.ACT_ON_RECOMMENDATION,
        }
    ),
    StaffRole.THERAPIST: frozenset(
        {
            Permission.VIEW_QUEUE,
            Permission.READ_CLINICAL,
            Permission.READ_TASKS,
            Permission.ACT_ON_RECOMMENDATION,
        }
    ),
    # Minimum necessary: coordinators organise care; they do not read findings or risk.
    StaffRole.CARE_COORDINATOR: frozenset(
        {Permission.VIEW_QUEUE, Permission.READ_TASKS, Permission.ACT_ON_RECOMMENDATION}
    ),
    # Separation of duties: auditors review accesses, never patient data.
    StaffRole.AUDITOR: frozenset({Permission.READ_AUDIT}),
}


@dataclass(frozen=True)
class ClinicRoster:
    """The clinic's staff accounts and its care teams (patient -> role -> clinician id)."""

    accounts: Mapping[str, ClinicianAccount]
    team: CareTeam = field(default_factory=CareTeam)

    @classmethod
    def of(cls, accounts: Iterable[ClinicianAccount], team: CareTeam) -> ClinicRoster:
        return cls({a.id: a for a in accounts}, team)

    def in_care_team(self, clinician_id: str, patient_id: str) -> bool:
        return clinician_id in self.team.members.get(patient_id, {}).values()


@dataclass(frozen=True)
class Principal:
    """An authenticated staff member."""

    id: str
    role: StaffRole

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class AccessControl:
    """The clinic's access policy, bound to its roster, tokens, consents and audit log.

    Parameters
    ----------
    roster : ClinicRoster
    tokens : ClinicianTokens
    consents : ConsentLookup
    audit : SqlAuditLog
        The hash-chained log every decision is appended to.
    clock : callable returning datetime
        Current time; consent validity is judged at it.
    """

    def __init__(
        self,
        roster: ClinicRoster,
        tokens: ClinicianTokens,
        consents: ConsentLookup,
        audit: SqlAuditLog,
        *,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.roster = roster
        self.tokens = tokens
        self.consents = consents
        self.audit = audit
        self.clock = clock
        self._failures: dict[str, list[dt.datetime]] = {}

    def record(
        self,
        request: Request,
        *,
        actor: str,
        action: str,
        subject: str,
        outcome: str,
        reason: str,
        **detail: object,
    ) -> None:
        """Append one access decision to the audit log."""
        self.audit.record(
            at=self.clock(),
            actor=actor,
            action=action,
            subject=subject,
            outcome=outcome,
            detail={
                "reason": reason,
                "method": request.method,
                "path": request.url.path,
                "client": _client(request),
                **detail,
            },
        )

    def _refuse(
        self, request: Request, status: int, reason: str, *, actor: str, action: str, subject: str
    ) -> AccessDeniedError:
        self.record(
            request,
            actor=actor,
            action=action,
            subject=subject,
            outcome="denied",
            reason=reason,
            status=status,
        )
        return AccessDeniedError(status, reason)

    def login(self, request: Request, username: str, password: str) -> str:
        """An access token for a correct username and password; 401 (audited) otherwise.

        After `MAX_LOGIN_FAILURES` failures for one user name within `LOCKOUT` the name is
        refused with 429 until the window passes (kept in this process's memory).
        """
        now = self.clock()
        key = username[:100]
        recent = [t for t in self._failures.get(key, []) if now - t < LOCKOUT]
        self._failures[key] = recent
        if len(recent) >= MAX_LOGIN_FAILURES:
            raise self._refuse(
                request,
                429,
                "too many failed log-ins for this user; try again later",
                actor=key or "anonymous",
                action="access.login",
                subject="-",
            )
        account = self.roster.accounts.get(username)
        # Same answer for an unknown user and a wrong password: no account enumeration.
        if account is None or not verify_password(password, account.password_hash):
            recent.append(now)
            raise self._refuse(
                request,
                401,
                "unknown user or wrong password",
                actor=username[:100] or "anonymous",
                action="access.login",
                subject="-",
            )
        self._failures.pop(key, None)
        self.record(
            request,
            actor=account.id,
            action="access.login",
            subject="-",
            outcome="allowed",
            reason="password verified",
            role=account.role.value,
        )
        return self.tokens.issue(account)

    def principal(self, request: Request) -> Principal:
        """The authenticated caller (FastAPI dependency); 401, audited, when there is none."""
        action = "access.authenticate"
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        token = token or request.cookies.get(SESSION_COOKIE)
        if not token:
            raise self._refuse(
                request,
                401,
                "authentication required: log in or send a bearer token",
                actor="anonymous",
                action=action,
                subject="-",
            )
        try:
            claims = self.tokens.verify(token)
        except AccessDeniedError as exc:
            raise self._refuse(
                request, 401, exc.reason, actor="anonymous", action=action, subject="-"
            ) from exc
        account = self.roster.accounts.get(claims.subject)
        if account is None or account.role != claims.role:
            raise self._refuse(
                request,
                401,
                f"{claims.subject} is not on the roster with role {claims.role}",
                actor=claims.subject,
                action=action,
                subject="-",
            )
        return Principal(account.id, account.role)

    def require(
        self, request: Request, who: Principal, permission: Permission, action: str
    ) -> None:
        """403 (audited) unless `who`'s role grants `permission`; not patient-specific."""
        if not who.may(permission):
            raise self._refuse(
                request,
                403,
                f"role {who.role} may not {permission.value.replace('_', ' ')}",
                actor=who.id,
                action=action,
                subject="-",
            )

    def patient_refusal(self, who: Principal, patient_id: str) -> str | None:
        """Why `who` may not see `patient_id` (care team, then consent), or None if they may."""
        if not self.roster.in_care_team(who.id, patient_id):
            return f"{who.id} is not in the care team of patient {patient_id}"
        consent = self.consents.status(patient_id, self.clock())
        if not consent.valid:
            return f"no valid consent from patient {patient_id}: {consent.reason}"
        return None

    def require_patient(
        self,
        request: Request,
        who: Principal,
        patient_id: str,
        permission: Permission,
        action: str,
    ) -> None:
        """Allow (audited) or refuse with 403 (audited) one access to one patient's data."""
        self.require(request, who, permission, action)
        refusal = self.patient_refusal(who, patient_id)
        if refusal is not None:
            raise self._refuse(
                request, 403, refusal, actor=who.id, action=action, subject=patient_id
            )
        self.record(
            request,
            actor=who.id,
            action=action,
            subject=patient_id,
            outcome="allowed",
            reason="care team member with valid consent",
            role=who.role.value,
        )

    def visible_patients(self, who: Principal, patient_ids: Iterable[str]) -> set[str]:
        """The subset of `patient_ids` `who` may see (care team and valid consent)."""
        return {p for p in set(patient_ids) if self.patient_refusal(who, p) is None}


def principal_dependency(access: AccessControl | None) -> Callable[[Request], Principal]:
    """FastAPI dependency giving the caller; without an access policy every request is 401."""
    if access is not None:
        return access.principal

    def unconfigured(request: Request) -> Principal:
        raise AccessDeniedError(401, "clinician access control is not configured on this server")

    return unconfigured
