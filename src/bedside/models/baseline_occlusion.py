"""Model-agnostic contributions: how far each biomarker's deviation from baseline moved the risk.

For a model whose features are deviations from the patient's own baseline (robust z means, where 0
means "at baseline"), the contribution of biomarker ``b`` on a day is

    logit(p(x)) - logit(p(x with b's features set to 0))

in log-odds: the change in risk had that biomarker stayed at the patient's baseline, everything else
unchanged. For a linear model this equals ``coef . x_b`` up to the calibration's slope; for trees it
is the exact effect of that single counterfactual (contributions need not add up to the total, as
for any occlusion method; Zeiler and Fergus 2014). Runs with onnxruntime only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["occlusion_contributions"]

FloatArray = npt.NDArray[np.float64]

_EPS = 1e-6


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, _EPS, 1.0 - _EPS)
    out: FloatArray = np.log(q / (1.0 - q))
    return out


def occlusion_contributions(
    predict_proba: Callable[[FloatArray], FloatArray],
    X: FloatArray,
    groups: Sequence[Sequence[int]],
) -> FloatArray:
    """Log-odds contribution of each group of feature columns, shape (n_rows, n_groups).

    Parameters
    ----------
    predict_proba : callable
        Maps an (n, n_features) matrix to probabilities of class 1, shape (n,).
    X : ndarray of float64, shape (n, n_features)
        Features whose baseline value is 0 in the occluded columns.
    groups : sequence of sequences of int
        Column indices of each biomarker.
    """
    n = X.shape[0]
    if n == 0 or not groups:
        return np.zeros((n, len(groups)))
    stacked = [X]
    for cols in groups:
        Z = X.copy()
        Z[:, list(cols)] = 0.0
        stacked.append(Z)
    prob = predict_proba(np.vstack(stacked)).reshape(len(groups) + 1, n)
    full = _logit(prob[0])
    out: FloatArray = (full[None, :] - _logit(prob[1:])).T
    return out
