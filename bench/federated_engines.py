"""Benchmark: Flower's Simulation Engine (Ray) against the in-process grid, same run.

Generates (or reads from `--cache`) a synthetic cohort of `--clients` patients (one Flower client
each), then runs the same federated training (FedAvg, `--rounds` rounds, with SecAgg+ unless
`--no-secagg`) on

- baseline: the in-process grid (`--engine local` of ``bedside fl simulate``);
- Flower's Simulation Engine (Ray, 2 CPUs, one ClientApp actor per CPU; the default engine);

each in a fresh child process, so that each peak RSS is its own. Prints for each: wall seconds,
CPU seconds of the process running the ServerApp (and, locally, the ClientApps) and of Ray's
processes (sampled from /proc; start-up included), peak RSS (ru_maxrss of the process, and the
largest sampled sum over Ray's processes, which counts shared object-store pages once per
process), upload bytes per client per round, the pooled held-out AUROC; then the ratio Ray /
local of wall and total CPU time. The machine's 1-minute load average before and after is
printed, as timing on a shared machine is noisy.

Run: ``.venv/bin/python bench/federated_engines.py [--clients N] [--rounds N] [--cache F]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bedside.federated.cohort_data import whitened_cohort
from bedside.federated.server_app import SecAggSettings
from bedside.federated.simulation import FederatedRun, RunSpec, pooled_auroc, simulate
from bedside.sensors import CohortConfig


def _report(name: str, run: FederatedRun, auroc: float) -> None:
    ups = [run.upload_bytes(r.round)[0] for r in run.records]
    answered = "/".join(str(r.results) for r in run.records)
    print(
        f"{name:<24} wall {run.wall_seconds:7.1f} s  CPU {run.cpu_seconds:6.1f} s "
        f"+ Ray {run.worker_cpu_seconds:6.1f} s  peak RSS {run.peak_rss_mb:5.0f} MB "
        f"+ Ray {run.worker_peak_rss_mb:5.0f} MB  up/client/round {sum(ups) / len(ups):6.0f} B  "
        f"answered {answered}  AUROC {auroc:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--no-secagg", action="store_true")
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()

    t0, c0 = time.perf_counter(), time.process_time()
    config = CohortConfig(
        n_patients=args.clients, n_days=args.days, seed=args.seed, extra_modalities=()
    )
    clients, _ = whitened_cohort(config, cache=args.cache)
    print(
        f"cohort: {len(clients)} clients x {args.days} days in {time.perf_counter() - t0:.1f} s "
        f"wall, {time.process_time() - c0:.1f} s CPU; load average {os.getloadavg()[0]:.1f}"
    )
    secagg = None if args.no_secagg else SecAggSettings(num_shares=5, reconstruction_threshold=3)
    spec = RunSpec(rounds=args.rounds, secagg=secagg)
    print(f"run: {spec.name()}, {args.rounds} rounds, {len(clients)} clients")
    runs: dict[str, FederatedRun] = {}
    for engine in ("local", "ray"):
        with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
            runs[engine] = pool.submit(simulate, clients, spec, engine=engine).result()
        name = "in-process grid" if engine == "local" else "Simulation Engine (Ray)"
        _report(name, runs[engine], pooled_auroc(runs[engine].parameters, clients))
    local, ray = runs["local"], runs["ray"]
    local_cpu = local.cpu_seconds + local.worker_cpu_seconds
    ray_cpu = ray.cpu_seconds + ray.worker_cpu_seconds
    print(
        f"ratio Ray / in-process grid: wall {ray.wall_seconds / local.wall_seconds:.1f}x, "
        f"CPU (all processes) {ray_cpu / local_cpu:.1f}x; load average after "
        f"{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
