"""Shared fixtures of the federated tests: small logistic clients with a known true model."""

from __future__ import annotations

import numpy as np

from bedside.federated.device_data import DeviceData

D = 4
"""Features per client row."""

W_TRUE = np.array([1.5, -1.0, 0.5, 0.0, -0.5])
"""The logistic model the clients' labels are drawn from (D coefficients, then the intercept)."""


def make_clients(n: int, seed: int = 0, rows: int = 40) -> list[DeviceData]:
    """`n` clients of `rows` rows each, the last quarter of each held out."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        X = rng.normal(size=(rows, D))
        p = 1 / (1 + np.exp(-(X @ W_TRUE[:-1] + W_TRUE[-1])))
        y = (rng.random(rows) < p).astype(np.float64)
        cut = rows * 3 // 4
        out.append(DeviceData(f"c{i}", X[:cut], y[:cut], X[cut:], y[cut:]))
    return out
