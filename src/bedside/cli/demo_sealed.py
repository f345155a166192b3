"""The demo's sealed path: devices seal their findings, the processor decrypts, the clinic ingests.

Each synthetic patient gets a did:key identity and signs a consent (trends + risk, treatment, for
the demo period) for the clinic; each device agent keeps an encrypted vault and outbox and releases
findings only if the processor passes its `ReleasePolicy`. Here no TEE is present: the demo uses
the explicit ``allow_unattested`` development policy, prints it, and every audit entry records the
processor as ``unattested``. The processor is the same HTTP app `bedside clinic processor` serves,
called in-process (the demo starts no servers); only the processor app holds the X25519 key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.progress import Progress

from bedside.audit import verify_audit_log
from bedside.device import DeviceAgent, DeviceRun, HttpTransport, LocalVault
from bedside.device.release_gate import HttpProcessorReports, ReleaseGate
from bedside.privacy import (
    Identity,
    PartyKind,
    ProcessorEvidence,
    ReleasePolicy,
    Scope,
    issue_consent,
)
from bedside.server import create_app
from bedside.server.ingest import IngestService
from bedside.server.processor import HttpDecryptor, processor_app
from bedside.store import SqlStore

__all__ = ["DEMO_POLICY", "deliver_sealed"]

DEMO_POLICY = ReleasePolicy(allow_unattested=True)
"""Development policy of the demo: no TEE here, so unattested processors are allowed."""


def deliver_sealed(
    runs: Mapping[str, DeviceRun],
    store: SqlStore,
    start: dt.datetime,
    end: dt.datetime,
    progress: Progress,
    console: Console,
    clinic: Identity | None = None,
) -> dict[str, DeviceRun]:
    """Seal every device's findings, deliver them, and return the runs as the clinic received them.

    Parameters
    ----------
    runs : mapping of patient id to DeviceRun
    store : SqlStore
        The clinic's store; ingest tables and the audit log are created in it.
    start, end : datetime
        The demo period (consents are valid over it; envelopes are sealed "at" `end`).
    clinic : Identity, optional
        The clinic service's identity (generated when None); the dashboard's access control
        signs its tokens and audit entries with the same key, so the chain has one signer.
    """
    clinic = clinic if clinic is not None else Identity.generate(PartyKind.CLINIC_SERVICE)
    processor = TestClient(processor_app(clinic.encryption_only()))
    decryptor = HttpDecryptor(processor)
    evidence = ProcessorEvidence(status=decryptor.attestation)
    console.print(f"Release policy: {DEMO_POLICY.check(evidence)}")
    service = IngestService(store.engine, clinic.signing_only(), decryptor, clock=lambda: end)
    api = TestClient(create_app(store, ingest=service))
    transport = HttpTransport(api)
    received: dict[str, DeviceRun] = {}
    sent_bytes = 0
    task = progress.add_task("Sealed delivery: device -> processor -> clinic", total=len(runs))
    with tempfile.TemporaryDirectory() as tmp:
        for pid, run in runs.items():
            patient = Identity.generate(PartyKind.PATIENT)
            grant, token = issue_consent(
                patient,
                patient_id=pid,
                grantee_did=clinic.did,
                scopes={Scope.TRENDS, Scope.RISK},
                valid_from=start,
                valid_until=end + dt.timedelta(days=1),
            )
            service.register_consent(token)
            vault = LocalVault(Path(tmp) / f"{pid}.db", os.urandom(32))
            # the device checks the processor's report itself before each delivery pass
            gate = ReleaseGate(DEMO_POLICY, HttpProcessorReports(processor))
            agent = DeviceAgent(
                patient, clinic.public, grant, vault, clock=lambda: end, release=gate
            )
            agent.queue_findings(run.findings)
            report = agent.deliver(transport)
            sent_bytes += report.bytes_sent
            if agent.outbox.pending() or report.dead or report.held or report.withdrawn:
                raise RuntimeError(f"sealed delivery for {pid} did not complete: {report}")
            vault.close()
            findings = store.findings.list_for_patient(pid)
            received[pid] = dataclasses.replace(run, findings=findings)
            progress.advance(task)
    problems = verify_audit_log(store.engine, trusted_did=clinic.did)
    envelopes = sum(len(r.findings) for r in received.values())
    console.print(
        f"Sealed findings delivered: {envelopes} envelopes, {sent_bytes / max(1, envelopes):.0f} "
        f"bytes each on average; processor {decryptor.attestation}; audit chain "
        f"{'intact' if not problems else f'BROKEN ({len(problems)} problems)'}"
    )
    return received
