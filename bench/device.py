"""Benchmark: the device agent's CPU, memory and bytes sent per patient-day over a patient-year.

A synthetic patient-year of multi-modal raw data (every modality but audio, from
``bench/multimodal_year.py``) goes through a long-running device agent in its own process:
biomarkers, personal baselines and the trend chart family, the ONNX episode-risk model, sealing
each day's finding (JWS then JWE) into the encrypted outbox, and delivery over loopback HTTP to a
clinic (ingest API with its decryptor, in this process) until every envelope has a signed
receipt; before sending, the agent checks the patient's consent and the processor's attestation
report (here unattested, released to under the explicit development policy). The agent process
reports separately:

* start-up: importing the device path and loading the model bundle (CPU s, peak RSS);
* the warm agent: peak RSS once identities, vault and consent are set up and one envelope was
  sealed (what a phone keeps resident);
* the year: CPU seconds per patient-day, growth of peak RSS over the warm agent, and
  request-body bytes sent per patient-day (HTTP headers not counted). The raw year is in the
  device's on-disk raw store (``bedside.device.raw_store``), written during set-up; the agent
  reads and extracts it ``--chunk-days`` local days at a time (default 7), so it never holds
  the year's samples;
* the CPU baseline, in the same process from the same store: extracting the daily biomarker
  table alone, the first step of the pipeline; the ratio says what baselines, trends, risk,
  sealing and delivery add to it;
* the memory baseline, in the same process after the year: the former batch path (the whole
  year loaded into memory and extracted in one pass), its peak RSS growth beside the agent's.

Floors (issue #7): < 0.5 CPU-s per patient-day, < 100 MB peak RSS growth over the warm agent,
< 20 KB sent per patient-day. Training the model and generating the raw data are set-up, not
measured. Run: ``.venv/bin/python bench/device.py [--seed 0] [--chunk-days 7]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def _memory_mb() -> tuple[float, float]:
    """Current and peak resident set (VmRSS, VmHWM) of this process, MB.

    Read from /proc: ``ru_maxrss`` survives execve, so the agent process would report the
    parent's peak (the parent trained the model) as its own.
    """
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key = line.split(":")[0]
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(line.split()[1]) / 1024.0
    return found["VmRSS"], found["VmHWM"]


def _reset_peak() -> None:
    """Start a new peak-RSS span (Linux: writing 5 to clear_refs resets VmHWM to VmRSS)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _train_model(out: Path, seed: int) -> Path:
    from bedside.biomarkers import extract_daily
    from bedside.models import episode_examples, train_episode_risk
    from bedside.sensors import CohortConfig, generate_cohort
    from bedside.sensors.synthetic_types import episode_risk_labels

    config = CohortConfig(n_patients=30, n_days=120, seed=seed + 1000, extra_modalities=())
    examples = []
    for patient in generate_cohort(config).patients:
        table = extract_daily(patient.actigraphy)
        offset = (table.date_list()[0] - config.start_date).days
        labels = episode_risk_labels(patient)[offset : offset + table.n_days]
        examples.append(episode_examples(table, labels))
    return Path(train_episode_risk(examples, seed=seed).save(out))


def _serve(app: Any, port: int) -> Any:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("clinic did not start")
        time.sleep(0.05)
    return server


def _serve_clinic(port: int, processor_port: int, db: Path) -> tuple[Any, list[Any]]:
    """The clinic's ingest API and its processor's ``/attestation`` (what the device checks)."""
    from bedside.privacy import Identity, PartyKind
    from bedside.server import create_app
    from bedside.server.ingest import IngestService
    from bedside.server.processor import LocalDecryptor, processor_app
    from bedside.store import create_store

    clinic = Identity.generate(PartyKind.CLINIC_SERVICE)
    store = create_store(f"sqlite:///{db}")
    service = IngestService(store.engine, clinic, LocalDecryptor(clinic))
    servers = [
        _serve(create_app(store, ingest=service), port),
        _serve(processor_app(clinic.encryption_only()), processor_port),
    ]
    return clinic, servers


def _agent(work: Path, port: int, processor_port: int, chunk_days: int) -> dict[str, Any]:
    """The device agent process: start-up, warm agent, then the year (see the module doc)."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    import httpx

    from bedside.baseline import DailyTrendMonitor
    from bedside.baseline.watch_set import unwatched_outside
    from bedside.biomarkers import REGISTRY, extract_multimodal_daily
    from bedside.biomarkers.chunked import extract_multimodal_chunked
    from bedside.device import DeviceAgent, DevicePipeline, HttpTransport, LocalVault
    from bedside.device.raw_store import RawFileSource
    from bedside.device.release_gate import HttpProcessorReports, ReleaseGate
    from bedside.device.resources import ResourceMeter
    from bedside.models import EpisodeRiskModel
    from bedside.privacy import (
        Identity,
        PartyKind,
        PublicIdentity,
        ReleasePolicy,
        Scope,
        issue_consent,
    )

    model = EpisodeRiskModel.load(work / "model")
    startup = {
        "cpu_s": time.process_time() - cpu0,
        "wall_s": time.perf_counter() - wall0,
        "rss_mb": _memory_mb()[1],
        "sklearn_or_pandas_loaded": any(m in sys.modules for m in ("sklearn", "pandas")),
    }

    clinic = PublicIdentity.from_json((work / "clinic.json").read_text())
    patient = Identity.generate(PartyKind.PATIENT)
    now = dt.datetime.now(dt.UTC)
    grant, token = issue_consent(
        patient,
        patient_id="bench-patient",
        grantee_did=clinic.did,
        scopes={Scope.TRENDS, Scope.RISK, Scope.PHQ9},
        valid_from=now - dt.timedelta(days=1),
        valid_until=now + dt.timedelta(days=30),
    )
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0)
    http.post("/ingest/consents", json={"token": token}).raise_for_status()
    vault = LocalVault(work / "device.db", os.urandom(32))
    # no TEE here: the processor is unattested, released to under the development policy
    processor = httpx.Client(base_url=f"http://127.0.0.1:{processor_port}", timeout=60.0)
    gate = ReleaseGate(ReleasePolicy(allow_unattested=True), HttpProcessorReports(processor))
    agent = DeviceAgent(patient, clinic, grant, vault, release=gate)
    transport = HttpTransport(http)
    pipeline = DevicePipeline(
        model,
        device_id="bench-device",
        monitor=DailyTrendMonitor(unwatched=unwatched_outside(REGISTRY)),
    )
    warm_rss = _memory_mb()[0]

    source = RawFileSource(work / "store")  # the phone's sensor store, read a chunk at a time

    _reset_peak()
    meter = ResourceMeter()
    meter.start()
    run = pipeline.run_source(source, chunk_days=chunk_days)
    findings = [f.model_copy(update={"patient_id": "bench-patient"}) for f in run.findings]
    queued = agent.queue_findings(findings)
    delivered = 0
    while agent.outbox.pending():
        report = agent.deliver(transport)
        meter.add_bytes(report.bytes_sent)
        delivered += report.delivered
        if report.dead or report.held or report.withdrawn:
            raise RuntimeError(f"envelopes refused, held or withdrawn: {report}")
    usage = meter.stop(len(findings))
    year_peak = _memory_mb()[1]

    cpu_b = time.process_time()
    table = extract_multimodal_chunked(source, chunk_days=chunk_days, wear_coverage=True)
    baseline_cpu = time.process_time() - cpu_b

    # memory baseline: the batch extraction the agent used before (whole year loaded, one pass)
    n_days = len(findings)
    trends = sum(len(f.trends) for f in findings)
    table_days = table.n_days
    del run, findings, table
    rss_before_batch = _memory_mb()[0]
    _reset_peak()
    cpu_b = time.process_time()
    with (work / "year.pkl").open("rb") as f:
        frames = pickle.load(f)
    loaded_rss = _memory_mb()[0]
    batch_table = extract_multimodal_daily(frames)
    batch_cpu = time.process_time() - cpu_b
    batch_peak = _memory_mb()[1]
    assert batch_table.n_days == table_days
    vault.close()
    http.close()
    processor.close()
    return {
        "startup": startup,
        "warm_rss_mb": warm_rss,
        "raw_year_mb": loaded_rss - rss_before_batch,
        "year_peak_mb": year_peak,
        "batch_growth_mb": batch_peak - rss_before_batch,
        "batch_cpu_s": batch_cpu,
        "chunk_days": chunk_days,
        "days": n_days,
        "table_days": table_days,
        "queued": queued,
        "delivered": delivered,
        "cpu_s": usage.cpu_s,
        "cpu_s_per_day": usage.cpu_s_per_day,
        "bytes_per_day": usage.bytes_per_day,
        "baseline_cpu_s": baseline_cpu,
        "trends": trends,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk-days", type=int, default=7, help="local days per chunk")
    parser.add_argument("--agent", nargs=3, help=argparse.SUPPRESS)  # workdir, ports
    args = parser.parse_args()
    if args.agent:
        work, port, processor_port = Path(args.agent[0]), int(args.agent[1]), int(args.agent[2])
        print(json.dumps(_agent(work, port, processor_port, args.chunk_days)))
        return 0

    from bedside.device.raw_store import write_raw_store
    from multimodal_year import make_patient_year, raw_size

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        _train_model(work / "model", args.seed)
        year = make_patient_year(args.seed)
        with (work / "year.pkl").open("wb") as f:
            pickle.dump(year.frames, f)
        write_raw_store(year.frames, work / "store")
        sizes = ", ".join(f"{m.value} {raw_size(fr)}" for m, fr in year.frames.items())
        print(f"set-up (not measured, {time.perf_counter() - t0:.0f} s): model trained; {sizes}")
        port, processor_port = _free_port(), _free_port()
        clinic, servers = _serve_clinic(port, processor_port, work / "clinic.db")
        (work / "clinic.json").write_text(clinic.public.to_json())
        command = [sys.executable, __file__, "--agent", str(work), str(port), str(processor_port)]
        child = subprocess.run(
            [*command, "--chunk-days", str(args.chunk_days)],
            capture_output=True,
            text=True,
            check=False,
        )
        for server in servers:
            server.should_exit = True
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            return 1
        r = json.loads(child.stdout.strip().splitlines()[-1])

    s = r["startup"]
    print(
        f"start-up: {s['cpu_s']:.2f} CPU-s ({s['wall_s']:.2f} s wall), peak RSS "
        f"{s['rss_mb']:.0f} MB; scikit-learn or pandas on the device path: "
        f"{s['sklearn_or_pandas_loaded']}"
    )
    growth = r["year_peak_mb"] - r["warm_rss_mb"]
    print(
        f"warm agent: RSS {r['warm_rss_mb']:.0f} MB; peak while processing the year "
        f"{r['year_peak_mb']:.0f} MB (raw data read from the on-device store "
        f"{r['chunk_days']} local days at a time)"
    )
    print(
        f"year: {r['days']} patient-days, {r['trends']} trend findings, {r['queued']} sealed, "
        f"{r['delivered']} delivered with receipts; machine load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    rows = [
        ("CPU-s per patient-day", r["cpu_s_per_day"], 0.5, "< 0.5"),
        ("peak RSS growth over warm agent (MB)", growth, 100.0, "< 100"),
        ("KB sent per patient-day", r["bytes_per_day"] / 1000, 20.0, "< 20"),
    ]
    for name, value, floor, text in rows:
        print(f"  {name:<40} {value:10.3f}   floor {text}: {'met' if value < floor else 'NOT met'}")
    base = r["baseline_cpu_s"] / r["table_days"]
    print(
        f"baseline (daily biomarker table alone, same chunks): {base:.3f} CPU-s per patient-day; "
        f"whole agent / baseline: {r['cpu_s_per_day'] / base:.2f}x"
    )
    print(
        f"memory baseline (the former batch extraction, same process after the year: whole year "
        f"loaded ({r['raw_year_mb']:.0f} MB) and extracted in one pass): peak RSS growth "
        f"{r['batch_growth_mb']:.0f} MB, {r['batch_cpu_s'] / r['table_days']:.3f} CPU-s per "
        f"patient-day; whole chunked agent / batch extraction alone, peak growth: "
        f"{growth / r['batch_growth_mb']:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
