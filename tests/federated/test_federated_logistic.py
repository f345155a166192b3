"""The numpy logistic model: local training, FedProx pull, centralised fit, personal head."""

from __future__ import annotations

import numpy as np
import pytest

from bedside.domain import ConfigurationError, InsufficientDataError
from bedside.federated.logistic import (
    LocalTraining,
    fit_centralised,
    initial_parameters,
    log_loss,
    train_local,
)
from bedside.federated.personal import fit_personal_head


def _data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ [2.0, -1.0, 0.0] - 0.5)))).astype(np.float64)
    return X, y


def test_local_training_lowers_the_loss_and_approaches_the_centralised_fit() -> None:
    X, y = _data()
    w0 = initial_parameters(3)
    w = train_local(w0, X, y, LocalTraining(steps=200, learning_rate=1.0))
    assert log_loss(w, X, y) < log_loss(w0, X, y)
    wc = fit_centralised(X, y)
    assert np.allclose(w, wc, atol=0.05)


def test_fedprox_term_keeps_parameters_near_the_global_model() -> None:
    X, y = _data()
    g = np.array([0.0, 0.0, 0.0, 0.0])
    free = train_local(g, X, y, LocalTraining(steps=50, learning_rate=0.5))
    held = train_local(g, X, y, LocalTraining(steps=50, learning_rate=0.5, proximal_mu=1.0))
    assert np.linalg.norm(held - g) < np.linalg.norm(free - g)


def test_errors() -> None:
    X, y = _data(10)
    with pytest.raises(ConfigurationError, match="do not fit"):
        train_local(np.zeros(3), X, y, LocalTraining())
    with pytest.raises(InsufficientDataError):
        train_local(np.zeros(4), X[:0], y[:0], LocalTraining())
    with pytest.raises(InsufficientDataError):
        fit_centralised(X, np.zeros(10))
    with pytest.raises(ConfigurationError):
        LocalTraining(steps=0)


def test_personal_head_shrinks_to_global_without_evidence_and_recalibrates_with_it() -> None:
    X, y = _data(400)
    w = fit_centralised(X, y)
    none = fit_personal_head(w, X[:0], y[:0], global_threshold=0.4)
    assert (none.slope, none.offset, none.threshold) == (1.0, 0.0, 0.4)
    # A device whose outcomes are rarer than the global model thinks: the offset goes down.
    rare = y.copy()
    rare[np.flatnonzero(rare == 1)[::2]] = 0.0
    head = fit_personal_head(w, X, rare)
    assert head.offset < -0.2
    assert 0.0 < head.threshold < 1.0
    assert head.n_days == 400
    # With a huge prior it stays at the global model.
    stiff = fit_personal_head(w, X, rare, prior_strength=1e9)
    assert stiff.slope == pytest.approx(1.0, abs=1e-4)
    assert stiff.offset == pytest.approx(0.0, abs=1e-4)


def test_whitening_decorrelates_and_folds_back_onto_raw_features() -> None:
    from bedside.federated.whitening import Whitening

    rng = np.random.default_rng(3)
    base = rng.normal(size=(500, 2))
    X = np.column_stack([base[:, 0], base[:, 0] + 0.1 * base[:, 1], rng.normal(size=500)])
    wh = Whitening.fit(X)
    Z = wh.apply(X)
    assert np.allclose(np.cov(Z, rowvar=False), np.eye(3), atol=1e-3)
    w = np.array([0.3, -1.2, 0.5, -0.7])
    raw = wh.fold_into(w)
    from bedside.federated.logistic import predict_logit

    assert np.allclose(predict_logit(raw, X), predict_logit(w, Z))
    with pytest.raises(InsufficientDataError):
        Whitening.fit(X[:3])
