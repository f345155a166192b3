"""Clinic-side tables for sealed ingest: envelopes, sequence gaps, consents (SQLAlchemy 2 Core).

Every function takes an open `Connection` so the caller can put the envelope, its finding, a gap
record and the audit entry in one transaction: all of them are written, or none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bedside.domain import Finding, Phq9Response
from bedside.privacy import ConsentGrant, PriorDelivery, Purpose, Scope
from bedside.store.migrate import upgrade_database
from bedside.store.repository import utc_text
from bedside.store.sqlalchemy_store import FINDINGS, put_phq9

__all__ = [
    "INGEST_METADATA",
    "BatchPrior",
    "EnvelopeRow",
    "count_envelopes",
    "create_ingest_tables",
    "get_consent",
    "get_consents",
    "has_any_consent",
    "insert_envelopes",
    "prior_deliveries",
    "put_consent",
    "revoke_consent",
    "sequence_gaps",
]

INGEST_METADATA = sa.MetaData()

ENVELOPES = sa.Table(
    "sealed_envelopes",
    INGEST_METADATA,
    sa.Column("envelope_id", sa.String(100), primary_key=True),
    sa.Column("patient_did", sa.String(200), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("consent_id", sa.String(200), nullable=False),
    sa.Column("issued_at", sa.String(27), nullable=False),
    sa.Column("received_at", sa.String(27), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.UniqueConstraint("patient_did", "sequence", name="uq_envelope_patient_sequence"),
)

GAPS = sa.Table(
    "sequence_gaps",
    INGEST_METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patient_did", sa.String(200), nullable=False, index=True),
    sa.Column("first_missing", sa.Integer, nullable=False),
    sa.Column("last_missing", sa.Integer, nullable=False),
    sa.Column("recorded_at", sa.String(27), nullable=False),
)

CONSENTS = sa.Table(
    "consents",
    INGEST_METADATA,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("patient_did", sa.String(200), nullable=False, index=True),
    sa.Column("patient_id", sa.String(200), nullable=False, index=True),
    sa.Column("grantee_did", sa.String(200), nullable=False),
    sa.Column("scopes", sa.String(100), nullable=False),
    sa.Column("valid_from", sa.String(27), nullable=False),
    sa.Column("valid_until", sa.String(27), nullable=False),
    sa.Column("token", sa.Text, nullable=False),
    sa.Column("revoked_at", sa.String(27), nullable=True),
    sa.Column("revocation_token", sa.Text, nullable=True),
)

# Statements of the ingest hot path, built once: SQLAlchemy then only binds parameters (building
# a Core expression per call cost about 100 us each, a third of the API's time per envelope).
_SELECT_CONSENT = sa.select(CONSENTS).where(CONSENTS.c.id == sa.bindparam("consent_id"))
_ANY_CONSENT = (
    sa.select(CONSENTS.c.id).where(CONSENTS.c.patient_did == sa.bindparam("patient_did")).limit(1)
)
_SELECT_CONSENTS = sa.select(CONSENTS).where(
    CONSENTS.c.id.in_(sa.bindparam("consent_ids", expanding=True))
)
_DIGESTS_BY_ID = sa.select(ENVELOPES.c.envelope_id, ENVELOPES.c.digest).where(
    ENVELOPES.c.envelope_id.in_(sa.bindparam("ids", expanding=True))
)
_IDS_BY_PAIR = sa.select(
    ENVELOPES.c.patient_did, ENVELOPES.c.sequence, ENVELOPES.c.envelope_id
).where(
    ENVELOPES.c.patient_did.in_(sa.bindparam("patients", expanding=True)),
    ENVELOPES.c.sequence.in_(sa.bindparam("sequences", expanding=True)),
)
_HIGHEST_BY_PATIENT = (
    sa.select(ENVELOPES.c.patient_did, sa.func.max(ENVELOPES.c.sequence))
    .where(ENVELOPES.c.patient_did.in_(sa.bindparam("patients", expanding=True)))
    .group_by(ENVELOPES.c.patient_did)
)
_INSERT_ENVELOPE = ENVELOPES.insert()
_DELETE_FINDING = FINDINGS.delete().where(
    FINDINGS.c.patient_id == sa.bindparam("patient_id"),
    FINDINGS.c.date == sa.bindparam("date"),
    FINDINGS.c.device_id == sa.bindparam("device_id"),
)
_INSERT_FINDING = FINDINGS.insert()
_INSERT_GAP = GAPS.insert()


def create_ingest_tables(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic), which holds the ingest tables."""
    upgrade_database(engine)


def _parse_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)  # fixed-width UTC text ending in Z (see utc_text)


def put_consent(conn: Connection, grant: ConsentGrant, token: str) -> bool:
    """Store a verified consent; False (and nothing written) when its id is already stored."""
    exists = conn.execute(sa.select(CONSENTS.c.id).where(CONSENTS.c.id == grant.id)).first()
    if exists is not None:
        return False
    conn.execute(
        CONSENTS.insert().values(
            id=grant.id,
            patient_did=grant.patient_did,
            patient_id=grant.patient_id,
            grantee_did=grant.grantee_did,
            scopes=",".join(sorted(s.value for s in grant.scopes)),
            valid_from=utc_text(grant.valid_from),
            valid_until=utc_text(grant.valid_until),
            token=token,
        )
    )
    return True


def get_consent(
    conn: Connection, consent_id: str
) -> tuple[ConsentGrant, dt.datetime | None] | None:
    """The stored consent and its revocation time (None if not revoked), or None if unknown."""
    row = conn.execute(_SELECT_CONSENT, {"consent_id": consent_id}).mappings().first()
    return None if row is None else _consent_from_row(row)


def get_consents(
    conn: Connection, consent_ids: Iterable[str]
) -> dict[str, tuple[ConsentGrant, dt.datetime | None]]:
    """`get_consent` for many ids in one query; unknown ids are absent from the result."""
    ids = sorted(set(consent_ids))
    if not ids:
        return {}
    rows = conn.execute(_SELECT_CONSENTS, {"consent_ids": ids}).mappings()
    return {row["id"]: _consent_from_row(row) for row in rows}


def _consent_from_row(row: sa.RowMapping) -> tuple[ConsentGrant, dt.datetime | None]:
    grant = ConsentGrant(
        id=row["id"],
        patient_did=row["patient_did"],
        patient_id=row["patient_id"],
        grantee_did=row["grantee_did"],
        scopes=frozenset(Scope(s) for s in row["scopes"].split(",")),
        purpose=Purpose.TREATMENT,
        valid_from=_parse_utc(row["valid_from"]),
        valid_until=_parse_utc(row["valid_until"]),
    )
    revoked = None if row["revoked_at"] is None else _parse_utc(row["revoked_at"])
    return grant, revoked


def has_any_consent(conn: Connection, patient_did: str) -> bool:
    """Whether any consent (valid or not) from `patient_did` is on file."""
    return conn.execute(_ANY_CONSENT, {"patient_did": patient_did}).first() is not None


def revoke_consent(conn: Connection, consent_id: str, revoked_at: dt.datetime, token: str) -> bool:
    """Mark a consent revoked; False when unknown or already revoked (first revocation wins)."""
    result = conn.execute(
        CONSENTS.update()
        .where(CONSENTS.c.id == consent_id, CONSENTS.c.revoked_at.is_(None))
        .values(revoked_at=utc_text(revoked_at), revocation_token=token)
    )
    return bool(result.rowcount)


@dataclass
class BatchPrior:
    """What is stored about a batch's envelope ids and (patient, sequence) pairs.

    Kept current while the batch is admitted in order (`prior`, then `accept` for each new
    envelope), so each envelope is judged as if the earlier ones of its batch had been committed
    before it -- the same decisions as one envelope per transaction.
    """

    digest_by_id: dict[str, str] = field(default_factory=dict)
    id_by_pair: dict[tuple[str, int], str] = field(default_factory=dict)
    highest_by_patient: dict[str, int] = field(default_factory=dict)

    def prior(self, envelope_id: str, patient_did: str, sequence: int) -> PriorDelivery:
        """The `PriorDelivery` of one envelope, given the batch admitted so far."""
        return PriorDelivery(
            digest_for_id=self.digest_by_id.get(envelope_id),
            id_for_sequence=self.id_by_pair.get((patient_did, sequence)),
            highest_sequence=self.highest_by_patient.get(patient_did, 0),
        )

    def accept(self, envelope_id: str, patient_did: str, sequence: int, digest: str) -> None:
        """Record a newly stored envelope of the batch."""
        self.digest_by_id[envelope_id] = digest
        self.id_by_pair[(patient_did, sequence)] = envelope_id
        highest = self.highest_by_patient.get(patient_did, 0)
        self.highest_by_patient[patient_did] = max(highest, sequence)


def prior_deliveries(conn: Connection, keys: Sequence[tuple[str, str, int]]) -> BatchPrior:
    """Three queries for a whole batch of (envelope id, patient DID, sequence) keys."""
    prior = BatchPrior()
    if not keys:
        return prior
    ids = sorted({k[0] for k in keys})
    patients = sorted({k[1] for k in keys})
    sequences = sorted({k[2] for k in keys})
    for eid, digest in conn.execute(_DIGESTS_BY_ID, {"ids": ids}):
        prior.digest_by_id[str(eid)] = str(digest)
    wanted = {(k[1], k[2]) for k in keys}
    params = {"patients": patients, "sequences": sequences}
    for patient, sequence, eid in conn.execute(_IDS_BY_PAIR, params):
        if (patient, sequence) in wanted:  # the query's filter is a superset of the pairs
            prior.id_by_pair[(str(patient), int(sequence))] = str(eid)
    for patient, highest in conn.execute(_HIGHEST_BY_PATIENT, {"patients": patients}):
        prior.highest_by_patient[str(patient)] = int(highest)
    return prior


@dataclass(frozen=True)
class EnvelopeRow:
    """One accepted envelope of a batch, for `insert_envelopes`."""

    envelope_id: str
    patient_did: str
    sequence: int
    digest: str
    consent_id: str
    issued_at: dt.datetime
    received_at: dt.datetime
    payload_json: str
    finding: Finding | None
    gap: tuple[int, int] | None
    phq9: Sequence[Phq9Response] = ()


def insert_envelopes(conn: Connection, rows: Sequence[EnvelopeRow]) -> None:
    """Insert a batch's envelopes, findings and gaps (one multi-row statement each) and PHQ-9s.

    A finding replaces the stored one of its (patient, date, device); within the batch the
    later envelope's finding wins, as it would with one envelope at a time.
    """
    if not rows:
        return
    conn.execute(
        _INSERT_ENVELOPE,
        [
            {
                "envelope_id": r.envelope_id,
                "patient_did": r.patient_did,
                "sequence": r.sequence,
                "digest": r.digest,
                "consent_id": r.consent_id,
                "issued_at": utc_text(r.issued_at),
                "received_at": utc_text(r.received_at),
                "payload": r.payload_json,
            }
            for r in rows
        ],
    )
    findings: dict[tuple[str, str, str], str] = {}
    for r in rows:
        if r.finding is not None:
            key = (r.finding.patient_id, r.finding.date.isoformat(), r.finding.device_id)
            findings[key] = r.finding.model_dump_json()
    if findings:
        keys = [{"patient_id": k[0], "date": k[1], "device_id": k[2]} for k in findings]
        conn.execute(_DELETE_FINDING, keys)
        conn.execute(
            _INSERT_FINDING,
            [{**key, "body": body} for key, body in zip(keys, findings.values(), strict=True)],
        )
    gaps = [
        {
            "patient_did": r.patient_did,
            "first_missing": r.gap[0],
            "last_missing": r.gap[1],
            "recorded_at": utc_text(r.received_at),
        }
        for r in rows
        if r.gap is not None
    ]
    if gaps:
        conn.execute(_INSERT_GAP, gaps)
    for r in rows:  # in batch order, so a later re-sent answer replaces an earlier one
        for response in r.phq9:
            put_phq9(conn, response)


def sequence_gaps(conn: Connection, patient_did: str) -> list[tuple[int, int]]:
    """Recorded gaps of a patient, oldest first."""
    rows = conn.execute(
        sa.select(GAPS.c.first_missing, GAPS.c.last_missing)
        .where(GAPS.c.patient_did == patient_did)
        .order_by(GAPS.c.id)
    )
    return [(int(a), int(b)) for a, b in rows]


def count_envelopes(conn: Connection, envelope_id: str | None = None) -> int:
    """Number of stored envelopes (with that id, when given)."""
    query = sa.select(sa.func.count()).select_from(ENVELOPES)
    if envelope_id is not None:
        query = query.where(ENVELOPES.c.envelope_id == envelope_id)
    return int(conn.execute(query).scalar() or 0)
