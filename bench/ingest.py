"""Benchmark: sealed ingest with 50 concurrent devices on loopback, then SIGKILL and restart.

For each database (SQLite file; PostgreSQL when $BEDSIDE_TEST_POSTGRES_URL is set) it starts the
clinic as two processes (`bedside clinic processor`, which alone holds the X25519 key, and
`bedside clinic api`, which holds only the signing key), registers one consent per device, and
lets 50 device threads (each with its own encrypted vault and outbox) deliver pre-sealed
envelopes concurrently. It prints envelopes per second and the p50/p99 request latency, next to
the named baseline *in-process ingest* (`IngestService.ingest` called directly with an in-process
decryptor, one thread, same database kind): ratio = HTTP two-process rate / in-process rate.

Fault run: the same devices deliver a second batch while the API process is killed with SIGKILL
mid-load and restarted; the outboxes keep retrying (backoff) until empty, then the script checks
that every envelope a device holds a receipt for is stored exactly once and no outbox is left
non-empty.

Run: ``.venv/bin/python bench/ingest.py [--devices 50] [--per-device 20]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

from bedside.device import DeviceAgent, HttpTransport, LocalVault
from bedside.domain import Finding, Modality, RiskEstimate
from bedside.privacy import (
    Identity,
    PartyKind,
    PublicIdentity,
    Scope,
    issue_consent,
    lock_identity,
)
from bedside.server.ingest import IngestService
from bedside.server.processor import LocalDecryptor

BEDSIDE = str(Path(sys.executable).with_name("bedside"))
PASSPHRASE = "bench-passphrase-not-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


def _finding(patient_id: str, day: int) -> Finding:
    date = dt.date(2026, 1, 1) + dt.timedelta(days=day)
    return Finding(
        patient_id=patient_id,
        date=date,
        device_id=f"dev-{patient_id}",
        risk=RiskEstimate(
            as_of=date,
            probability=0.2,
            interval_low=0.1,
            interval_high=0.3,
            model_id="episode-risk",
            model_version="1",
        ),
        coverage={Modality.ACTIGRAPHY: 0.97},
    )


class Clinic:
    """The two clinic processes on loopback."""

    def __init__(self, folder: Path, db_url: str) -> None:
        self.identity = Identity.generate(PartyKind.CLINIC_SERVICE)
        self.folder, self.db_url = folder, db_url
        (folder / "api.json").write_text(lock_identity(self.identity.signing_only(), PASSPHRASE))
        (folder / "proc.json").write_text(
            lock_identity(self.identity.encryption_only(), PASSPHRASE)
        )
        self.env = {**os.environ, "BEDSIDE_KEY_PASSPHRASE": PASSPHRASE}
        self.proc_port, self.api_port = _free_port(), _free_port()
        self.processor = subprocess.Popen(
            [BEDSIDE, "clinic", "processor", "--keystore", str(folder / "proc.json"),
             "--port", str(self.proc_port)],
            env=self.env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.api: subprocess.Popen[bytes] | None = None
        try:
            _wait(f"http://127.0.0.1:{self.proc_port}/attestation")
            self.start_api()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start_api(self) -> None:
        self.api = subprocess.Popen(
            [BEDSIDE, "clinic", "api", "--db", self.db_url, "--keystore",
             str(self.folder / "api.json"), "--processor-url",
             f"http://127.0.0.1:{self.proc_port}", "--port", str(self.api_port)],
            env=self.env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(f"{self.url}/healthz")

    def kill_api(self) -> None:
        assert self.api is not None
        self.api.send_signal(signal.SIGKILL)
        self.api.wait()

    def stop(self) -> None:
        for proc in (self.api, self.processor):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)


def _devices(clinic_public: PublicIdentity, folder: Path, n: int, client: httpx.Client,
             grantee_did: str) -> list[DeviceAgent]:  # fmt: skip
    agents = []
    now = dt.datetime.now(dt.UTC)
    for i in range(n):
        patient = Identity.generate(PartyKind.PATIENT)
        grant, token = issue_consent(
            patient,
            patient_id=f"p{i:03d}",
            grantee_did=grantee_did,
            scopes={Scope.RISK, Scope.TRENDS},
            valid_from=now - dt.timedelta(days=1),
            valid_until=now + dt.timedelta(days=365),
        )
        client.post("/ingest/consents", json={"token": token}).raise_for_status()
        vault = LocalVault(folder / f"device-{i}.db", os.urandom(32))
        agent = DeviceAgent(patient, clinic_public, grant, vault)
        agent.outbox.rng = random.Random(i)
        agents.append(agent)
    return agents


def _drain(agents: list[DeviceAgent], url: str, latencies: list[float], stop_at: float) -> int:
    """Each device delivers its outbox in its own thread until empty (or `stop_at`)."""
    errors = [0]

    class Timed(HttpTransport):
        def send(self, sealed):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            reply = super().send(sealed)
            latencies.append(time.perf_counter() - t0)
            return reply

    def run(agent: DeviceAgent) -> None:
        with httpx.Client(base_url=url, timeout=30.0) as client:
            transport = Timed(client)
            while agent.outbox.pending() and time.monotonic() < stop_at:
                report = agent.outbox.deliver(transport)
                if report.deferred:
                    errors[0] += report.deferred
                    time.sleep(0.5)

    threads = [threading.Thread(target=run, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors[0]


def _baseline(db_url: str, folder: Path, n: int) -> float:
    """In-process ingest rate (envelopes/s), one thread, same database kind."""
    from bedside.privacy import EnvelopePayload, new_envelope_id, seal_payload
    from bedside.store import create_store

    clinic = Identity.generate(PartyKind.CLINIC_SERVICE)
    store = create_store(db_url)
    service = IngestService(store.engine, clinic, LocalDecryptor(clinic))
    patient = Identity.generate(PartyKind.PATIENT)
    now = dt.datetime.now(dt.UTC)
    grant, token = issue_consent(
        patient, patient_id="b0", grantee_did=clinic.did, scopes={Scope.RISK},
        valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=1),
    )  # fmt: skip
    service.register_consent(token)
    sealed = [
        seal_payload(patient, clinic.public, EnvelopePayload(
            envelope_id=new_envelope_id(), sequence=i + 1, issued_at=now,
            patient_did=patient.did, consent_id=grant.id, finding=_finding("b0", i)))
        for i in range(n)
    ]  # fmt: skip
    t0 = time.perf_counter()
    for s in sealed:
        service.ingest(s)
    rate = n / (time.perf_counter() - t0)
    store.close()
    return rate


def _count(db_url: str) -> dict[str, int]:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT envelope_id, COUNT(*) FROM sealed_envelopes GROUP BY envelope_id")
        ).all()
    engine.dispose()
    return {str(r[0]): int(r[1]) for r in rows}


def run(db_label: str, db_url: str, baseline_url: str, devices: int, per_device: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        baseline = _baseline(baseline_url, folder, 200)
        clinic = Clinic(folder, db_url)
        try:
            with httpx.Client(base_url=clinic.url, timeout=30.0) as client:
                agents = _devices(clinic.identity.public, folder, devices, client,
                                  clinic.identity.did)  # fmt: skip
            for i, agent in enumerate(agents):
                agent.queue_findings([_finding(f"p{i:03d}", d) for d in range(per_device)])
            latencies: list[float] = []
            t0 = time.perf_counter()
            _drain(agents, clinic.url, latencies, time.monotonic() + 600)
            wall = time.perf_counter() - t0
            total = devices * per_device
            rate = total / wall
            p50, p99 = np.percentile(np.array(latencies) * 1000, [50, 99])
            print(
                f"[{db_label}] {devices} devices x {per_device} envelopes = {total} "
                f"in {wall:.2f} s: {rate:.0f} envelopes/s, "
                f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            )
            print(
                f"[{db_label}] baseline in-process ingest (1 thread, no HTTP): {baseline:.0f} "
                f"envelopes/s; ratio two-process HTTP / in-process = {rate / baseline:.2f}"
            )

            # Fault run: SIGKILL the API mid-load, restart it, let the outboxes drain.
            for i, agent in enumerate(agents):
                agent.queue_findings(
                    [_finding(f"p{i:03d}", per_device + d) for d in range(per_device)]
                )

            def killer() -> None:
                time.sleep(max(0.5, wall / 3))
                clinic.kill_api()
                time.sleep(1.0)
                clinic.start_api()

            thread = threading.Thread(target=killer)
            thread.start()
            retries = _drain(agents, clinic.url, [], time.monotonic() + 600)
            thread.join()
            counts = _count(db_url)
            receipted = [key for agent in agents for key, _ in agent.vault.items("receipt")]
            missing = [k for k in receipted if counts.get(k, 0) != 1]
            left = sum(len(a.outbox.pending()) for a in agents)
            print(
                f"[{db_label}] SIGKILL + restart: {len(receipted)} receipted envelopes, "
                f"{len(missing)} not stored exactly once, {sum(counts.values())} rows stored, "
                f"{retries} deferred attempts retried, {left} left in outboxes"
            )
            for agent in agents:
                agent.vault.close()
        finally:
            clinic.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--per-device", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'clinic.db'}"
        base = f"sqlite:///{Path(tmp) / 'baseline.db'}"
        run("sqlite", url, base, args.devices, args.per_device)
    pg = os.environ.get("BEDSIDE_TEST_POSTGRES_URL")
    if pg:
        # A schema of its own, so the bench never touches other users' tables.
        schema = f"bench_ingest_{os.getpid()}"
        admin = sa.create_engine(pg)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = sa.engine.make_url(pg).update_query_dict({"options": f"-csearch_path={schema}"})
        text = url.render_as_string(hide_password=False)
        try:
            run("postgresql", text, text, args.devices, args.per_device)
        finally:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()
    else:
        print("[postgresql] skipped: BEDSIDE_TEST_POSTGRES_URL not set")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
