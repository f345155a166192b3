"""Benchmark: the episode-risk model's size and inference time, ONNX vs scikit-learn, same run.

Trains the episode-risk model in both families (calibrated logistic regression and
gradient-boosted trees) on a small synthetic cohort, then prints for each

- the model size: ONNX bytes (target < 100 KB) and the whole bundle on disk (ONNX + manifest);
- inference time per patient-day with onnxruntime (1 thread; target < 1 ms), for one day at a time
  (what a device does each night) and for a batch of days, next to scikit-learn ``predict_proba``
  on the same rows, with the ratio scikit-learn / ONNX;
- the largest absolute probability difference between the two.

Run: ``.venv/bin/python bench/models.py [--patients N] [--days N] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from bedside.cli.risk_commands import cohort_examples
from bedside.models import (
    EpisodeExamples,
    EpisodeRiskModel,
    train_episode_risk,
)
from bedside.sensors import CohortConfig


def _best_time(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of `repeats` calls, seconds."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--days", type=int, default=80)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    examples = cohort_examples(
        CohortConfig(n_patients=args.patients, n_days=args.days, seed=3, episode_fraction=0.5)
    )
    X = np.concatenate([e.features.values for e in examples])
    n = X.shape[0]
    print(
        f"episode-risk model: {X.shape[1]} features, trained on "
        f"{args.patients} synthetic patients x {args.days} days ({n} labelled patient-days)"
    )
    ok = True
    for family in ("logistic", "gbt"):
        ok &= _bench_family(family, examples, X, args.repeats)
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


def _bench_family(
    family: Literal["logistic", "gbt"],
    examples: list[EpisodeExamples],
    X: npt.NDArray[np.float64],
    repeats: int,
) -> bool:
    n = X.shape[0]
    model = train_episode_risk(examples, family=family)
    sk = model.sklearn_estimator
    assert sk is not None

    with tempfile.TemporaryDirectory() as tmp:
        manifest = model.save(Path(tmp) / "bundle")
        bundle_bytes = manifest.stat().st_size + (manifest.parent / "model.onnx").stat().st_size
        loaded = EpisodeRiskModel.load(manifest.parent)
    onnx = loaded.onnx

    single_onnx = (
        _best_time(lambda: [onnx.predict_proba(X[i : i + 1]) for i in range(200)], repeats) / 200
    )
    single_sk = (
        _best_time(lambda: [sk.predict_proba(X[i : i + 1]) for i in range(200)], repeats) / 200
    )
    batch_onnx = _best_time(lambda: onnx.predict_proba(X), repeats) / n
    batch_sk = _best_time(lambda: sk.predict_proba(X), repeats) / n
    explain = _best_time(
        lambda: loaded.estimates(examples[0].features.select(np.array([0]))), repeats
    )
    diff = float(np.max(np.abs(onnx.predict_proba(X) - sk.predict_proba(X)[:, 1])))

    print(f"\n[{family}] {model.bundle.training['estimator']}")
    print(f"ONNX size            {len(model.bundle.onnx_bytes):>10,d} bytes  (target < 100 KB)")
    print(f"bundle on disk       {bundle_bytes:>10,d} bytes  (ONNX + JSON manifest)")
    print(f"{'per patient-day':<22}{'onnxruntime':>14}{'scikit-learn':>14}{'sklearn/onnx':>14}")
    print(
        f"{'one day per call':<22}{single_onnx * 1e3:>11.4f} ms{single_sk * 1e3:>11.4f} ms"
        f"{single_sk / single_onnx:>13.1f}x"
    )
    print(
        f"{f'batch of {n} days':<22}{batch_onnx * 1e3:>11.4f} ms{batch_sk * 1e3:>11.4f} ms"
        f"{batch_sk / batch_onnx:>13.1f}x"
    )
    print(
        "full RiskEstimate (ONNX + interval/set + contributions) for one day: "
        f"{explain * 1e3:.3f} ms"
    )
    print(f"max |p_onnx - p_sklearn| = {diff:.2e}  (required < 1e-5)")
    return len(model.bundle.onnx_bytes) < 100_000 and single_onnx < 1e-3 and diff < 1e-5


if __name__ == "__main__":
    raise SystemExit(main())
