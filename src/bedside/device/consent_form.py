"""Checking the consent page's grant form: every problem named with its field, nothing signed.

Raw data is never offered: the scopes are exactly the finding families of
`bedside.privacy.Scope` (trends, risk, PHQ-9). Dates are calendar days in UTC; a consent runs
from the start of its first day to the end of its last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bedside.device.consent_book import KnownClinic
from bedside.privacy import IdentityError, Scope, public_key_from_did

__all__ = ["MAX_VALIDITY_DAYS", "SCOPE_LABELS", "FieldError", "GrantRequest", "check_grant_form"]

MAX_VALIDITY_DAYS = 730
"""Longest validity a single consent may have (two years); the patient renews after that."""

SCOPE_LABELS: Mapping[Scope, str] = {
    Scope.TRENDS: "Trends: lasting changes in sleep, activity and other daily measures",
    Scope.RISK: "Risk: the estimated chance of a depressive episode, with its range",
    Scope.PHQ9: "PHQ-9: your questionnaire answers and score",
}


@dataclass(frozen=True)
class FieldError:
    """A form field (its HTML id) and what is wrong with it, in plain language."""

    field: str
    message: str


@dataclass(frozen=True)
class GrantRequest:
    """A checked grant: the clinic, the scopes and the validity period (UTC)."""

    clinic: KnownClinic
    scopes: frozenset[Scope]
    valid_from: dt.datetime
    valid_until: dt.datetime


def _date(form: Mapping[str, Sequence[str]], name: str) -> dt.date | None:
    values = form.get(name, [])
    text = values[0].strip() if values else ""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def check_grant_form(
    form: Mapping[str, Sequence[str]], clinics: Sequence[KnownClinic], today: dt.date
) -> GrantRequest | list[FieldError]:
    """The grant the form asks for, or every problem with it.

    Parameters
    ----------
    form : mapping of str to list of str
        Parsed ``application/x-www-form-urlencoded`` body (``clinic_did``, ``scope`` repeated,
        ``purpose``, ``valid_from``, ``valid_until``).
    clinics : sequence of KnownClinic
        The clinics this device is paired with.
    today : date
        The current UTC date.
    """
    errors: list[FieldError] = []
    did = (form.get("clinic_did") or [""])[0].strip()
    clinic = next((c for c in clinics if c.did == did), None)
    if not did:
        errors.append(FieldError("clinic_did", "Enter the clinic's DID."))
    elif clinic is None:
        try:
            public_key_from_did(did)
            errors.append(
                FieldError("clinic_did", f"This device does not know a clinic with DID {did}.")
            )
        except IdentityError:
            errors.append(FieldError("clinic_did", "That is not a valid clinic DID (did:key)."))
    scopes: set[Scope] = set()
    for value in form.get("scope", []):
        try:
            scopes.add(Scope(value))
        except ValueError:
            errors.append(FieldError("scope", f"{value!r} is not something you can share."))
    if not scopes and not any(e.field == "scope" for e in errors):
        errors.append(FieldError("scope", "Choose at least one kind of finding to share."))
    if (form.get("purpose") or ["treatment"])[0] != "treatment":
        errors.append(FieldError("purpose", "The only purpose offered is treatment."))
    start, end = _date(form, "valid_from"), _date(form, "valid_until")
    if start is None:
        errors.append(FieldError("valid_from", "Enter the first day as YYYY-MM-DD."))
    if end is None:
        errors.append(FieldError("valid_until", "Enter the last day as YYYY-MM-DD."))
    if start is not None and end is not None:
        if end < start:
            errors.append(FieldError("valid_until", "The last day must not be before the first."))
        elif end < today:
            errors.append(FieldError("valid_until", "The last day is already in the past."))
        elif (end - start).days + 1 > MAX_VALIDITY_DAYS:
            errors.append(
                FieldError("valid_until", f"A consent can last at most {MAX_VALIDITY_DAYS} days.")
            )
    if errors or clinic is None or start is None or end is None:
        return errors
    return GrantRequest(
        clinic=clinic,
        scopes=frozenset(scopes),
        valid_from=dt.datetime.combine(start, dt.time(), dt.UTC),
        valid_until=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC),
    )
