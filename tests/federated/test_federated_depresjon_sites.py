"""Depresjon-style participants dealt into site clients for `bedside fl simulate --depresjon`."""

from __future__ import annotations

import numpy as np
import pytest

from bedside.domain import ConfigurationError
from bedside.federated.depresjon_sites import (
    SITE_LOCAL_TRAINING,
    SITE_SERVER_STEP,
    site_clients,
)
from bedside.federated.logistic import fit_centralised
from bedside.federated.simulation import RunSpec, pooled_auroc, simulate


def _participants(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.float64)
    raw = rng.normal(size=(n, 5)) * 3.0 + 10.0
    raw[:, 0] += 4.0 * y
    raw[2, 3] = np.nan
    return raw, y, np.array([f"p{i}" for i in range(n)])


def test_sites_hold_both_classes_and_held_out_participants() -> None:
    raw, y, ids = _participants()
    clients = site_clients(raw, y, ids, sites=4, test_fraction=0.25, seed=1)
    assert len(clients) == 4
    assert sum(c.y.size + c.y_test.size for c in clients) == 40
    for c in clients:
        assert set(np.unique(c.y)) == {0.0, 1.0}
        assert set(np.unique(c.y_test)) == {0.0, 1.0}
    # Standardised with the training participants only: their pooled mean is 0, SD 1.
    X = np.vstack([c.X for c in clients])
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1.0, atol=1e-12)


def test_too_few_participants_per_class_is_refused() -> None:
    raw, y, ids = _participants(n=12)
    with pytest.raises(ConfigurationError, match="class 0 has 6 participants; 5 sites"):
        site_clients(raw, y, ids, sites=5)


def test_federated_sites_learn_what_centralised_learns_on_the_same_split() -> None:
    raw, y, ids = _participants(n=60)
    clients = site_clients(raw, y, ids, sites=3, seed=2)
    spec = RunSpec(rounds=5, local=SITE_LOCAL_TRAINING, server=SITE_SERVER_STEP)
    run = simulate(clients, spec, engine="local")
    central = fit_centralised(
        np.vstack([c.X for c in clients]), np.concatenate([c.y for c in clients]), l2=0.1
    )
    assert run.records[-1].metrics["auroc"] > 0.7
    assert abs(run.records[-1].metrics["auroc"] - pooled_auroc(central, clients)) < 0.05
