"""False-alarm calibration of the one-sided CUSUM on winsorised robust z-scores.

The in-control average run length (ARL) of a one-sided CUSUM ``S_t = max(0, S_{t-1} + x_t - k)``,
alarm when ``S_t > h``, with ``x_t = clip(z_t, -w, w)`` and ``z_t`` i.i.d. standard normal, is
computed with the Markov-chain approximation of

    Brook D, Evans DA. An approach to the probability distribution of CUSUM run length.
    Biometrika 1972;59(3):539-549. doi:10.1093/biomet/59.3.539

The interval [0, h] is cut into `n_states` states (state 0 holds S = 0 and its neighbourhood),
the transient transition matrix R is built from the winsorised normal CDF, and the ARL from
S = 0 is the first entry of ``(I - R)^-1 1``. The false-alarm rate of one chart is
``365.25 / ARL`` per year. This slightly overstates the rate of `CusumDetector`, which after an
alarm waits for S to return to 0 instead of restarting at once (a few days per alarm), so it is
conservative. `simulate_false_alarm_count` is an independent, seeded Monte-Carlo check.

Estimated baselines. The z-scores a device computes are against a median and MAD ESTIMATED from
a few weeks of data; their error (about 0.24 SD for the median of 28 days) persists for weeks and
the CUSUM integrates it. With the nominal threshold for 1 false alarm per patient-year over 5
biomarkers, simulation gives about 9. `threshold_for_rate_estimated_baseline` calibrates h by a
seeded, vectorised simulation of exactly that situation (i.i.d. N(0, 1) data, baseline = median
and MAD x 1.4826 of the previous `window_days` days, refitted every `refit_every_days` days), in the
spirit of Jones LA, Champ CW, Rigdon SE. The run length distribution of the CUSUM with estimated
parameters. J Qual Technol 2004;36(1):95-108.

Caveat: in-control z-scores of real biomarkers are neither normal nor independent. Positive day-to-
day autocorrelation (habits, weekly rhythm) makes S drift further and raises the false-alarm rate
above these figures; heavy tails matter less because z is winsorised. A later per-patient
calibration (block bootstrap of the patient's own in-control z-scores) is planned; until then these
rates are the nominal rates of the detector under the textbook model.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq
from scipy.special import ndtr

from bedside.baseline.episodes import cusum_statistics, track_episodes
from bedside.domain import ConfigurationError

__all__ = [
    "DAYS_PER_YEAR",
    "arl_in_control",
    "false_alarm_rate_estimated_baseline",
    "false_alarm_rate_per_year",
    "simulate_false_alarm_count",
    "threshold_for_rate",
    "threshold_for_rate_estimated_baseline",
]

DAYS_PER_YEAR = 365.25
_N_STATES = 200
_H_MAX = 15.0

FloatArray = npt.NDArray[np.float64]


def _winsorised_cdf(x: FloatArray, winsor: float) -> FloatArray:
    """P(clip(Z, -w, w) <= x) for Z standard normal (point masses at -w and +w)."""
    cdf = np.asarray(ndtr(x), dtype=np.float64)
    return np.where(x < -winsor, 0.0, np.where(x >= winsor, 1.0, cdf))


@lru_cache(maxsize=4096)
def arl_in_control(k: float, h: float, winsor: float = 4.0, n_states: int = _N_STATES) -> float:
    """In-control ARL (days) of a one-sided CUSUM from S = 0 (Brook & Evans 1972).

    Parameters
    ----------
    k : float
        Reference value, in robust SDs.
    h : float
        Decision threshold (alarm when S > h), in robust SDs.
    winsor : float
        z-scores are clipped to [-winsor, winsor] before entering the statistic.
    n_states : int
        Number of Markov-chain states the interval [0, h] is discretised into.

    Returns
    -------
    float
        Average number of days to the first (false) alarm.
    """
    if h <= 0 or winsor <= 0 or n_states < 2:
        raise ConfigurationError("h and winsor must be > 0, n_states >= 2")
    # State i stands for S = i * delta and covers ((i - 0.5) delta, (i + 0.5) delta]; state 0 also
    # holds every S <= 0.5 delta (in particular the atom S = 0); the top state ends exactly at h.
    delta = h / (n_states - 0.5)
    centres = np.arange(n_states) * delta
    edges = (np.arange(n_states) + 0.5) * delta  # upper edge of each state
    # increment x - k must land the chain from centre c_i into state j: c_i + x - k <= edge_j
    upper = edges[None, :] - centres[:, None] + k
    cum = _winsorised_cdf(upper, winsor)  # P(next state <= j | state i)
    R = np.diff(np.concatenate([np.zeros((n_states, 1)), cum], axis=1), axis=1)
    try:
        arl = np.linalg.solve(np.eye(n_states) - R, np.ones(n_states))
    except np.linalg.LinAlgError:
        # a threshold so far out that no clipped day can leave state 0 of the grid: the chain
        # never alarms at this resolution (an ARL beyond any monitoring horizon)
        return math.inf
    return float(arl[0])


@lru_cache(maxsize=4096)
def false_alarm_rate_per_year(k: float, h: float, winsor: float = 4.0) -> float:
    """False alarms per year of ONE one-sided CUSUM chart on in-control N(0, 1) z-scores.

    Parameters
    ----------
    k, h : float
        Reference value and threshold, in robust SDs.
    winsor : float
        Winsorisation bound of the z-scores.

    Returns
    -------
    float
        ``365.25 / ARL`` with the ARL of `arl_in_control`, per year.
    """
    return DAYS_PER_YEAR / arl_in_control(k, h, winsor)


@lru_cache(maxsize=1024)
def threshold_for_rate(
    k: float, rate_per_year: float = 1.0, n_biomarkers: int = 1, winsor: float = 4.0
) -> float:
    """Threshold h giving a family-wise false-alarm rate of at most `rate_per_year`.

    The family is `n_biomarkers` biomarkers, each watched in both directions (two one-sided
    charts); by the union bound each chart gets ``rate_per_year / (2 n_biomarkers)``.

    Parameters
    ----------
    k : float
        Reference value, in robust SDs.
    rate_per_year : float
        Target false alarms per patient-year across all biomarkers and both directions.
    n_biomarkers : int
        Number of biomarkers watched.
    winsor : float
        Winsorisation bound of the z-scores.

    Returns
    -------
    float
        The smallest h (robust SDs, to 1e-6) whose per-chart rate is at most the share.
    """
    if rate_per_year <= 0 or n_biomarkers < 1:
        raise ConfigurationError("rate_per_year must be > 0 and n_biomarkers >= 1")
    per_chart = rate_per_year / (2 * n_biomarkers)

    def excess(h: float) -> float:
        return math.log(false_alarm_rate_per_year(k, h, winsor)) - math.log(per_chart)

    lo = 1e-3
    if excess(lo) <= 0:
        return lo
    if excess(_H_MAX) > 0:
        raise ConfigurationError(
            f"no threshold up to h={_H_MAX} reaches {per_chart}/year per chart"
        )
    h = float(brentq(excess, lo, _H_MAX, xtol=1e-6))
    # make sure the returned h is on the safe side of the root
    while excess(h) > 0:
        h += 1e-6
    return h


def simulate_false_alarm_count(
    k: float,
    h: float,
    *,
    winsor: float = 4.0,
    n_series: int = 1000,
    n_days: int = 3650,
    seed: int = 0,
) -> tuple[int, int]:
    """Monte-Carlo count of alarms of one one-sided chart restarting at 0 after each alarm.

    Parameters
    ----------
    k, h, winsor : float
        As in `arl_in_control`.
    n_series, n_days : int
        Independent in-control N(0, 1) series simulated in parallel, and their length in days.
    seed : int
        Seed of the numpy Generator.

    Returns
    -------
    (int, int)
        Number of alarms and number of simulated days.
    """
    rng = np.random.default_rng(seed)
    s = np.zeros(n_series)
    alarms = 0
    for _ in range(n_days):
        x = np.clip(rng.standard_normal(n_series), -winsor, winsor)
        s = np.maximum(0.0, s + x - k)
        hit = s > h
        alarms += int(hit.sum())
        s[hit] = 0.0
    return alarms, n_series * n_days


@lru_cache(maxsize=8)
def _estimated_baseline_z(
    window_days: int, refit_every_days: int, n_series: int, n_days: int, seed: int
) -> FloatArray:
    """Seeded in-control z-scores against a rolling estimated baseline, shape (n_series, days)."""
    rng = np.random.default_rng(seed)
    total = window_days + n_days
    x = rng.standard_normal((n_series, total))
    z = np.empty((n_series, n_days))
    for r in range(window_days, total, refit_every_days):
        window = x[:, r - window_days : r]
        med = np.median(window, axis=1, keepdims=True)
        scale = 1.4826 * np.median(np.abs(window - med), axis=1, keepdims=True)
        stop = min(total, r + refit_every_days)
        z[:, r - window_days : stop - window_days] = (x[:, r:stop] - med) / scale
    z.setflags(write=False)
    return z


@lru_cache(maxsize=1024)
def false_alarm_rate_estimated_baseline(
    k: float,
    h: float,
    winsor: float = 4.0,
    window_days: int = 28,
    refit_every_days: int = 7,
    n_series: int = 4000,
    n_days: int = 400,
    seed: int = 0,
) -> float:
    """False alarms per year of ONE BIOMARKER (both directions) with an estimated baseline.

    Parameters
    ----------
    k, h, winsor : float
        Reference value, threshold and winsorisation bound, in robust SDs.
    window_days, refit_every_days : int
        Baseline window and refit interval of the simulated monitor, in days.
    n_series, n_days : int
        Size of the seeded simulation (series x days after the first baseline).
    seed : int
        Seed of the numpy Generator (common random numbers: the rate is monotone in h).

    Returns
    -------
    float
        Alarms per biomarker-year, counting an alarm as the start of an episode (S > h after S
        had returned to 0), as `CusumDetector` does.
    """
    z = _estimated_baseline_z(window_days, refit_every_days, n_series, n_days, seed)
    upper, lower = cusum_statistics(z, k, winsor)
    alarms = int(track_episodes(upper, h).alarm.sum() + track_episodes(lower, h).alarm.sum())
    return alarms / (n_series * n_days / DAYS_PER_YEAR)


@lru_cache(maxsize=256)
def threshold_for_rate_estimated_baseline(
    k: float,
    rate_per_year: float = 1.0,
    n_biomarkers: int = 1,
    winsor: float = 4.0,
    window_days: int = 28,
    refit_every_days: int = 7,
) -> float:
    """Threshold h for a family-wise budget when z is against an estimated, refitted baseline.

    Bisection (to 0.05 SD) on `false_alarm_rate_estimated_baseline`; each biomarker gets
    ``rate_per_year / n_biomarkers`` (both directions together). Takes a few seconds on first
    call, then cached.

    Returns
    -------
    float
        h in robust SDs, never below the nominal `threshold_for_rate`.
    """
    if rate_per_year <= 0 or n_biomarkers < 1:
        raise ConfigurationError("rate_per_year must be > 0 and n_biomarkers >= 1")
    share = rate_per_year / n_biomarkers
    lo = threshold_for_rate(k, rate_per_year, n_biomarkers, winsor)

    def rate(h: float) -> float:
        return false_alarm_rate_estimated_baseline(
            k, round(h, 4), winsor, window_days, refit_every_days
        )

    if rate(lo) <= share:
        return lo
    hi = lo + 2.0
    while rate(hi) > share:
        lo, hi = hi, hi + 2.0
        if hi > _H_MAX * 2:
            raise ConfigurationError(f"no threshold up to h={hi} reaches {share}/year")
    while hi - lo > 0.05:
        mid = round((lo + hi) / 2.0, 4)
        if rate(mid) > share:
            lo = mid
        else:
            hi = mid
    return round(hi, 4)
