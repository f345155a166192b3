"""In-memory twin of the SQL store, for tests and throw-away demos.

Records are kept as JSON text, exactly as the SQL store keeps them, so that both behave the same
(callers never share mutable state with the store). Thread-safe behind one lock.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bedside.domain import Finding, Phq9Response, Recommendation, RecommendationStatus, StoreError
from bedside.store.repository import (
    FhirResource,
    StatusChange,
    check_fhir_resource,
    fhir_patient_id,
    queue_order,
    utc_text,
)

__all__ = [
    "MemoryFhirResourceRepository",
    "MemoryFindingRepository",
    "MemoryPhq9Repository",
    "MemoryRecommendationRepository",
    "MemoryStore",
]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class MemoryFindingRepository:
    """Findings in a dict keyed by (patient, date, device)."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._rows: dict[tuple[str, str, str], str] = {}

    def add(self, finding: Finding) -> None:
        key = (finding.patient_id, finding.date.isoformat(), finding.device_id)
        with self._lock:
            self._rows[key] = finding.model_dump_json()

    def list_for_patient(self, patient_id: str) -> list[Finding]:
        with self._lock:
            rows = sorted((k, v) for k, v in self._rows.items() if k[0] == patient_id)
        return [Finding.model_validate_json(body) for _, body in rows]

    def latest_for_patient(self, patient_id: str) -> Finding | None:
        with self._lock:
            keys = [k for k in self._rows if k[0] == patient_id]
            body = self._rows[max(keys)] if keys else None
        return None if body is None else Finding.model_validate_json(body)

    def patient_ids(self) -> list[str]:
        with self._lock:
            return sorted({k[0] for k in self._rows})


class MemoryRecommendationRepository:
    """Recommendations in a dict keyed by id, plus a list of status changes."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._rows: dict[str, str] = {}
        self._feedback: list[str] = []

    def upsert(self, rec: Recommendation) -> None:
        with self._lock:
            self._rows[rec.id] = rec.model_dump_json()

    def get(self, rec_id: str) -> Recommendation | None:
        with self._lock:
            body = self._rows.get(rec_id)
        return None if body is None else Recommendation.model_validate_json(body)

    def _all(self) -> list[Recommendation]:
        with self._lock:
            bodies = list(self._rows.values())
        return [Recommendation.model_validate_json(b) for b in bodies]

    def list_open(self, *, as_of: dt.datetime | None = None) -> list[Recommendation]:
        if as_of is not None:
            utc_text(as_of)  # rejects naive datetimes like the SQL store
        recs = [
            r
            for r in self._all()
            if r.status == RecommendationStatus.OPEN and (as_of is None or r.expires > as_of)
        ]
        return sorted(recs, key=queue_order)

    def list_for_patient(self, patient_id: str) -> list[Recommendation]:
        return sorted((r for r in self._all() if r.patient_id == patient_id), key=queue_order)

    def set_status(
        self,
        rec_id: str,
        status: RecommendationStatus,
        who: str,
        when: dt.datetime,
        reason: str = "",
    ) -> Recommendation:
        utc_text(when)
        with self._lock:
            body = self._rows.get(rec_id)
            if body is None:
                raise StoreError(f"no recommendation with id {rec_id!r}")
            old = Recommendation.model_validate_json(body)
            new = old.model_copy(update={"status": RecommendationStatus(status)})
            change = StatusChange(
                recommendation_id=rec_id,
                previous_status=old.status,
                status=status,
                who=who,
                when=when,
                reason=reason,
            )
            self._rows[rec_id] = new.model_dump_json()
            self._feedback.append(change.model_dump_json())
        return new

    def history(self, rec_id: str) -> list[StatusChange]:
        with self._lock:
            bodies = list(self._feedback)
        changes = [StatusChange.model_validate_json(b) for b in bodies]
        return [c for c in changes if c.recommendation_id == rec_id]


class MemoryFhirResourceRepository:
    """FHIR resources in a dict keyed by (resourceType, id)."""

    def __init__(self, lock: threading.Lock, clock: Callable[[], dt.datetime]) -> None:
        self._lock = lock
        self._clock = clock
        self._rows: dict[tuple[str, str], tuple[str | None, str]] = {}

    def put(self, resource: Mapping[str, Any]) -> FhirResource:
        return self.put_many([resource])[0]

    def put_many(self, resources: Sequence[Mapping[str, Any]]) -> list[FhirResource]:
        keys = [check_fhir_resource(r) for r in resources]
        stored: list[FhirResource] = [json.loads(json.dumps(dict(r))) for r in resources]
        with self._lock:
            last_updated = utc_text(self._clock())
            for key, body in zip(keys, stored, strict=True):
                previous = self._rows.get(key)
                version = (
                    1 if previous is None else int(json.loads(previous[1])["meta"]["versionId"]) + 1
                )
                body["meta"] = {
                    **(body.get("meta") or {}),
                    "versionId": str(version),
                    "lastUpdated": last_updated,
                }
                self._rows[key] = (fhir_patient_id(body), json.dumps(body))
        return stored

    def get(self, resource_type: str, resource_id: str) -> FhirResource | None:
        with self._lock:
            row = self._rows.get((resource_type, resource_id))
        if row is None:
            return None
        resource: FhirResource = json.loads(row[1])
        return resource

    def search(self, resource_type: str, patient: str | None = None) -> list[FhirResource]:
        with self._lock:
            rows = sorted(
                (key[1], body)
                for key, (pid, body) in self._rows.items()
                if key[0] == resource_type and (patient is None or pid == patient)
            )
        return [json.loads(body) for _, body in rows]


class MemoryPhq9Repository:
    """PHQ-9s in a dict keyed by (patient, date, source)."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._rows: dict[tuple[str, str, str], str] = {}

    def add(self, response: Phq9Response) -> None:
        key = (response.patient_id, response.date.isoformat(), response.source)
        with self._lock:
            self._rows[key] = response.model_dump_json()

    def list_for_patient(self, patient_id: str) -> list[Phq9Response]:
        with self._lock:
            rows = sorted((k, v) for k, v in self._rows.items() if k[0] == patient_id)
        return [Phq9Response.model_validate_json(body) for _, body in rows]


class MemoryStore:
    """All repositories in memory.

    Parameters
    ----------
    clock : callable returning datetime, optional
        Source of ``meta.lastUpdated`` for FHIR resources (UTC now by default).
    """

    def __init__(self, *, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        lock = threading.Lock()
        self.findings = MemoryFindingRepository(lock)
        self.recommendations = MemoryRecommendationRepository(lock)
        self.fhir = MemoryFhirResourceRepository(lock, clock)
        self.phq9 = MemoryPhq9Repository(lock)

    def close(self) -> None:
        """Nothing to release."""
