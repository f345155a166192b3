"""A causal two-sided CUSUM detector of sustained changes in robust z-scores.

For each biomarker two one-sided statistics are tracked separately (Page 1954):

    U_t = max(0, U_{t-1} + x_t - k)        (upward change)
    L_t = max(0, L_{t-1} - x_t - k)        (downward change)

with ``x_t = clip(z_t, -winsor, winsor)`` and ``U_{-1} = L_{-1} = 0``. A chart alarms on the first
day its statistic exceeds `h`.

Conventions (all causal: the output for day t depends on rows <= t only):

* Missing days (z is NaN) leave both statistics unchanged; they count against the finding's
  coverage.
* Winsorising bounds what one day can add to a statistic by ``winsor - k``; the detector refuses
  an ``h`` below that, so a single-day blip of any size never alarms on its own.
* Onset estimate: the day after the last day the statistic was 0 before the alarm (the standard
  CUSUM change-point estimate).
* Episode: from the alarm until the statistic returns to 0. During an episode the trend is
  reported on every day the statistic is above ``h / 2``; once it returns to 0 the episode ends and
  a new alarm (S > h) is needed. The reported size, robust z, coverage and days sustained describe
  the span onset..detection and stay fixed during the episode.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.baseline.calibration import false_alarm_rate_per_year, threshold_for_rate
from bedside.baseline.robust_baseline import RobustBaseline
from bedside.biomarkers import REGISTRY
from bedside.domain import (
    Concern,
    ConfigurationError,
    InputFormatError,
    TrendDirection,
    TrendFinding,
)

__all__ = ["CusumDetector", "EpisodeTrack", "cusum_statistics", "track_episodes"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Dates = npt.NDArray[np.datetime64] | Sequence[dt.date]
Centre = RobustBaseline | Mapping[str, float | FloatArray]


def cusum_statistics(z: FloatArray, k: float, winsor: float) -> tuple[FloatArray, FloatArray]:
    """Upper and lower one-sided CUSUM statistics along the last axis.

    Parameters
    ----------
    z : ndarray of float64, shape (..., n_days)
        Robust z-scores; NaN is missing (the statistics stay unchanged).
    k : float
        Reference value, in robust SDs.
    winsor : float
        z is clipped to [-winsor, winsor].

    Returns
    -------
    (ndarray, ndarray)
        U and L, same shape as `z`, in robust SDs.
    """
    z = np.asarray(z, dtype=np.float64)
    x = np.clip(z, -winsor, winsor)
    upper = np.zeros_like(x)
    lower = np.zeros_like(x)
    u = np.zeros(x.shape[:-1])
    lo = np.zeros(x.shape[:-1])
    for t in range(x.shape[-1]):
        xt = x[..., t]
        seen = ~np.isnan(xt)
        xs = np.where(seen, xt, 0.0)
        u = np.where(seen, np.maximum(0.0, u + xs - k), u)
        lo = np.where(seen, np.maximum(0.0, lo - xs - k), lo)
        upper[..., t] = u
        lower[..., t] = lo
    return upper, lower


@dataclass(frozen=True)
class EpisodeTrack:
    """Alarm episodes of one or many one-sided charts (arrays of shape (..., n_days)).

    Attributes
    ----------
    statistic : ndarray of float64
        The CUSUM statistic, in robust SDs.
    alarm : ndarray of bool
        True on the day an episode starts (S first exceeds h).
    in_episode : ndarray of bool
        True from the alarm until the day before S returns to 0.
    active : ndarray of bool
        Days the trend is reported: in an episode and S > h / 2.
    onset, detection : ndarray of int64
        Row of the onset and of the alarm of the episode in progress; -1 outside episodes.
    """

    statistic: FloatArray
    alarm: BoolArray
    in_episode: BoolArray
    active: BoolArray
    onset: IntArray
    detection: IntArray

    def row(self, i: int) -> EpisodeTrack:
        """The track of chart `i` of a stack of charts (first axis)."""
        return EpisodeTrack(
            self.statistic[i],
            self.alarm[i],
            self.in_episode[i],
            self.active[i],
            self.onset[i],
            self.detection[i],
        )


def track_episodes(statistic: FloatArray, h: float) -> EpisodeTrack:
    """Alarm episodes of CUSUM statistics (see the module docstring), vectorised over charts."""
    s = np.asarray(statistic, dtype=np.float64)
    shape = s.shape
    alarm = np.zeros(shape, dtype=np.bool_)
    in_ep_all = np.zeros(shape, dtype=np.bool_)
    onset_all = np.full(shape, -1, dtype=np.int64)
    det_all = np.full(shape, -1, dtype=np.int64)
    last_zero = np.full(shape[:-1], -1, dtype=np.int64)
    in_ep = np.zeros(shape[:-1], dtype=np.bool_)
    onset = np.full(shape[:-1], -1, dtype=np.int64)
    det = np.full(shape[:-1], -1, dtype=np.int64)
    for t in range(shape[-1]):
        st = s[..., t]
        zero = st <= 0.0
        last_zero = np.where(zero, t, last_zero)
        new = ~in_ep & (st > h)
        onset = np.where(new, last_zero + 1, onset)
        det = np.where(new, t, det)
        in_ep = (in_ep | new) & ~zero
        onset = np.where(in_ep, onset, -1)
        det = np.where(in_ep, det, -1)
        alarm[..., t] = new
        in_ep_all[..., t] = in_ep
        onset_all[..., t] = onset
        det_all[..., t] = det
    active = in_ep_all & (s > h / 2.0)
    return EpisodeTrack(s, alarm, in_ep_all, active, onset_all, det_all)


class CusumDetector:
    """Two-sided CUSUM on winsorised robust z-scores, calibrated for a false-alarm budget.

    Parameters
    ----------
    k : float
        Reference value in robust SDs (0.5 is tuned for a 1-SD shift).
    h : float or None
        Threshold in robust SDs; None calibrates it with `threshold_for_rate` so that all the
        biomarkers passed to `scan` together, both directions, give at most
        `target_rate_per_year` false alarms per patient-year (in-control N(0, 1) model), but
        never below ``winsor - k``.
    winsor : float
        z-scores are clipped to [-winsor, winsor].
    target_rate_per_year : float
        Family-wise false-alarm budget used when `h` is None.
    """

    def __init__(
        self,
        k: float = 0.5,
        h: float | None = None,
        winsor: float = 4.0,
        target_rate_per_year: float = 1.0,
    ) -> None:
        if k <= 0 or winsor <= 0:
            raise ConfigurationError("k and winsor must be > 0")
        if h is not None and h < winsor - k:
            raise ConfigurationError(
                f"h={h} is below winsor - k = {winsor - k}: a single-day blip could alarm; "
                "raise h or lower winsor"
            )
        self.k = k
        self.h = h
        self.winsor = winsor
        self.target_rate_per_year = target_rate_per_year

    def threshold(self, n_biomarkers: int) -> float:
        """The threshold h used when `n_biomarkers` biomarkers are watched, in robust SDs."""
        if self.h is not None:
            return self.h
        h = threshold_for_rate(self.k, self.target_rate_per_year, max(n_biomarkers, 1), self.winsor)
        return max(h, self.winsor - self.k)

    def biomarker_rate_per_year(self, n_biomarkers: int) -> float:
        """Nominal false alarms per year of one biomarker (both directions) at `threshold`."""
        return 2.0 * false_alarm_rate_per_year(self.k, self.threshold(n_biomarkers), self.winsor)

    def track(self, z: Mapping[str, FloatArray]) -> dict[str, dict[TrendDirection, EpisodeTrack]]:
        """Statistics and alarm episodes of every biomarker in both directions."""
        h = self.threshold(len(z))
        ids = list(z)
        if not ids:
            return {}
        stacked = np.stack([np.asarray(z[b], dtype=np.float64) for b in ids])
        upper, lower = cusum_statistics(stacked, self.k, self.winsor)
        up = track_episodes(upper, h)
        down = track_episodes(lower, h)
        return {
            b: {TrendDirection.UP: up.row(i), TrendDirection.DOWN: down.row(i)}
            for i, b in enumerate(ids)
        }

    def scan(
        self,
        z: Mapping[str, FloatArray],
        values: Mapping[str, FloatArray],
        baseline: Centre,
        dates: Dates,
    ) -> list[list[TrendFinding]]:
        """Trends active on every day (each day uses rows up to that day only).

        Parameters
        ----------
        z : mapping of biomarker id to ndarray of float64, shape (n_days,)
            Robust z-scores (NaN = missing).
        values : mapping of biomarker id to ndarray of float64, shape (n_days,)
            The biomarker values in their unit (for the size of a trend).
        baseline : RobustBaseline or mapping of biomarker id to float or ndarray (n_days,)
            Baseline median, fixed or per day, in the biomarker's unit.
        dates : ndarray of datetime64[D] or sequence of date, length n_days

        Returns
        -------
        list of list of TrendFinding
            Element t holds the trends active on day t, ordered by biomarker then direction.
        """
        day_list = _as_dates(dates)
        n = len(day_list)
        centres = self._centres(z, values, baseline, n)
        rate = self.biomarker_rate_per_year(len(z))
        tracks = self.track(z)
        per_day: list[list[TrendFinding]] = [[] for _ in range(n)]
        for bid, by_direction in tracks.items():
            zc = np.asarray(z[bid], dtype=np.float64)
            delta = np.asarray(values[bid], dtype=np.float64) - centres[bid]
            for direction, track in by_direction.items():
                cache: dict[int, TrendFinding] = {}
                for t in np.flatnonzero(track.active):
                    det = int(track.detection[t])
                    if det not in cache:
                        cache[det] = _finding(
                            bid, direction, int(track.onset[t]), det, zc, delta, day_list, rate
                        )
                    per_day[int(t)].append(cache[det])
        return per_day

    def detect(
        self,
        z: Mapping[str, FloatArray],
        values: Mapping[str, FloatArray],
        baseline: Centre,
        dates: Dates,
    ) -> list[TrendFinding]:
        """Trends active on the last day (what a device reports once per day)."""
        per_day = self.scan(z, values, baseline, dates)
        return per_day[-1] if per_day else []

    @staticmethod
    def _centres(
        z: Mapping[str, FloatArray], values: Mapping[str, FloatArray], baseline: Centre, n: int
    ) -> dict[str, FloatArray]:
        out: dict[str, FloatArray] = {}
        for bid, col in z.items():
            if np.shape(col) != (n,):
                raise InputFormatError("cusum input", f"z has shape {np.shape(col)}", field=bid)
            if bid not in values or np.shape(values[bid]) != (n,):
                raise InputFormatError("cusum input", f"values need shape ({n},)", field=bid)
            if isinstance(baseline, RobustBaseline):
                centre: float | FloatArray = baseline.median_.get(bid, math.nan)
            else:
                centre = baseline.get(bid, math.nan)
            out[bid] = np.broadcast_to(np.asarray(centre, dtype=np.float64), (n,))
        return out


def _as_dates(dates: Dates) -> list[dt.date]:
    if isinstance(dates, np.ndarray):
        return [d.item() for d in dates.astype("datetime64[D]")]
    return list(dates)


def _finding(
    bid: str,
    direction: TrendDirection,
    onset: int,
    detection: int,
    z: FloatArray,
    delta: FloatArray,
    dates: list[dt.date],
    rate: float,
) -> TrendFinding:
    span_z = z[onset : detection + 1]
    span_delta = delta[onset : detection + 1]
    seen = ~np.isnan(span_z)
    seen_delta = seen & ~np.isnan(span_delta)
    spec = REGISTRY.get(bid)
    adverse = spec is not None and spec.concern in (Concern.BOTH, Concern(direction.value))
    return TrendFinding(
        biomarker=bid,
        direction=direction,
        onset_date=dates[onset],
        detection_date=dates[detection],
        size=float(span_delta[seen_delta].mean()) if seen_delta.any() else math.nan,
        robust_z=float(span_z[seen].mean()) if seen.any() else math.nan,
        false_alarm_rate_per_year=rate,
        coverage=float(seen.mean()),
        days_sustained=detection - onset + 1,
        adverse=adverse,
    )
