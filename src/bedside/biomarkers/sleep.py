"""Minute sleep/wake scoring (Cole-Kripke 1992) and the main sleep period ending on each day.

Scoring matches pyActigraphy 1.2.2's ``CK(settings='mean', threshold=1.0, rescoring=True)``, the
setting meant for 1-minute count epochs:

``D_t = 0.001 * (106 A_{t-4} + 54 A_{t-3} + 58 A_{t-2} + 76 A_{t-1} + 230 A_t + 74 A_{t+1}
+ 67 A_{t+2})`` with ``A = counts / 30`` (Cole et al. 1992, Table 2, "mean activity per minute"
weights, derived for the mean of 2-s epochs: a 1-min sum is divided by 30 = 60 s / 2 s, so the
effective scale factor on counts is 1/30000). Minute ``t`` is asleep when ``D_t < 1``. A minute is
scored wake when any minute of the centred 9-minute window ``t-4..t+4`` is missing (pandas'
rolling window, as in pyActigraphy). Webster's rescoring rules follow (pyActigraphy's
implementation: 4 wake minutes -> next 1 sleep minute rescored wake; 10 -> next 3; 15 -> next 4;
sleep runs of <= 6 min between wake runs of >= 10 min and of <= 10 min between wake runs of >= 20
min become wake).

Cole RJ, Kripke DF, Gruen W, Mullaney DJ, Gillin JC. Automatic sleep/wake identification from
wrist activity. Sleep 1992;15(5):461-469. Webster JB et al. Sleep 1982;5(4):389-399.

Main sleep period of wake day ``d`` (sleep belongs to the day the patient wakes up):

1. The night window runs from 18:00 the previous evening to 12:00 on day ``d`` in real time
   (local midnight starting ``d`` -6 h to +12 h; 1080 min). Its valid-minute share must reach
   ``min_coverage``, otherwise every sleep biomarker of the day is NaN.
2. Sleep runs in the window separated by wake gaps of at most ``max_wake_gap_min`` (60) are
   merged; the longest merged bout of at least ``min_period_min`` (60) is the main period.
   Without one, duration is 0 and the other sleep biomarkers are NaN. A period that would start
   before 18:00 or end after 12:00 is cut at the window's edge.
3. onset = first sleep minute, offset = end of the last sleep minute, both in minutes from local
   midnight starting ``d`` (negative = the previous evening); midpoint = their mean;
   duration = minutes scored asleep in the period; efficiency = 100 * duration / period length;
   WASO = period length - duration (missing minutes inside the period count as wake).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import MinuteGrid, local_midnight_utc

__all__ = [
    "COLE_KRIPKE_WEIGHTS",
    "SLEEP_IDS",
    "cole_kripke",
    "main_sleep_periods",
    "webster_rescore",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

COLE_KRIPKE_WEIGHTS = np.array([106.0, 54.0, 58.0, 76.0, 230.0, 74.0, 67.0])
"""Weights of A_{t-4} .. A_{t+2} (Cole et al. 1992, 1-min epochs, mean activity)."""
_SCALE = 0.001
_COUNTS_PER_MEAN = 30.0

SLEEP_IDS = (
    "sleep.onset_min",
    "sleep.offset_min",
    "sleep.midpoint_min",
    "sleep.duration_min",
    "sleep.efficiency",
    "sleep.waso_min",
)


def _runs(mask: BoolArray) -> IntArray:
    """Start (inclusive) and end (exclusive) of the runs of True, shape (k, 2)."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return edges.reshape(-1, 2).astype(np.int64)


def cole_kripke(counts: FloatArray, *, threshold: float = 1.0, rescore: bool = True) -> BoolArray:
    """Score each minute asleep (True) or awake (False).

    Parameters
    ----------
    counts : ndarray of float64, shape (n,)
        Activity counts per consecutive minute; NaN is missing.
    threshold : float
        Sleep when the Cole-Kripke index D is below it (1.0).
    rescore : bool
        Apply Webster's rescoring rules.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    n = counts.size
    a = counts / _COUNTS_PER_MEAN
    d = np.full(n, np.nan)
    if n >= 9:
        core = slice(4, n - 4)
        acc = np.zeros(n - 8)
        for k, w in enumerate(COLE_KRIPKE_WEIGHTS):
            acc += w * a[k : n - 8 + k]
        # pandas' centred 9-minute window: A_{t+3}, A_{t+4} weigh 0 but must be present.
        present = np.ones(n - 8, dtype=bool)
        for k in range(9):
            present &= np.isfinite(a[k : n - 8 + k])
        d[core] = np.where(present, _SCALE * acc, np.nan)
    sleep = d < threshold
    return webster_rescore(sleep) if rescore else sleep


def _rescore_if_preceded(sleep: BoolArray, n_periods: int, n_previous: int) -> BoolArray:
    """First `n_periods` minutes of each sleep run of at least that length whose preceding
    `n_previous` minutes are all wake -> False in the returned keep-mask."""
    keep = np.ones(sleep.size, dtype=bool)
    runs = _runs(sleep)
    if runs.shape[0] == 0:
        return keep
    # The minutes before a run's start are wake back to the previous run's end (or index 0).
    prev_end = np.concatenate(([0], runs[:-1, 1]))
    hit = ((runs[:, 1] - runs[:, 0]) >= n_periods) & ((runs[:, 0] - prev_end) >= n_previous)
    hit &= runs[:, 0] >= n_previous
    starts = runs[hit, 0]
    keep[(starts[:, None] + np.arange(n_periods)).ravel()] = False
    return keep


def _rescore_if_surrounded(sleep: BoolArray, n_periods: int, n_surround: int) -> BoolArray:
    """Sleep between two wake runs of at least `n_surround` minutes, when at most `n_periods`
    minutes separate them -> False in the returned keep-mask."""
    wake = _runs(~sleep)
    wake = wake[wake[:, 1] - wake[:, 0] >= n_surround]
    if wake.shape[0] < 2:
        return np.ones(sleep.size, dtype=bool)
    lo, hi = wake[:-1, 1], wake[1:, 0]
    close = hi - lo <= n_periods
    edges = np.zeros(sleep.size + 1, dtype=np.int64)
    np.add.at(edges, lo[close], 1)
    np.add.at(edges, hi[close], -1)
    return np.asarray(np.cumsum(edges[:-1]) == 0)


def webster_rescore(sleep: BoolArray) -> BoolArray:
    """Webster's rescoring rules as implemented by pyActigraphy 1.2.2 (see module notes)."""
    keep = (
        _rescore_if_preceded(sleep, 1, 4)
        & _rescore_if_preceded(sleep, 3, 10)
        & _rescore_if_preceded(sleep, 4, 15)
        & _rescore_if_surrounded(sleep, 6, 10)
        & _rescore_if_surrounded(sleep, 10, 20)
    )
    return sleep & keep


def main_sleep_periods(
    grid: MinuteGrid,
    *,
    min_coverage: float = 0.8,
    window_start_min: int = -360,
    window_end_min: int = 720,
    max_wake_gap_min: int = 60,
    min_period_min: int = 60,
    sleep: BoolArray | None = None,
) -> dict[str, FloatArray]:
    """Main sleep period ending on each local day (see the module notes for the rules).

    Parameters
    ----------
    grid : MinuteGrid
    min_coverage : float
        Minimum share of valid minutes in the night window.
    window_start_min, window_end_min : int
        Night window, minutes from local midnight starting the wake day (-360 = 18:00 the
        previous evening, 720 = noon).
    max_wake_gap_min : int
        Wake gaps up to this many minutes do not end a sleep period.
    min_period_min : int
        Shortest merged bout (first to last sleep minute) that counts as a main sleep period.
    sleep : ndarray of bool, shape (n,), optional
        Precomputed scoring of the grid (default: :func:`cole_kripke` of its counts).

    Returns
    -------
    dict of str to ndarray of float64, shape (grid.n_days,)
        Keyed by the ``sleep.*`` registry ids; minutes, and % for efficiency.
    """
    out = {k: np.full(grid.n_days, np.nan) for k in SLEEP_IDS}
    if grid.n_days == 0:
        return out
    asleep = cole_kripke(grid.counts) if sleep is None else sleep
    valid_cum = np.concatenate(([0], np.cumsum(grid.valid)))
    mid = local_midnight_utc(
        np.arange(grid.first_day, grid.first_day + grid.n_days, dtype=np.int64), grid.zone
    )
    n = grid.counts.size
    length = window_end_min - window_start_min
    for d in range(grid.n_days):
        lo_abs = (int(mid[d]) - grid.start_utc) // 60 + window_start_min
        lo, hi = max(lo_abs, 0), min(lo_abs + length, n)
        if hi <= lo or (valid_cum[hi] - valid_cum[lo]) / length < min_coverage:
            continue
        runs = _runs(asleep[lo:hi])
        if runs.shape[0] == 0:
            out["sleep.duration_min"][d] = 0.0
            continue
        # Merge runs whose wake gap is short; group id increases at each long gap.
        gaps = runs[1:, 0] - runs[:-1, 1]
        group = np.concatenate(([0], np.cumsum(gaps > max_wake_gap_min)))
        starts = np.full(group[-1] + 1, np.iinfo(np.int64).max)
        ends = np.zeros(group[-1] + 1, dtype=np.int64)
        np.minimum.at(starts, group, runs[:, 0])
        np.maximum.at(ends, group, runs[:, 1])
        spans = ends - starts
        best = int(np.argmax(spans))
        if spans[best] < min_period_min:
            out["sleep.duration_min"][d] = 0.0
            continue
        in_best = group == best
        asleep_min = float(np.sum(runs[in_best, 1] - runs[in_best, 0]))
        offset0 = lo - lo_abs + window_start_min
        onset = float(starts[best] + offset0)
        offset = float(ends[best] + offset0)
        span = float(spans[best])
        out["sleep.onset_min"][d] = onset
        out["sleep.offset_min"][d] = offset
        out["sleep.midpoint_min"][d] = (onset + offset) / 2.0
        out["sleep.duration_min"][d] = asleep_min
        out["sleep.efficiency"][d] = 100.0 * asleep_min / span
        out["sleep.waso_min"][d] = span - asleep_min
    return out
