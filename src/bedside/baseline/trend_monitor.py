"""The device's daily trend monitor: refitted personal baselines, CUSUM, per-patient calibration.

`DailyTrendMonitor.update(table)` replays a patient's whole daily table, so that a restart needs no
state beyond the table the device already stores and each day's output depends only on rows up to
that day (tested against truncated tables):

* baseline: `PersonalBaseline` refitted on the scheme of `bedside.baseline.scheme.BaselineScheme`
  (first fit at row `start_days`, then every `refit_every_days` days on the last `window_days` valid
  days before the scheme's guard band), leaving out per biomarker the days of an alarmed change
  (onset to the end of its episode, plus `recent_days`) so that an episode is not absorbed into
  the patient's "normal" (the guard band does the same for a change that has not alarmed yet).
  When the exclusions leave fewer than `min_days` valid days in the lookback, they are dropped
  (the guard band stays): a change that lasts that long becomes the new normal. With a
  `PopulationPrior`, a cold-start baseline (shrunk towards the population, with its confidence)
  is shown from the first week on, but no trend is tested before `start_days`;
* detection: a family of charts (`bedside.baseline.chart_family`; optionally on AR(1)-prewhitened
  z): two one-sided CUSUMs per biomarker on winsorised robust z with reference ``k`` (default
  1 SD, matched to a 2 SD change of one biomarker), plus one episode-signature chart over the
  signature's biomarkers (default `EPISODE_SIGNATURE`, designed for a 1 SD change of each; by
  default the change-point likelihood ratio of their innovations, with lag-1 coefficients and
  innovation covariance estimated from the patient's pool, `signature_form`). A signature
  alarm is reported as a finding for each signature biomarker whose mean z since the onset
  moved the signature's way (unless a univariate finding of it is already active);
* calibration: per-patient thresholds from `calibrate_cusum` (AR(1) sieve bootstrap of the
  patient's own in-control residuals, run through this very scheme) for a family-wise budget of
  `target_rate_per_year` false alarms per patient-year: `signature_share` of it for the signature
  chart, the rest split evenly over the biomarkers, the budgets tightened by the bootstrap
  estimate of the pool's estimation error (`estimation_pools`); recalibrated at a refit when the
  in-control pool (every in-control day so far, not only the baseline's lookback) has grown by
  `recalibrate_growth`. Every finding carries its chart's simulated rate at the
  threshold in force on its detection day;
* coverage: a day on which the biomarker's modality covered less than `min_day_coverage` of the
  day counts as missing (a half-worn day's activity total is not a change); a biomarker with no
  baseline, no calibrated threshold, or fewer than `min_coverage` of the last
  `coverage_window_days` days observed is "insufficient data" that day: it never gives a trend,
  and is listed (never silently absent). For wrist actigraphy, off-wrist days are missing when the
  table's coverage is the worn share (`bedside.biomarkers.wear.with_wear_coverage`, which the
  device pipeline applies);
* watched biomarkers: all of the table's except `UNWATCHED_BIOMARKERS` by default (exact
  rescalings of a watched one, e.g. mean counts = total / minutes, or clock times of 5- and
  10-hour windows whose day-to-day values jump between distant modes); their baselines are still
  kept and reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from bedside.baseline.bootstrap_calibration import (
    CALIBRATION_SERIES,
    ESTIMATION_MARGINS,
    ESTIMATION_POOLS,
    MarginSchedule,
    PatientCalibration,
    calibrate_cusum,
    check_estimation_margin,
)
from bedside.baseline.calibration import false_alarm_rate_per_year
from bedside.baseline.chart_family import (
    EPISODE_SIGNATURE,
    SIGNATURE_FORM,
    UNIVARIATE_FORM,
    check_form,
    likelihood_ratio_path,
    prewhiten,
    signature_projection,
    signature_terms,
    univariate_terms,
)
from bedside.baseline.episodes import EpisodeTrack, cusum_statistics, track_episodes
from bedside.baseline.personal_baseline import PersonalBaseline
from bedside.baseline.population_prior import PopulationPrior
from bedside.baseline.robust_window import weekday_of
from bedside.baseline.scheme import BaselineScheme
from bedside.biomarkers import REGISTRY
from bedside.domain import (
    Concern,
    ConfigurationError,
    DailyBiomarkerTable,
    TrendDirection,
    TrendFinding,
)

__all__ = ["UNWATCHED_BIOMARKERS", "DailyTrendMonitor", "MonitorState", "TrendStatus"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

UNWATCHED_BIOMARKERS: frozenset[str] = frozenset(
    {
        "activity.mean_counts",
        "sleep.midpoint_min",
        "circadian.l5_onset_min",
        "circadian.m10_onset_min",
    }
)
"""Biomarkers the monitor keeps baselines for but does not test by default (module docstring)."""

_CALIBRATION_CACHE: dict[str, PatientCalibration] = {}
_CACHE_LIMIT = 512


class TrendStatus(StrEnum):
    """What the monitor can say about a biomarker on a day."""

    INSUFFICIENT_DATA = "insufficient_data"
    NO_TREND = "no_trend"
    TREND = "trend"


@dataclass(frozen=True)
class MonitorState:
    """What the monitor knows at the end of the table's last day.

    Attributes
    ----------
    date : date or None
        Last day of the table (None for an empty table).
    trends : list of TrendFinding
        Trends active on `date`.
    daily_trends : list of list of TrendFinding
        Trends active on every day.
    status : dict of str to TrendStatus
        Each watched biomarker's status on `date`.
    insufficient : list of str
        Biomarkers with insufficient data on `date`.
    insufficient_by_day : list of list of str
        The same for every day.
    baseline : PersonalBaseline or None
        The baseline in force on `date` (None before the first fit).
    refit_rows : list of int
        Rows at which the baseline was (re)fitted on the rows before them.
    calibration : PatientCalibration or None
        The calibration in force on `date`.
    calibration_rows : list of int
        Rows at which the threshold was (re)calibrated.
    threshold : dict of str to ndarray of float64, shape (n_days,)
        CUSUM threshold of each biomarker in force each day, robust SDs (inf: no detection).
    z : dict of str to ndarray of float64, shape (n_days,)
        Robust z against the baseline in force each day (NaN before the first fit).
    median : dict of str to ndarray of float64, shape (n_days,)
        Expected value each day (median plus weekday offset), in the biomarker's unit.
    scale : dict of str to ndarray of float64, shape (n_days,)
        Robust scale in force each day, in the biomarker's unit.
    confidence : dict of str to ndarray of float64, shape (n_days,)
        Baseline confidence each day in [0, 1] (0 without a baseline).
    """

    date: dt.date | None
    trends: list[TrendFinding]
    daily_trends: list[list[TrendFinding]]
    status: dict[str, TrendStatus]
    insufficient: list[str]
    insufficient_by_day: list[list[str]]
    baseline: PersonalBaseline | None
    refit_rows: list[int]
    calibration: PatientCalibration | None
    calibration_rows: list[int]
    threshold: dict[str, FloatArray] = field(repr=False)
    z: dict[str, FloatArray] = field(repr=False)
    median: dict[str, FloatArray] = field(repr=False)
    scale: dict[str, FloatArray] = field(repr=False)
    confidence: dict[str, FloatArray] = field(repr=False)


class DailyTrendMonitor:
    """Baseline maintenance, CUSUM detection and per-patient calibration (module docstring).

    Parameters
    ----------
    scheme : BaselineScheme or None
        Baseline maintenance settings; default ``BaselineScheme()``.
    k, winsor : float
        CUSUM reference value and winsorisation bound, robust SDs.
    target_rate_per_year : float
        Family-wise false-alarm budget per patient-year.
    threshold : float or None
        Fixed CUSUM threshold (robust SDs) instead of the per-patient calibration; the reported
        rates are then the nominal Brook-Evans ones (i.i.d. normal z, known baseline), which
        understate real rates.
    n_series, sim_days : int
        Size of the calibration simulation (series x monitored days).
    mean_block_days : float
        Mean block of the stationary bootstrap, days.
    seed : int
        Seed of the calibration (reproducible outputs).
    recent_days : int
        Days after an alarmed episode still excluded from refits.
    min_coverage : float
        Share of observed days needed in the last `coverage_window_days` days.
    coverage_window_days : int
    prior : PopulationPrior or None
        Population prior for the cold-start baseline shown before `start_days`.
    recalibrate_growth : float
        Recalibrate when the in-control pool is this many times the last calibration's.
    min_day_coverage : float
        A day whose modality coverage is below this is treated as missing, in [0, 1].
    unwatched : collection of str or None
        Biomarkers not tested for trends; default `UNWATCHED_BIOMARKERS`.
    signature : mapping of str to float or None
        Pattern (biomarker -> +1 up / -1 down) of the episode-signature chart
        (`bedside.baseline.chart_family`); None: univariate charts only.
    signature_share : float
        Share of the family-wise budget given to the signature chart.
    signature_shift_sd : float
        Design shift of the signature chart, SDs per pattern biomarker.
    prewhitening : bool
        Run the charts on AR(1)-prewhitened z (see `calibrate_cusum`; off by default).
    estimation_pools : int
        Pseudo-pools of the calibration's bootstrap correction for the pool's estimation error
        (`bedside.baseline.bootstrap_calibration.plugin_inflation`); 0 turns it off. Each one
        costs about one more calibration.
    signature_form : str
        "likelihood_ratio" (default): the signature chart is the change-point likelihood ratio of
        the innovations with lag-1 coefficients and innovation covariance estimated from the
        patient's pool; "cusum": the CUSUM of projected decorrelated z (before 2026-11-28). See
        `bedside.baseline.chart_family`.
    estimation_margin : float or MarginSchedule
        Factor on the estimated inflation of the correction, or its schedule by the pool's days
        (`calibrate_cusum`; default `ESTIMATION_MARGINS`).
    univariate_form : str
        "cusum" (default) or "likelihood_ratio" (`calibrate_cusum`): the univariate charts.
    """

    def __init__(
        self,
        scheme: BaselineScheme | None = None,
        *,
        k: float = 1.0,
        winsor: float = 4.0,
        target_rate_per_year: float = 1.0,
        threshold: float | None = None,
        n_series: int = CALIBRATION_SERIES,
        sim_days: int = 365,
        mean_block_days: float = 7.0,
        seed: int = 0,
        recent_days: int = 7,
        min_coverage: float = 0.5,
        coverage_window_days: int = 14,
        prior: PopulationPrior | None = None,
        recalibrate_growth: float = 2.0,
        min_day_coverage: float = 0.5,
        unwatched: Collection[str] | None = None,
        signature: Mapping[str, float] | None = EPISODE_SIGNATURE,
        signature_share: float = 0.5,
        signature_shift_sd: float = 1.0,
        prewhitening: bool = False,
        estimation_pools: int = ESTIMATION_POOLS,
        signature_form: str = SIGNATURE_FORM,
        estimation_margin: float | MarginSchedule = ESTIMATION_MARGINS,
        univariate_form: str = UNIVARIATE_FORM,
    ) -> None:
        if k <= 0 or winsor <= k:
            raise ConfigurationError("need k > 0 and winsor > k")
        if threshold is not None and threshold < winsor - k:
            raise ConfigurationError(
                f"threshold {threshold} is below winsor - k = {winsor - k}: a one-day blip "
                "could alarm"
            )
        if target_rate_per_year <= 0 or n_series < 1 or sim_days < 28:
            raise ConfigurationError("need target_rate_per_year > 0, n_series >= 1, sim_days >= 28")
        if recent_days < 0 or not 0 <= min_coverage <= 1 or coverage_window_days < 1:
            raise ConfigurationError(
                "need recent_days >= 0, min_coverage in [0, 1], coverage_window_days >= 1"
            )
        if recalibrate_growth <= 1:
            raise ConfigurationError("recalibrate_growth must be > 1")
        self.scheme = scheme or BaselineScheme()
        self.k = k
        self.winsor = winsor
        self.target_rate_per_year = target_rate_per_year
        self.threshold = threshold
        self.n_series = n_series
        self.sim_days = sim_days
        self.mean_block_days = mean_block_days
        self.seed = seed
        self.recent_days = recent_days
        self.min_coverage = min_coverage
        self.coverage_window_days = coverage_window_days
        self.prior = prior
        self.recalibrate_growth = recalibrate_growth
        self.min_day_coverage = min_day_coverage
        self.unwatched = UNWATCHED_BIOMARKERS if unwatched is None else frozenset(unwatched)
        if not 0 < signature_share < 1 or signature_shift_sd <= 0:
            raise ConfigurationError("need signature_share in (0, 1) and signature_shift_sd > 0")
        self.signature = None if signature is None else dict(signature)
        self.signature_share = signature_share
        self.signature_shift_sd = signature_shift_sd
        self.prewhitening = prewhitening
        if estimation_pools < 0:
            raise ConfigurationError("estimation_pools must be >= 0")
        self.estimation_pools = estimation_pools
        check_form("signature_form", signature_form)
        self.signature_form = signature_form
        check_estimation_margin(estimation_margin)
        self.estimation_margin = estimation_margin
        check_form("univariate_form", univariate_form)
        if univariate_form == "likelihood_ratio" and threshold is not None:
            raise ConfigurationError("a fixed threshold needs univariate_form='cusum'")
        self.univariate_form = univariate_form

    def _new_baseline(self, prior: PopulationPrior | None = None) -> PersonalBaseline:
        s = self.scheme
        return PersonalBaseline(
            window_days=s.window_days,
            min_days=s.min_days,
            weekday_effects=s.weekday_effects,
            weekday_shrinkage=s.weekday_shrinkage,
            prior=prior,
        )

    def watched(self, table: DailyBiomarkerTable) -> list[str]:
        """The table's biomarkers this monitor tests for trends."""
        return [b for b in table.biomarker_ids if b not in self.unwatched]

    def _covered(self, table: DailyBiomarkerTable) -> DailyBiomarkerTable:
        """The table with values of days below `min_day_coverage` of their modality set to NaN."""
        values = {}
        for b, col in table.values.items():
            spec = REGISTRY.get(b)
            cov = None if spec is None else table.coverage.get(spec.modality)
            if cov is None:
                values[b] = col
            else:
                values[b] = np.where(
                    np.nan_to_num(cov, nan=0.0) < self.min_day_coverage, np.nan, col
                )
        return DailyBiomarkerTable(
            table.patient_id, table.zone, table.dates, values, dict(table.coverage)
        )

    def update(self, table: DailyBiomarkerTable) -> MonitorState:
        """Replay the table day by day and report the state at its last day."""
        table = self._covered(table)
        n = table.n_days
        ids = table.biomarker_ids
        wd = weekday_of(table.dates)
        z = {b: np.full(n, math.nan) for b in ids}
        expected = {b: np.full(n, math.nan) for b in ids}
        scale = {b: np.full(n, math.nan) for b in ids}
        confidence = {b: np.zeros(n) for b in ids}
        h_day = {b: np.full(n, math.inf) for b in ids}
        rate_day = {b: np.full(n, math.nan) for b in ids}
        phi_day = {b: np.zeros(n) for b in ids}
        self._cold_start(table, wd, expected, scale, confidence)
        baseline: PersonalBaseline | None = None
        refits: list[int] = []
        calibration: PatientCalibration | None = None
        cal_rows: list[int] = []
        cals: list[PatientCalibration] = []
        cal_pool = 0
        for r in self.scheme.refit_rows(n):
            exclude = self._exclusion(table, z, h_day, r, cal_rows, cals, phi_day)
            cand = self._new_baseline().fit(table, end=r, exclude=exclude)
            if baseline is None and len(cand.insufficient_) == len(ids):
                continue
            baseline = cand
            refits.append(r)
            stop = min(n, r + self.scheme.refit_every_days)
            for b in ids:
                off = np.asarray(cand.weekday_offset_[b])
                expected[b][r:stop] = cand.median_[b] + off[wd[r:stop]]
                scale[b][r:stop] = cand.scale_[b]
                confidence[b][r:stop] = cand.confidence_[b]
                z[b][r:stop] = (table.values[b][r:stop] - expected[b][r:stop]) / cand.scale_[b]
            if self.threshold is not None:
                for b in ids:
                    h_day[b][r:] = self.threshold
                nominal = 2.0 * false_alarm_rate_per_year(self.k, self.threshold, self.winsor)
                for b in ids:
                    rate_day[b][r:] = nominal
                continue
            # the calibration learns from every in-control day so far: the lookback keeps the
            # baseline current, but the dependence the simulation needs (tails, autocorrelation,
            # cross-correlation) is estimated the better the longer the pool (trends3 note)
            pool_exclude = self._exclusion(
                table, z, h_day, r, cal_rows, cals, phi_day, keep_old=True
            )
            pool, fam, floors = self._pool(table, cand, pool_exclude, wd, r)
            if fam and (calibration is None or len(pool) >= self.recalibrate_growth * cal_pool):
                calibration = self._calibrate(pool, fam, floors)
                cal_rows.append(r)
                cals.append(calibration)
                cal_pool = len(pool)
                for b in ids:
                    # not in the calibrated family: inf threshold, NaN rate, no detection
                    h_day[b][r:] = calibration.thresholds.get(b, math.inf)
                    rate_day[b][r:] = calibration.rate_per_year.get(b, math.nan)
                    phi_day[b][r:] = calibration.ar1.get(b, 0.0)
        return self._state(
            table, z, expected, scale, confidence, h_day, rate_day, baseline, refits,
            calibration, cal_rows, cals, phi_day,
        )  # fmt: skip

    # -- pieces --------------------------------------------------------------------------------
    def _cold_start(
        self,
        table: DailyBiomarkerTable,
        wd: npt.NDArray[np.int64],
        expected: dict[str, FloatArray],
        scale: dict[str, FloatArray],
        confidence: dict[str, FloatArray],
    ) -> None:
        """Shrunk baselines shown (not tested) before the first full fit, when a prior is set."""
        if self.prior is None:
            return
        step = self.scheme.refit_every_days
        for r in range(0, min(table.n_days, self.scheme.start_days), step):
            fit = self._new_baseline(self.prior).fit(table, end=r)
            stop = min(table.n_days, r + step, self.scheme.start_days)
            for b in table.biomarker_ids:
                if b in fit.insufficient_:
                    continue
                off = np.asarray(fit.weekday_offset_[b])
                expected[b][r:stop] = fit.median_[b] + off[wd[r:stop]]
                scale[b][r:stop] = fit.scale_[b]
                confidence[b][r:stop] = fit.confidence_[b]

    def _exclusion(
        self,
        table: DailyBiomarkerTable,
        z: Mapping[str, FloatArray],
        h_day: Mapping[str, FloatArray],
        r: int,
        cal_rows: Sequence[int] = (),
        cals: Sequence[PatientCalibration] = (),
        phi_day: Mapping[str, FloatArray] | None = None,
        keep_old: bool = False,
    ) -> dict[str, BoolArray]:
        """Per-biomarker rows left out of the refit at row `r` (alarmed episodes, too old or
        too recent).

        With `keep_old`, rows older than the lookback and inside the guard band are kept (the
        calibration pool's rule).
        """
        n = table.n_days
        ids = table.biomarker_ids
        outside = np.zeros(n, dtype=np.bool_)
        if not keep_old:
            outside[: max(0, r - self.scheme.max_lookback_days)] = True
            outside[self.scheme.refit_cutoff(r) : r] = True
        out = {b: outside.copy() for b in ids}
        if r == 0 or not ids:
            return out
        u = _prewhitened(z, phi_day, r)
        paths = self._univariate_paths(u, r, ids, cal_rows, cals)
        for b in ids:
            if not np.isfinite(h_day[b][:r]).any():
                continue
            for stat in paths[b]:
                track = track_episodes(stat, h_day[b][:r])
                for t in np.flatnonzero(track.in_episode):
                    stop = min(r, int(t) + 1 + self.recent_days)
                    out[b][int(track.onset[t]) : stop] = True
        sig_stat, sig_h, _ = self._signature_path(u, r, cal_rows, cals)
        if np.isfinite(sig_h).any():
            track = track_episodes(sig_stat, sig_h)
            pattern = [b for b in (self.signature or {}) if b in out]
            for t in np.flatnonzero(track.in_episode):
                stop = min(r, int(t) + 1 + self.recent_days)
                for b in pattern:
                    out[b][int(track.onset[t]) : stop] = True
        for b in ids:
            valid = ~np.isnan(table.values[b][:r]) & ~out[b][:r]
            if int(valid.sum()) < self.scheme.min_days:
                out[b] = outside.copy()
        return out

    def _signature_path(
        self,
        z: Mapping[str, FloatArray],
        n: int,
        cal_rows: Sequence[int],
        cals: Sequence[PatientCalibration],
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Signature CUSUM of rows < n (from prewhitened z), its threshold and rate each day.

        The projection of each day uses the signature of the calibration in force that day
        (causal); before the first calibration the chart sees no evidence (NaN days).
        """
        if self.signature_form == "likelihood_ratio":
            return self._likelihood_ratio_path(z, n, cal_rows, cals)
        proj = np.full(n, math.nan)
        h = np.full(n, math.inf)
        rate = np.full(n, math.nan)
        bounds = [*cal_rows, n]
        for i, cal in enumerate(cals):
            lo, hi = bounds[i], min(bounds[i + 1], n)
            sig = cal.signature
            if sig is None or lo >= hi:
                continue
            sub = np.stack([z[b][lo:hi] for b in sig.biomarkers])
            proj[lo:hi] = signature_projection(sub, sig, self.winsor)
            h[lo:hi] = cal.signature_threshold
            rate[lo:hi] = cal.signature_rate_per_year
            # the reference value changes with the signature: subtract it here so that one
            # CUSUM with k = 0 runs across calibrations
            proj[lo:hi] -= sig.k
        stat, _ = cusum_statistics(proj[None, :], 0.0, math.inf)
        return stat[0], h, rate

    def _univariate_paths(
        self,
        u: Mapping[str, FloatArray],
        n: int,
        ids: Sequence[str],
        cal_rows: Sequence[int],
        cals: Sequence[PatientCalibration],
    ) -> dict[str, tuple[FloatArray, FloatArray]]:
        """Upward and downward univariate chart of each biomarker over rows < n.

        CUSUMs with reference `k` (robust SDs), or with ``univariate_form="likelihood_ratio"``
        the change-point likelihood ratios (nats) whose terms each day come from the
        calibration in force (before the first one: no evidence).
        """
        if self.univariate_form != "likelihood_ratio" or not ids:
            if not ids:
                return {}
            upper, lower = cusum_statistics(np.stack([u[b][:n] for b in ids]), self.k, self.winsor)
            return {b: (upper[i], lower[i]) for i, b in enumerate(ids)}
        terms = np.full((4, len(ids), n), math.nan)
        bounds = [*cal_rows, n]
        for i, cal in enumerate(cals):
            lo, hi = bounds[i], min(bounds[i + 1], n)
            if lo >= hi:
                continue
            fam = [j for j, b in enumerate(ids) if b in cal.lag1]
            if not fam:
                continue
            names = [ids[j] for j in fam]
            seg = np.stack([u[b][max(0, lo - 1) : hi] for b in names])
            lag = np.array([cal.lag1[b] for b in names])
            isd = np.array([cal.innovation_sd[b] for b in names])
            for d, sign in enumerate((1.0, -1.0)):
                ta, tb = univariate_terms(seg, lag, isd, sign * 2.0 * self.k, self.winsor)
                terms[2 * d, fam, lo:hi] = ta[:, -(hi - lo) :]
                terms[2 * d + 1, fam, lo:hi] = tb[:, -(hi - lo) :]
        upper = likelihood_ratio_path(terms[0], terms[1])
        lower = likelihood_ratio_path(terms[2], terms[3])
        return {b: (upper[i], lower[i]) for i, b in enumerate(ids)}

    def _likelihood_ratio_path(
        self,
        z: Mapping[str, FloatArray],
        n: int,
        cal_rows: Sequence[int],
        cals: Sequence[PatientCalibration],
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """`_signature_path` for the likelihood-ratio form: each day's terms from its calibration.

        A day's innovation uses the day before it even across a recalibration, so the terms of a
        segment are computed on the rows up to its end and then cut to it.
        """
        a = np.full(n, math.nan)
        b = np.full(n, math.nan)
        h = np.full(n, math.inf)
        rate = np.full(n, math.nan)
        bounds = [*cal_rows, n]
        for i, cal in enumerate(cals):
            lo, hi = bounds[i], min(bounds[i + 1], n)
            sig = cal.signature
            if sig is None or lo >= hi:
                continue
            sub = np.stack([z[bid][max(0, lo - 1) : hi] for bid in sig.biomarkers])
            sa, sb = signature_terms(sub, sig, self.winsor)
            a[lo:hi], b[lo:hi] = sa[-(hi - lo) :], sb[-(hi - lo) :]
            h[lo:hi] = cal.signature_threshold
            rate[lo:hi] = cal.signature_rate_per_year
        return likelihood_ratio_path(a, b), h, rate

    def _pool(
        self,
        table: DailyBiomarkerTable,
        fit: PersonalBaseline,
        exclude: Mapping[str, BoolArray],
        wd: npt.NDArray[np.int64],
        r: int,
    ) -> tuple[FloatArray, list[str], FloatArray]:
        """In-control standardised residuals of rows < r, the calibrated family and its floors."""
        fam = [
            b
            for b in self.watched(table)
            if b not in fit.insufficient_ and math.isfinite(fit.scale_[b])
        ]
        cols = []
        floors = []
        for b in fam:
            off = np.asarray(fit.weekday_offset_[b])
            x = (table.values[b][:r] - fit.median_[b] - off[wd[:r]]) / fit.scale_[b]
            x = np.where(exclude[b][:r], math.nan, x)
            cols.append(x)
            floors.append(fit.floor(b, fit.median_[b]) / fit.scale_[b])
        if not fam:
            return np.zeros((0, 0)), [], np.zeros(0)
        pool = np.stack(cols, axis=1)
        pool = pool[~np.isnan(pool).all(axis=1)]
        return pool, fam, np.asarray(floors)

    def _calibrate(
        self, pool: FloatArray, fam: Sequence[str], floors: FloatArray
    ) -> PatientCalibration:
        key = hashlib.sha256(
            repr(
                (
                    pool.tobytes(), tuple(fam), floors.tobytes(), self.scheme, self.k, self.winsor,
                    self.target_rate_per_year, self.n_series, self.sim_days,
                    self.mean_block_days, self.seed, sorted((self.signature or {}).items()),
                    self.signature_share, self.signature_shift_sd, self.prewhitening,
                    self.estimation_pools, self.signature_form, self.estimation_margin,
                    self.univariate_form,
                )
            ).encode()
        ).hexdigest()  # fmt: skip
        cached = _CALIBRATION_CACHE.get(key)
        if cached is not None:
            return cached
        cal = calibrate_cusum(
            pool,
            list(fam),
            floors,
            self.scheme,
            k=self.k,
            winsor=self.winsor,
            target_rate_per_year=self.target_rate_per_year,
            n_series=self.n_series,
            sim_days=self.sim_days,
            mean_block_days=self.mean_block_days,
            seed=self.seed,
            signature=self.signature,
            signature_share=self.signature_share,
            signature_shift_sd=self.signature_shift_sd,
            prewhitening=self.prewhitening,
            estimation_pools=self.estimation_pools,
            signature_form=self.signature_form,
            estimation_margin=self.estimation_margin,
            univariate_form=self.univariate_form,
        )
        if len(_CALIBRATION_CACHE) >= _CACHE_LIMIT:
            _CALIBRATION_CACHE.clear()
        _CALIBRATION_CACHE[key] = cal
        return cal

    def _state(
        self,
        table: DailyBiomarkerTable,
        z: dict[str, FloatArray],
        expected: dict[str, FloatArray],
        scale: dict[str, FloatArray],
        confidence: dict[str, FloatArray],
        h_day: dict[str, FloatArray],
        rate_day: dict[str, FloatArray],
        baseline: PersonalBaseline | None,
        refits: list[int],
        calibration: PatientCalibration | None,
        cal_rows: list[int],
        cals: list[PatientCalibration],
        phi_day: dict[str, FloatArray],
    ) -> MonitorState:
        n = table.n_days
        u = _prewhitened(z, phi_day, n)
        ids = self.watched(table)
        paths = self._univariate_paths(u, n, ids, cal_rows, cals)
        dates = table.date_list()
        per_day: list[list[TrendFinding]] = [[] for _ in range(n)]
        insufficient_by_day: list[list[str]] = [[] for _ in range(n)]
        ok_of: dict[str, BoolArray] = {}
        for b in ids:
            observed = ~np.isnan(table.values[b])
            window = self.coverage_window_days
            counts = np.convolve(observed.astype(np.float64), np.ones(window))[:n]
            recent = counts / np.minimum(np.arange(1, n + 1), window)
            ok = (recent >= self.min_coverage) & ~np.isnan(expected[b]) & np.isfinite(h_day[b])
            ok &= ~np.isnan(rate_day[b])
            ok_of[b] = ok
            for t in np.flatnonzero(~ok):
                insufficient_by_day[int(t)].append(b)
            values = table.values[b]
            delta = values - expected[b]
            upper, lower = (p[None, :] for p in paths[b])
            for direction, stat in ((TrendDirection.UP, upper), (TrendDirection.DOWN, lower)):
                track = track_episodes(stat, h_day[b]).row(0)
                _append_findings(per_day, track, ok, b, direction, z[b], delta, dates, rate_day[b])
        sig_stat, sig_h, sig_rate = self._signature_path(u, n, cal_rows, cals)
        if n and np.isfinite(sig_h).any():
            sig_track = track_episodes(sig_stat[None, :], sig_h).row(0)
            for b, sign in (self.signature or {}).items():
                if b not in ok_of:
                    continue
                direction = TrendDirection.UP if sign > 0 else TrendDirection.DOWN
                delta = table.values[b] - expected[b]
                _append_findings(
                    per_day, sig_track, ok_of[b], b, direction, z[b], delta, dates, sig_rate,
                    same_sign=sign,
                )  # fmt: skip
        for day in per_day:
            day.sort(key=lambda f: (f.biomarker, f.direction.value))
        last = n - 1
        status: dict[str, TrendStatus] = {}
        for b in ids:
            if n == 0 or b in insufficient_by_day[last]:
                status[b] = TrendStatus.INSUFFICIENT_DATA
            elif any(f.biomarker == b for f in per_day[last]):
                status[b] = TrendStatus.TREND
            else:
                status[b] = TrendStatus.NO_TREND
        return MonitorState(
            date=dates[-1] if n else None,
            trends=per_day[-1] if n else [],
            daily_trends=per_day,
            status=status,
            insufficient=[b for b in ids if status[b] is TrendStatus.INSUFFICIENT_DATA],
            insufficient_by_day=insufficient_by_day,
            baseline=baseline,
            refit_rows=refits,
            calibration=calibration,
            calibration_rows=cal_rows,
            threshold=h_day,
            z=z,
            median=expected,
            scale=scale,
            confidence=confidence,
        )


def _prewhitened(
    z: Mapping[str, FloatArray], phi_day: Mapping[str, FloatArray] | None, n: int
) -> dict[str, FloatArray]:
    """Rows < n of each biomarker's z, prewhitened with the lag-1 coefficient in force each day."""
    if phi_day is None:
        return {b: col[:n] for b, col in z.items()}
    return {b: prewhiten(col[:n], phi_day[b][:n]) for b, col in z.items()}


def _append_findings(
    per_day: list[list[TrendFinding]],
    track: EpisodeTrack,
    ok: BoolArray,
    bid: str,
    direction: TrendDirection,
    z: FloatArray,
    delta: FloatArray,
    dates: list[dt.date],
    rate: FloatArray,
    same_sign: float | None = None,
) -> None:
    """Add the findings of one chart's active episodes to every day they are active.

    With `same_sign` (a signature chart's alarm reported for one of its biomarkers) a day gets the
    finding only when the biomarker's mean z since onset has that sign and no univariate finding
    of the same biomarker and direction is already active that day.
    """
    cache: dict[int, TrendFinding | None] = {}
    for t in np.flatnonzero(track.active & ok):
        det = int(track.detection[t])
        if det not in cache:
            onset = int(track.onset[t])
            span_z = z[onset : det + 1]
            span_d = delta[onset : det + 1]
            seen = ~np.isnan(span_z)
            mean_z = float(span_z[seen].mean()) if seen.any() else math.nan
            if same_sign is not None and not mean_z * same_sign > 0:
                cache[det] = None
                continue
            spec = REGISTRY.get(bid)
            r = float(rate[det])  # finite: findings are only made on days with a rate
            cache[det] = TrendFinding(
                biomarker=bid,
                direction=direction,
                onset_date=dates[onset],
                detection_date=dates[det],
                size=float(span_d[seen].mean()) if seen.any() else math.nan,
                robust_z=float(span_z[seen].mean()) if seen.any() else math.nan,
                false_alarm_rate_per_year=r,
                coverage=float(seen.mean()),
                days_sustained=det - onset + 1,
                adverse=spec is not None
                and spec.concern in (Concern.BOTH, Concern(direction.value)),
            )
        finding = cache[det]
        if finding is None:
            continue
        if same_sign is not None and any(
            f.biomarker == bid and f.direction == direction for f in per_day[int(t)]
        ):
            continue
        per_day[int(t)].append(finding)
