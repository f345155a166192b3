"""Repository interfaces of the store layer, and the helpers every implementation shares.

Three small ports, one per kind of record the clinic keeps:

* `FindingRepository` -- findings received from patients' devices;
* `RecommendationRepository` -- recommendations to clinicians and their status history;
* `FhirResourceRepository` -- FHIR R4 resources (plain JSON dicts) with version metadata.

`Store` bundles the three. Implementations: `bedside.store.memory_store.MemoryStore` (tests) and
`bedside.store.sqlalchemy_store.SqlStore` (SQLite by default, any SQLAlchemy 2 URL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, field_validator

from bedside.domain import (
    Finding,
    Phq9Response,
    Recommendation,
    RecommendationStatus,
    StoreError,
)

__all__ = [
    "FhirResource",
    "FhirResourceRepository",
    "FindingRepository",
    "Phq9Repository",
    "RecommendationRepository",
    "StatusChange",
    "Store",
    "fhir_patient_id",
    "queue_order",
    "utc_text",
]

FhirResource = dict[str, Any]
"""A FHIR resource as a JSON object (what ``json.loads`` returns)."""


class StatusChange(BaseModel):
    """One change of a recommendation's status: the clinician's feedback.

    Attributes
    ----------
    recommendation_id : str
    previous_status, status : RecommendationStatus
        Status before and after the change.
    who : str
        Who changed it (clinician id, or ``system`` for expiry).
    when : datetime
        When it was changed (timezone-aware; stored as UTC).
    reason : str
        Free-text reason (may be empty).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    recommendation_id: str
    previous_status: RecommendationStatus
    status: RecommendationStatus
    who: str
    when: dt.datetime
    reason: str = ""

    @field_validator("when")
    @classmethod
    def _aware(cls, when: dt.datetime) -> dt.datetime:
        if when.tzinfo is None:
            raise ValueError("when must be timezone-aware (UTC)")
        return when.astimezone(dt.UTC)


@runtime_checkable
class FindingRepository(Protocol):
    """Findings received from devices, one per (patient, local date, device)."""

    def add(self, finding: Finding) -> None:
        """Store a finding; re-delivery of the same (patient, date, device) replaces it."""
        ...

    def list_for_patient(self, patient_id: str) -> list[Finding]:
        """All findings of a patient, oldest date first (then by device id)."""
        ...

    def latest_for_patient(self, patient_id: str) -> Finding | None:
        """The patient's finding of the latest date (the last of `list_for_patient`), or None."""
        ...

    def patient_ids(self) -> list[str]:
        """Every patient with at least one finding, sorted."""
        ...


@runtime_checkable
class RecommendationRepository(Protocol):
    """Recommendations keyed by their stable id, with the history of status changes."""

    def upsert(self, rec: Recommendation) -> None:
        """Insert `rec`, or replace the stored recommendation with the same id (status included).

        The status history recorded by `set_status` is never deleted.
        """
        ...

    def get(self, rec_id: str) -> Recommendation | None:
        """The recommendation with id `rec_id`, or None."""
        ...

    def list_open(self, *, as_of: dt.datetime | None = None) -> list[Recommendation]:
        """Open recommendations in queue order (see `queue_order`).

        Parameters
        ----------
        as_of : datetime, optional
            When given, recommendations whose `expires` is at or before it are left out.
        """
        ...

    def list_for_patient(self, patient_id: str) -> list[Recommendation]:
        """All recommendations of a patient, whatever their status, in queue order."""
        ...

    def set_status(
        self,
        rec_id: str,
        status: RecommendationStatus,
        who: str,
        when: dt.datetime,
        reason: str = "",
    ) -> Recommendation:
        """Change a recommendation's status and record who did it, when and why.

        Returns the updated recommendation. Raises `StoreError` if `rec_id` is unknown or `when`
        is naive; nothing is written in that case.
        """
        ...

    def history(self, rec_id: str) -> list[StatusChange]:
        """Status changes of a recommendation, oldest first."""
        ...


@runtime_checkable
class FhirResourceRepository(Protocol):
    """FHIR resources keyed by (resourceType, id), with ``meta.versionId`` and ``lastUpdated``."""

    def put(self, resource: Mapping[str, Any]) -> FhirResource:
        """Store (create or replace) a resource; returns it with the new ``meta``.

        ``meta.versionId`` is ``"1"`` on creation and increases by one on every put;
        ``meta.lastUpdated`` is the write time (FHIR instant, UTC). Raises `StoreError` when
        `resource` has no string ``resourceType`` or ``id``.
        """
        ...

    def put_many(self, resources: Sequence[Mapping[str, Any]]) -> list[FhirResource]:
        """`put` each resource, all in one transaction: every one is stored or none is.

        Later entries with the same (resourceType, id) as earlier ones get the next version.
        Raises `StoreError`, before writing anything, when any resource lacks ``resourceType``
        or ``id``.
        """
        ...

    def get(self, resource_type: str, resource_id: str) -> FhirResource | None:
        """The stored resource, or None."""
        ...

    def search(self, resource_type: str, patient: str | None = None) -> list[FhirResource]:
        """Resources of a type, ordered by id; with `patient`, only those about that patient.

        A resource is about patient ``X`` when its ``subject``, ``patient`` or ``for`` reference
        is ``Patient/X`` (or it is the Patient resource ``X`` itself).
        """
        ...


@runtime_checkable
class Phq9Repository(Protocol):
    """Completed PHQ-9s the clinic received, one per (patient, local date, source)."""

    def add(self, response: Phq9Response) -> None:
        """Store a PHQ-9; another one of the same patient, date and source replaces it."""
        ...

    def list_for_patient(self, patient_id: str) -> list[Phq9Response]:
        """The patient's PHQ-9s, oldest date first (then by source)."""
        ...


class Store(Protocol):
    """The repositories behind one object (one database, one lifetime)."""

    @property
    def findings(self) -> FindingRepository: ...

    @property
    def recommendations(self) -> RecommendationRepository: ...

    @property
    def fhir(self) -> FhirResourceRepository: ...

    @property
    def phq9(self) -> Phq9Repository: ...

    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
        ...


def queue_order(rec: Recommendation) -> tuple[int, dt.datetime, str]:
    """Sort key of the triage queue: priority tier (most urgent first), then due time, then id."""
    return (rec.priority.rank, rec.due, rec.id)


def utc_text(when: dt.datetime) -> str:
    """A timezone-aware datetime as fixed-width UTC text that sorts chronologically.

    Format ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, which is also a valid FHIR ``instant``.
    Raises `StoreError` for naive datetimes.
    """
    if when.tzinfo is None:
        raise StoreError(f"datetime {when.isoformat()} must be timezone-aware (UTC)")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fhir_patient_id(resource: Mapping[str, Any]) -> str | None:
    """The id of the patient a FHIR resource is about, or None.

    Looks at ``subject``, ``patient`` and ``for`` references of the form ``Patient/<id>``; a
    Patient resource is about itself.
    """
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) else None
    for key in ("subject", "patient", "for"):
        ref = resource.get(key)
        if isinstance(ref, Mapping):
            text = ref.get("reference")
            if isinstance(text, str) and text.startswith("Patient/"):
                return text.removeprefix("Patient/")
    return None


def check_fhir_resource(resource: Mapping[str, Any]) -> tuple[str, str]:
    """(resourceType, id) of a resource about to be stored; `StoreError` when either is missing."""
    rtype = resource.get("resourceType")
    rid = resource.get("id")
    if not isinstance(rtype, str) or not rtype:
        raise StoreError("FHIR resource has no string 'resourceType'")
    if not isinstance(rid, str) or not rid:
        raise StoreError(f"FHIR {rtype} resource has no string 'id'")
    return rtype, rid
