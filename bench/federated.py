"""Benchmark: 1,000 simulated clients x 5 rounds with SecAgg+ (issue #8's floor: < 10 min).

Generates a synthetic cohort of `--clients` patients (one Flower client each, whitened episode
features, PHQ-9 labels), then runs in the same process

- baseline: FedAvg without secure aggregation, same clients and rounds;
- FedAvg + SecAgg+ (num_shares 5, reconstruction threshold 3), with `--dropouts` clients that
  vanish after sharing keys in round 1;

and prints for each: wall and CPU seconds of the training (cohort generation excluded, printed
on its own), peak RSS (ru_maxrss, whole process), upload bytes per client per round (serialised
RecordDict of every reply, mean and max) and the held-out pooled AUROC; then the ratio SecAgg+ /
baseline of wall and CPU time. The engine is the in-process grid (`bedside.federated.local_grid`):
the real ServerApp, workflows and ClientApp mods, sequential, one process.

Run: ``.venv/bin/python bench/federated.py [--clients N] [--rounds N] [--days N] [--dropouts N]``.
"""

from __future__ import annotations

import argparse
import time

from bedside.federated.cohort_data import whitened_cohort
from bedside.federated.server_app import SecAggSettings
from bedside.federated.simulation import (
    FIRST_NODE_ID,
    FederatedRun,
    RunSpec,
    drop_at_stage,
    pooled_auroc,
    simulate,
)
from bedside.sensors import CohortConfig


def _report(name: str, run: FederatedRun, clients: int) -> None:
    ups = [run.upload_bytes(r.round) for r in run.records]
    mean_up = sum(u[0] for u in ups) / len(ups)
    max_up = max(u[1] for u in ups)
    answered = "/".join(str(r.results) for r in run.records)
    print(
        f"{name:<22} wall {run.wall_seconds:7.1f} s  CPU {run.cpu_seconds:7.1f} s  "
        f"peak RSS {run.peak_rss_mb:6.0f} MB  upload/client/round mean {mean_up:6.0f} B "
        f"max {max_up:6d} B  answered per round {answered} of {clients}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--dropouts", type=int, default=10)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    t0, c0 = time.perf_counter(), time.process_time()
    config = CohortConfig(
        n_patients=args.clients, n_days=args.days, seed=args.seed, extra_modalities=()
    )
    clients, _ = whitened_cohort(config)
    print(
        f"cohort: {len(clients)} clients x {args.days} days generated in "
        f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU"
    )
    base = simulate(clients, RunSpec(rounds=args.rounds), evaluate=False)
    _report("baseline FedAvg", base, len(clients))
    dropout = drop_at_stage(
        {FIRST_NODE_ID + i for i in range(args.dropouts)}, "collect_masked_vectors", {"1"}
    )
    secure = simulate(
        clients,
        RunSpec(
            rounds=args.rounds, secagg=SecAggSettings(num_shares=5, reconstruction_threshold=3)
        ),
        dropout=dropout,
        evaluate=False,
    )
    _report("FedAvg + SecAgg+", secure, len(clients))
    print(
        f"AUROC held-out pooled: baseline {pooled_auroc(base.parameters, clients):.3f}, "
        f"SecAgg+ {pooled_auroc(secure.parameters, clients):.3f} "
        f"({args.dropouts} dropouts in round 1)"
    )
    print(
        f"ratio SecAgg+ / baseline: wall {secure.wall_seconds / base.wall_seconds:.1f}x, "
        f"CPU {secure.cpu_seconds / base.cpu_seconds:.1f}x; SecAgg+ training "
        f"{secure.wall_seconds / 60:.1f} min wall (floor: < 10 min), total incl. cohort "
        f"{(time.perf_counter() - t0) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
