"""A persistent outbox of transaction Bundles waiting for the EHR.

Every Bundle bound for the EHR is written here first (keyed by its id, so adding the same Bundle
twice keeps one item) and leaves only when the EHR has committed it (``sent``) or rejected it
(``rejected``, with the OperationOutcome kept for review; :meth:`Outbox.requeue` sends it again
after a fix). Nothing is deleted, so nothing is lost when the EHR is down or the process dies.

Two implementations of the :class:`Outbox` port: :class:`SqliteOutbox` (a file, WAL mode,
survives restarts) and :class:`MemoryOutbox` (tests).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

__all__ = ["MemoryOutbox", "Outbox", "OutboxItem", "OutboxStatus", "SqliteOutbox"]


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One Bundle in the outbox.

    Attributes
    ----------
    id : str
        The Bundle's id.
    bundle : dict
    status : OutboxStatus
    attempts : int
        Failed delivery attempts so far.
    next_attempt : datetime
        Not before this (UTC): the backoff after a failure.
    enqueued : datetime
    last_error : str
    outcome : dict or None
        The EHR's OperationOutcome when rejected.
    sent_at : datetime or None
    """

    id: str
    bundle: dict[str, Any]
    status: OutboxStatus
    attempts: int
    next_attempt: dt.datetime
    enqueued: dt.datetime
    last_error: str = ""
    outcome: dict[str, Any] | None = None
    sent_at: dt.datetime | None = None


class Outbox(Protocol):
    """Port of the outbox; every method is atomic."""

    def add(self, bundle: dict[str, Any], now: dt.datetime) -> OutboxItem:
        """Store a Bundle as pending (an existing item with the same id is kept unchanged)."""
        ...

    def get(self, item_id: str) -> OutboxItem | None: ...

    def due(self, now: dt.datetime) -> list[OutboxItem]:
        """Pending items whose ``next_attempt`` has come, oldest first."""
        ...

    def items(self, status: OutboxStatus | None = None) -> list[OutboxItem]:
        """All items (or those with `status`), oldest first."""
        ...

    def mark_sent(self, item_id: str, now: dt.datetime) -> None: ...

    def mark_failed(self, item_id: str, error: str, next_attempt: dt.datetime) -> None:
        """Count a failed attempt and set when to try again."""
        ...

    def mark_rejected(self, item_id: str, outcome: dict[str, Any], error: str) -> None: ...

    def requeue(self, item_id: str, bundle: dict[str, Any], now: dt.datetime) -> None:
        """Put a (reviewed, possibly corrected) rejected item back as pending."""
        ...


def _bundle_id(bundle: dict[str, Any]) -> str:
    bid = bundle.get("id")
    if not isinstance(bid, str) or not bid:
        raise ValueError("an outbox Bundle needs an id")
    return bid


class MemoryOutbox:
    """In-memory :class:`Outbox` (tests)."""

    def __init__(self) -> None:
        self._items: dict[str, OutboxItem] = {}
        self._lock = threading.Lock()

    def add(self, bundle: dict[str, Any], now: dt.datetime) -> OutboxItem:
        bid = _bundle_id(bundle)
        with self._lock:
            if bid not in self._items:
                self._items[bid] = OutboxItem(
                    bid, json.loads(json.dumps(bundle)), OutboxStatus.PENDING, 0, now, now
                )
            return self._items[bid]

    def get(self, item_id: str) -> OutboxItem | None:
        return self._items.get(item_id)

    def due(self, now: dt.datetime) -> list[OutboxItem]:
        return [i for i in self.items(OutboxStatus.PENDING) if i.next_attempt <= now]

    def items(self, status: OutboxStatus | None = None) -> list[OutboxItem]:
        found = [i for i in self._items.values() if status is None or i.status == status]
        return sorted(found, key=lambda i: (i.enqueued, i.id))

    def _update(self, item_id: str, **changes: Any) -> None:
        with self._lock:
            self._items[item_id] = replace(self._items[item_id], **changes)

    def mark_sent(self, item_id: str, now: dt.datetime) -> None:
        self._update(item_id, status=OutboxStatus.SENT, sent_at=now, last_error="")

    def mark_failed(self, item_id: str, error: str, next_attempt: dt.datetime) -> None:
        item = self._items[item_id]
        self._update(
            item_id, attempts=item.attempts + 1, last_error=error, next_attempt=next_attempt
        )

    def mark_rejected(self, item_id: str, outcome: dict[str, Any], error: str) -> None:
        self._update(item_id, status=OutboxStatus.REJECTED, outcome=outcome, last_error=error)

    def requeue(self, item_id: str, bundle: dict[str, Any], now: dt.datetime) -> None:
        self._update(
            item_id, status=OutboxStatus.PENDING, bundle=bundle, next_attempt=now, outcome=None
        )


_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    bundle TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt TEXT NOT NULL,
    enqueued TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    outcome TEXT,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt);
"""


def _ts(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("outbox times must be timezone-aware")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_ts(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


class SqliteOutbox:
    """:class:`Outbox` in a SQLite file (created when missing; survives process restarts).

    Parameters
    ----------
    path : str or Path
        Database file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def _row(self, row: tuple[Any, ...]) -> OutboxItem:
        next_attempt = _parse_ts(row[4])
        enqueued = _parse_ts(row[5])
        assert next_attempt is not None
        assert enqueued is not None
        return OutboxItem(
            id=row[0],
            bundle=json.loads(row[1]),
            status=OutboxStatus(row[2]),
            attempts=int(row[3]),
            next_attempt=next_attempt,
            enqueued=enqueued,
            last_error=row[6],
            outcome=None if row[7] is None else json.loads(row[7]),
            sent_at=_parse_ts(row[8]),
        )

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[OutboxItem]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [self._row(r) for r in rows]

    def _exec(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            cur = self._db.execute(sql, args)
            if cur.rowcount != 1:
                raise KeyError(f"no outbox item {args[-1]!r}")

    def add(self, bundle: dict[str, Any], now: dt.datetime) -> OutboxItem:
        bid = _bundle_id(bundle)
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO outbox"
                " (id, bundle, status, attempts, next_attempt, enqueued)"
                " VALUES (?, ?, 'pending', 0, ?, ?)",
                (bid, json.dumps(bundle), _ts(now), _ts(now)),
            )
        item = self.get(bid)
        assert item is not None
        return item

    def get(self, item_id: str) -> OutboxItem | None:
        found = self._query("SELECT * FROM outbox WHERE id = ?", (item_id,))
        return found[0] if found else None

    def due(self, now: dt.datetime) -> list[OutboxItem]:
        return self._query(
            "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt <= ?"
            " ORDER BY enqueued, id",
            (_ts(now),),
        )

    def items(self, status: OutboxStatus | None = None) -> list[OutboxItem]:
        if status is None:
            return self._query("SELECT * FROM outbox ORDER BY enqueued, id")
        return self._query(
            "SELECT * FROM outbox WHERE status = ? ORDER BY enqueued, id", (status.value,)
        )

    def mark_sent(self, item_id: str, now: dt.datetime) -> None:
        self._exec(
            "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = '' WHERE id = ?",
            (_ts(now), item_id),
        )

    def mark_failed(self, item_id: str, error: str, next_attempt: dt.datetime) -> None:
        self._exec(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt = ?"
            " WHERE id = ?",
            (error, _ts(next_attempt), item_id),
        )

    def mark_rejected(self, item_id: str, outcome: dict[str, Any], error: str) -> None:
        self._exec(
            "UPDATE outbox SET status = 'rejected', outcome = ?, last_error = ? WHERE id = ?",
            (json.dumps(outcome), error, item_id),
        )

    def requeue(self, item_id: str, bundle: dict[str, Any], now: dt.datetime) -> None:
        self._exec(
            "UPDATE outbox SET status = 'pending', bundle = ?, next_attempt = ?, outcome = NULL"
            " WHERE id = ?",
            (json.dumps(bundle), _ts(now), item_id),
        )
