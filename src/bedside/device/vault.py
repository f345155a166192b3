"""The device's local store (SQLite), every value encrypted at rest with AES-256-GCM.

Rows are ``(kind, key) -> nonce || ciphertext``; the (kind, key) pair is bound to the ciphertext
as associated data, so moving a value to another row makes it fail to open. The 256-bit data key
comes from the caller (the agent unlocks it from the patient's passphrase-protected keystore); the
file alone reveals only row kinds, keys and sizes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bedside.domain import StoreError

__all__ = ["LocalVault"]


class LocalVault:
    """Encrypted key-value rows in one SQLite file (WAL), grouped by kind.

    Parameters
    ----------
    path : Path or str
        SQLite file (``:memory:`` for tests).
    data_key : bytes
        32-byte AES key.
    """

    def __init__(self, path: Path | str, data_key: bytes) -> None:
        if len(data_key) != 32:
            raise StoreError("vault data key must be 32 bytes")
        self._aead = AESGCM(data_key)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vault (kind TEXT NOT NULL, key TEXT NOT NULL, "
            "body BLOB NOT NULL, PRIMARY KEY (kind, key))"
        )

    def _aad(self, kind: str, key: str) -> bytes:
        return f"{kind}\x00{key}".encode()

    def put(self, kind: str, key: str, value: bytes) -> None:
        """Store (or replace) a value."""
        nonce = os.urandom(12)
        body = nonce + self._aead.encrypt(nonce, value, self._aad(kind, key))
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO vault (kind, key, body) VALUES (?, ?, ?)", (kind, key, body)
            )

    def get(self, kind: str, key: str) -> bytes | None:
        """The value, or None; `StoreError` when it does not decrypt (wrong key or tampering)."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM vault WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        return None if row is None else self._open(kind, key, bytes(row[0]))

    def _open(self, kind: str, key: str, body: bytes) -> bytes:
        try:
            return self._aead.decrypt(body[:12], body[12:], self._aad(kind, key))
        except InvalidTag as exc:
            raise StoreError(f"vault row {kind}/{key} does not decrypt") from exc

    def delete(self, kind: str, key: str) -> bool:
        """Remove a row; whether it existed."""
        with self._lock:
            cur = self._db.execute("DELETE FROM vault WHERE kind = ? AND key = ?", (kind, key))
        return cur.rowcount > 0

    def items(self, kind: str) -> Iterator[tuple[str, bytes]]:
        """All (key, value) of a kind, in key order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, body FROM vault WHERE kind = ? ORDER BY key", (kind,)
            ).fetchall()
        for key, body in rows:
            yield str(key), self._open(kind, str(key), bytes(body))

    def raw_bytes(self) -> bytes:
        """Every stored body concatenated (tests check that no plaintext is visible)."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM vault").fetchall()
        return b"".join(bytes(r[0]) for r in rows)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
