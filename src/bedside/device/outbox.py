"""The device outbox: at-least-once delivery of sealed envelopes, backoff, offline buffering.

An envelope stays in the (encrypted) outbox until the clinic returns a receipt that verifies with
the clinic's DID and names that envelope and the digest of exactly the bytes sent. Network errors
and server errors (5xx) leave it queued with exponential backoff (base 2 s, doubled per attempt,
capped at 1 h, with +-20 % jitter); a definite refusal (4xx with a reason) moves it to the
dead-letter list, where it is kept for the patient to see, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from bedside.device.vault import LocalVault
from bedside.privacy import IdentityError, SealedEnvelope, envelope_digest, verify_receipt

__all__ = ["DeliveryReport", "HttpTransport", "Outbox", "Transport", "TransportReply"]

_PENDING = "outbox"
_DEAD = "dead_letter"
_RECEIPTS = "receipt"
_WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class TransportReply:
    """The clinic's HTTP answer: status code and JSON body (empty dict when not JSON)."""

    status: int
    body: dict[str, object]
    bytes_sent: int


class Transport(Protocol):
    """Sends one sealed envelope; raises `httpx.TransportError` when offline."""

    def send(self, sealed: SealedEnvelope) -> TransportReply: ...


class HttpTransport:
    """POSTs envelopes to ``/ingest/envelopes`` with an httpx client."""

    def __init__(self, client: Any) -> None:
        # Any: an httpx.Client, or Starlette's TestClient (built on another httpx major version).
        self.client = client

    def send(self, sealed: SealedEnvelope) -> TransportReply:
        content = sealed.model_dump_json().encode()
        response = self.client.post(
            "/ingest/envelopes", content=content, headers={"content-type": "application/json"}
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        return TransportReply(
            response.status_code, body if isinstance(body, dict) else {}, len(content)
        )


@dataclass
class DeliveryReport:
    """What one `Outbox.deliver` pass did.

    ``held`` and ``withdrawn`` are counted by `DeviceAgent.deliver` (release checks before the
    outbox is touched); ``reason`` is its one-line explanation of why sending was allowed or not.
    """

    delivered: int = 0
    duplicates: int = 0
    deferred: int = 0
    dead: int = 0
    bytes_sent: int = 0
    held: int = 0
    withdrawn: int = 0
    reason: str = ""


class Outbox:
    """Queued envelopes in the device vault.

    Parameters
    ----------
    vault : LocalVault
    clinic_did : str
        Receipts must verify against this DID.
    clock : callable returning datetime
    rng : random.Random, optional
        Jitter source (seed it in tests).
    """

    def __init__(
        self,
        vault: LocalVault,
        clinic_did: str,
        *,
        clock: Callable[[], dt.datetime],
        rng: random.Random | None = None,
    ) -> None:
        self.vault = vault
        self.clinic_did = clinic_did
        self.clock = clock
        self.rng = rng or random.Random()

    def put(self, sealed: SealedEnvelope) -> None:
        """Queue an envelope for delivery (due now)."""
        record = {"sealed": sealed.model_dump(), "attempts": 0, "due": self.clock().timestamp()}
        self.vault.put(_PENDING, sealed.envelope_id, json.dumps(record).encode())

    def pending(self) -> list[SealedEnvelope]:
        """Envelopes still waiting for a receipt."""
        return [
            SealedEnvelope.model_validate(json.loads(v)["sealed"])
            for _, v in self.vault.items(_PENDING)
        ]

    def dead_letters(self) -> list[tuple[str, str]]:
        """(envelope id, refusal reason) of envelopes the clinic refused."""
        return [(k, json.loads(v)["reason"]) for k, v in self.vault.items(_DEAD)]

    def withdraw(self, envelope_id: str, reason: str) -> None:
        """Take a queued envelope out of delivery for good (it is never sent), keeping it with
        the reason in the withdrawn list the patient can see (e.g. its consent was revoked)."""
        raw = self.vault.get(_PENDING, envelope_id)
        if raw is None:
            return
        kept = {"sealed": json.loads(raw)["sealed"], "reason": reason}
        self.vault.put(_WITHDRAWN, envelope_id, json.dumps(kept).encode())
        self.vault.delete(_PENDING, envelope_id)

    def withdrawn(self) -> list[tuple[str, str]]:
        """(envelope id, reason) of envelopes withdrawn before sending."""
        return [(k, json.loads(v)["reason"]) for k, v in self.vault.items(_WITHDRAWN)]

    def receipt(self, envelope_id: str) -> str | None:
        """The kept receipt of a delivered envelope."""
        raw = self.vault.get(_RECEIPTS, envelope_id)
        return None if raw is None else raw.decode()

    def _backoff(self, attempts: int) -> float:
        base = min(3600.0, 2.0**attempts)
        return base * self.rng.uniform(0.8, 1.2)

    def deliver(self, transport: Transport, *, limit: int | None = None) -> DeliveryReport:
        """Try every due envelope once (oldest key first); see the module docstring."""
        report = DeliveryReport()
        now = self.clock().timestamp()
        for key, raw in list(self.vault.items(_PENDING)):
            if limit is not None and report.delivered + report.duplicates >= limit:
                break
            record = json.loads(raw)
            if record["due"] > now:
                continue
            sealed = SealedEnvelope.model_validate(record["sealed"])
            try:
                reply = transport.send(sealed)
            except httpx.TransportError:
                self._defer(key, record, now)
                report.deferred += 1
                continue
            report.bytes_sent += reply.bytes_sent
            outcome = self._apply(key, record, sealed, reply, now)
            setattr(report, outcome, getattr(report, outcome) + 1)
        return report

    def settle(self, sealed: SealedEnvelope, reply: TransportReply) -> str:
        """Apply a reply obtained outside `deliver` (e.g. a pipelined sender) to a queued envelope.

        Returns what happened, as the name of the `DeliveryReport` counter it counts towards:
        ``delivered``, ``duplicates``, ``dead`` or ``deferred``; ``unknown`` when the envelope
        is no longer queued (nothing is changed then).
        """
        raw = self.vault.get(_PENDING, sealed.envelope_id)
        if raw is None:
            return "unknown"
        record = json.loads(raw)
        return self._apply(sealed.envelope_id, record, sealed, reply, self.clock().timestamp())

    def _apply(
        self,
        key: str,
        record: dict[str, object],
        sealed: SealedEnvelope,
        reply: TransportReply,
        now: float,
    ) -> str:
        if reply.status == 200 and self._receipt_ok(sealed, reply.body):
            self.vault.put(_RECEIPTS, key, str(reply.body["receipt"]).encode())
            self.vault.delete(_PENDING, key)
            return "duplicates" if reply.body.get("status") == "duplicate" else "delivered"
        if 400 <= reply.status < 500 and "reason" in reply.body:
            dead = {"sealed": record["sealed"], "reason": str(reply.body["reason"])}
            self.vault.put(_DEAD, key, json.dumps(dead).encode())
            self.vault.delete(_PENDING, key)
            return "dead"
        self._defer(key, record, now)
        return "deferred"

    def _defer(self, key: str, record: dict[str, object], now: float) -> None:
        attempts = int(str(record["attempts"])) + 1
        record.update(attempts=attempts, due=now + self._backoff(attempts))
        self.vault.put(_PENDING, key, json.dumps(record).encode())

    def _receipt_ok(self, sealed: SealedEnvelope, body: dict[str, object]) -> bool:
        token = body.get("receipt")
        if not isinstance(token, str):
            return False
        try:
            receipt = verify_receipt(token, clinic_did=self.clinic_did)
        except IdentityError:
            return False
        return receipt.envelope_id == sealed.envelope_id and receipt.digest == envelope_digest(
            sealed
        )
