"""The cardiac daily biomarker table: heart rate from samples, HRV from RR intervals.

Per local calendar day (true length on clock-change days):

* ``cardiac.mean_hr_bpm``: mean of the day's heart-rate samples;
* ``cardiac.resting_hr_bpm``: lowest 30-min rolling mean (:func:`~bedside.biomarkers.cardiac.
  resting_heart_rate`);
* ``cardiac.nocturnal_hr_bpm``: mean over 00:00-06:00 local;
* ``cardiac.rmssd_ms`` and ``cardiac.sdnn_ms``: the night (00:00-06:00 local) is cut into
  5-min segments from its start (the Task Force 1996 short-term recording length); each segment's
  intervals are cleaned with :func:`~bedside.biomarkers.cardiac.clean_rr`; a segment counts when
  its kept intervals add up to at least `min_coverage` of 5 min; the day's value is the median of
  the counted segments' RMSSD and SDNN (at least `min_segments`). RMSSD differences are taken
  only between intervals that were adjacent both in the cleaned series and in time (see
  :meth:`~bedside.domain.RRIntervalFrame.adjacent`).

Heart rate comes from a ``HEART_RATE`` sample frame (bpm); when only RR intervals are given,
minute heart rates are derived from them (60000 / mean RR of the minute's kept intervals).
Coverage of ``HEART_RATE`` is the share of the day's minutes holding a heart-rate sample or a
beat. Heart-rate values are NaN on days with coverage below `min_coverage`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.cardiac import clean_rr, nocturnal_heart_rate, resting_heart_rate
from bedside.biomarkers.cardiac_specs import CARDIAC_IDS
from bedside.biomarkers.local_days import LocalDays, local_days, utc_of_local_hour
from bedside.domain import (
    ConfigurationError,
    DailyBiomarkerTable,
    InputFormatError,
    Modality,
    PatientId,
    RRIntervalFrame,
    SampleFrame,
)

__all__ = ["daily_cardiac", "minute_heart_rate_from_rr", "segment_hrv"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_SEGMENT_S = 300


def minute_heart_rate_from_rr(rr: RRIntervalFrame) -> tuple[IntArray, FloatArray]:
    """Minute heart rates from RR intervals.

    Returns
    -------
    times : ndarray of int64, shape (m,)
        UTC seconds of the start of each minute holding at least one kept interval.
    bpm : ndarray of float64, shape (m,)
        60000 / mean kept RR of the minute, beats/min.
    """
    if len(rr) == 0:
        return np.array([], dtype=np.int64), np.array([])
    kept = clean_rr(rr.rr_ms).kept
    t = rr.time_utc[kept]
    x = rr.rr_ms[kept]
    minute = t // 60
    starts, index = np.unique(minute, return_inverse=True)
    sums = np.bincount(index, weights=x)
    counts = np.bincount(index)
    return (starts * 60).astype(np.int64), 60000.0 * counts / sums


def segment_hrv(
    rr_ms: FloatArray, kept: BoolArray, adjacent: BoolArray, *, min_kept_s: float
) -> tuple[float, float] | None:
    """RMSSD and SDNN of one short segment, ms, or None when too little of it is clean.

    Parameters
    ----------
    rr_ms : ndarray of float64, shape (n,)
        The segment's intervals, ms, in beat order.
    kept : ndarray of bool, shape (n,)
        Intervals that passed :func:`~bedside.biomarkers.cardiac.clean_rr`.
    adjacent : ndarray of bool, shape (n,)
        True at ``i`` when interval ``i`` directly follows ``i - 1`` in time.
    min_kept_s : float
        Least total duration of kept intervals, s.

    Returns
    -------
    tuple of float or None
        ``(rmssd, sdnn)`` in ms: RMSSD over differences of adjacent kept intervals, SDNN the
        sample standard deviation (``ddof=1``) of the kept intervals.
    """
    y = rr_ms[kept]
    if y.size < 3 or float(y.sum()) / 1000.0 < min_kept_s:
        return None
    pair = kept[1:] & kept[:-1] & adjacent[1:]
    if int(pair.sum()) < 2:
        return None
    d = np.diff(rr_ms)[pair]
    return float(np.sqrt(np.mean(d * d))), float(np.std(y, ddof=1))


def _coverage(days: LocalDays, times: list[IntArray]) -> FloatArray:
    stamps = np.unique(np.concatenate(times) // 60) if times else np.array([], dtype=np.int64)
    out = np.zeros(days.n)
    minute_edges = days.edges // 60
    counts = np.diff(np.searchsorted(stamps, minute_edges, side="left"))
    lengths = np.diff(minute_edges)
    out[:] = np.minimum(1.0, counts / lengths)
    return out


def _check_inputs(
    heart_rate: SampleFrame | None, rr: RRIntervalFrame | None
) -> tuple[PatientId, str]:
    if heart_rate is None and rr is None:
        raise InputFormatError("cardiac", "give heart-rate samples, RR intervals or both")
    if heart_rate is not None and heart_rate.modality is not Modality.HEART_RATE:
        raise InputFormatError(
            heart_rate.source, f"expected a heart-rate frame, got {heart_rate.modality}"
        )
    if (
        heart_rate is not None
        and rr is not None
        and (heart_rate.patient_id != rr.patient_id or heart_rate.zone != rr.zone)
    ):
        raise InputFormatError(
            rr.source, "heart-rate samples and RR intervals belong to different patients or zones"
        )
    if heart_rate is not None:
        return heart_rate.patient_id, heart_rate.zone
    assert rr is not None
    return rr.patient_id, rr.zone


def _by_date(days: LocalDays, values: dict[dt.date, float]) -> FloatArray:
    out = np.full(days.n, np.nan)
    for k in range(days.n):
        out[k] = values.get(days.date(k), np.nan)
    return out


def daily_cardiac(
    heart_rate: SampleFrame | None = None,
    rr: RRIntervalFrame | None = None,
    *,
    min_coverage: float = 0.8,
    min_segments: int = 3,
) -> DailyBiomarkerTable:
    """Daily cardiac biomarkers of one patient (see the module notes for definitions).

    Parameters
    ----------
    heart_rate : SampleFrame or None
        Modality ``HEART_RATE``, beats/min, nominal interval ``epoch_s``.
    rr : RRIntervalFrame or None
        Beat-to-beat intervals, ms.
    min_coverage : float
        Minimum covered share of a day (heart-rate values), of a resting window, of the night
        and of an HRV segment, in (0, 1].
    min_segments : int
        Least number of counted 5-min night segments for the HRV values.

    Returns
    -------
    DailyBiomarkerTable
        One row per local date from the first to the last sample of either input; the
        ``cardiac.*`` columns (registry order) and ``coverage[Modality.HEART_RATE]``.
    """
    patient_id, zone = _check_inputs(heart_rate, rr)
    if not 0.0 < min_coverage <= 1.0 or min_segments < 1:
        raise ConfigurationError(
            f"need 0 < min_coverage <= 1 and min_segments >= 1, got {min_coverage}, {min_segments}"
        )
    if heart_rate is not None and len(heart_rate):
        hr_t, hr_v, period = heart_rate.time_utc, heart_rate.value, float(heart_rate.epoch_s)
    elif rr is not None:
        hr_t, hr_v = minute_heart_rate_from_rr(rr)
        period = 60.0
    else:
        hr_t, hr_v, period = np.array([], dtype=np.int64), np.array([]), 60.0
    stamps = [a for a in (hr_t, rr.time_utc if rr is not None else None) if a is not None]
    stamps = [a for a in stamps if a.size]
    if not stamps:
        empty = np.array([], dtype="datetime64[D]")
        return DailyBiomarkerTable(
            patient_id=patient_id,
            zone=zone,
            dates=empty,
            values={k: np.array([]) for k in CARDIAC_IDS},
            coverage={Modality.HEART_RATE: np.array([])},
        )
    first = min(int(a[0]) for a in stamps)
    last = max(int(a[-1]) for a in stamps)
    days = local_days(first, last, zone)
    coverage = _coverage(days, stamps)
    out = {k: np.full(days.n, np.nan) for k in CARDIAC_IDS}
    if hr_t.size:
        t = hr_t.astype(np.float64)
        out["cardiac.resting_hr_bpm"] = _by_date(
            days,
            dict(
                resting_heart_rate(t, hr_v, zone, sample_period_s=period, min_coverage=min_coverage)
            ),
        )
        out["cardiac.nocturnal_hr_bpm"] = _by_date(
            days,
            dict(
                nocturnal_heart_rate(
                    t, hr_v, zone, sample_period_s=period, min_coverage=min_coverage
                )
            ),
        )
        lo = np.searchsorted(hr_t, days.edges[:-1], side="left")
        hi = np.searchsorted(hr_t, days.edges[1:], side="left")
        for k in range(days.n):
            if hi[k] > lo[k] and coverage[k] >= min_coverage:
                out["cardiac.mean_hr_bpm"][k] = float(hr_v[lo[k] : hi[k]].mean())
    if rr is not None and len(rr):
        rmssd_col, sdnn_col = _nightly_hrv(rr, days, min_coverage, min_segments)
        out["cardiac.rmssd_ms"] = rmssd_col
        out["cardiac.sdnn_ms"] = sdnn_col
    return DailyBiomarkerTable(
        patient_id=patient_id,
        zone=zone,
        dates=days.dates,
        values=out,
        coverage={Modality.HEART_RATE: coverage},
    )


def _nightly_hrv(
    rr: RRIntervalFrame, days: LocalDays, min_coverage: float, min_segments: int
) -> tuple[FloatArray, FloatArray]:
    tz = ZoneInfo(days.zone)
    adjacent = rr.adjacent()
    rmssd_col = np.full(days.n, np.nan)
    sdnn_col = np.full(days.n, np.nan)
    min_kept_ms = 1000.0 * min_coverage * _SEGMENT_S
    for k in range(days.n):
        a = int(days.edges[k])
        b = utc_of_local_hour(days.date(k), 6, tz)
        starts = np.arange(a, b, _SEGMENT_S, dtype=np.int64)
        bounds = np.searchsorted(rr.time_utc, np.append(starts, b), side="left")
        night_lo, night_hi = int(bounds[0]), int(bounds[-1])
        if night_hi - night_lo < 3:
            continue
        # Cleaned once per night: the local-median rule then sees across segment boundaries.
        x = rr.rr_ms[night_lo:night_hi]
        kept = clean_rr(x).kept
        rmssd, sdnn = _segments_hrv(
            x, kept, adjacent[night_lo:night_hi], np.diff(bounds), min_kept_ms
        )
        if rmssd.size >= min_segments:
            rmssd_col[k] = float(np.median(rmssd))
            sdnn_col[k] = float(np.median(sdnn))
    return rmssd_col, sdnn_col


def _segments_hrv(
    x: FloatArray, kept: BoolArray, adjacent: BoolArray, lengths: IntArray, min_kept_ms: float
) -> tuple[FloatArray, FloatArray]:
    """RMSSD and SDNN (ms) of the night's counted segments, all segments at once.

    Same rules as :func:`segment_hrv` applied to each segment (``lengths`` beats each, in
    order): a segment counts with >= 3 beats, >= 3 kept intervals adding up to `min_kept_ms`
    and >= 2 adjacent kept pairs; pairs never straddle two segments.
    """
    n_seg = lengths.size
    seg = np.repeat(np.arange(n_seg), lengths)
    w = kept.astype(np.float64)
    n_kept = np.bincount(seg, weights=w, minlength=n_seg)
    kept_ms = np.bincount(seg, weights=x * w, minlength=n_seg)
    pair = kept[1:] & kept[:-1] & adjacent[1:] & (seg[1:] == seg[:-1])
    pair_seg = seg[1:][pair]
    d = np.diff(x)[pair]
    n_pair = np.bincount(pair_seg, minlength=n_seg)
    sq = np.bincount(pair_seg, weights=d * d, minlength=n_seg)
    ok = (lengths >= 3) & (n_kept >= 3) & (kept_ms >= min_kept_ms) & (n_pair >= 2)
    mean = kept_ms / np.maximum(n_kept, 1.0)
    dev = x[kept] - mean[seg[kept]]
    ss = np.bincount(seg[kept], weights=dev * dev, minlength=n_seg)
    rmssd = np.sqrt(sq[ok] / n_pair[ok])
    sdnn = np.sqrt(ss[ok] / (n_kept[ok] - 1.0))
    return rmssd, sdnn
