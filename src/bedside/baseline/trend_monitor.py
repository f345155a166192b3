"""The device's daily trend monitor: refitted personal baselines, CUSUM, per-patient calibration.

`DailyTrendMonitor.update(table)` replays a patient's whole daily table, so that a restart needs no
state beyond the table the device already stores and each day's output depends only on rows up to
that day (tested against truncated tables):

* baseline: `PersonalBaseline` refitted on the scheme of `bedside.baseline.scheme.BaselineScheme`
  (first fit at row `start_days`, then every `refit_every_days` days on the last `window_days` valid
  days), leaving out per biomarker the days of an alarmed change (onset to the end of its episode,
  plus `recent_days`) so that an episode is not absorbed into the patient's "normal". When the
  exclusions leave fewer than `min_days` valid days in the lookback, they are dropped: a change
  that lasts that long becomes the new normal. With a `PopulationPrior`, a cold-start baseline
  (shrunk towards the population, with its confidence) is shown from the first week on, but no
  trend is tested before `start_days`;
* detection: two one-sided CUSUMs per biomarker on winsorised robust z (see `CusumDetector`);
* calibration: one threshold per patient from `calibrate_cusum` (stationary bootstrap of the
  patient's own in-control residuals through this very scheme) for a family-wise budget of
  `target_rate_per_year` false alarms per patient-year over all biomarkers; recalibrated at a refit
  when the in-control pool has grown by `recalibrate_growth`. Every finding carries its biomarker's
  simulated rate at the threshold in force on its detection day;
* coverage: a day on which the biomarker's modality covered less than `min_day_coverage` of the
  day counts as missing (a half-worn day's activity total is not a change); a biomarker with no
  baseline, no calibrated threshold, or fewer than `min_coverage` of the last
  `coverage_window_days` days observed is "insufficient data" that day: it never gives a trend,
  and is listed (never silently absent);
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

from bedside.baseline.bootstrap_calibration import PatientCalibration, calibrate_cusum
from bedside.baseline.calibration import false_alarm_rate_per_year
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
    """

    def __init__(
        self,
        scheme: BaselineScheme | None = None,
        *,
        k: float = 0.5,
        winsor: float = 4.0,
        target_rate_per_year: float = 1.0,
        threshold: float | None = None,
        n_series: int = 100,
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
        self._cold_start(table, wd, expected, scale, confidence)
        baseline: PersonalBaseline | None = None
        refits: list[int] = []
        calibration: PatientCalibration | None = None
        cal_rows: list[int] = []
        cal_pool = 0
        for r in self.scheme.refit_rows(n):
            exclude = self._exclusion(table, z, h_day, r)
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
            pool, fam, floors = self._pool(table, cand, exclude, wd, r)
            if fam and (calibration is None or len(pool) >= self.recalibrate_growth * cal_pool):
                calibration = self._calibrate(pool, fam, floors)
                cal_rows.append(r)
                cal_pool = len(pool)
                for b in ids:
                    # not in the calibrated family: inf threshold, NaN rate, no detection
                    h_day[b][r:] = calibration.thresholds.get(b, math.inf)
                    rate_day[b][r:] = calibration.rate_per_year.get(b, math.nan)
        return self._state(
            table, z, expected, scale, confidence, h_day, rate_day, baseline, refits,
            calibration, cal_rows,
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
    ) -> dict[str, BoolArray]:
        """Per-biomarker rows left out of the refit at row `r` (alarmed episodes, too old)."""
        n = table.n_days
        ids = table.biomarker_ids
        too_old = np.zeros(n, dtype=np.bool_)
        too_old[: max(0, r - self.scheme.max_lookback_days)] = True
        out = {b: too_old.copy() for b in ids}
        if r == 0 or not ids:
            return out
        stacked = np.stack([z[b][:r] for b in ids])
        upper, lower = cusum_statistics(stacked, self.k, self.winsor)
        for i, b in enumerate(ids):
            if not np.isfinite(h_day[b][:r]).any():
                continue
            for stat in (upper[i], lower[i]):
                track = track_episodes(stat, h_day[b][:r])
                for t in np.flatnonzero(track.in_episode):
                    stop = min(r, int(t) + 1 + self.recent_days)
                    out[b][int(track.onset[t]) : stop] = True
        for b in ids:
            valid = ~np.isnan(table.values[b][:r]) & ~out[b][:r]
            if int(valid.sum()) < self.scheme.min_days:
                out[b] = too_old.copy()
        return out

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
                    self.mean_block_days, self.seed,
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
    ) -> MonitorState:
        n = table.n_days
        ids = self.watched(table)
        dates = table.date_list()
        per_day: list[list[TrendFinding]] = [[] for _ in range(n)]
        insufficient_by_day: list[list[str]] = [[] for _ in range(n)]
        for b in ids:
            observed = ~np.isnan(table.values[b])
            window = self.coverage_window_days
            counts = np.convolve(observed.astype(np.float64), np.ones(window))[:n]
            recent = counts / np.minimum(np.arange(1, n + 1), window)
            ok = (recent >= self.min_coverage) & ~np.isnan(expected[b]) & np.isfinite(h_day[b])
            ok &= ~np.isnan(rate_day[b])
            for t in np.flatnonzero(~ok):
                insufficient_by_day[int(t)].append(b)
            values = table.values[b]
            delta = values - expected[b]
            upper, lower = cusum_statistics(z[b][None, :], self.k, self.winsor)
            for direction, stat in ((TrendDirection.UP, upper), (TrendDirection.DOWN, lower)):
                track = track_episodes(stat, h_day[b]).row(0)
                _append_findings(per_day, track, ok, b, direction, z[b], delta, dates, rate_day[b])
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
) -> None:
    cache: dict[int, TrendFinding] = {}
    for t in np.flatnonzero(track.active & ok):
        det = int(track.detection[t])
        if det not in cache:
            onset = int(track.onset[t])
            span_z = z[onset : det + 1]
            span_d = delta[onset : det + 1]
            seen = ~np.isnan(span_z)
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
        per_day[int(t)].append(cache[det])
