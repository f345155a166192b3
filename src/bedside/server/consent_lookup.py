"""Does a patient's consent to this clinic hold right now? (read side of the consents table)

The ingest path stores only consents granted to this clinic (it refuses others) together with
their revocations; here the access policy asks, for one patient at one instant, for a consent
that is neither revoked nor outside its validity period, and gets the reason when there is none.
`SqlConsentLookup` reads the ingest tables; `MemoryConsentLookup` is its in-memory twin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bedside.privacy import ConsentGrant
from bedside.store.ingest_tables import CONSENTS, create_ingest_tables, get_consent

__all__ = ["ConsentLookup", "ConsentStatus", "MemoryConsentLookup", "SqlConsentLookup"]


@dataclass(frozen=True)
class ConsentStatus:
    """`consent_id` of a consent valid now, or None with `reason` saying why none is."""

    consent_id: str | None
    reason: str

    @property
    def valid(self) -> bool:
        return self.consent_id is not None


class ConsentLookup(Protocol):
    """Answers whether a patient's consent is valid at an instant."""

    def status(self, patient_id: str, at: dt.datetime) -> ConsentStatus:
        """The consent valid at `at`, or why there is none."""
        ...


def _evaluate(
    consents: Iterable[tuple[ConsentGrant, dt.datetime | None]], at: dt.datetime
) -> ConsentStatus:
    reasons: list[str] = []
    for grant, revoked_at in sorted(consents, key=lambda c: c[0].valid_until, reverse=True):
        if revoked_at is not None and revoked_at <= at:
            reasons.append(f"consent {grant.id} revoked at {revoked_at.isoformat()}")
        elif at < grant.valid_from:
            reasons.append(f"consent {grant.id} not valid before {grant.valid_from.isoformat()}")
        elif at >= grant.valid_until:
            reasons.append(f"consent {grant.id} expired at {grant.valid_until.isoformat()}")
        else:
            return ConsentStatus(grant.id, f"consent {grant.id} valid")
    return ConsentStatus(None, "; ".join(reasons) or "no consent on file")


class SqlConsentLookup:
    """Reads the clinic's ``consents`` table (written by the ingest service)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_ingest_tables(engine)

    def status(self, patient_id: str, at: dt.datetime) -> ConsentStatus:
        with self.engine.connect() as conn:
            ids = conn.execute(
                sa.select(CONSENTS.c.id).where(CONSENTS.c.patient_id == patient_id)
            ).scalars()
            found = [c for c in (get_consent(conn, i) for i in list(ids)) if c is not None]
        return _evaluate(found, at)


class MemoryConsentLookup:
    """In-memory twin: consents added with `add`, revoked with `revoke`."""

    def __init__(self) -> None:
        self._consents: dict[str, list[tuple[ConsentGrant, dt.datetime | None]]] = {}

    def add(self, grant: ConsentGrant) -> None:
        self._consents.setdefault(grant.patient_id, []).append((grant, None))

    def revoke(self, consent_id: str, at: dt.datetime) -> None:
        for entries in self._consents.values():
            for i, (grant, _) in enumerate(entries):
                if grant.id == consent_id:
                    entries[i] = (grant, at)

    def status(self, patient_id: str, at: dt.datetime) -> ConsentStatus:
        return _evaluate(self._consents.get(patient_id, []), at)
