"""Benchmark: CDS Hooks ``patient-view`` latency and throughput under load, against a no-op route.

``--workers`` server processes (default 2, one per core; uvicorn, sharing the port with
SO_REUSEPORT, the SQLite store and a SQLite ``jti`` replay cache) run the Bedside app on
127.0.0.1 over a store of ``--patients`` patients (one open recommendation and one finding with
two verified trends each), with EHR JWT verification on. A separate load-generator process
(this one) runs ``--clients`` concurrent clients, each on its own keep-alive HTTP/1.1
connection, for ``--seconds`` seconds; every request carries its own ES384 JWT signed before
the run (signing excluded; verification, the store reads and the AuditEvent write included) and
asks for a random patient. The baseline is a FastAPI no-op POST route in the same app, timed
the same way in the same run (same body, same token header, nothing verified, so its tokens are
reused in turn).

Prints p50/p95/p99 latency (ms) and throughput (requests/s) of both, and the ratios
patient-view / no-op. The CDS Hooks specification asks services to answer in about 500 ms; the
floor here is p95 < 100 ms.

Run: ``.venv/bin/python bench/cds_hooks.py [--patients 1000] [--clients 20] [--seconds 30]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import multiprocessing as mp
import os
import random
import socket
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

BASE_PATH = "/cds-services/bedside-patient-view"
NOOP_PATH = "/bench/noop"
ISS = "https://ehr.bench.example/"
EMPTY = {"resourceType": "Bundle", "type": "searchset", "total": 0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _fill_store(db: Path, patients: int) -> None:
    from bedside.domain import (
        Evidence,
        Finding,
        Priority,
        Recommendation,
        Role,
        TrendDirection,
        TrendFinding,
    )
    from bedside.store import create_store

    now = dt.datetime.now(dt.UTC)
    store = create_store(f"sqlite:///{db}")
    for i in range(patients):
        pid = f"bench-{i:05d}"
        created = now - dt.timedelta(hours=2)
        store.recommendations.upsert(
            Recommendation(
                id=f"rec-{i:05d}",
                patient_id=pid,
                action="Consider contacting the patient within 72 h and administering a PHQ-9",
                priority=Priority.URGENT if i % 3 else Priority.ROUTINE,
                created=created,
                due=created + dt.timedelta(hours=72),
                expires=created + dt.timedelta(days=7),
                route=Role.PSYCHIATRIST,
                rationale="Sleep shortened and activity fell for nine days; episode risk 41%.",
                evidence=[
                    Evidence(kind="trend", label="Sleep duration", statement="Down 58 min/night"),
                    Evidence(kind="risk", label="Episode risk", statement="41% (30-52%)"),
                ],
                protocol_id="relapse_watch",
                protocol_version="1.0.0",
                protocol_hash="0" * 64,
            )
        )
        trends = [
            TrendFinding(
                biomarker=b,
                direction=TrendDirection.DOWN,
                onset_date=now.date() - dt.timedelta(days=10),
                detection_date=now.date() - dt.timedelta(days=1),
                size=-50.0,
                robust_z=-2.3,
                false_alarm_rate_per_year=0.6,
                coverage=0.92,
                days_sustained=10,
                adverse=True,
            )
            for b in ("sleep.duration_min", "activity.mean_counts")
        ]
        store.findings.add(
            Finding(patient_id=pid, date=now.date(), trends=trends, device_id=f"dev-{i}")
        )
    store.close()


def _serve(db: str, port: int, jwks: dict[str, Any], replay: str) -> None:
    import uvicorn

    from bedside.server import CdsJwtVerifier, TrustedIssuer, create_app
    from bedside.server.replay_cache import SqliteReplayCache
    from bedside.store import create_store

    store = create_store(f"sqlite:///{db}")
    base = f"http://127.0.0.1:{port}"
    verifier = CdsJwtVerifier([TrustedIssuer(ISS, jwks)], replay_cache=SqliteReplayCache(replay))
    app = create_app(store, base_url=base, cds_verifier=verifier)

    @app.post(NOOP_PATH)
    async def noop() -> dict[str, Any]:
        return {"cards": []}

    # Every worker listens on the same port (SO_REUSEPORT: the kernel spreads connections).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def _tokens(key: ECKey, aud: str, count: int) -> list[str]:
    now = int(time.time())
    header = {"alg": "ES384", "typ": "JWT", "kid": key.kid}
    return [
        jwt.encode(
            header,
            {
                "iss": ISS,
                "sub": "bench-ehr",
                "aud": aud,
                "iat": now,
                "exp": now + 280,
                "jti": str(uuid.uuid4()),
            },
            key,
            algorithms=["ES384"],
        )
        for _ in range(count)
    ]


def _body(patient: int) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench", "patientId": f"bench-{patient:05d}"},
        "prefetch": {"phq9": EMPTY, "medications": EMPTY, "conditions": EMPTY},
    }


class _Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol for the bench.

    httpx spent more CPU per request than the server's no-op route (its no-op throughput was
    bound by the client), so the load generator writes pre-built requests on raw asyncio streams
    and parses only the status line, Content-Length and the JSON body.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def post(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


def _request(host: str, path: str, token: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _load(
    port: int,
    path: str,
    tokens: list[str],
    clients: int,
    seconds: float,
    patients: int,
    *,
    reuse: bool = False,
) -> tuple[list[float], float, int]:
    """Latencies (s) of successful requests, elapsed wall time (s) and the failure count.

    Each token is used once unless `reuse` (for a route that verifies nothing).
    """
    latencies: list[float] = []
    failures = 0
    queue = itertools.cycle(tokens) if reuse else iter(tokens)
    rng = random.Random(7)
    host = f"127.0.0.1:{port}"
    connections = [
        _Connection(*await asyncio.open_connection("127.0.0.1", port)) for _ in range(clients)
    ]
    start = time.perf_counter()
    deadline = start + seconds

    async def worker(conn: _Connection) -> None:
        nonlocal failures
        while time.perf_counter() < deadline:
            token = next(queue, None)
            if token is None:
                return
            request = _request(host, path, token, _body(rng.randrange(patients)))
            t0 = time.perf_counter()
            status, body = await conn.post(request)
            elapsed = time.perf_counter() - t0
            if status == 200 and isinstance(json.loads(body).get("cards"), list):
                latencies.append(elapsed)
            else:
                failures += 1

    await asyncio.gather(*(worker(c) for c in connections))
    total = time.perf_counter() - start
    for conn in connections:
        conn.writer.close()
    return latencies, total, failures


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(name: str, latencies: list[float], total: float, failures: int) -> dict[str, float]:
    stats = {
        "p50": _percentile(latencies, 0.50) * 1000,
        "p95": _percentile(latencies, 0.95) * 1000,
        "p99": _percentile(latencies, 0.99) * 1000,
        "mean": statistics.fmean(latencies) * 1000,
        "rps": len(latencies) / total,
    }
    print(
        f"{name:<13} n={len(latencies):6d} failed={failures:3d}  p50 {stats['p50']:7.2f} ms  "
        f"p95 {stats['p95']:7.2f} ms  p99 {stats['p99']:7.2f} ms  {stats['rps']:8.1f} req/s"
    )
    return stats


def _wait_up(base: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--max-rps", type=int, default=1000, help="patient-view tokens pre-signed per second"
    )
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    args = parser.parse_args()

    key = ECKey.generate_key("P-384", parameters={"kid": "bench-ehr"})
    jwks = {"keys": [key.as_dict(private=False)]}
    # tmpfs when there is one: fsync cost on a shared disk is noise, not the service's speed
    shm = Path("/dev/shm")
    where = str(shm) if shm.is_dir() else None
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        _fill_store(db, args.patients)
        print(
            f"store: {args.patients} patients in SQLite at {db.parent} "
            f"({time.perf_counter() - t0:.1f} s to fill)"
        )
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        replay = str(Path(tmp) / "jti.db")
        servers = [
            mp.get_context("spawn").Process(
                target=_serve, args=(str(db), port, jwks, replay), daemon=True
            )
            for _ in range(args.workers)
        ]
        for server in servers:
            server.start()
        try:
            _wait_up(base)
            count = int(args.seconds * args.max_rps)
            t0 = time.perf_counter()
            tokens = _tokens(key, f"{base}{BASE_PATH}", count)
            print(f"pre-signed {count} ES384 tokens ({time.perf_counter() - t0:.1f} s, excluded)")
            # warm-up (not timed): imports, connection pool, SQLite page cache
            asyncio.run(_load(port, BASE_PATH, tokens[:200], 4, 2.0, args.patients))
            tokens = tokens[200:]
            print(
                f"load: {args.workers} server workers, {args.clients} concurrent clients, "
                f"{args.seconds:.0f} s each, "
                "loopback, separate processes; machine load average "
                + " ".join(f"{x:.1f}" for x in os.getloadavg())
            )
            base_stats = _report(
                "no-op route",
                *asyncio.run(
                    _load(
                        port,
                        NOOP_PATH,
                        tokens,
                        args.clients,
                        args.seconds,
                        args.patients,
                        reuse=True,
                    )
                ),
            )
            view_stats = _report(
                "patient-view",
                *asyncio.run(
                    _load(port, BASE_PATH, tokens, args.clients, args.seconds, args.patients)
                ),
            )
        finally:
            for server in servers:
                server.terminate()
                server.join(10)
    print(
        "ratio patient-view / no-op: "
        f"p50 {view_stats['p50'] / base_stats['p50']:.2f}x, "
        f"p95 {view_stats['p95'] / base_stats['p95']:.2f}x, "
        f"throughput {view_stats['rps'] / base_stats['rps']:.2f}x"
    )
    ok = view_stats["p95"] < 100.0
    print(f"floor p95 < 100 ms: {'met' if ok else 'NOT met'} ({view_stats['p95']:.1f} ms)")
    return 0  # a report, not a gate: `make bench` goes on to the next benchmark


if __name__ == "__main__":
    raise SystemExit(main())
