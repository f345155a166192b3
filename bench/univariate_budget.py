"""Benchmark: what a family-wise budget split costs a univariate chart in detection delay.

Issue #4's floor (c) asks that a 2 SD change of total activity alone be caught in a median of at
most 1.5 x ``ln(N K) / (D / 2)`` days (3.8 d for K = 6 at one false alarm per patient-year, so
5.7 d). The device watches each biomarker in both directions besides the episode-signature
chart, which takes half the budget, so the activity chart of one direction has 1/24 of it, less
after the estimation correction. This script measures the best a univariate chart can do at a
given per-chart budget: the change-point likelihood-ratio chart that KNOWS the model (lag-1
0.3 and unit marginal variance as the synthetic background's activity, Student t5 innovations,
known in-control mean, innovations clipped at 2 SD as the device's charts), its threshold
counted from 400 simulated in-control years, and its median delay (days after onset, 0 = the
onset day) for a 2 SD step. The named baseline in the same run is the whole budget on this one
chart (as the evaluation's oracle row spends it); each row prints its delay minus the baseline's.
Run: ``.venv/bin/python bench/univariate_budget.py [--years 400]``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import numpy.typing as npt

from bedside.baseline.bootstrap_calibration import threshold_from_maxima
from bedside.baseline.chart_family import likelihood_ratio_path, univariate_terms
from bedside.baseline.charts import excursion_maxima

PHI = 0.3
DF = 5.0
SHIFT_SD = 2.0
BUDGETS = (1.0, 1 / 6, 1 / 12, 1 / 24, 1 / 48)


def _ar1(rng: np.random.Generator, n: int, days: int) -> npt.NDArray[np.float64]:
    """(n, 1, days) AR(1) days with unit marginal variance and t innovations."""
    e = rng.standard_t(DF, (n, days)) / math.sqrt(DF / (DF - 2))
    x = np.zeros((n, days))
    for t in range(1, days):
        x[:, t] = PHI * x[:, t - 1] + math.sqrt(1 - PHI**2) * e[:, t]
    return x[:, None, :]


def main() -> None:
    """Print threshold (nats) and median delay per per-chart budget."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=400)
    parser.add_argument("--trials", type=int, default=2000)
    args = parser.parse_args()
    t0 = time.process_time()
    rng = np.random.default_rng(5)
    phi = np.array([PHI])
    sd = np.array([math.sqrt(1 - PHI**2)])
    a, b = univariate_terms(_ar1(rng, args.years, 365), phi, sd, -SHIFT_SD, 4.0)
    _, maxima = excursion_maxima(likelihood_ratio_path(a, b)[:, 0])
    onset = 30
    shifted = _ar1(rng, args.trials, onset + 50)
    shifted[..., onset:] -= SHIFT_SD
    a, b = univariate_terms(shifted, phi, sd, -SHIFT_SD, 4.0)
    path = likelihood_ratio_path(a, b)[:, 0, onset:]
    rows = []
    for budget in BUDGETS:
        h = threshold_from_maxima(maxima, float(args.years), budget, 0.0)
        hit = path > h
        delay = np.where(hit.any(axis=1), hit.argmax(axis=1), 10**6)
        rows.append((budget, h, float(np.median(delay)), float(np.mean(np.minimum(delay, 50)))))
    base = rows[0][2]
    print(f"known-model univariate LR chart, lag-1 {PHI}, t{DF:g}, {SHIFT_SD:g} SD step")
    head = f"{'budget per chart (/yr)':<24}{'threshold (nats)':<18}{'median delay (d)':<18}"
    print(f"{head}{'mean delay (d)':<16}median vs whole budget")
    for budget, h, med, mean in rows:
        label = f"1/{round(1 / budget)}"
        print(f"{label:<24}{h:<18.2f}{med:<18.1f}{mean:<16.2f}{med - base:+.1f} d")
    print(f"cpu {time.process_time() - t0:.1f} s")


if __name__ == "__main__":
    main()
