"""The audit log in SQL (SQLAlchemy 2 Core): append inside the caller's transaction, read, verify.

Appends take the head row (``audit_head``, one row) ``FOR UPDATE`` so concurrent writers on
PostgreSQL serialise; SQLite serialises writers itself, and an in-process lock spares it
busy-waiting. The log is append-only by API: there is no update or delete method, and
`verify_audit_log` reports any edit made behind the API's back.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bedside.audit.chain import GENESIS_HASH, AuditEntry, AuditProblem, make_entry, verify_chain
from bedside.privacy import Identity

__all__ = ["AUDIT_METADATA", "AuditEvent", "SqlAuditLog", "read_audit_log", "verify_audit_log"]

AUDIT_METADATA = sa.MetaData()

AUDIT_LOG = sa.Table(
    "audit_log",
    AUDIT_METADATA,
    sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("seq", sa.Integer, nullable=False, index=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(300), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("outcome", sa.String(100), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("attestation", sa.String(200), nullable=False),
    sa.Column("signer_did", sa.String(200), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
)

AUDIT_HEAD = sa.Table(
    "audit_head",
    AUDIT_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
)

_SELECT_HEAD = (
    sa.select(AUDIT_HEAD.c.seq, AUDIT_HEAD.c.entry_hash)
    .where(AUDIT_HEAD.c.id == 1)
    .with_for_update()
)
_INSERT_ENTRY = AUDIT_LOG.insert()
_INSERT_HEAD = AUDIT_HEAD.insert().values(id=1)
_UPDATE_HEAD = AUDIT_HEAD.update().where(AUDIT_HEAD.c.id == 1)


@dataclass(frozen=True)
class AuditEvent:
    """What happened, before it is numbered, chained and signed into an `AuditEntry`."""

    at: dt.datetime
    actor: str
    action: str
    subject: str
    outcome: str
    detail: dict[str, Any] | None = None


class SqlAuditLog:
    """Appends signed, chained entries.

    Parameters
    ----------
    engine : Engine
        Where the log lives; its tables are created if missing.
    signer : Identity
        The clinic service's signing identity (the API process's key).
    attestation : str
        The processor's attestation status written into every entry.
    """

    def __init__(self, engine: Engine, signer: Identity, *, attestation: str) -> None:
        self.engine = engine
        self.signer = signer
        self.attestation = attestation
        self.lock = threading.Lock()
        AUDIT_METADATA.create_all(engine)

    def append(
        self,
        conn: Connection,
        *,
        at: dt.datetime,
        actor: str,
        action: str,
        subject: str,
        outcome: str,
        detail: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry inside the caller's open transaction `conn` (committed with it)."""
        event = AuditEvent(at, actor, action, subject, outcome, detail)
        return self.append_many(conn, [event])[0]

    def append_many(self, conn: Connection, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """Append `events` in order inside `conn`: one head read, one bulk insert, one head write.

        Group commit uses this to chain a whole batch's entries in its single transaction.
        """
        if not events:
            return []
        head = conn.execute(_SELECT_HEAD).first()
        seq, prev = (0, GENESIS_HASH) if head is None else (int(head[0]), str(head[1]))
        entries: list[AuditEntry] = []
        rows: list[dict[str, Any]] = []
        for event in events:
            seq += 1
            entry = make_entry(
                self.signer,
                seq=seq,
                prev_hash=prev,
                at=event.at,
                actor=event.actor,
                action=event.action,
                subject=event.subject,
                outcome=event.outcome,
                detail=event.detail,
                attestation=self.attestation,
            )
            row = entry.model_dump(mode="json")
            row["detail"] = json.dumps(row["detail"], sort_keys=True)
            rows.append(row)
            entries.append(entry)
            prev = entry.entry_hash
        conn.execute(_INSERT_ENTRY, rows)
        last = {"seq": seq, "entry_hash": prev}
        conn.execute(_INSERT_HEAD if head is None else _UPDATE_HEAD, last)
        return entries

    def record(
        self,
        *,
        at: dt.datetime,
        actor: str,
        action: str,
        subject: str,
        outcome: str,
        detail: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry in a transaction of its own."""
        with self.lock, self.engine.begin() as conn:
            return self.append(
                conn,
                at=at,
                actor=actor,
                action=action,
                subject=subject,
                outcome=outcome,
                detail=detail,
            )


def read_audit_log(engine: Engine) -> tuple[list[AuditEntry], tuple[int, str] | None]:
    """All entries in stored order (by ``seq``, then row id) and the recorded head."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(AUDIT_LOG).order_by(AUDIT_LOG.c.seq, AUDIT_LOG.c.row_id)
        ).mappings()
        entries = []
        for row in rows:
            data = {k: v for k, v in row.items() if k != "row_id"}
            data["detail"] = json.loads(data["detail"])
            entries.append(AuditEntry.model_validate(data))
        head_row = conn.execute(
            sa.select(AUDIT_HEAD.c.seq, AUDIT_HEAD.c.entry_hash).where(AUDIT_HEAD.c.id == 1)
        ).first()
    head = None if head_row is None else (int(head_row[0]), str(head_row[1]))
    return entries, head


def verify_audit_log(engine: Engine, *, trusted_did: str | None = None) -> list[AuditProblem]:
    """Problems found in the stored log (empty when intact); see `verify_chain`."""
    AUDIT_METADATA.create_all(engine)
    entries, head = read_audit_log(engine)
    return verify_chain(entries, trusted_did=trusted_did, head=head or (0, GENESIS_HASH))
