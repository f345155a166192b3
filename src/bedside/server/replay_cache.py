"""Single-use ``jti`` claims of EHR JWTs, shared by every worker process of the service.

CDS Hooks asks services to refuse a token whose ``jti`` was already used. A set in memory only
sees its own process's tokens, so with several worker processes a replayed token could reach a
worker that never saw it. `SqliteReplayCache` keeps the claims in one SQLite file (WAL) that all
workers open: the primary key makes a second claim of the same (iss, jti) fail, whichever process
makes it. Claims are kept until the token expires (plus leeway) and purged from time to time.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Protocol

__all__ = ["MemoryReplayCache", "ReplayCache", "SqliteReplayCache"]

_PURGE_EVERY = 1000


class ReplayCache(Protocol):
    """Records ``jti`` claims; a second claim of the same key is refused."""

    def claim(self, key: str, expires_at: float, now: float) -> bool:
        """Record `key` until `expires_at`; False when a claim of it lives at `now`.

        Times are UNIX seconds on the verifier's clock.
        """
        ...


class MemoryReplayCache:
    """Claims in this process's memory: enough for a service run as one worker process."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, expires_at: float, now: float) -> bool:
        with self._lock:
            if self._seen.get(key, 0.0) > now:
                return False
            self._seen[key] = expires_at
            if len(self._seen) > 10_000:  # drop expired entries now and then
                self._seen = {k: t for k, t in self._seen.items() if t > now}
            return True


class SqliteReplayCache:
    """Claims in a SQLite file shared by the worker processes of one service.

    Parameters
    ----------
    path : path-like
        The file (created if missing). Every worker must open the same file.
    """

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), timeout=10.0, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # A lost claim after a power cut could let a token be replayed within its 5-minute
        # life; a crash of the process loses nothing (WAL pages are in the OS cache).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS jti_claims (key TEXT PRIMARY KEY, expires_at REAL)"
        )
        self._db.commit()
        self._lock = threading.Lock()
        self._claims = 0

    def claim(self, key: str, expires_at: float, now: float) -> bool:
        with self._lock:
            self._claims += 1
            with self._db:
                if self._claims % _PURGE_EVERY == 0:
                    self._db.execute("DELETE FROM jti_claims WHERE expires_at < ?", (now,))
                try:
                    self._db.execute(
                        "INSERT INTO jti_claims (key, expires_at) VALUES (?, ?)",
                        (key, expires_at),
                    )
                except sqlite3.IntegrityError:
                    # an expired claim may be reused only after it was purged
                    expired = self._db.execute(
                        "UPDATE jti_claims SET expires_at = ? WHERE key = ? AND expires_at < ?",
                        (expires_at, key, now),
                    ).rowcount
                    return expired == 1
            return True

    def close(self) -> None:
        self._db.close()
