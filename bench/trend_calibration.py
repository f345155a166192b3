"""Benchmark: CPU of one device-size trend calibration, likelihood-ratio signature vs CUSUM.

One call of `calibrate_cusum` as the device runs it (22 watched biomarkers, 100 simulated
series of a year, the episode signature, the estimation correction with `ESTIMATION_POOLS`
pseudo-pools) on pools of 28 and 112 in-control days, with the signature chart in its
likelihood-ratio form (the device's default since 2026-11-28) and, as the named baseline in the
same run, in its former CUSUM form. Prints CPU seconds and their ratio.
Run: ``.venv/bin/python bench/trend_calibration.py [--repeats 2]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bedside.baseline import BaselineScheme, calibrate_cusum
from bedside.baseline.bootstrap_calibration import ESTIMATION_MARGINS, ESTIMATION_POOLS
from bedside.baseline.chart_family import EPISODE_SIGNATURE


def _cpu(pool: np.ndarray, names: list[str], form: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        calibrate_cusum(
            pool, names, np.full(len(names), 1e-6), BaselineScheme(), k=1.0, n_series=100,
            signature=EPISODE_SIGNATURE, estimation_pools=ESTIMATION_POOLS,
            estimation_margin=ESTIMATION_MARGINS, signature_form=form,
        )  # fmt: skip
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    """Print the CPU of both forms on 28- and 112-day pools."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    names = [*EPISODE_SIGNATURE, *(f"other.b{i}" for i in range(19))]
    print("pool days | CUSUM signature (baseline) CPU-s | likelihood ratio CPU-s | ratio")
    for n in (28, 112):
        pool = rng.standard_normal((n, len(names)))
        base = _cpu(pool, names, "cusum", args.repeats)
        lr = _cpu(pool, names, "likelihood_ratio", args.repeats)
        print(f"{n:9d} | {base:32.2f} | {lr:22.2f} | {lr / base:.2f}")


if __name__ == "__main__":
    main()
