"""Delivering the outbox to the EHR: retry with exponential backoff, rejection kept for review.

:meth:`EhrPusher.submit` writes a Bundle to the outbox before anything else, then tries to
deliver it; :meth:`EhrPusher.flush` delivers every due item. Per item:

* committed -> ``sent``;
* EHR unreachable / 5xx / 429 / token endpoint down -> retried up to
  ``RetryPolicy.attempts_per_flush`` times with backoff sleeps, then left ``pending`` with
  ``next_attempt`` = now + backoff(attempts), for a later flush;
* rejected (4xx with an OperationOutcome) -> ``rejected`` with the outcome kept; the Bundle
  stays in the outbox for review and :meth:`Outbox.requeue`;
* the token request refused -> the flush stops, everything stays ``pending`` and
  ``FlushReport.auth_error`` says why.

Retries never duplicate: Bedside's Bundles create on business identifiers with ``ifNoneExist``
and PUT deterministic ids (see :mod:`bedside.fhir.bundle`), so a Bundle the EHR committed but
whose response was lost is a no-op the second time.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bedside.fhir.audit_event import audit_event
from bedside.fhir.ehr_errors import EhrAuthError, EhrRejectedError, EhrUnavailableError
from bedside.fhir.outbox import Outbox, OutboxStatus
from bedside.fhir.smart_client import SmartBackendClient

__all__ = ["EhrPusher", "FlushReport", "RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: ``min(base * factor**(attempt-1), max_delay)``.

    Attributes
    ----------
    base : timedelta
        Delay after the first failure.
    factor : float
    max_delay : timedelta
    attempts_per_flush : int
        Tries per item within one flush before leaving it for a later flush.
    """

    base: dt.timedelta = dt.timedelta(seconds=1)
    factor: float = 2.0
    max_delay: dt.timedelta = dt.timedelta(minutes=5)
    attempts_per_flush: int = 3

    def delay(self, attempt: int) -> dt.timedelta:
        """Backoff after the `attempt`-th consecutive failure (1-based)."""
        if attempt < 1:
            raise ValueError("attempt is 1-based")
        seconds = self.base.total_seconds() * self.factor ** (attempt - 1)
        return min(dt.timedelta(seconds=seconds), self.max_delay)


@dataclass
class FlushReport:
    """What one flush did: ids per outcome."""

    sent: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    auth_error: str | None = None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EhrPusher:
    """Sends the outbox's Bundles to the EHR with `client`.

    Parameters
    ----------
    client : SmartBackendClient
    outbox : Outbox
    policy : RetryPolicy
    clock : callable returning datetime
    sleep : callable taking seconds
        How to wait between tries within a flush (tests pass a recorder).
    audit : callable taking an AuditEvent dict, optional
        Receives one BALP AuditEvent per delivery attempt (``transaction``; outcome 0 sent,
        4 rejected, 8 EHR unavailable or client refused).
    """

    def __init__(
        self,
        client: SmartBackendClient,
        outbox: Outbox,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], dt.datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
        audit: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._audit = audit
        self.client = client
        self.outbox = outbox
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep

    def _record(self, bundle: dict[str, Any], outcome: str, why: str | None = None) -> None:
        if self._audit is None:
            return
        patients = sorted(
            {
                f"Patient/{e['resource']['id']}"
                for e in bundle.get("entry", [])
                if e.get("resource", {}).get("resourceType") == "Patient"
            }
        )
        self._audit(
            audit_event(
                interaction="transaction",
                recorded=self._clock(),
                client=self.client.client_id,
                server=self.client.fhir_base,
                outcome=outcome,
                patient_ref=patients[0] if len(patients) == 1 else None,
                entities=[f"Bundle/{bundle.get('id')}"],
                outcome_desc=why,
            )
        )

    def submit(self, bundle: dict[str, Any]) -> FlushReport:
        """Store `bundle` in the outbox, then flush everything due (it included)."""
        self.outbox.add(bundle, self._clock())
        return self.flush()

    def flush(self) -> FlushReport:
        """Try every due item once per the retry policy; see the module docstring."""
        report = FlushReport()
        for item in self.outbox.due(self._clock()):
            attempts = item.attempts
            for try_no in range(1, self.policy.attempts_per_flush + 1):
                try:
                    self.client.transaction(item.bundle)
                except EhrUnavailableError as exc:
                    self._record(item.bundle, "serious-failure", str(exc))
                    attempts += 1
                    delay = self.policy.delay(attempts)
                    self.outbox.mark_failed(item.id, str(exc), self._clock() + delay)
                    if try_no < self.policy.attempts_per_flush:
                        self._sleep(delay.total_seconds())
                        continue
                    report.deferred.append(item.id)
                except EhrRejectedError as exc:
                    self._record(item.bundle, "minor-failure", str(exc))
                    self.outbox.mark_rejected(item.id, exc.outcome, str(exc))
                    report.rejected.append(item.id)
                except EhrAuthError as exc:
                    self._record(item.bundle, "serious-failure", str(exc))
                    # The client, not the Bundle, is refused: keep everything pending and stop
                    # (every other item would be refused too) until the credentials are fixed.
                    self.outbox.mark_failed(
                        item.id, str(exc), self._clock() + self.policy.delay(attempts + 1)
                    )
                    report.deferred.append(item.id)
                    report.auth_error = str(exc)
                    return report
                else:
                    self._record(item.bundle, "success")
                    self.outbox.mark_sent(item.id, self._clock())
                    report.sent.append(item.id)
                break
        return report

    def pending(self) -> int:
        """Items still waiting for delivery."""
        return len(self.outbox.items(OutboxStatus.PENDING))
