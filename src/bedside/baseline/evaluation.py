"""Evaluation of the trend detectors on semi-synthetic and synthetic patient-years.

Ground truth: each simulated patient-year is `start_days` + 365 days of in-control background for
the watched biomarkers. Backgrounds come either from real recordings (each source patient's days
resampled with the stationary bootstrap, blocks of mean 7 days, rows kept whole so that the
biomarkers' cross-correlation and missingness are real) or from a long synthetic model. Into
copies of the same patient-year a sustained shift of ``d`` source SDs is injected at a known onset
(the patient's SD of that biomarker in its source days), either the episode pattern (adverse
direction in sleep duration, total activity and interdaily stability at once) or total activity
alone.

"device family" is what `DailyTrendMonitor` runs (`DeviceCharts` = its defaults): univariate
CUSUMs plus the episode-signature chart, calibrated per patient by `calibrate_cusum` itself (the
AR(1) sieve bootstrap) on the unshifted days before each of the monitor's recalibration rows
(`recalibration_rows`: days 28, 56 and 112). The comparison detectors (CUSUM with k = 0.5 only,
EWMA, MEWMA, the signature chart alone) are calibrated once, from the patient-year's first
`start_days` days, by the predictive stationary block bootstrap through the same baseline scheme
(the recipe the device used before 2026-11-27). The naive rules are not calibrated. A background
built from real recordings holds only days its recording covered at least half (off-wrist days
removed by `bedside.biomarkers.wear`, as the device treats them as missing). Reported per
detector:

* false alarms per patient-year on the unshifted patient-years (every alarm counts; family-wise),
  with a 95% interval from a bootstrap over patient-years;
* per scenario and shift size: the share of trials detected within 21 days of onset (a trial is
  detected by an alarm of a shifted biomarker in the shifted direction for univariate charts, by
  any alarm for multivariate ones, and for the device's signature chart when the scenario moves
  one of its biomarkers its way, as the device then reports that biomarker) and the median
  delay in days (undetected trials count as later than the 56-day horizon);
* the information bound ``ln(N K) / (D / 2)`` days (N = 365 / target days per false alarm, K
  watched biomarkers, D the Mahalanobis size of the shift over the shifted biomarkers under the
  background's correlation; it assumes independent days, so it is optimistic for autocorrelated
  biomarkers).

The replay here is vectorised: it has the device's baselines and thresholds but not its exclusion
of alarmed periods from later refits, which only matters after a first alarm.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from bedside.baseline.bootstrap_calibration import (
    CALIBRATION_SERIES,
    ESTIMATION_MARGINS,
    ESTIMATION_POOLS,
    MarginSchedule,
    calibrate_cusum,
    stationary_bootstrap,
    threshold_from_maxima,
)
from bedside.baseline.calibration import DAYS_PER_YEAR
from bedside.baseline.chart_family import (
    EPISODE_SIGNATURE,
    SIGNATURE_FORM,
    UNIVARIATE_FORM,
    likelihood_ratio_path,
    prewhiten,
    signature_projection,
    signature_terms,
    univariate_terms,
)
from bedside.baseline.charts import (
    decorrelate,
    directed_cusum,
    ewma_statistics,
    excursion_maxima,
    mewma_statistic,
    whitening_matrix,
)
from bedside.baseline.episodes import cusum_statistics
from bedside.baseline.oracle_chart import OracleChart, Var1Model
from bedside.baseline.scheme import BaselineScheme, scheme_z
from bedside.domain import ConfigurationError

__all__ = [
    "EPISODE_PATTERN",
    "EVAL_BIOMARKERS",
    "SCENARIOS",
    "SHIFTS_SD",
    "DetectorResult",
    "DeviceCharts",
    "EvaluationReport",
    "evaluate_detectors",
    "recalibration_rows",
    "source_arrays",
    "synthetic_background",
    "synthetic_model",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

EVAL_BIOMARKERS: tuple[str, ...] = (
    "sleep.duration_min",
    "activity.total_counts",
    "circadian.interdaily_stability",
    "sleep.efficiency",
    "sleep.onset_min",
    "circadian.relative_amplitude",
)
"""The K = 6 biomarkers watched in the evaluation."""

EPISODE_PATTERN: dict[str, float] = dict(EPISODE_SIGNATURE)
"""Direction of the episode-like shift (as the synthetic episodes produce), per biomarker."""

SHIFTS_SD: tuple[float, ...] = (0.5, 1.0, 2.0)
SCENARIOS: dict[str, dict[str, float]] = {
    "episode (3 biomarkers)": EPISODE_PATTERN,
    "activity alone": {"activity.total_counts": -1.0},
}
WITHIN_DAYS = 21
HORIZON_DAYS = 56
ONSET_SPREAD_DAYS = 28
"""Onsets are drawn uniformly over this many days from the first onset day."""


@dataclass(frozen=True)
class DetectorResult:
    """One detector's numbers on one background.

    Attributes
    ----------
    name : str
    false_alarms_per_year : float
        Family-wise, on unshifted patient-years.
    false_alarms_ci : (float, float)
        95% bootstrap interval over patient-years.
    detection : dict of (scenario, shift) to float
        Share of trials detected within 21 days.
    median_delay : dict of (scenario, shift) to float
        Median days from onset to detection (inf when more than half are not detected in 56 d).
    scored_false_alarms_per_year : float
        Family-wise, on the unshifted patient-years, counted only over the days detections are
        scored on (each patient's onset day and the `WITHIN_DAYS` after it). Why: the device's
        rate is not even over the year (short pools spend more of the budget), so the yearly
        rate alone does not say at what rate the detections beside it were made.
    scored_false_alarms_ci : (float, float)
        95% bootstrap interval over patient-years (the same resamples as the yearly one).
    """

    name: str
    false_alarms_per_year: float
    false_alarms_ci: tuple[float, float]
    detection: dict[tuple[str, float], float]
    median_delay: dict[tuple[str, float], float]
    scored_false_alarms_per_year: float = math.nan
    scored_false_alarms_ci: tuple[float, float] = (math.nan, math.nan)


@dataclass(frozen=True)
class EvaluationReport:
    """All detectors on one background, with the information bounds."""

    background: str
    patient_years: float
    target_rate_per_year: float
    biomarkers: tuple[str, ...]
    bounds: dict[tuple[str, float], float]
    results: list[DetectorResult] = field(default_factory=list)
    onset_day: int = 28
    device_epochs: list[tuple[int, int, float]] = field(default_factory=list)
    """The device family's false alarms per year by calibration epoch: (first monitoring day,
    last monitoring day, rate) on the unshifted patient-years; each epoch runs on thresholds
    calibrated on the pool of every day before it."""

    def to_table(self) -> str:
        """Plain-text table (one row per detector and scenario)."""
        last = self.onset_day + ONSET_SPREAD_DAYS - 1
        lines = [
            f"background: {self.background}; {self.patient_years:.0f} patient-years; "
            f"K = {len(self.biomarkers)} biomarkers; target {self.target_rate_per_year:g} false "
            f"alarm per patient-year (family-wise); onsets on monitoring days "
            f"{self.onset_day}-{last}",
        ]
        head = f"{'detector':<20}{'FA/yr [95% CI]':<25}{'scenario':<24}"
        for d in SHIFTS_SD:
            head += f"{f'{d:g} SD: det21 / med delay (bound)':<36}"
        lines.append(head)
        for r in self.results:
            lo, hi = r.false_alarms_ci
            fa = f"{r.false_alarms_per_year:.2f} [{lo:.2f}, {hi:.2f}]"
            for i, scen in enumerate(SCENARIOS):
                row = f"{r.name if i == 0 else '':<20}{fa if i == 0 else '':<25}{scen:<24}"
                for d in SHIFTS_SD:
                    det = r.detection[(scen, d)]
                    med = r.median_delay[(scen, d)]
                    med_s = f">{HORIZON_DAYS}" if math.isinf(med) else f"{med:.1f}"
                    row += f"{f'{det:.0%} / {med_s} d ({self.bounds[(scen, d)]:.1f})':<36}"
                lines.append(row)
        lines.append(
            f"false alarms per year over the scored days only (each patient's onset day and the "
            f"{WITHIN_DAYS} after it, unshifted copy; the yearly rate is above):"
        )
        for r in self.results:
            lo, hi = r.scored_false_alarms_ci
            lines.append(f"  {r.name:<20}{r.scored_false_alarms_per_year:.2f} [{lo:.2f}, {hi:.2f}]")
        if self.device_epochs:
            epochs = ", ".join(f"days {a}-{b}: {rate:.2f}" for a, b, rate in self.device_epochs)
            lines.append(f"device family false alarms per year by calibration epoch: {epochs}")
        return "\n".join(lines)


def synthetic_background(
    n_patients: int, n_days: int, rng: np.random.Generator, phi: float = 0.3, df: float = 5.0
) -> list[FloatArray]:
    """Long synthetic in-control series of `EVAL_BIOMARKERS`, in their units.

    AR(1) with lag-1 correlation `phi` (0.8 for the two 7-day-window circadian measures), Student
    t innovations with `df` degrees of freedom, cross-correlation 0.4 between the innovations of
    sleep duration, activity and interdaily stability, and a weekend effect of +0.5 SD in sleep
    duration (`synthetic_model` is the same model in marginal-SD units).
    """
    k = len(EVAL_BIOMARKERS)
    chol = np.linalg.cholesky(_SYNTHETIC_INNOVATION_CORR)
    phis = _synthetic_phis(phi)
    out = []
    for _ in range(n_patients):
        t = rng.standard_t(df, (n_days, k)) / math.sqrt(df / (df - 2))
        e = t @ chol.T
        x = np.zeros((n_days, k))
        x[0] = e[0]
        for d in range(1, n_days):
            x[d] = phis * x[d - 1] + np.sqrt(1 - phis**2) * e[d]
        x[:, 0] += _weekend_effect(n_days)
        out.append(_SYNTHETIC_MEAN + _SYNTHETIC_SD * x)
    return out


def synthetic_model(phi: float = 0.3) -> Var1Model:
    """The VAR(1) `synthetic_background` draws from (Gaussian stand-in for its t innovations)."""
    return Var1Model.from_correlation(_synthetic_phis(phi), _SYNTHETIC_INNOVATION_CORR)


def _synthetic_phis(phi: float) -> FloatArray:
    return np.array([0.8 if b.startswith("circadian") else phi for b in EVAL_BIOMARKERS])


def _weekend_effect(n_days: int) -> FloatArray:
    """Sleep-duration weekend effect (SDs) of each day of a `synthetic_background` series."""
    return 0.5 * np.isin(np.arange(n_days) % 7, (5, 6)).astype(np.float64)


def _synthetic_standardised(values: FloatArray) -> FloatArray:
    """`synthetic_background` days (..., K, T) back in model units (weekend effect removed)."""
    x: FloatArray = (values - _SYNTHETIC_MEAN[:, None]) / _SYNTHETIC_SD[:, None]
    x[..., 0, :] -= _weekend_effect(values.shape[-1])
    return x


# typical adult levels and within-person SDs (units of the registry), so that the naive
# percentage rule sees realistic magnitudes
_SYNTHETIC_MEAN = np.array([420.0, 300_000.0, 0.55, 85.0, -45.0, 0.85])
_SYNTHETIC_SD = np.array([45.0, 60_000.0, 0.06, 4.0, 40.0, 0.05])
_SYNTHETIC_INNOVATION_CORR = np.eye(len(EVAL_BIOMARKERS))
_SYNTHETIC_INNOVATION_CORR[:3, :3] = 0.4 + 0.6 * np.eye(3)


def evaluate_detectors(
    sources: Sequence[FloatArray],
    *,
    background: str,
    n_patient_years: int = 100,
    resample: bool = True,
    target_rate_per_year: float = 1.0,
    scheme: BaselineScheme | None = None,
    n_series: int = CALIBRATION_SERIES,
    seed: int = 0,
    device: DeviceCharts | None = None,
    oracle: bool = False,
    onset_day: int = 28,
) -> EvaluationReport:
    """Run every detector on patient-years built from `sources` (see the module docstring).

    Parameters
    ----------
    sources : sequence of ndarray, each shape (n_days_i, K)
        In-control days of each source patient, columns `EVAL_BIOMARKERS` (NaN = missing).
    background : str
        Name printed with the report.
    n_patient_years : int
        Simulated patient-years (source patients are cycled).
    resample : bool
        Build each patient-year by the stationary bootstrap of its source (True, for short real
        recordings) or use the source's first days as they are (False, for long synthetic ones).
    target_rate_per_year : float
    scheme : BaselineScheme or None
    n_series : int
        Calibration series per patient (default: the device's, so that the evaluated thresholds
        carry the device's Monte Carlo error, not more).
    seed : int
    device : DeviceCharts or None
        Settings of the device's chart family (default: the monitor's defaults).
    oracle : bool
        `sources` come from `synthetic_background` (default `phi`): add the oracle row, one chart
        per scenario and shift that knows that model (`oracle_chart.OracleChart`).
    onset_day : int
        First monitoring day (0 = `start_days`) of the onsets, drawn uniformly over
        `ONSET_SPREAD_DAYS` days. The default 28 puts every onset in the device's 56-day
        calibration epoch (a patient's second month of monitoring); 224 or later in its steady
        state, with the longest pool it recalibrates on within the year.
    """
    scheme = scheme or BaselineScheme()
    device = device or DeviceCharts()
    k = len(EVAL_BIOMARKERS)
    if not sources or any(s.ndim != 2 or s.shape[1] != k for s in sources):
        raise ConfigurationError(f"sources must be non-empty arrays of shape (n_days, {k})")
    start, n_mon = scheme.start_days, 365
    latest = n_mon - HORIZON_DAYS - ONSET_SPREAD_DAYS
    if not 1 <= onset_day <= latest:
        # every trial needs its whole 56-day horizon inside the simulated year
        raise ConfigurationError(f"onset_day must be in 1..{latest}, got {onset_day}")
    rng = np.random.default_rng(seed)
    n_total = start + n_mon
    years_series: list[FloatArray] = []
    sds: list[FloatArray] = []
    for p in range(n_patient_years):
        src = sources[p % len(sources)]
        if resample:
            series = stationary_bootstrap(src, 1, n_total, 7.0, rng)[0].T
        else:
            if src.shape[0] < n_total:
                raise ConfigurationError(f"synthetic sources need {n_total} days")
            series = src[:n_total]
        years_series.append(series)
        sds.append(np.nanstd(src, axis=0))
    base = np.stack(years_series)  # (P, T, K)
    sd = np.stack(sds)  # (P, K)
    onsets = start + onset_day + rng.integers(0, ONSET_SPREAD_DAYS, n_patient_years)
    trials: list[tuple[str, float]] = [(s, d) for s in SCENARIOS for d in SHIFTS_SD]
    copies = [base]
    for scen, d in trials:
        shifted = base.copy()
        for b, sign in SCENARIOS[scen].items():
            j = EVAL_BIOMARKERS.index(b)
            for p in range(n_patient_years):
                shifted[p, onsets[p] :, j] += sign * d * sd[p, j]
        copies.append(shifted)
    data = np.stack(copies, axis=1)  # (P, 1 + trials, T, K)
    values = np.swapaxes(data, -1, -2)  # (P, C, K, T)
    pools, floors = _pools(base, start)
    z = scheme_z(values, scheme, floors[:, None, :])[..., start:]
    sims = _simulations(pools, floors, scheme, n_series, n_mon, rng)  # (P, S, K, T)
    pool_z = np.nan_to_num(pools, nan=0.0)
    whiten = np.stack([whitening_matrix(pz) for pz in pool_z])  # (P, K, K)
    years = n_patient_years * n_mon / DAYS_PER_YEAR
    corr = _background_correlation(sources)
    bounds = {}
    n_per_fa = DAYS_PER_YEAR / target_rate_per_year
    for scen, d in trials:
        # D is the Mahalanobis size over the SHIFTED biomarkers only (d^2 for one biomarker):
        # unshifted but correlated biomarkers are not part of the change being bounded.
        idx = [EVAL_BIOMARKERS.index(b) for b in SCENARIOS[scen]]
        mu = np.array([SCENARIOS[scen][b] * d for b in SCENARIOS[scen]])
        big_d = float(mu @ np.linalg.solve(corr[np.ix_(idx, idx)], mu))
        bounds[(scen, d)] = math.log(n_per_fa * k) / (big_d / 2.0)
    report = EvaluationReport(
        background, years, target_rate_per_year, EVAL_BIOMARKERS, bounds, [], onset_day
    )
    onset_rel = onsets - start
    dev_stats, dev_h, dev_relevant = _device_family(
        base, z, scheme, device, target_rate_per_year, n_series, n_mon, seed, trials
    )
    dev_alarms = _alarms(dev_stats, dev_h, 0.0)
    report.results.append(
        _summarise("device family", dev_alarms, dev_relevant, onset_rel, trials, rng, years)
    )
    report.device_epochs.extend(
        _epoch_rates(dev_alarms[:, 0], recalibration_rows(scheme, device.recalibrate_growth), start)
    )
    for name, stat_fn, reset, univariate in _detectors(whiten):
        sim_stats = stat_fn(sims)  # (P, S, C, T) charts
        thresholds = _thresholds(sim_stats, reset, target_rate_per_year, n_series, n_mon)
        real_stats = stat_fn(z)  # (P, 1 + trials, C, T)
        report.results.append(
            _score(name, real_stats, thresholds, reset, univariate, onset_rel, trials, rng, years)
        )
    for name, alarms in _naive_rules(values[..., start - 7 :], z):
        report.results.append(_score_alarms(name, alarms, onset_rel, trials, rng, years))
    if oracle:
        report.results.append(
            _oracle(values, start, target_rate_per_year, onset_rel, trials, rng, years, seed)
        )
    return report


def _oracle(
    values: FloatArray,
    start: int,
    target: float,
    onset: IntArray,
    trials: list[tuple[str, float]],
    rng: np.random.Generator,
    years: float,
    seed: int,
) -> DetectorResult:
    """The oracle row: one known-model chart per trial, each calibrated alone to `target`.

    Its thresholds come from 200 fresh patient-years of the same generator (not from the
    evaluated ones); its false-alarm rate is the mean over its charts on the unshifted copies.
    """
    model = synthetic_model()
    n_t = values.shape[-1]
    calibration = np.stack(synthetic_background(200, n_t, np.random.default_rng(seed + 7919)))
    cal_x = _synthetic_standardised(np.swapaxes(calibration, -1, -2))
    x = _synthetic_standardised(values)  # (P, C, K, T)
    alarms = np.zeros((*x.shape[:2], len(trials), n_t - start), dtype=np.bool_)
    for i, (scen, d) in enumerate(trials):
        shift = np.array([SCENARIOS[scen].get(b, 0.0) * d for b in EVAL_BIOMARKERS])
        chart = OracleChart(model, shift)
        # the chart starts with the monitoring period, as every other detector does
        _, maxima = excursion_maxima(chart.statistic(cal_x[..., start:]), 0.0)
        h = threshold_from_maxima(maxima, 200 * (n_t - start) / DAYS_PER_YEAR, target, 0.0)
        stat = chart.statistic(x[..., start:])[:, :, None, :]
        alarms[:, :, i] = _alarms(stat, np.full((x.shape[0], 1), h), 0.0)[:, :, 0]
    relevant = np.eye(len(trials), dtype=np.bool_)
    result = _summarise("oracle (knows all)", alarms, relevant, onset, trials, rng, years)
    lo, hi = result.false_alarms_ci
    s_lo, s_hi = result.scored_false_alarms_ci
    n = len(trials)
    return replace(
        result,
        false_alarms_per_year=result.false_alarms_per_year / n,
        false_alarms_ci=(lo / n, hi / n),
        scored_false_alarms_per_year=result.scored_false_alarms_per_year / n,
        scored_false_alarms_ci=(s_lo / n, s_hi / n),
    )


@dataclass(frozen=True)
class DeviceCharts:
    """The device monitor's chart-family settings (defaults = `DailyTrendMonitor`'s)."""

    k: float = 1.0
    winsor: float = 4.0
    signature_share: float = 0.5
    signature_shift_sd: float = 1.0
    prewhitening: bool = False
    recalibrate_growth: float = 2.0
    estimation_pools: int = ESTIMATION_POOLS
    signature_form: str = SIGNATURE_FORM
    estimation_margin: float | MarginSchedule = ESTIMATION_MARGINS
    univariate_form: str = UNIVARIATE_FORM


def _device_family(
    base: FloatArray,
    z: FloatArray,
    scheme: BaselineScheme,
    device: DeviceCharts,
    target: float,
    n_series: int,
    n_mon: int,
    seed: int,
    trials: list[tuple[str, float]],
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """The device's charts on every copy: statistics (P, C, 2K + 1, T), thresholds (P, 2K + 1, T).

    As on the device, each patient is calibrated by `calibrate_cusum` itself at the rows where the
    monitor (re)calibrates (`recalibration_rows`), on the unshifted days before that row (the
    copies are identical before the onset; a later recalibration of a shifted copy would also see
    shifted days, which only matters for delays beyond the 21-day window).
    """
    n_p, n_c, k, n_t = z.shape
    start = scheme.start_days
    rows = [r for r in recalibration_rows(scheme, device.recalibrate_growth) if r < start + n_t]
    stats = []
    h = np.full((n_p, 2 * k + 1, n_t), np.inf)
    for p in range(n_p):
        phi_day = np.zeros((k, n_t))
        proj = np.full((n_c, n_t), np.nan)
        lr_a = np.full((n_c, n_t), np.nan)
        lr_b = np.full((n_c, n_t), np.nan)
        # univariate likelihood-ratio terms: (up a, up b, down a, down b) per copy and biomarker
        uni = np.full((4, n_c, k, n_t), np.nan)
        for i, r in enumerate(rows):
            lo = r - start
            hi = (rows[i + 1] - start) if i + 1 < len(rows) else n_t
            # as on the device, the calibration pool is every in-control day so far (the
            # baseline's lookback limits the baseline, not what the simulation learns from)
            pool = _standardise(base[p, :r])
            pool = pool[~np.isnan(pool).all(axis=1)]
            cal = calibrate_cusum(
                pool, EVAL_BIOMARKERS, np.full(k, 1e-6), scheme, k=device.k,
                winsor=device.winsor, target_rate_per_year=target, n_series=n_series,
                sim_days=n_mon, seed=seed + p, signature=EPISODE_SIGNATURE,
                signature_share=device.signature_share,
                signature_shift_sd=device.signature_shift_sd,
                prewhitening=device.prewhitening, estimation_pools=device.estimation_pools,
                signature_form=device.signature_form,
                estimation_margin=device.estimation_margin,
                univariate_form=device.univariate_form,
            )  # fmt: skip
            if device.univariate_form == "likelihood_ratio":
                lag = np.array([cal.lag1[b] for b in EVAL_BIOMARKERS])
                isd = np.array([cal.innovation_sd[b] for b in EVAL_BIOMARKERS])
                seg = z[p][..., max(0, lo - 1) : hi]
                for j, sign in enumerate((1.0, -1.0)):
                    ta, tb = univariate_terms(seg, lag, isd, sign * 2.0 * device.k, device.winsor)
                    uni[2 * j, ..., lo:hi] = ta[..., -(hi - lo) :]
                    uni[2 * j + 1, ..., lo:hi] = tb[..., -(hi - lo) :]
            phi_day[:, lo:hi] = np.array([cal.ar1.get(b, 0.0) for b in EVAL_BIOMARKERS])[:, None]
            h[p, :k, lo:hi] = np.array([cal.thresholds[b] for b in EVAL_BIOMARKERS])[:, None]
            h[p, k : 2 * k, lo:hi] = h[p, :k, lo:hi]
            sig = cal.signature
            if sig is not None:
                h[p, 2 * k, lo:hi] = cal.signature_threshold
                if sig.form == "likelihood_ratio":
                    # the segment's first innovation needs the day before it
                    u_seg = prewhiten(z[p], phi_day)[:, list(sig.index), max(0, lo - 1) : hi]
                    sa, sb = signature_terms(u_seg, sig, device.winsor)
                    lr_a[:, lo:hi], lr_b[:, lo:hi] = sa[:, -(hi - lo) :], sb[:, -(hi - lo) :]
                else:
                    u_seg = prewhiten(z[p], phi_day)[:, list(sig.index), lo:hi]
                    proj[:, lo:hi] = signature_projection(u_seg, sig, device.winsor) - sig.k
        u = prewhiten(z[p], phi_day)
        if device.univariate_form == "likelihood_ratio":
            up = likelihood_ratio_path(uni[0], uni[1])
            dn = likelihood_ratio_path(uni[2], uni[3])
        else:
            up, dn = cusum_statistics(u, device.k, device.winsor)
        if device.signature_form == "likelihood_ratio":
            sig_stat = likelihood_ratio_path(lr_a, lr_b)
        else:
            sig_stat, _ = cusum_statistics(proj, 0.0, math.inf)
        stats.append(np.concatenate([up, dn, sig_stat[:, None, :]], axis=1))
    relevant = np.zeros((len(trials), 2 * k + 1), dtype=np.bool_)
    for i, (scen, _) in enumerate(trials):
        for c in range(2 * k):
            relevant[i, c] = SCENARIOS[scen].get(EVAL_BIOMARKERS[c % k], 0.0) == (
                1.0 if c < k else -1.0
            )
        # a signature alarm is reported for the pattern biomarkers that moved its way
        relevant[i, 2 * k] = any(
            EPISODE_SIGNATURE.get(b) == sign for b, sign in SCENARIOS[scen].items()
        )
    return np.stack(stats), h, relevant


def recalibration_rows(scheme: BaselineScheme, growth: float) -> list[int]:
    """Rows at which `DailyTrendMonitor` (re)calibrates an uninterrupted in-control series.

    The first refit, then every refit at which the pool (all in-control days before it) has grown
    `growth`-fold since the last calibration.
    """
    rows: list[int] = []
    last = 0
    for r in scheme.refit_rows(scheme.start_days + 10 * scheme.max_lookback_days):
        pool = r
        if not rows or pool >= growth * last:
            rows.append(r)
            last = pool
    return rows


def _epoch_rates(
    alarms: npt.NDArray[np.bool_], rows: Sequence[int], start: int
) -> list[tuple[int, int, float]]:
    """False alarms per year of `alarms` (P, charts, monitoring days) between recalibrations.

    `rows` are the recalibration rows (`recalibration_rows`), `start` the first monitored row.
    """
    n_p, _, n_t = alarms.shape
    edges = sorted({min(max(r - start, 0), n_t) for r in rows} | {0, n_t})
    out = []
    for lo, hi in itertools.pairwise(edges):
        if hi > lo:
            rate = float(alarms[..., lo:hi].sum()) / (n_p * (hi - lo) / DAYS_PER_YEAR)
            out.append((lo, hi - 1, rate))
    return out


def _standardise(block: FloatArray) -> FloatArray:
    """Days (n, K) as robust z against their own median and MAD."""
    med = np.nanmedian(block, axis=0, keepdims=True)
    mad = 1.4826 * np.nanmedian(np.abs(block - med), axis=0, keepdims=True)
    out: FloatArray = (block - med) / np.where(mad > 0, mad, 1.0)
    return out


def _alarms(stats: FloatArray, h: FloatArray, reset: float) -> npt.NDArray[np.bool_]:
    """First day of each excursion above `reset` exceeding h: shape of `stats` (P, C, n_c, T).

    `h` has shape (P, n_c) or, for thresholds that change by day, (P, n_c, T).
    """
    above = stats > reset
    new_exc = above & ~np.concatenate([np.zeros_like(above[..., :1]), above[..., :-1]], axis=-1)
    exc_id = np.cumsum(new_exc, axis=-1)
    over = stats > (h[:, None, :, None] if h.ndim == 2 else h[:, None])
    alarms = np.zeros(stats.shape, dtype=np.bool_)
    seen = np.zeros(stats.shape[:-1], dtype=np.int64) - 1
    for t in range(stats.shape[-1]):
        first = over[..., t] & (exc_id[..., t] != seen)
        alarms[..., t] = first
        seen = np.where(first, exc_id[..., t], seen)
    return alarms


def _pools(base: FloatArray, start: int) -> tuple[FloatArray, FloatArray]:
    """Standardised first `start` days of each patient-year and the scale floors in those units."""
    first = base[:, :start, :]
    med = np.nanmedian(first, axis=1, keepdims=True)
    mad = 1.4826 * np.nanmedian(np.abs(first - med), axis=1, keepdims=True)
    scale = np.where(mad > 0, mad, 1.0)
    pools = (first - med) / scale
    floors = np.full((base.shape[0], base.shape[2]), 1e-6)
    return pools, floors


def _simulations(
    pools: FloatArray,
    floors: FloatArray,
    scheme: BaselineScheme,
    n_series: int,
    n_mon: int,
    rng: np.random.Generator,
) -> FloatArray:
    """In-control z of bootstrap series of each patient's pool: shape (P, S, K, n_mon)."""
    out = []
    for p in range(pools.shape[0]):
        pool = pools[p][~np.isnan(pools[p]).all(axis=1)]
        series = stationary_bootstrap(
            pool, n_series, scheme.start_days + n_mon, 7.0, rng, predictive=True
        )
        out.append(series)
    sims = np.stack(out)  # (P, S, K, T)
    z = scheme_z(sims, scheme, floors[:, None, :])
    return z[..., scheme.start_days :]


def _detectors(
    whiten: FloatArray,
) -> list[tuple[str, Callable[[FloatArray], FloatArray], float, bool]]:
    """(name, statistic function -> (..., charts, T), reset level, univariate?) per detector."""
    k = len(EVAL_BIOMARKERS)
    pattern = np.array([EPISODE_PATTERN.get(b, 0.0) for b in EVAL_BIOMARKERS])

    def cusum(z: FloatArray) -> FloatArray:
        up, dn = cusum_statistics(z, 0.5, 4.0)
        return np.concatenate([up, dn], axis=-2)

    def ewma(z: FloatArray) -> FloatArray:
        up, dn = ewma_statistics(z, 0.2, 4.0)
        return np.concatenate([up, dn], axis=-2)

    def _white(z: FloatArray) -> FloatArray:
        # per-patient whitening: z has the patient axis first
        return np.stack([decorrelate(z[p], whiten[p]) for p in range(z.shape[0])])

    def mewma(z: FloatArray) -> FloatArray:
        return mewma_statistic(_white(z), 0.1)[..., None, :]

    def signature(z: FloatArray) -> FloatArray:
        wz = _white(z)
        stats = []
        for p in range(z.shape[0]):
            a = whiten[p] @ pattern
            kk = float(np.linalg.norm(a)) / 2.0
            stats.append(directed_cusum(wz[p], a, kk))
        return np.stack(stats)[..., None, :]

    return [
        ("cusum k=0.5 only", cusum, 0.0, True),
        ("ewma", ewma, 0.0, True),
        ("mewma", mewma, float(k), False),
        ("signature cusum", signature, 0.0, False),
    ]


def _thresholds(
    sim_stats: FloatArray, reset: float, target: float, n_series: int, n_mon: int
) -> FloatArray:
    """Per patient and chart group (biomarker, or the one multivariate chart): shape (P, G)."""
    n_p, _, n_c, n_t = sim_stats.shape
    groups = n_c // 2 if n_c > 1 else 1
    years = n_series * n_mon / DAYS_PER_YEAR
    out = np.zeros((n_p, groups))
    minimum = 3.5 if reset == 0.0 else reset
    for p in range(n_p):
        charts, maxima = excursion_maxima(sim_stats[p].reshape(-1, n_t), reset)
        group = (charts % n_c) % groups
        for g in range(groups):
            out[p, g] = threshold_from_maxima(maxima[group == g], years, target / groups, minimum)
    return out


def _score(
    name: str,
    stats: FloatArray,
    thresholds: FloatArray,
    reset: float,
    univariate: bool,
    onset: IntArray,
    trials: list[tuple[str, float]],
    rng: np.random.Generator,
    years: float,
) -> DetectorResult:
    n_c = stats.shape[2]
    groups = thresholds.shape[1]
    h = thresholds[:, np.arange(n_c) % groups]  # (P, C)
    alarms = _alarms(stats, h, reset)
    relevant = np.ones((len(trials), n_c), dtype=np.bool_)
    if univariate:
        for i, (scen, _) in enumerate(trials):
            for c in range(n_c):
                b = EVAL_BIOMARKERS[c % groups]
                direction = -1.0 if c >= groups else 1.0
                relevant[i, c] = SCENARIOS[scen].get(b, 0.0) == direction
    return _summarise(name, alarms, relevant, onset, trials, rng, years)


def _score_alarms(
    name: str,
    alarms: npt.NDArray[np.bool_],
    onset: IntArray,
    trials: list[tuple[str, float]],
    rng: np.random.Generator,
    years: float,
) -> DetectorResult:
    n_c = alarms.shape[2]
    relevant = np.zeros((len(trials), n_c), dtype=np.bool_)
    for i, (scen, _) in enumerate(trials):
        for c in range(n_c):
            relevant[i, c] = EVAL_BIOMARKERS[c] in SCENARIOS[scen]
    return _summarise(name, alarms.astype(np.bool_), relevant, onset, trials, rng, years)


def _summarise(
    name: str,
    alarms: npt.NDArray[np.bool_],
    relevant: npt.NDArray[np.bool_],
    onset: IntArray,
    trials: list[tuple[str, float]],
    rng: np.random.Generator,
    years: float,
) -> DetectorResult:
    n_p, _, _, n_t = alarms.shape
    days = np.arange(n_t)
    scored = (days[None, :] >= onset[:, None]) & (days[None, :] <= onset[:, None] + WITHIN_DAYS)
    boot = rng.integers(0, n_p, (2000, n_p))
    rate, ci = _rate_with_ci(alarms[:, 0].sum(axis=(1, 2)), years, boot)
    scored_rate, scored_ci = _rate_with_ci(
        (alarms[:, 0] & scored[:, None, :]).sum(axis=(1, 2)),
        float(scored.sum()) / DAYS_PER_YEAR,
        boot,
    )
    detection: dict[tuple[str, float], float] = {}
    delay: dict[tuple[str, float], float] = {}
    for i, key in enumerate(trials):
        hit = alarms[:, 1 + i][:, relevant[i]].any(axis=1)  # (P, T)
        hit &= days[None, :] >= onset[:, None]
        first = np.where(hit.any(axis=1), hit.argmax(axis=1) - onset, np.iinfo(np.int64).max)
        delays = np.where(first <= HORIZON_DAYS, first.astype(np.float64), math.inf)
        detection[key] = float((delays <= WITHIN_DAYS).mean())
        delay[key] = float(np.median(delays))
    return DetectorResult(name, rate, ci, detection, delay, scored_rate, scored_ci)


def _rate_with_ci(
    per_patient: npt.NDArray[np.int64], years: float, boot: npt.NDArray[np.int64]
) -> tuple[float, tuple[float, float]]:
    """Alarms per year over `years` and its 95% interval over the resampled patients `boot`."""
    counts = per_patient.astype(np.float64)
    rates = counts[boot].sum(axis=1) / years
    ci = (float(np.quantile(rates, 0.025)), float(np.quantile(rates, 0.975)))
    return float(counts.sum() / years), ci


def _naive_rules(values: FloatArray, z: FloatArray) -> list[tuple[str, npt.NDArray[np.bool_]]]:
    """Alarms (P, C, K, 365) of the two rules clinicians see today (one alarm per day at most).

    `values` starts 7 days before monitoring so that the first day has a previous week.
    """
    x = values
    n_t = z.shape[-1]
    csum = np.nancumsum(np.nan_to_num(x, nan=0.0), axis=-1)
    cnt = np.cumsum(~np.isnan(x), axis=-1)

    def window_mean(end: int, width: int) -> FloatArray:
        s = csum[..., end] - (csum[..., end - width] if end - width >= 0 else 0.0)
        c = cnt[..., end] - (cnt[..., end - width] if end - width >= 0 else 0)
        return np.where(c > 0, s / np.maximum(c, 1), np.nan)

    mean_rule = np.zeros(z.shape, dtype=np.bool_)
    for t in range(n_t):
        end = t + 7
        if end - 7 < 7:
            continue
        now = window_mean(end, 7)
        before = window_mean(end - 7, 7)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(now - before) / np.abs(before)
        mean_rule[..., t] = rel > 0.12
    z_rule = np.abs(np.nan_to_num(z, nan=0.0)) > 2.0
    # an alert is raised when a rule starts to hold (not again on every following day)
    return [("7-day mean >12%", _rising(mean_rule)), ("|z| > 2 any day", _rising(z_rule))]


def _rising(cond: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    prev = np.concatenate([np.zeros_like(cond[..., :1]), cond[..., :-1]], axis=-1)
    out: npt.NDArray[np.bool_] = cond & ~prev
    return out


def _background_correlation(sources: Sequence[FloatArray]) -> FloatArray:
    """Correlation of the watched biomarkers over all source days (each source standardised)."""
    parts = []
    for s in sources:
        sd = np.nanstd(s, axis=0)
        parts.append((s - np.nanmean(s, axis=0)) / np.where(sd > 0, sd, 1.0))
    return _corr(np.concatenate(parts))


def _corr(x: FloatArray) -> FloatArray:
    k = x.shape[1]
    out = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            ok = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            if ok.sum() > 3:
                out[i, j] = out[j, i] = float(np.corrcoef(x[ok, i], x[ok, j])[0, 1])
    return out


def source_arrays(values: Mapping[str, FloatArray], drop_first_days: int = 6) -> FloatArray:
    """A daily table's `EVAL_BIOMARKERS` columns as (n_days, K), without its first days.

    The first 6 days of a recording have circadian measures over fewer than 7 days.
    """
    cols = [np.asarray(values[b], dtype=np.float64)[drop_first_days:] for b in EVAL_BIOMARKERS]
    return np.stack(cols, axis=1)
