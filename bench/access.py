"""Benchmark: the cost of clinician access control on a FHIR read, against a no-op route.

One in-process app (Starlette TestClient, no sockets) over a SQLite file store with one patient,
one Observation and a consent on file. Timed in the same run, ``--requests`` each:

* baseline: ``GET /healthz`` (no-op);
* authorised ``GET /fhir/Observation/<id>`` with a bearer token: token verification (Ed25519),
  roster and care team, consent lookup (SQL), the audit entry (hash-chained, Ed25519-signed,
  one SQLite transaction with fsync) and the FHIR AuditEvent;
* refused read by a clinician outside the care team (403, audited).

Prints wall and CPU milliseconds per request and the ratios to the baseline. CPU time
(`time.process_time`) is the steadier figure on a shared machine.

Run: ``.venv/bin/python bench/access.py [--requests 200]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from bedside.audit import SqlAuditLog
from bedside.clinical import CareTeam
from bedside.domain import Role
from bedside.privacy import Identity, PartyKind, Scope, issue_consent
from bedside.server import create_app
from bedside.server.access_control import AccessControl, ClinicRoster
from bedside.server.clinician_auth import ClinicianAccount, ClinicianTokens, StaffRole
from bedside.server.consent_lookup import SqlConsentLookup
from bedside.store import create_store
from bedside.store.ingest_tables import put_consent

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _time(
    client: TestClient, path: str, headers: dict[str, str], n: int, want: int
) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        status = client.get(path, headers=headers).status_code
        if status != want:
            raise SystemExit(f"{path}: expected {want}, got {status}")
    return (time.perf_counter() - wall) * 1000 / n, (time.process_time() - cpu) * 1000 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    n = parser.parse_args().requests
    with tempfile.TemporaryDirectory() as tmp:
        store = create_store(f"sqlite:///{Path(tmp) / 'clinic.db'}")
        clinic = Identity.generate(PartyKind.CLINIC_SERVICE)
        patient = Identity.generate(PartyKind.PATIENT)
        grant, token = issue_consent(
            patient, patient_id="p1", grantee_did=clinic.did, scopes={Scope.TRENDS},
            valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=30),
        )  # fmt: skip
        with store.engine.begin() as conn:
            put_consent(conn, grant, token)
        store.fhir.put(
            {"resourceType": "Observation", "id": "obs-1", "status": "final",
             "code": {"text": "sleep"}, "subject": {"reference": "Patient/p1"}}
        )  # fmt: skip
        accounts = [
            ClinicianAccount(id=c, name=c, role=StaffRole.PSYCHIATRIST, password_hash="-")
            for c in ("dr-in", "dr-out")
        ]
        team = CareTeam(members={"p1": {Role.PSYCHIATRIST: "dr-in"}})
        tokens = ClinicianTokens(clinic, audience="http://127.0.0.1:8000", clock=lambda: NOW)
        audit = SqlAuditLog(store.engine, clinic.signing_only(), attestation="unattested")
        access = AccessControl(
            ClinicRoster.of(accounts, team), tokens, SqlConsentLookup(store.engine), audit,
            clock=lambda: NOW,
        )  # fmt: skip
        client = TestClient(create_app(store, clock=lambda: NOW, access=access))
        allowed = {"Authorization": f"Bearer {tokens.issue(accounts[0])}"}
        outsider = {"Authorization": f"Bearer {tokens.issue(accounts[1])}"}
        _time(client, "/healthz", {}, 20, 200)  # warm-up
        base = _time(client, "/healthz", {}, n, 200)
        ok = _time(client, "/fhir/Observation/obs-1", allowed, n, 200)
        refused = _time(client, "/fhir/Observation/obs-1", outsider, n, 403)
        store.close()
    print(f"[access] {n} requests each, in-process, SQLite file store")
    for name, (wall, cpu) in [("no-op /healthz", base), ("authorised FHIR read", ok),
                              ("refused FHIR read (outside care team)", refused)]:  # fmt: skip
        print(f"  {name:40s} wall {wall:7.2f} ms  cpu {cpu:7.2f} ms per request")
    print(
        f"  ratio authorised / no-op: wall {ok[0] / base[0]:.1f}x, cpu {ok[1] / base[1]:.1f}x; "
        f"refused / no-op: wall {refused[0] / base[0]:.1f}x, cpu {refused[1] / base[1]:.1f}x"
    )


if __name__ == "__main__":
    main()
