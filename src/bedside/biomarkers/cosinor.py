"""Single-component 24-h cosinor over a rolling window, by ordinary least squares.

Model (Cornelissen G. Cosinor-based rhythmometry. Theor Biol Med Model 2014;11:16):
``y(t) = M + beta cos(omega t) + gamma sin(omega t)`` with ``omega = 2 pi / 1440 min`` and
``t`` the local wall-clock minute of day, fitted to the valid minute counts of the window. Then
mesor = ``M``, amplitude = ``sqrt(beta^2 + gamma^2)`` and the acrophase, reported as the local
clock time of the fitted peak, ``atan2(gamma, beta) / omega`` in minutes after midnight (0..1439;
Cornelissen's angle ``phi = -atan2(gamma, beta)`` expressed as a clock time).

The fit uses the normal equations accumulated per local day, so a rolling window costs a few
array operations per day whatever its length.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from bedside.biomarkers.epochs import MinuteGrid, day_lengths_min

__all__ = ["COSINOR_IDS", "rolling_cosinor"]

FloatArray = npt.NDArray[np.float64]

COSINOR_IDS = (
    "circadian.cosinor_mesor",
    "circadian.cosinor_amplitude",
    "circadian.cosinor_acrophase_min",
)

_OMEGA = 2.0 * np.pi / 1440.0


def rolling_cosinor(
    grid: MinuteGrid, *, window_days: int = 7, min_coverage: float = 0.8
) -> dict[str, FloatArray]:
    """Cosinor mesor, amplitude and acrophase over the `window_days` days ending on each day.

    Parameters
    ----------
    grid : MinuteGrid
        Minute activity counts on the local calendar.
    window_days : int
        Days of the window (all must lie within the grid).
    min_coverage : float
        Minimum share of the window's minutes with a valid count; otherwise NaN.

    Returns
    -------
    dict of str to ndarray of float64, shape (grid.n_days,)
        ``circadian.cosinor_mesor`` and ``circadian.cosinor_amplitude`` in counts/min,
        ``circadian.cosinor_acrophase_min`` in minutes after local midnight.
    """
    out = {k: np.full(grid.n_days, np.nan) for k in COSINOR_IDS}
    if grid.n_days < window_days:
        return out
    ok = grid.valid
    day = grid.day_index[ok]
    y = grid.counts[ok]
    angle = _OMEGA * grid.wall_min[ok].astype(np.float64)
    c, s = np.cos(angle), np.sin(angle)
    terms = (np.ones_like(y), c, s, c * c, s * s, c * s, y, y * c, y * s)
    sums = np.stack([np.bincount(day, weights=w, minlength=grid.n_days) for w in terms])
    # Each window adds its own days' sums (not differences of a running total), so a day's
    # value does not depend on where the grid starts: chunked extraction gives the same bits.
    w = sliding_window_view(sums, window_days, axis=1).sum(axis=-1)  # (9, n_windows)
    lengths = day_lengths_min(grid.first_day, grid.n_days, grid.zone)
    window_len = sliding_window_view(lengths, window_days).sum(axis=-1)
    enough = w[0] >= min_coverage * window_len
    n, sc, ss, scc, sss, scs, sy, syc, sys_ = w
    xtx = np.stack(
        [
            np.stack([n, sc, ss], axis=-1),
            np.stack([sc, scc, scs], axis=-1),
            np.stack([ss, scs, sss], axis=-1),
        ],
        axis=-2,
    )
    xty = np.stack([sy, syc, sys_], axis=-1)
    # A window without enough data gets an identity system; its result is discarded below.
    xtx[~enough] = np.eye(3)
    xty[~enough] = 0.0
    coef = np.linalg.solve(xtx, xty[..., None])[..., 0]
    mesor, beta, gamma = coef[:, 0], coef[:, 1], coef[:, 2]
    amplitude = np.hypot(beta, gamma)
    acrophase = np.mod(np.arctan2(gamma, beta) / _OMEGA, 1440.0)
    rows = np.arange(window_days - 1, grid.n_days)[enough]
    out["circadian.cosinor_mesor"][rows] = mesor[enough]
    out["circadian.cosinor_amplitude"][rows] = amplitude[enough]
    out["circadian.cosinor_acrophase_min"][rows] = acrophase[enough]
    return out
