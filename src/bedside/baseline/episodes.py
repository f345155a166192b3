"""The CUSUM recursion and its alarm episodes, vectorised over charts (no calibration, no I/O).

See `bedside.baseline.cusum` for the conventions (missing days, winsorising, onset, episodes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["EpisodeTrack", "cusum_statistics", "track_episodes"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


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


def track_episodes(statistic: FloatArray, h: float | FloatArray) -> EpisodeTrack:
    """Alarm episodes of CUSUM statistics (see the module docstring), vectorised over charts.

    `h` is one threshold, or one per day (shape (n_days,), e.g. a per-patient threshold that is
    recalibrated as data accumulates; ``inf`` where no alarm may be raised).
    """
    s = np.asarray(statistic, dtype=np.float64)
    shape = s.shape
    h_day = np.broadcast_to(np.asarray(h, dtype=np.float64), shape[-1:])
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
        new = ~in_ep & (st > h_day[t])
        onset = np.where(new, last_zero + 1, onset)
        det = np.where(new, t, det)
        in_ep = (in_ep | new) & ~zero
        onset = np.where(in_ep, onset, -1)
        det = np.where(in_ep, det, -1)
        alarm[..., t] = new
        in_ep_all[..., t] = in_ep
        onset_all[..., t] = onset
        det_all[..., t] = det
    active = in_ep_all & (s > h_day / 2.0)
    return EpisodeTrack(s, alarm, in_ep_all, active, onset_all, det_all)
