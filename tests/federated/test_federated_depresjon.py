"""Centralised vs FedAvg over site clients (subject-level CV) on synthetic participants; the real
Depresjon comparison runs in `make bench` (`bedside fl evaluate --depresjon`)."""

from __future__ import annotations

import numpy as np

from bedside.federated.evaluation import evaluate_sites


def test_sites_of_participants_learn_what_centralised_learns() -> None:
    rng = np.random.default_rng(0)
    n = 60
    y = (np.arange(n) % 2).astype(np.float64)
    raw = rng.normal(size=(n, 6))
    raw[:, 0] += 2.5 * y  # one informative feature
    raw[3, 2] = np.nan  # imputed from the training fold
    central, federated = evaluate_sites(
        raw, y, np.array([f"p{i}" for i in range(n)]), data="toy", sites=4, folds=3, rounds=5
    )
    assert central.auroc.estimate > 0.75
    assert abs(central.auroc.estimate - federated.auroc.estimate) < 0.05
    assert federated.upload_bytes is not None
    assert federated.upload_bytes > 0
