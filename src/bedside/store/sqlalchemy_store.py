"""SQL store on SQLAlchemy 2 Core: SQLite by default, PostgreSQL for production.

Domain objects are stored as their pydantic JSON (``model_dump_json``) in TEXT columns, next to
the few columns needed for lookups and ordering. Times are fixed-width UTC text
(``YYYY-MM-DDTHH:MM:SS.ffffffZ``), so text order is time order on every backend. Every write runs
in its own transaction; a failure raises `StoreError` and leaves nothing half-written.

Schema management: `create_store` upgrades the database to the newest Alembic revision
(`bedside.store.migrate`); a change to these tables needs a new revision under
``store/migrations/versions``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from bedside.domain import Finding, Phq9Response, Recommendation, RecommendationStatus, StoreError
from bedside.store.migrate import MigrationReport, upgrade_database
from bedside.store.repository import (
    FhirResource,
    StatusChange,
    check_fhir_resource,
    fhir_patient_id,
    utc_text,
)

__all__ = [
    "METADATA",
    "PHQ9_RESPONSES",
    "SqlFhirResourceRepository",
    "SqlFindingRepository",
    "SqlPhq9Repository",
    "SqlRecommendationRepository",
    "SqlStore",
    "create_store",
    "put_phq9",
]

METADATA = sa.MetaData()

FINDINGS = sa.Table(
    "findings",
    METADATA,
    sa.Column("patient_id", sa.String(200), primary_key=True),
    sa.Column("date", sa.String(10), primary_key=True),
    sa.Column("device_id", sa.String(200), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)

RECOMMENDATIONS = sa.Table(
    "recommendations",
    METADATA,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("patient_id", sa.String(200), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("priority_rank", sa.Integer, nullable=False),
    sa.Column("due", sa.String(27), nullable=False),
    sa.Column("expires", sa.String(27), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

FEEDBACK = sa.Table(
    "recommendation_feedback",
    METADATA,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "recommendation_id",
        sa.String(200),
        sa.ForeignKey("recommendations.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("previous_status", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("at", sa.String(27), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

FHIR_RESOURCES = sa.Table(
    "fhir_resources",
    METADATA,
    sa.Column("resource_type", sa.String(64), primary_key=True),
    sa.Column("resource_id", sa.String(64), primary_key=True),
    sa.Column("patient_id", sa.String(200), nullable=True, index=True),
    sa.Column("version_id", sa.Integer, nullable=False),
    sa.Column("last_updated", sa.String(27), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)


# Hot-path statements are built once with bind parameters: building and cache-keying a select
# per call cost more CPU (about 0.2 ms) than SQLite running it, on every CDS Hooks call.
_LATEST_FINDING = (
    sa.select(FINDINGS.c.body)
    .where(FINDINGS.c.patient_id == sa.bindparam("patient_id"))
    .order_by(FINDINGS.c.date.desc(), FINDINGS.c.device_id.desc())
    .limit(1)
)
_PATIENT_FINDINGS = (
    sa.select(FINDINGS.c.body)
    .where(FINDINGS.c.patient_id == sa.bindparam("patient_id"))
    .order_by(FINDINGS.c.date, FINDINGS.c.device_id)
)
_PATIENT_RECOMMENDATIONS = (
    sa.select(RECOMMENDATIONS.c.body)
    .where(RECOMMENDATIONS.c.patient_id == sa.bindparam("patient_id"))
    .order_by(RECOMMENDATIONS.c.priority_rank, RECOMMENDATIONS.c.due, RECOMMENDATIONS.c.id)
)
# Type first: the primary key is (resource_type, resource_id), so only both columns use it; an
# id-only lookup scanned the whole table, which grows by an AuditEvent on every call.
_FHIR_VERSIONS = sa.select(FHIR_RESOURCES.c.resource_id, FHIR_RESOURCES.c.version_id).where(
    FHIR_RESOURCES.c.resource_type == sa.bindparam("resource_type"),
    FHIR_RESOURCES.c.resource_id.in_(sa.bindparam("ids", expanding=True)),
)


PHQ9_RESPONSES = sa.Table(
    "phq9_responses",
    METADATA,
    sa.Column("patient_id", sa.String(200), primary_key=True),
    sa.Column("date", sa.String(10), primary_key=True),
    sa.Column("source", sa.String(20), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextmanager
def _transaction(engine: Engine, what: str) -> Iterator[Connection]:
    """A connection in a transaction; database errors become `StoreError` naming `what`."""
    try:
        with engine.begin() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise StoreError(f"{what} failed: {exc}") from exc


class SqlFindingRepository:
    """Findings in the ``findings`` table, keyed by (patient, date, device)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, finding: Finding) -> None:
        key = {
            "patient_id": finding.patient_id,
            "date": finding.date.isoformat(),
            "device_id": finding.device_id,
        }
        where = sa.and_(*(FINDINGS.c[k] == v for k, v in key.items()))
        with _transaction(self._engine, f"storing finding {key}") as conn:
            conn.execute(FINDINGS.delete().where(where))
            conn.execute(FINDINGS.insert().values(**key, body=finding.model_dump_json()))

    def list_for_patient(self, patient_id: str) -> list[Finding]:
        with _transaction(self._engine, f"reading findings of {patient_id!r}") as conn:
            bodies = list(conn.execute(_PATIENT_FINDINGS, {"patient_id": patient_id}).scalars())
        return [Finding.model_validate_json(b) for b in bodies]

    def latest_for_patient(self, patient_id: str) -> Finding | None:
        with _transaction(self._engine, f"reading the latest finding of {patient_id!r}") as conn:
            body = conn.execute(_LATEST_FINDING, {"patient_id": patient_id}).scalar_one_or_none()
        return None if body is None else Finding.model_validate_json(body)

    def patient_ids(self) -> list[str]:
        query = sa.select(FINDINGS.c.patient_id).distinct().order_by(FINDINGS.c.patient_id)
        with _transaction(self._engine, "listing patients with findings") as conn:
            return list(conn.execute(query).scalars())


class SqlRecommendationRepository:
    """Recommendations in ``recommendations``; status changes in ``recommendation_feedback``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @staticmethod
    def _row(rec: Recommendation) -> dict[str, Any]:
        return {
            "patient_id": rec.patient_id,
            "status": rec.status.value,
            "priority_rank": rec.priority.rank,
            "due": utc_text(rec.due),
            "expires": utc_text(rec.expires),
            "body": rec.model_dump_json(),
        }

    def upsert(self, rec: Recommendation) -> None:
        row = self._row(rec)
        with _transaction(self._engine, f"storing recommendation {rec.id!r}") as conn:
            exists = conn.execute(
                sa.select(RECOMMENDATIONS.c.id).where(RECOMMENDATIONS.c.id == rec.id)
            ).first()
            if exists is None:
                conn.execute(RECOMMENDATIONS.insert().values(id=rec.id, **row))
            else:
                conn.execute(
                    RECOMMENDATIONS.update().where(RECOMMENDATIONS.c.id == rec.id).values(**row)
                )

    def get(self, rec_id: str) -> Recommendation | None:
        query = sa.select(RECOMMENDATIONS.c.body).where(RECOMMENDATIONS.c.id == rec_id)
        with _transaction(self._engine, f"reading recommendation {rec_id!r}") as conn:
            body = conn.execute(query).scalar_one_or_none()
        return None if body is None else Recommendation.model_validate_json(body)

    def _select(self, condition: sa.ColumnElement[bool], what: str) -> list[Recommendation]:
        query = (
            sa.select(RECOMMENDATIONS.c.body)
            .where(condition)
            .order_by(RECOMMENDATIONS.c.priority_rank, RECOMMENDATIONS.c.due, RECOMMENDATIONS.c.id)
        )
        with _transaction(self._engine, what) as conn:
            bodies = list(conn.execute(query).scalars())
        return [Recommendation.model_validate_json(b) for b in bodies]

    def list_open(self, *, as_of: dt.datetime | None = None) -> list[Recommendation]:
        condition = RECOMMENDATIONS.c.status == RecommendationStatus.OPEN.value
        if as_of is not None:
            condition = sa.and_(condition, RECOMMENDATIONS.c.expires > utc_text(as_of))
        return self._select(condition, "listing open recommendations")

    def list_for_patient(self, patient_id: str) -> list[Recommendation]:
        what = f"listing recommendations of {patient_id!r}"
        with _transaction(self._engine, what) as conn:
            rows = conn.execute(_PATIENT_RECOMMENDATIONS, {"patient_id": patient_id})
            bodies = list(rows.scalars())
        return [Recommendation.model_validate_json(b) for b in bodies]

    def set_status(
        self,
        rec_id: str,
        status: RecommendationStatus,
        who: str,
        when: dt.datetime,
        reason: str = "",
    ) -> Recommendation:
        at = utc_text(when)
        with _transaction(self._engine, f"changing status of {rec_id!r}") as conn:
            body = conn.execute(
                sa.select(RECOMMENDATIONS.c.body).where(RECOMMENDATIONS.c.id == rec_id)
            ).scalar_one_or_none()
            if body is None:
                raise StoreError(f"no recommendation with id {rec_id!r}")
            old = Recommendation.model_validate_json(body)
            new = old.model_copy(update={"status": RecommendationStatus(status)})
            conn.execute(
                RECOMMENDATIONS.update()
                .where(RECOMMENDATIONS.c.id == rec_id)
                .values(status=new.status.value, body=new.model_dump_json())
            )
            conn.execute(
                FEEDBACK.insert().values(
                    recommendation_id=rec_id,
                    previous_status=old.status.value,
                    status=new.status.value,
                    who=who,
                    at=at,
                    reason=reason,
                )
            )
        return new

    def history(self, rec_id: str) -> list[StatusChange]:
        query = (
            sa.select(FEEDBACK)
            .where(FEEDBACK.c.recommendation_id == rec_id)
            .order_by(FEEDBACK.c.seq)
        )
        with _transaction(self._engine, f"reading status history of {rec_id!r}") as conn:
            rows = list(conn.execute(query).mappings())
        return [
            StatusChange(
                recommendation_id=row["recommendation_id"],
                previous_status=RecommendationStatus(row["previous_status"]),
                status=RecommendationStatus(row["status"]),
                who=row["who"],
                when=dt.datetime.strptime(row["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=dt.UTC
                ),
                reason=row["reason"],
            )
            for row in rows
        ]


class SqlFhirResourceRepository:
    """FHIR resources in ``fhir_resources``, keyed by (resourceType, id)."""

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime]) -> None:
        self._engine = engine
        self._clock = clock

    def put(self, resource: Mapping[str, Any]) -> FhirResource:
        return self.put_many([resource])[0]

    def put_many(self, resources: Sequence[Mapping[str, Any]]) -> list[FhirResource]:
        keys = [check_fhir_resource(r) for r in resources]
        if not keys:
            return []
        stored: list[FhirResource] = [json.loads(json.dumps(dict(r))) for r in resources]
        what = f"storing {len(keys)} FHIR resource(s) from {keys[0][0]}/{keys[0][1]}"
        with _transaction(self._engine, what) as conn:
            # one lookup for the batch: a batch is mostly new AuditEvents (group commit)
            known: dict[tuple[str, str], int] = {}
            for rtype in sorted({t for t, _ in keys}):
                ids = sorted({i for t, i in keys if t == rtype})
                rows = conn.execute(_FHIR_VERSIONS, {"resource_type": rtype, "ids": ids})
                known.update(((rtype, i), int(v)) for i, v in rows)
            last_updated = utc_text(self._clock())
            inserts: dict[tuple[str, str], dict[str, Any]] = {}
            for key, body in zip(keys, stored, strict=True):
                previous = known.get(key)
                version = 1 if previous is None else previous + 1
                known[key] = version
                body["meta"] = {
                    **(body.get("meta") or {}),
                    "versionId": str(version),
                    "lastUpdated": last_updated,
                }
                row = {
                    "resource_type": key[0],
                    "resource_id": key[1],
                    "patient_id": fhir_patient_id(body),
                    "version_id": version,
                    "last_updated": last_updated,
                    "body": json.dumps(body),
                }
                if previous is None or key in inserts:
                    inserts[key] = row
                else:
                    conn.execute(
                        FHIR_RESOURCES.update()
                        .where(
                            FHIR_RESOURCES.c.resource_type == key[0],
                            FHIR_RESOURCES.c.resource_id == key[1],
                        )
                        .values(row)
                    )
            if inserts:
                conn.execute(FHIR_RESOURCES.insert(), list(inserts.values()))
        return stored

    def get(self, resource_type: str, resource_id: str) -> FhirResource | None:
        query = sa.select(FHIR_RESOURCES.c.body).where(
            FHIR_RESOURCES.c.resource_type == resource_type,
            FHIR_RESOURCES.c.resource_id == resource_id,
        )
        with _transaction(self._engine, f"reading {resource_type}/{resource_id}") as conn:
            body = conn.execute(query).scalar_one_or_none()
        if body is None:
            return None
        resource: FhirResource = json.loads(body)
        return resource

    def search(self, resource_type: str, patient: str | None = None) -> list[FhirResource]:
        query = sa.select(FHIR_RESOURCES.c.body).where(
            FHIR_RESOURCES.c.resource_type == resource_type
        )
        if patient is not None:
            query = query.where(FHIR_RESOURCES.c.patient_id == patient)
        query = query.order_by(FHIR_RESOURCES.c.resource_id)
        with _transaction(self._engine, f"searching {resource_type}") as conn:
            bodies = list(conn.execute(query).scalars())
        return [json.loads(b) for b in bodies]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on foreign keys and write-ahead logging for every new SQLite connection."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def put_phq9(conn: Connection, response: Phq9Response) -> None:
    """Write a PHQ-9 on `conn` (inside the caller's transaction), replacing the same key."""
    key = {
        "patient_id": response.patient_id,
        "date": response.date.isoformat(),
        "source": response.source,
    }
    conn.execute(
        PHQ9_RESPONSES.delete().where(sa.and_(*(PHQ9_RESPONSES.c[k] == v for k, v in key.items())))
    )
    conn.execute(PHQ9_RESPONSES.insert().values(**key, body=response.model_dump_json()))


class SqlPhq9Repository:
    """PHQ-9s in ``phq9_responses``, keyed by (patient, date, source)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, response: Phq9Response) -> None:
        what = f"storing the PHQ-9 of {response.patient_id!r} on {response.date}"
        with _transaction(self._engine, what) as conn:
            put_phq9(conn, response)

    def list_for_patient(self, patient_id: str) -> list[Phq9Response]:
        query = (
            sa.select(PHQ9_RESPONSES.c.body)
            .where(PHQ9_RESPONSES.c.patient_id == patient_id)
            .order_by(PHQ9_RESPONSES.c.date, PHQ9_RESPONSES.c.source)
        )
        with _transaction(self._engine, f"reading PHQ-9s of {patient_id!r}") as conn:
            bodies = list(conn.execute(query).scalars())
        return [Phq9Response.model_validate_json(b) for b in bodies]


class SqlStore:
    """The repositories on one SQLAlchemy engine.

    Parameters
    ----------
    engine : Engine
        An engine whose database already has the tables (see `create_store`).
    clock : callable returning datetime, optional
        Source of ``meta.lastUpdated`` for FHIR resources (UTC now by default).
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.engine = engine
        self.findings = SqlFindingRepository(engine)
        self.recommendations = SqlRecommendationRepository(engine)
        self.fhir = SqlFhirResourceRepository(engine, clock)
        self.phq9 = SqlPhq9Repository(engine)
        self.migration: MigrationReport | None = None
        """What `create_store` did to the schema (None when the engine was passed in)."""

    def close(self) -> None:
        """Dispose of the engine's connection pool."""
        self.engine.dispose()


def create_store(
    url: str = "sqlite:///bedside.db", *, clock: Callable[[], dt.datetime] = _utc_now
) -> SqlStore:
    """Open (and if needed create) a SQL store.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:///path/to/bedside.db`` (default ``sqlite:///bedside.db``
        in the working directory), ``sqlite://`` for a private in-memory database, or
        ``postgresql+psycopg://...`` (driver not bundled).
    clock : callable returning datetime, optional
        Source of ``meta.lastUpdated`` for FHIR resources.

    Returns
    -------
    SqlStore

    Notes
    -----
    SQLite connections get ``foreign_keys=ON`` and ``journal_mode=WAL``. The schema is created or
    upgraded by the Alembic migrations (`upgrade_database`); a database made before Alembic is
    adopted (see `bedside.store.migrate`). ``store.migration`` tells what was done.
    """
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"invalid database URL {url!r}: {exc}") from exc
    kwargs: dict[str, Any] = {}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        kwargs["connect_args"] = {"check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool  # one shared connection, or each sees an empty DB
    try:
        engine = sa.create_engine(parsed, **kwargs)
        if is_sqlite:
            sa.event.listen(engine, "connect", _sqlite_pragmas)
    except SQLAlchemyError as exc:
        raise StoreError(f"could not open the store at {url!r}: {exc}") from exc
    try:
        report = upgrade_database(engine)
    except StoreError:
        engine.dispose()
        raise
    store = SqlStore(engine, clock=clock)
    store.migration = report
    return store
