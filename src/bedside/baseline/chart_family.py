"""The device's family of charts: univariate two-sided CUSUMs plus one episode-signature chart.

Why a family: a depressive episode moves several biomarkers a little at once (sleep duration,
total activity and interdaily stability down). Univariate charts each see one small shift and
each pays for the whole family's false-alarm budget; the signature chart adds up the evidence of
all of them along the expected direction, which is what the likelihood ratio does for a change of
known direction (Healy JD. A note on multivariate CUSUM procedures. Technometrics
1987;29(4):409-412). Changes in one biomarker alone, or against the signature, remain the job of
the univariate charts. The family-wise budget is split by design: `signature_share` of it for the
signature chart, the rest evenly over the univariate biomarkers, and every chart is calibrated on
the patient's own block-bootstrapped baseline (`bedside.baseline.bootstrap_calibration`).

Charts (all on robust z against the baseline in force, winsorised at `winsor`):

* univariate: ``U = max(0, U + x - k)`` and ``L = max(0, L - x - k)``;
* signature: the z of the signature's biomarkers are decorrelated with the shrunk correlation of
  the patient's in-control pool (``w = W clip(z)``), projected on the unit vector ``a / |a|`` with
  ``a = W s`` (``s`` the signed pattern, one SD per biomarker) and fed to a one-sided CUSUM with
  reference ``k_sig = |a| d / 2``, half the Mahalanobis size of a shift of ``d`` =
  `signature_shift_sd` SDs in every pattern biomarker. A missing biomarker counts as 0 (no
  evidence); a day with all of them missing leaves the chart unchanged.
* signature, likelihood-ratio form (``form="likelihood_ratio"``, the device's default since
  2026-11-28): the change-point likelihood ratio of `bedside.baseline.oracle_chart` with the
  model ESTIMATED from the patient's pool: per-biomarker lag-1 ``phi`` (`ar1_lag1`) and the
  innovation covariance ``Q`` (innovation SDs of the pool, correlation shrunk to the identity),
  for a shift ``delta`` of `signature_shift_sd` SDs along the pattern. With innovations
  ``e_t = x_t - phi x_{t-1}`` (clipped at `innovation_clip` innovation SDs, a robust stand-in for
  the Gaussian score under heavy tails), ``S_t = max(a_t, S_{t-1} + b_t)`` with
  ``a_t = delta'Q^-1 e_t - delta'Q^-1 delta / 2`` (the change starts today) and
  ``b_t = r'Q^-1 e_t - r'Q^-1 r / 2``, ``r = (1 - phi) delta`` (it started earlier). Why: for a
  7-day-window measure (phi near 0.8) a step shows mostly in its first day's innovation
  (``delta`` against ``r = 0.2 delta`` after), which a CUSUM on raw z with reference
  ``|a| d / 2`` spreads over days of autocorrelated noise. Missing components are handled
  exactly: each day uses the sub-vector of innovations it has (``Q_OO``); a day without any
  leaves S unchanged. The threshold is calibrated like every chart's (sieve bootstrap).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from bedside.baseline.charts import decorrelate, shrunk_correlation, whitening_matrix
from bedside.baseline.episodes import cusum_statistics
from bedside.domain import ConfigurationError

__all__ = [
    "EPISODE_SIGNATURE",
    "SIGNATURE_FORM",
    "SIGNATURE_FORMS",
    "UNIVARIATE_FORM",
    "Signature",
    "ar1_lag1",
    "check_form",
    "fit_signature",
    "innovation_model",
    "likelihood_ratio_path",
    "prewhiten",
    "signature_projection",
    "signature_statistic",
    "signature_terms",
    "univariate_terms",
]

FloatArray = npt.NDArray[np.float64]

EPISODE_SIGNATURE: dict[str, float] = {
    "sleep.duration_min": -1.0,
    "activity.total_counts": -1.0,
    "circadian.interdaily_stability": -1.0,
}
"""Direction of the episode pattern per biomarker (as the synthetic episodes produce; registry
concern "low" for all three): -1 down, +1 up."""

SIGNATURE_FORMS: tuple[str, ...] = ("cusum", "likelihood_ratio")
"""Forms of the signature chart (module docstring); the univariate charts have the same two."""

SIGNATURE_FORM = "likelihood_ratio"
"""The device's signature form (`DailyTrendMonitor`, `evaluation.DeviceCharts`)."""

UNIVARIATE_FORM = "cusum"
"""The device's univariate form (`calibrate_cusum`'s ``univariate_form``)."""

INNOVATION_CLIP = 2.0
"""Clip of the likelihood-ratio form's innovations, in innovation SDs."""


def check_form(parameter: str, form: str) -> None:
    """Raise `ConfigurationError` naming `parameter` unless `form` is one of `SIGNATURE_FORMS`."""
    if form not in SIGNATURE_FORMS:
        raise ConfigurationError(f"{parameter} must be one of {SIGNATURE_FORMS}, got {form!r}")


@dataclass(frozen=True)
class Signature:
    """A fitted signature chart of one patient.

    Attributes
    ----------
    biomarkers : tuple of str
        The pattern's biomarkers present in the patient's family, in family order.
    index : tuple of int
        Their columns in the family.
    unit_direction : ndarray of float64, shape (P,)
        Unit projection vector applied to ``W clip(z)`` (decorrelated z).
    whitening : ndarray of float64, shape (P, P)
        W, from the patient's in-control pool.
    k : float
        CUSUM reference value, in projected SDs.
    pattern : dict of str to float
        Direction (+1 / -1) of each biomarker in the pattern.
    form : str
        "cusum" or "likelihood_ratio" (module docstring); the fields below serve the latter.
    phi : ndarray of float64, shape (P,)
        Estimated lag-1 coefficient of each biomarker.
    innovation_sd : ndarray of float64, shape (P,)
        Estimated SD of each biomarker's one-step innovation, robust SDs.
    lr_weights : ndarray of float64, shape (2**P, 2, P)
        For each set of observed innovations (bit p = biomarker p observed): the weights of the
        onset term a (row 0) and of the continuation term b (row 1), ``Q_OO^-1 delta_O`` and
        ``Q_OO^-1 r_O`` (0 where not observed).
    lr_offsets : ndarray of float64, shape (2**P, 2)
        The matching ``delta_O'Q_OO^-1 delta_O / 2`` and ``r_O'Q_OO^-1 r_O / 2``, nats.
    innovation_clip : float
        Innovations are clipped at this many innovation SDs.
    """

    biomarkers: tuple[str, ...]
    index: tuple[int, ...]
    unit_direction: FloatArray
    whitening: FloatArray
    k: float
    pattern: dict[str, float]
    form: str = "cusum"
    phi: FloatArray = field(default_factory=lambda: np.zeros(0))
    innovation_sd: FloatArray = field(default_factory=lambda: np.zeros(0))
    lr_weights: FloatArray = field(default_factory=lambda: np.zeros((0, 2, 0)))
    lr_offsets: FloatArray = field(default_factory=lambda: np.zeros((0, 2)))
    innovation_clip: float = INNOVATION_CLIP


def ar1_lag1(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Bias-corrected lag-1 autoregression of each column and its standard error.

    Parameters
    ----------
    x : ndarray of float64, shape (n_days, K)
        Consecutive days, NaN = missing (pairs with a missing day are skipped).

    Returns
    -------
    (ndarray, ndarray), each shape (K,)
        ``phi`` clipped to [0, 0.95] and its standard error ``sqrt((1 - phi^2) / n_pairs)``.
        The least-squares estimate is biased towards 0 by about ``(1 + 3 phi) / n`` in short
        series (Kendall MG. Note on bias in the estimation of autocorrelation. Biometrika
        1954;41:403-404); the correction adds it back.
    """
    x = np.asarray(x, dtype=np.float64)
    xc = x - np.nanmean(x, axis=0, keepdims=True)
    a, b = xc[1:], xc[:-1]
    ok = ~np.isnan(a) & ~np.isnan(b)
    n_pairs = ok.sum(axis=0)
    num = np.where(ok, a * b, 0.0).sum(axis=0)
    den = np.where(ok, b * b, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where((den > 0) & (n_pairs >= 5), num / den, 0.0)
        phi = raw + (1.0 + 3.0 * raw) / np.maximum(n_pairs, 1)
    phi = np.clip(np.where(n_pairs >= 5, phi, 0.0), 0.0, 0.95)
    se = np.sqrt((1.0 - phi**2) / np.maximum(n_pairs, 1))
    return phi, se


def prewhiten(z: FloatArray, phi: FloatArray | float) -> FloatArray:
    """AR(1)-prewhitened z: ``u_t = (z_t - phi z_{t-1}) / sqrt(1 - phi^2)``.

    Why: CUSUMs assume independent days. Biomarkers computed over 7-day windows (interdaily
    stability, relative amplitude) have lag-1 correlations near 0.8, and their raw z drift in
    long runs that a short calibration pool under-represents (measured: 2-7 times the target rate
    on the synthetic AR(1) baseline). The prewhitened series is close to independent with unit
    variance in control, so its thresholds are learnt from few weeks; a sustained shift of ``d``
    SDs appears as ``d / sqrt(1 - phi^2)`` on its first day and ``d sqrt((1 - phi) / (1 + phi))``
    after, which is the information the autocorrelated series actually carries.

    Parameters
    ----------
    z : ndarray of float64, shape (..., n_days)
    phi : float or ndarray broadcastable to z
        Lag-1 coefficient in [0, 1) (per day or per series; the value of day t is used for t).

    Returns
    -------
    ndarray of float64, same shape as z
        ``u_t = z_t`` where ``z_{t-1}`` is missing (and on the first day).
    """
    x = np.asarray(z, dtype=np.float64)
    ph = np.broadcast_to(np.asarray(phi, dtype=np.float64), x.shape)
    prev = np.concatenate([np.full((*x.shape[:-1], 1), np.nan), x[..., :-1]], axis=-1)
    white = (x - ph * prev) / np.sqrt(1.0 - ph**2)
    out: FloatArray = np.where(np.isnan(prev), x, white)
    return out


def fit_signature(
    pool: FloatArray,
    family: Sequence[str],
    pattern: Mapping[str, float],
    *,
    shift_sd: float = 1.0,
    shrinkage: float = 0.3,
    form: str = "cusum",
    winsor: float = 4.0,
    innovation_clip: float = INNOVATION_CLIP,
) -> Signature | None:
    """The signature chart for a patient's pool, or None with fewer than 2 pattern biomarkers.

    Parameters
    ----------
    pool : ndarray of float64, shape (n_days, K)
        In-control robust z of the family (NaN = missing).
    family : sequence of str, length K
    pattern : mapping of str to float
        Biomarker -> direction (sign used).
    shift_sd : float
        Design shift per pattern biomarker, in SDs (sets k).
    shrinkage : float
        Identity weight of the shrunk correlation (see `whitening_matrix`); the
        likelihood-ratio form shrinks its innovations' correlation the same way.
    form : str
        One of `SIGNATURE_FORMS`.
    winsor : float
        z are clipped to this before the innovations are formed, robust SDs.
    innovation_clip : float
        Clip of the likelihood-ratio form's innovations, innovation SDs.
    """
    if shift_sd <= 0:
        raise ConfigurationError("shift_sd must be > 0")
    check_form("signature form", form)
    if innovation_clip <= 0:
        raise ConfigurationError("innovation_clip must be > 0")
    index = tuple(i for i, b in enumerate(family) if b in pattern and pattern[b] != 0)
    if len(index) < 2:
        return None
    names = tuple(family[i] for i in index)
    sub = np.asarray(pool, dtype=np.float64)[:, list(index)]
    w = whitening_matrix(sub, shrinkage)
    signs = np.array([math.copysign(1.0, pattern[b]) for b in names])
    a = w @ signs
    norm = float(np.linalg.norm(a))
    base = Signature(
        biomarkers=names,
        index=index,
        unit_direction=a / norm,
        whitening=w,
        k=norm * shift_sd / 2.0,
        pattern={b: math.copysign(1.0, pattern[b]) for b in names},
    )
    if form == "cusum":
        return base
    return _likelihood_ratio_signature(
        base, sub, signs * shift_sd, shrinkage, winsor, innovation_clip
    )


def innovation_model(pool: FloatArray, winsor: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Lag-1 coefficients, innovation SDs and innovations of each column of a pool.

    Parameters
    ----------
    pool : ndarray of float64, shape (n_days, K)
        In-control robust z (NaN = missing), clipped to `winsor` first.
    winsor : float

    Returns
    -------
    (ndarray, ndarray, ndarray)
        ``phi`` (K,) from `ar1_lag1`; innovation SDs (K,), robust SDs (with fewer than 5
        innovations, or none with spread, the AR(1) value ``sqrt(1 - phi^2)`` of unit z);
        innovations ``x_t - phi x_{t-1}`` of the centred pool, shape (n_days - 1, K).
    """
    x = np.clip(np.asarray(pool, dtype=np.float64), -winsor, winsor)
    phi, _ = ar1_lag1(x)
    fallback = np.sqrt(1.0 - phi**2)
    if x.shape[0] < 2:
        return phi, fallback, np.zeros((0, x.shape[1]))
    seen = ~np.isnan(x)
    centre = np.array(
        [float(x[seen[:, j], j].mean()) if seen[:, j].any() else 0.0 for j in range(x.shape[1])]
    )
    xc = x - centre
    e = xc[1:] - phi * xc[:-1]
    sd = fallback.copy()
    for j in range(x.shape[1]):
        col = e[~np.isnan(e[:, j]), j]
        if col.size >= 5 and float(col.std()) > 0:
            sd[j] = float(col.std())
    return phi, sd, e


def univariate_terms(
    z: FloatArray,
    phi: FloatArray,
    sd: FloatArray,
    shift: float,
    winsor: float,
    innovation_clip: float = INNOVATION_CLIP,
) -> tuple[FloatArray, FloatArray]:
    """Terms ``(a, b)`` of one change-point likelihood-ratio chart per biomarker, (..., K, T).

    The one-biomarker case of the signature's likelihood-ratio form (module docstring), for a
    step of `shift` SDs (signed: > 0 looks for a rise): ``a_t = shift e_t / s^2 - shift^2 /
    (2 s^2)``, ``b_t = r e_t / s^2 - r^2 / (2 s^2)``, ``r = (1 - phi) shift``, ``s`` the
    innovation SD; innovations clipped at `innovation_clip` SDs; NaN where a biomarker has no
    innovation (it or the day before missing).

    Parameters
    ----------
    z : ndarray of float64, shape (..., K, T)
        Robust z, consecutive days.
    phi, sd : ndarray of float64, shape (K,)
        From `innovation_model`.
    """
    x = np.clip(np.asarray(z, dtype=np.float64), -winsor, winsor)
    prev = np.concatenate([np.full((*x.shape[:-1], 1), np.nan), x[..., :-1]], axis=-1)
    s = sd[:, None]
    e = np.clip((x - phi[:, None] * prev) / s, -innovation_clip, innovation_clip) * s
    var = s**2
    r = (1.0 - phi[:, None]) * shift
    a = shift * e / var - shift**2 / (2.0 * var)
    b = r * e / var - r**2 / (2.0 * var)
    return a, b


def _likelihood_ratio_signature(
    base: Signature,
    sub: FloatArray,
    delta: FloatArray,
    shrinkage: float,
    winsor: float,
    innovation_clip: float,
) -> Signature:
    """`base` with the likelihood-ratio form's model estimated from the pool `sub` (n, P)."""
    phi, sd, e = innovation_model(sub, winsor)
    corr = shrunk_correlation(e, shrinkage) if e.shape[0] else np.eye(len(delta))
    q = corr * np.outer(sd, sd)
    r = (1.0 - phi) * delta
    n_p = len(delta)
    weights = np.zeros((2**n_p, 2, n_p))
    offsets = np.zeros((2**n_p, 2))
    for code in range(1, 2**n_p):
        obs = [p for p in range(n_p) if code >> p & 1]
        q_inv = np.linalg.inv(q[np.ix_(obs, obs)])
        for row, vec in ((0, delta), (1, r)):
            w = q_inv @ vec[obs]
            weights[code, row, obs] = w
            offsets[code, row] = 0.5 * float(vec[obs] @ w)
    return replace(
        base,
        form="likelihood_ratio",
        phi=phi,
        innovation_sd=sd,
        lr_weights=weights,
        lr_offsets=offsets,
        innovation_clip=innovation_clip,
    )


def signature_projection(z: FloatArray, sig: Signature, winsor: float) -> FloatArray:
    """Projected decorrelated z, shape (..., n_days), NaN when all pattern biomarkers are missing.

    Parameters
    ----------
    z : ndarray of float64, shape (..., P, n_days)
        Robust z of the signature's biomarkers, in `sig.biomarkers` order.
    """
    wz = decorrelate(np.asarray(z, dtype=np.float64), sig.whitening, winsor)
    out: FloatArray = np.einsum("p,...pt->...t", sig.unit_direction, wz)
    return out


def signature_terms(z: FloatArray, sig: Signature, winsor: float) -> tuple[FloatArray, FloatArray]:
    """Onset and continuation terms ``(a, b)`` of the likelihood-ratio form, each (..., n_days).

    Parameters
    ----------
    z : ndarray of float64, shape (..., P, n_days)
        Robust z of the signature's biomarkers, in `sig.biomarkers` order, consecutive days (the
        first day has no innovation).

    Returns
    -------
    (ndarray, ndarray)
        Nats; NaN on days without any innovation (a biomarker's innovation needs it observed on
        that day and the day before).
    """
    if sig.form != "likelihood_ratio":
        raise ConfigurationError("signature_terms needs a likelihood-ratio signature")
    x = np.clip(np.asarray(z, dtype=np.float64), -winsor, winsor)
    prev = np.concatenate([np.full((*x.shape[:-1], 1), np.nan), x[..., :-1]], axis=-1)
    sd = sig.innovation_sd[:, None]
    e = np.clip((x - sig.phi[:, None] * prev) / sd, -sig.innovation_clip, sig.innovation_clip) * sd
    seen = ~np.isnan(e)
    code = np.zeros(e.shape[:-2] + e.shape[-1:], dtype=np.int64)
    for p in range(e.shape[-2]):
        code |= seen[..., p, :].astype(np.int64) << p
    e0 = np.moveaxis(np.nan_to_num(e, nan=0.0), -2, -1)  # (..., n_days, P)
    w = sig.lr_weights[code]  # (..., n_days, 2, P)
    off = sig.lr_offsets[code]  # (..., n_days, 2)
    a = np.einsum("...p,...p->...", w[..., 0, :], e0) - off[..., 0]
    b = np.einsum("...p,...p->...", w[..., 1, :], e0) - off[..., 1]
    none = code == 0
    return np.where(none, np.nan, a), np.where(none, np.nan, b)


def likelihood_ratio_path(a: FloatArray, b: FloatArray) -> FloatArray:
    """``S_t = max(a_t, S_{t-1} + b_t)`` along the last axis, nats; NaN days leave S unchanged.

    Before the first day with terms S is -inf (no change can have started yet).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.empty(a.shape)
    s = np.full(a.shape[:-1], -np.inf)
    for t in range(a.shape[-1]):
        at = a[..., t]
        seen = ~np.isnan(at)
        s = np.where(seen, np.maximum(np.where(seen, at, 0.0), s + np.nan_to_num(b[..., t])), s)
        out[..., t] = s
    return out


def signature_statistic(z: FloatArray, sig: Signature, winsor: float) -> FloatArray:
    """The signature chart's path, shape (..., n_days), from the family's z (..., K, n_days)."""
    sub = np.asarray(z, dtype=np.float64)[..., list(sig.index), :]
    if sig.form == "likelihood_ratio":
        return likelihood_ratio_path(*signature_terms(sub, sig, winsor))
    up, _ = cusum_statistics(signature_projection(sub, sig, winsor), sig.k, np.inf)
    return up
