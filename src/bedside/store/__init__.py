"""Persistence behind small repository interfaces (SQLAlchemy 2: SQLite default; in-memory twin).

`create_store` opens a SQL store from a URL; `MemoryStore` is the in-memory twin for tests. Both
satisfy the `Store` protocol: ``store.findings``, ``store.recommendations``, ``store.fhir`` and
``store.phq9``.
"""

from bedside.store.memory_store import MemoryStore
from bedside.store.migrate import MigrationReport, upgrade_database
from bedside.store.repository import (
    FhirResource,
    FhirResourceRepository,
    FindingRepository,
    Phq9Repository,
    RecommendationRepository,
    StatusChange,
    Store,
    fhir_patient_id,
    queue_order,
    utc_text,
)
from bedside.store.sqlalchemy_store import SqlStore, create_store

__all__ = [
    "FhirResource",
    "FhirResourceRepository",
    "FindingRepository",
    "MemoryStore",
    "MigrationReport",
    "Phq9Repository",
    "RecommendationRepository",
    "SqlStore",
    "StatusChange",
    "Store",
    "create_store",
    "fhir_patient_id",
    "queue_order",
    "upgrade_database",
    "utc_text",
]
