"""Benchmark: what estimating the baseline from the patient's own days costs a univariate chart.

Issue #4's floor (c) asks that a 2 SD drop of total activity alone be caught in a median of at
most 1.5 x ``ln(N K) / (D / 2)`` days (5.77 d for K = 6 at one false alarm per patient-year). That
bound, like `bench/univariate_budget.py`, assumes the in-control level is known. The device
learns it from the patient's own days (median, weekday offsets and scale refitted weekly over
the last 84 valid days, `BaselineScheme`), so its z carry the baseline's estimation error for
weeks at a time, and a chart's in-control excursions grow with it.

This script separates that cost from every other one. One chart, the change-point
likelihood-ratio chart that KNOWS the model (lag-1 0.3, unit marginal variance, Student t5
innovations clipped at 2 SD: the synthetic background's activity), watches a 2 SD drop. Its
threshold is counted from its own in-control excursions over the same monitoring epoch on the
same number of simulated patients (a perfect calibration: nothing bootstrapped, nothing
corrected). It runs on two inputs of the same series: z against the true level (the named
baseline, as the bound assumes) and z against the device's baseline scheme (`scheme_z`, guard
band included). Epochs: the second month of monitoring (onsets on days 28-55, as `bedside trends
evaluate` places them) and the steady state (onsets on days 224-251, ``--onset-day 224``).
Delays count from the onset day (0 = the onset day) as the evaluation does.
Run: ``.venv/bin/python bench/estimated_baseline.py [--patients 1000]``.
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
from bedside.baseline.scheme import BaselineScheme, scheme_z

FloatArray = npt.NDArray[np.float64]

PHI = 0.3
DF = 5.0
SHIFT_SD = 2.0
BUDGETS = (1 / 6, 1 / 12, 1 / 24)
FLOOR_C_DAYS = 1.5 * math.log(365 * 6) / (SHIFT_SD**2 / 2)
ONSET_SPREAD_DAYS = 28


def _ar1(rng: np.random.Generator, n: int, days: int) -> FloatArray:
    """(n, days) AR(1) days with unit marginal variance and t innovations, level 0."""
    e = rng.standard_t(DF, (n, days)) / math.sqrt(DF / (DF - 2))
    x = np.zeros((n, days))
    x[:, 0] = e[:, 0]
    for t in range(1, days):
        x[:, t] = PHI * x[:, t - 1] + math.sqrt(1 - PHI**2) * e[:, t]
    return x


def _chart(z: FloatArray, sign: float) -> FloatArray:
    """The known-model likelihood-ratio path (n, days) for a step of ``sign x SHIFT_SD``."""
    phi = np.array([PHI])
    sd = np.array([math.sqrt(1 - PHI**2)])
    a, b = univariate_terms(z[:, None, :], phi, sd, sign * SHIFT_SD, 4.0)
    return likelihood_ratio_path(a, b)[:, 0]


def _delays(path: FloatArray, onset: npt.NDArray[np.int64], h: float) -> FloatArray:
    """Days from each series' onset to its first day above h (inf: never)."""
    out = np.full(path.shape[0], np.inf)
    for i, o in enumerate(onset):
        hit = np.flatnonzero(path[i, o:] > h)
        if hit.size:
            out[i] = hit[0]
    return out


def _epoch(
    rng: np.random.Generator, scheme: BaselineScheme, n: int, onset_day: int
) -> list[tuple[float, ...]]:
    """Per budget: (budget, then h, median and mean delay on the known level, then the same on the
    device's baseline); the mean caps a delay at 56 days."""
    start = scheme.start_days
    lo = start + onset_day  # first onset row; in-control excursions counted over [lo, hi)
    hi = lo + ONSET_SPREAD_DAYS + 56
    days = hi + 1
    x = _ar1(rng, n, days)
    onset = lo + rng.integers(0, ONSET_SPREAD_DAYS, n)
    shifted = x.copy()
    shifted[np.arange(days)[None, :] >= onset[:, None]] -= SHIFT_SD
    inputs = {
        "known": (x, shifted),
        "estimated": (scheme_z(x, scheme, 1e-6), scheme_z(shifted, scheme, 1e-6)),
    }
    years = n * (hi - lo) / 365.25
    result: dict[str, list[tuple[float, float, float]]] = {}
    for name, (z_in, z_sh) in inputs.items():
        # in-control excursions of both directions over the epoch (the chart starts fresh there)
        maxima = np.concatenate(
            [excursion_maxima(_chart(z_in[:, lo - 1 : hi], s)[:, 1:])[1] for s in (1.0, -1.0)]
        )
        path = _chart(z_sh[:, lo - 1 :], -1.0)[:, 1:]
        rows = []
        for budget in BUDGETS:
            # a budget per chart and direction: both directions share the maxima
            h = threshold_from_maxima(maxima, years, 2 * budget, 0.0)
            delays = _delays(path, onset - lo, h)
            rows.append((h, float(np.median(delays)), float(np.minimum(delays, 56).mean())))
        result[name] = rows
    return [
        (budget, *result["known"][i], *result["estimated"][i]) for i, budget in enumerate(BUDGETS)
    ]


def main() -> None:
    """Print, per epoch and budget, the threshold and the delays on both inputs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=1000)
    args = parser.parse_args()
    t0 = time.process_time()
    rng = np.random.default_rng(11)
    scheme = BaselineScheme()
    print(
        f"known-model likelihood-ratio chart, lag-1 {PHI}, t{DF:g}, {SHIFT_SD:g} SD drop; "
        f"{args.patients} patients; floor (c): median <= {FLOOR_C_DAYS:.2f} d"
    )
    head = f"{'onsets (monitoring days)':<26}{'budget per chart (/yr)':<24}"
    cols = "h / median / mean delay"
    print(f"{head}{'known level: ' + cols:<40}{'device baseline: ' + cols:<44}mean delay ratio")
    for onset_day in (28, 224):
        label = f"{onset_day}-{onset_day + ONSET_SPREAD_DAYS - 1}"
        for budget, hk, dk, mk, he, de, me in _epoch(rng, scheme, args.patients, onset_day):
            known = f"{hk:.2f} nats / {dk:.1f} d / {mk:.2f} d"
            est = f"{he:.2f} nats / {de:.1f} d / {me:.2f} d"
            rate = "1/" + str(round(1 / budget))
            print(f"{label:<26}{rate:<24}{known:<40}{est:<44}{me / mk:.2f}")
    print(f"cpu {time.process_time() - t0:.1f} s")


if __name__ == "__main__":
    main()
