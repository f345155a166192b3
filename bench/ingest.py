"""Benchmark: sealed ingest from 50 concurrent devices on loopback, then SIGKILL and restart.

For each database (SQLite file; PostgreSQL in a schema of its own when
$BEDSIDE_TEST_POSTGRES_URL is set) the clinic runs as two processes: ``bedside clinic
processor`` (alone holds the X25519 key, decrypts) and ``bedside clinic api`` (holds only the
signing key; group commit). 50 devices (each a `DeviceAgent` with its own encrypted vault and
outbox) register a consent and seal their findings BEFORE the timed run (device work, reported
separately). Phases:

1. *group commit*: every device sends its queued envelopes, one at a time, over its own
   keep-alive HTTP/1.1 connection (a raw asyncio load generator: httpx costs more CPU per request
   than the server's no-op route). Printed: envelopes/s, latency p50/p99, and CPU-seconds per
   envelope of the API process, the processor process and the load generator (from
   /proc/<pid>/stat and `time.process_time`), so the figures hold on a loaded machine too.
   The replies are then handed to the devices' outboxes (receipt verification: device work,
   reported), which must be empty afterwards.
2. *no-op baseline* on the same server and connections: ``GET /healthz``, as many requests;
   ratio = ingest envelopes/s / no-op requests/s.
3. *unbatched baseline*: the API restarted with ``--max-batch 1`` (one commit per envelope),
   the same load; ratio = group commit / unbatched.
4. *fault*: the devices' own outboxes (`Outbox.deliver`, httpx, backoff) deliver another batch
   while the API process is killed with SIGKILL mid-load and restarted; then every envelope a
   device holds a receipt for must be stored exactly once, and no outbox may hold anything.

After phases 1-3 and after phase 4, ``bedside audit verify`` must find the hash chain intact.

Run: ``.venv/bin/python bench/ingest.py [--devices 50] [--per-device 20] [--skip-unbatched]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

from bedside.device import DeviceAgent, HttpTransport, LocalVault
from bedside.device.outbox import TransportReply
from bedside.domain import Finding, Modality, RiskEstimate
from bedside.privacy import (
    Identity,
    PartyKind,
    PublicIdentity,
    Scope,
    SealedEnvelope,
    issue_consent,
    lock_identity,
)

BEDSIDE = str(Path(sys.executable).with_name("bedside"))
PASSPHRASE = "bench-passphrase-not-secret"
FLOOR = 300.0  # envelopes/s on SQLite (issue #7)
_TICK = os.sysconf("SC_CLK_TCK")


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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


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

    def start_api(self, max_batch: int = 128) -> None:
        self.api = subprocess.Popen(
            [BEDSIDE, "clinic", "api", "--db", self.db_url, "--keystore",
             str(self.folder / "api.json"), "--processor-url",
             f"http://127.0.0.1:{self.proc_port}", "--port", str(self.api_port),
             "--max-batch", str(max_batch)],
            env=self.env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(f"{self.url}/healthz")

    def kill_api(self) -> None:
        assert self.api is not None
        self.api.send_signal(signal.SIGKILL)
        self.api.wait()

    def stop_api(self) -> None:
        assert self.api is not None
        self.api.terminate()
        self.api.wait(timeout=30)

    def cpu(self) -> tuple[float, float]:
        """(API, processor) CPU seconds so far."""
        assert self.api is not None
        return _cpu_seconds(self.api.pid), _cpu_seconds(self.processor.pid)

    def stop(self) -> None:
        for proc in (self.api, self.processor):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)

    def audit_verify(self) -> str:
        done = subprocess.run(
            [BEDSIDE, "audit", "verify", "--db", self.db_url, "--clinic-did", self.identity.did],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        text = (done.stdout + done.stderr).strip().splitlines()
        verdict = "intact" if done.returncode == 0 else f"BROKEN (exit {done.returncode})"
        return f"{verdict}: {text[-1] if text else ''}"


def _devices(clinic_public: PublicIdentity, folder: Path, n: int, url: str) -> list[DeviceAgent]:
    agents = []
    now = dt.datetime.now(dt.UTC)
    with httpx.Client(base_url=url, timeout=60.0) as client:
        for i in range(n):
            patient = Identity.generate(PartyKind.PATIENT)
            grant, token = issue_consent(
                patient,
                patient_id=f"p{i:03d}",
                grantee_did=clinic_public.did,
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


def _queue(agents: list[DeviceAgent], first_day: int, per_device: int) -> float:
    """Seal `per_device` findings per device into its outbox; CPU ms per envelope."""
    t0 = time.process_time()
    for i, agent in enumerate(agents):
        agent.queue_findings([_finding(f"p{i:03d}", first_day + d) for d in range(per_device)])
    return (time.process_time() - t0) * 1000 / (len(agents) * per_device)


# -- the load generator --------------------------------------------------------------------------


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """One request/response on a keep-alive HTTP/1.1 connection (Content-Length bodies only)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


def _post(port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@dataclass
class LoadResult:
    """What one timed load phase measured."""

    count: int
    wall: float
    latencies: list[float]
    cpu_api: float
    cpu_processor: float
    cpu_client: float
    replies: list[list[tuple[int, bytes]]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.wall

    def line(self, label: str, unit: str) -> str:
        p50, p99 = np.percentile(np.array(self.latencies) * 1000, [50, 99])
        per = 1000 / self.count
        return (
            f"{label}: {self.count} {unit} in {self.wall:.2f} s wall = {self.rate:.0f} {unit}/s; "
            f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms; CPU ms per {unit[:-1]}: "
            f"API {self.cpu_api * per:.2f}, processor {self.cpu_processor * per:.2f}, "
            f"load generator {self.cpu_client * per:.2f}"
        )


def _load(clinic: Clinic, requests: list[list[bytes]]) -> LoadResult:
    """Each inner list goes over one connection, one request at a time; all connections at once."""
    port = clinic.api_port

    async def run() -> tuple[float, list[float], list[list[tuple[int, bytes]]]]:
        streams = [await asyncio.open_connection("127.0.0.1", port) for _ in requests]
        latencies: list[float] = []
        replies: list[list[tuple[int, bytes]]] = [[] for _ in requests]

        async def device(i: int) -> None:
            reader, writer = streams[i]
            for request in requests[i]:
                t0 = time.perf_counter()
                replies[i].append(await _exchange(reader, writer, request))
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(device(i) for i in range(len(requests))))
        wall = time.perf_counter() - start
        for _, writer in streams:
            writer.close()
        return wall, latencies, replies

    api0, proc0 = clinic.cpu()
    client0 = time.process_time()
    wall, latencies, replies = asyncio.run(run())
    cpu_client = time.process_time() - client0
    api1, proc1 = clinic.cpu()
    return LoadResult(
        count=sum(len(r) for r in requests),
        wall=wall,
        latencies=latencies,
        cpu_api=api1 - api0,
        cpu_processor=proc1 - proc0,
        cpu_client=cpu_client,
        replies=replies,
    )


def _send_outboxes(clinic: Clinic, agents: list[DeviceAgent]) -> tuple[LoadResult, str]:
    """Deliver every device's pending envelopes with the raw load generator, then settle."""
    pending: list[list[SealedEnvelope]] = [a.outbox.pending() for a in agents]
    requests = [
        [_post(clinic.api_port, "/ingest/envelopes", s.model_dump_json().encode()) for s in envs]
        for envs in pending
    ]
    result = _load(clinic, requests)
    outcomes: dict[str, int] = {}
    t0 = time.process_time()
    for agent, envs, replies in zip(agents, pending, result.replies, strict=True):
        for sealed, (status, body) in zip(envs, replies, strict=True):
            parsed = json.loads(body) if body else {}
            reply = TransportReply(status, parsed if isinstance(parsed, dict) else {}, 0)
            outcome = agent.outbox.settle(sealed, reply)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    settle_ms = (time.process_time() - t0) * 1000 / max(1, result.count)
    left = sum(len(a.outbox.pending()) for a in agents)
    summary = (
        f"outboxes settled: {dict(sorted(outcomes.items()))}, {left} left pending; receipt "
        f"verification + outbox update (device work) {settle_ms:.2f} CPU ms/envelope"
    )
    return result, summary


def _noop(clinic: Clinic, connections: int, per_connection: int) -> LoadResult:
    request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{clinic.api_port}\r\n\r\n".encode()
    return _load(clinic, [[request] * per_connection for _ in range(connections)])


# -- the fault run ------------------------------------------------------------------------------


def _drain(agents: list[DeviceAgent], url: str, stop_at: float) -> int:
    """Each device delivers its own outbox (httpx, backoff) in a thread until empty."""
    deferred = [0]

    def run(agent: DeviceAgent) -> None:
        with httpx.Client(base_url=url, timeout=30.0) as client:
            transport = HttpTransport(client)
            while agent.outbox.pending() and time.monotonic() < stop_at:
                report = agent.outbox.deliver(transport)
                if report.deferred:
                    deferred[0] += report.deferred
                    time.sleep(0.5)

    threads = [threading.Thread(target=run, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return deferred[0]


def _count(db_url: str) -> dict[str, int]:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT envelope_id, COUNT(*) FROM sealed_envelopes GROUP BY envelope_id")
        ).all()
    engine.dispose()
    return {str(r[0]): int(r[1]) for r in rows}


def run(label: str, db_url: str, devices: int, per_device: int, unbatched: bool) -> float:
    """All phases on one database; returns the group-commit envelopes/s."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clinic = Clinic(folder, db_url)
        try:
            agents = _devices(clinic.identity.public, folder, devices, clinic.url)
            day = 0
            seal_ms = _queue(agents, day, per_device)
            day += per_device
            print(
                f"[{label}] {devices} devices sealed {devices * per_device} envelopes before the "
                f"timed run: {seal_ms:.2f} CPU ms/envelope (device work: sign + encrypt + vault)"
            )
            batched, settled = _send_outboxes(clinic, agents)
            print(f"[{label}] group commit    {batched.line('', 'envelopes')[2:]}")
            print(f"[{label}] {settled}")
            noop = _noop(clinic, devices, per_device)
            print(f"[{label}] no-op baseline  {noop.line('', 'requests')[2:]}")
            print(
                f"[{label}] ratio group commit envelopes/s / no-op GET /healthz requests/s "
                f"= {batched.rate / noop.rate:.2f}"
            )
            if unbatched:
                clinic.stop_api()
                clinic.start_api(max_batch=1)
                _queue(agents, day, per_device)
                day += per_device
                single, settled = _send_outboxes(clinic, agents)
                print(f"[{label}] unbatched       {single.line('', 'envelopes')[2:]}")
                print(f"[{label}] {settled}")
                print(
                    f"[{label}] ratio group commit / unbatched (--max-batch 1) envelopes/s "
                    f"= {batched.rate / single.rate:.2f}"
                )
                clinic.stop_api()
                clinic.start_api()
            print(f"[{label}] audit chain after the load: {clinic.audit_verify()}")
            # What the CPU time alone allows, for a machine shared with other work: the API is one
            # process (its event loop and two worker threads share a GIL), and all three
            # processes share the cores. A bound derived from CPU time, not a measured rate.
            per = 1 / batched.count
            total = (batched.cpu_api + batched.cpu_processor + batched.cpu_client) * per
            bound = min(1 / (batched.cpu_api * per), (os.cpu_count() or 1) / total)
            print(
                f"[{label}] CPU-time bound if the {os.cpu_count()} cores were ours: "
                f"{bound:.0f} envelopes/s (API {batched.cpu_api * per * 1000:.2f} ms, all three "
                f"processes {total * 1000:.2f} ms CPU per envelope"
                + (
                    "; the PostgreSQL server's own CPU not counted)"
                    if label == "postgresql"
                    else ")"
                )
            )
            if label == "sqlite":
                verdict = "MET" if batched.rate >= FLOOR else "NOT MET"
                print(
                    f"[{label}] floor {FLOOR:.0f} envelopes/s (measured wall rate): {verdict} "
                    f"({batched.rate:.0f} envelopes/s at load average {os.getloadavg()[0]:.1f})"
                )

            # Fault run: SIGKILL the API mid-load, restart it, let the outboxes drain.
            _queue(agents, day, per_device)

            def killer() -> None:
                time.sleep(max(0.5, batched.wall / 3))
                clinic.kill_api()
                time.sleep(1.0)
                clinic.start_api()

            thread = threading.Thread(target=killer)
            t0 = time.perf_counter()
            thread.start()
            retries = _drain(agents, clinic.url, time.monotonic() + 900)
            thread.join()
            counts = _count(db_url)
            receipted = [key for agent in agents for key, _ in agent.vault.items("receipt")]
            missing = [k for k in receipted if counts.get(k, 0) != 1]
            left = sum(len(a.outbox.pending()) for a in agents)
            dead = sum(len(a.outbox.dead_letters()) for a in agents)
            print(
                f"[{label}] SIGKILL + restart of the API mid-load ({time.perf_counter() - t0:.1f} s"
                f"): {len(receipted)} receipted envelopes, {len(missing)} not stored exactly once, "
                f"{sum(counts.values())} rows stored, {retries} deferred attempts retried, "
                f"{left} left in outboxes, {dead} dead letters"
            )
            print(f"[{label}] audit chain after the crash: {clinic.audit_verify()}")
            for agent in agents:
                agent.vault.close()
            return batched.rate
        finally:
            clinic.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--per-device", type=int, default=20)
    parser.add_argument("--skip-unbatched", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'clinic.db'}"
        run("sqlite", url, args.devices, args.per_device, not args.skip_unbatched)
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
            run("postgresql", text, args.devices, args.per_device, not args.skip_unbatched)
        finally:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()
    else:
        print("[postgresql] skipped: BEDSIDE_TEST_POSTGRES_URL not set")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
