"""The device's checks before anything leaves it: the patient's consent and the processor.

Two questions are asked before each delivery pass, and again for every queued envelope:

* **Consent** (`ConsentLookup`, normally the device's `ConsentBook`): is there a consent to this
  clinic in force now, and which finding families (scopes) does it cover? Findings are sealed
  only under the active consent and only with its scopes. An envelope already queued under a
  consent that has since been revoked or has expired is never sent: it is *withdrawn* -- moved
  out of the outbox into a withdrawn list the patient can see, with the reason -- because the
  clinic would refuse it (its consent id no longer authorises data) and because the patient's
  revocation means "stop sending", not "send what was queued". The findings themselves stay on
  the device (the daily table is recomputed there); a new consent starts a new series of
  envelopes, sealed under it.
* **Processor** (`ReleaseGate`): the processor that decrypts for the clinic presents its
  ``/attestation`` report for a fresh nonce; `check_processor_report` verifies it against the
  device's `ReleasePolicy` (an allow-listed measurement, or explicitly ``allow_unattested``), and
  the report's encryption key must be the key the device seals to. When the check fails or the
  report cannot be fetched, nothing is sent and every envelope is *held* (kept queued, no
  attempt counted) until a later pass passes the check.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from bedside.device.consent_book import ConsentRecord
from bedside.privacy import ConsentGrant, IdentityError, ReleasePolicy
from bedside.privacy.processor_report import check_processor_report

__all__ = [
    "ConsentLookup",
    "FixedConsent",
    "HttpProcessorReports",
    "ProcessorReports",
    "ReleaseDecision",
    "ReleaseGate",
]


class ConsentLookup(Protocol):
    """The patient's consents as the agent sees them (`ConsentBook` is one)."""

    def active(self, clinic_did: str, now: dt.datetime) -> ConsentRecord | None:
        """The consent to `clinic_did` in force at `now`, or None."""
        ...

    def records(self) -> list[ConsentRecord]:
        """Every consent, with its revocation if any."""
        ...


class FixedConsent:
    """One consent granted up front (no book, no revocation): tests, benches, the demo.

    Parameters
    ----------
    grant : ConsentGrant
    """

    def __init__(self, grant: ConsentGrant) -> None:
        self._record = ConsentRecord(grant=grant, token="", revocation=None, revocation_token=None)

    def active(self, clinic_did: str, now: dt.datetime) -> ConsentRecord | None:
        r = self._record
        return r if r.grant.grantee_did == clinic_did and r.status(now) == "active" else None

    def records(self) -> list[ConsentRecord]:
        return [self._record]


class ProcessorReports(Protocol):
    """Fetches the processor's attestation report for a nonce."""

    def fetch(self, nonce: bytes) -> Mapping[str, object]:
        """The JSON body of ``/attestation?nonce=<hex>``; raises `httpx.HTTPError` offline."""
        ...


class HttpProcessorReports:
    """GET ``/attestation?nonce=<hex>`` with an httpx client (or Starlette's TestClient)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def fetch(self, nonce: bytes) -> Mapping[str, object]:
        response = self.client.get("/attestation", params={"nonce": nonce.hex()})
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("attestation report is not a JSON object")
        return body


@dataclass(frozen=True)
class ReleaseDecision:
    """Whether the device may send now, and why (one line, for the log and the patient)."""

    allowed: bool
    reason: str


class ReleaseGate:
    """The device's processor check before each delivery pass.

    Parameters
    ----------
    policy : ReleasePolicy
        Allow-listed measurements, or explicit ``allow_unattested`` (development).
    reports : ProcessorReports
        Where the processor's attestation report comes from.
    max_age : timedelta
        Oldest acceptable attestation document.
    root_der : bytes, optional
        Trust anchor for attestation documents (AWS's Nitro root when None).
    """

    def __init__(
        self,
        policy: ReleasePolicy,
        reports: ProcessorReports,
        *,
        max_age: dt.timedelta = dt.timedelta(minutes=5),
        root_der: bytes | None = None,
    ) -> None:
        self.policy = policy
        self.reports = reports
        self.max_age = max_age
        self.root_der = root_der

    def check(self, sealing_did: str, now: dt.datetime) -> ReleaseDecision:
        """Ask the processor for a fresh report and judge it.

        Parameters
        ----------
        sealing_did : str
            The encryption DID the device seals findings to; the processor must hold that key.
        now : datetime
            Verification time.
        """
        nonce = os.urandom(32)
        try:
            report = self.reports.fetch(nonce)
        except (httpx.HTTPError, ValueError) as exc:
            return ReleaseDecision(False, f"processor attestation report unavailable ({exc})")
        did = report.get("encryption_did")
        if did != sealing_did:
            return ReleaseDecision(
                False,
                f"processor presents encryption key {did!r}, not the clinic key findings are "
                f"sealed to ({sealing_did})",
            )
        try:
            why = check_processor_report(
                report,
                self.policy,
                now=now,
                nonce=nonce,
                max_age=self.max_age,
                root_der=self.root_der,
            )
        except IdentityError as exc:
            return ReleaseDecision(False, f"processor refused by the release policy: {exc}")
        return ReleaseDecision(True, why)
