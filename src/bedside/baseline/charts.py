"""Control-chart statistics on robust z (vectorised), and their alarm episodes.

Every chart here is a statistic path ``S_t`` with a fixed *reset level* ``r``: an *excursion* is a
maximal run of days with ``S_t > r``; an alarm at threshold ``h > r`` is raised on the first day of
an excursion with ``S_t > h``, and a new alarm needs a new excursion. Because the path does not
depend on ``h``, the alarms of any threshold follow from the excursion maxima alone
(`excursion_maxima`), which makes simulation-based calibration a sort instead of a search.

* One-sided CUSUM (Page 1954), reset 0: ``U_t = max(0, U_{t-1} + x_t - k)`` and
  ``L_t = max(0, L_{t-1} - x_t - k)``, ``x = clip(z, -w, w)`` (`bedside.baseline.episodes`).
* One-sided EWMA reflected at 0 (Crowder SV, Hamilton MD. An EWMA for monitoring a process
  standard deviation. J Qual Technol 1992;24(1):12-21, reflecting barrier), in units of its
  asymptotic SD ``sqrt(lambda / (2 - lambda))``, reset 0.
* MEWMA (Lowry CA, Woodall WH, Champ CW, Rigdon SE. A multivariate exponentially weighted moving
  average control chart. Technometrics 1992;34(1):46-53) on decorrelated z, statistic
  ``T^2 = |E_t|^2 (2 - lambda) / lambda`` (asymptotically chi-square with K degrees of freedom
  in control), reset at K (its in-control mean).
* Directed (signature) CUSUM: a CUSUM of ``a' w_t`` with ``w`` the decorrelated z and ``a`` the
  unit vector of an expected change pattern, the likelihood-ratio CUSUM for a known direction
  (Healy JD. A note on multivariate CUSUM procedures. Technometrics 1987;29(4):409-412).

Missing days (NaN) leave every statistic unchanged.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bedside.baseline.episodes import cusum_statistics
from bedside.domain import ConfigurationError

__all__ = [
    "decorrelate",
    "directed_cusum",
    "ewma_statistics",
    "excursion_maxima",
    "first_alarm",
    "mewma_statistic",
    "shrunk_correlation",
    "whitening_matrix",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def ewma_statistics(
    z: FloatArray, lam: float = 0.2, winsor: float = 4.0
) -> tuple[FloatArray, FloatArray]:
    """Upper and lower one-sided EWMA of winsorised z, reflected at 0, in asymptotic SDs.

    Parameters
    ----------
    z : ndarray of float64, shape (..., n_days)
    lam : float
        Smoothing weight in (0, 1].
    winsor : float
        z is clipped to [-winsor, winsor].

    Returns
    -------
    (ndarray, ndarray)
        Same shape as `z`.
    """
    if not 0 < lam <= 1:
        raise ConfigurationError(f"lam must be in (0, 1], got {lam}")
    x = np.clip(np.asarray(z, dtype=np.float64), -winsor, winsor)
    sd = np.sqrt(lam / (2.0 - lam))
    up = np.zeros_like(x)
    dn = np.zeros_like(x)
    u = np.zeros(x.shape[:-1])
    d = np.zeros(x.shape[:-1])
    for t in range(x.shape[-1]):
        xt = x[..., t]
        seen = ~np.isnan(xt)
        xs = np.where(seen, xt, 0.0)
        u = np.where(seen, np.maximum(0.0, (1 - lam) * u + lam * xs), u)
        d = np.where(seen, np.maximum(0.0, (1 - lam) * d - lam * xs), d)
        up[..., t] = u / sd
        dn[..., t] = d / sd
    return up, dn


def shrunk_correlation(pool: FloatArray, shrinkage: float = 0.3) -> FloatArray:
    """``C = (1 - s) R + s I``: the pool's pairwise-complete correlation R shrunk to the identity.

    Parameters
    ----------
    pool : ndarray of float64, shape (n_days, K)
        In-control values (NaN allowed); a pair needs 5 common days and spread, else r = 0.
    shrinkage : float
        Weight ``s`` of the identity, which keeps C well conditioned when days are few.

    Returns
    -------
    ndarray of float64, shape (K, K)
    """
    x = np.asarray(pool, dtype=np.float64)
    k = x.shape[1]
    r = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            ok = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            if ok.sum() >= 5 and np.std(x[ok, i]) > 0 and np.std(x[ok, j]) > 0:
                r[i, j] = r[j, i] = float(np.corrcoef(x[ok, i], x[ok, j])[0, 1])
    out: FloatArray = (1.0 - shrinkage) * r + shrinkage * np.eye(k)
    return out


def whitening_matrix(pool: FloatArray, shrinkage: float = 0.3) -> FloatArray:
    """Matrix W with ``W C W' = I`` for the shrunk correlation C of the pool's columns.

    Parameters
    ----------
    pool : ndarray of float64, shape (n_days, K)
        In-control robust z (NaN allowed; pairwise complete correlations).
    shrinkage : float
        Weight of the identity in ``C = (1 - s) R + s I`` (R the sample correlation), which keeps
        C well conditioned when days are few.

    Returns
    -------
    ndarray of float64, shape (K, K)
    """
    c = shrunk_correlation(pool, shrinkage)
    vals, vecs = np.linalg.eigh(c)
    inv_sqrt: FloatArray = vecs @ np.diag(1.0 / np.sqrt(np.maximum(vals, 1e-6))) @ vecs.T
    return inv_sqrt


def decorrelate(z: FloatArray, w: FloatArray, winsor: float = 4.0) -> FloatArray:
    """``W clip(z)`` along the biomarker axis; missing components count as 0 (no evidence).

    Parameters
    ----------
    z : ndarray of float64, shape (..., K, n_days)
    w : ndarray of float64, shape (K, K)

    Returns
    -------
    ndarray of float64, shape (..., K, n_days)
        NaN on days where every biomarker is missing.
    """
    x = np.clip(np.asarray(z, dtype=np.float64), -winsor, winsor)
    all_missing = np.isnan(x).all(axis=-2, keepdims=True)
    out = np.einsum("ij,...jt->...it", w, np.nan_to_num(x, nan=0.0))
    return np.where(all_missing, np.nan, out)


def mewma_statistic(wz: FloatArray, lam: float = 0.1) -> FloatArray:
    """MEWMA ``T^2`` of decorrelated z (shape (..., K, n_days)) -> shape (..., n_days)."""
    if not 0 < lam <= 1:
        raise ConfigurationError(f"lam must be in (0, 1], got {lam}")
    x = np.asarray(wz, dtype=np.float64)
    e = np.zeros(x.shape[:-1])
    out = np.zeros((*x.shape[:-2], x.shape[-1]))
    factor = (2.0 - lam) / lam
    for t in range(x.shape[-1]):
        xt = x[..., t]
        seen = ~np.isnan(xt).all(axis=-1, keepdims=True)
        e = np.where(seen, (1 - lam) * e + lam * np.nan_to_num(xt, nan=0.0), e)
        out[..., t] = factor * (e * e).sum(axis=-1)
    return out


def directed_cusum(wz: FloatArray, direction: FloatArray, k: float) -> FloatArray:
    """One-sided CUSUM of the projection of decorrelated z on a unit direction.

    Parameters
    ----------
    wz : ndarray of float64, shape (..., K, n_days)
        Decorrelated z.
    direction : ndarray of float64, shape (K,)
        Expected change pattern in decorrelated units (normalised here).
    k : float
        Reference value, half the pattern's expected Mahalanobis size, in SDs.

    Returns
    -------
    ndarray of float64, shape (..., n_days)
    """
    a = np.asarray(direction, dtype=np.float64)
    norm = float(np.linalg.norm(a))
    if norm == 0:
        raise ConfigurationError("direction must not be zero")
    proj = np.einsum("k,...kt->...t", a / norm, np.asarray(wz, dtype=np.float64))
    up, _ = cusum_statistics(proj, k, np.inf)
    return up


def excursion_maxima(stat: FloatArray, reset: float = 0.0) -> tuple[IntArray, FloatArray]:
    """Maximum of every excursion above `reset` of every chart.

    Parameters
    ----------
    stat : ndarray of float64, shape (n_charts, n_days)
    reset : float

    Returns
    -------
    (ndarray of int64, ndarray of float64)
        Chart index and maximum of each excursion (an excursion still open at the end counts).
        At threshold h a chart alarms once per excursion whose maximum exceeds h.
    """
    s = np.asarray(stat, dtype=np.float64)
    run = np.zeros(s.shape[0])
    charts: list[IntArray] = []
    maxima: list[FloatArray] = []
    for t in range(s.shape[1]):
        above = s[:, t] > reset
        ended = (run > reset) & ~above
        if ended.any():
            idx = np.flatnonzero(ended)
            charts.append(idx.astype(np.int64))
            maxima.append(run[idx])
        run = np.where(above, np.maximum(run, s[:, t]), reset)
    idx = np.flatnonzero(run > reset)
    charts.append(idx.astype(np.int64))
    maxima.append(run[idx])
    return np.concatenate(charts), np.concatenate(maxima)


def first_alarm(stat: FloatArray, h: FloatArray | float, start: int = 0) -> IntArray:
    """First day >= `start` with ``stat > h`` along the last axis; -1 when none.

    Parameters
    ----------
    stat : ndarray of float64, shape (..., n_days)
    h : float or ndarray broadcastable to stat's leading shape
    start : int
    """
    s = np.asarray(stat, dtype=np.float64)[..., start:]
    hit = s > np.asarray(h, dtype=np.float64)[..., None]
    any_hit = hit.any(axis=-1)
    return np.where(any_hit, hit.argmax(axis=-1) + start, -1).astype(np.int64)
