"""Depresjon participants as federated clients for `bedside fl simulate --depresjon`.

Every Depresjon participant has a single label (condition or control), so one participant cannot
be a client that trains a classifier; as in `bedside.federated.evaluation.evaluate_sites`, the
participants are dealt (stratified by class, seeded) into `sites` site clients. A stratified
`test_fraction` of the participants is held out: a site's held-out participants are its
``X_test`` rows, so the per-round pooled AUROC is over held-out participants (subject level).
Features: `participant_features` (one row per participant); missing values are imputed with the
training participants' medians and every feature is standardised with the training
participants' mean and SD, pooled over sites (a simplification a real deployment would replace
with secure sums; noted in the architecture doc).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from bedside.domain import ConfigurationError
from bedside.federated.device_data import DeviceData
from bedside.federated.logistic import LocalTraining
from bedside.federated.strategy import ServerStep

__all__ = ["SITE_LOCAL_TRAINING", "SITE_SERVER_STEP", "depresjon_site_clients", "site_clients"]

FloatArray = npt.NDArray[np.float64]

SITE_LOCAL_TRAINING = LocalTraining(steps=50, learning_rate=0.5, l2=0.1)
"""Local training of a site (many participants' rows): what `evaluate_sites` uses."""

SITE_SERVER_STEP = ServerStep()
"""Plain FedAvg server step over a few sites, as in `evaluate_sites`."""


def site_clients(
    raw: FloatArray,
    y: FloatArray,
    ids: npt.NDArray[np.str_],
    *,
    sites: int = 5,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> list[DeviceData]:
    """Deal participants (one row each) into `sites` clients with held-out participants.

    Parameters
    ----------
    raw : ndarray, shape (n_participants, n_features)
        Participant features (NaN allowed).
    y : ndarray of 0/1, shape (n_participants,)
    ids : ndarray of str
        Participant ids (only to name errors).
    """
    if raw.shape[0] != y.size or ids.size != y.size:
        raise ConfigurationError(
            f"{raw.shape[0]} feature rows, {y.size} labels and {ids.size} ids differ"
        )
    if not 0.0 < test_fraction < 1.0:
        raise ConfigurationError(f"test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    site = np.empty(y.size, dtype=np.intp)
    test = np.zeros(y.size, dtype=bool)
    for cls in (0.0, 1.0):
        idx = rng.permutation(np.flatnonzero(y == cls))
        if idx.size < 2 * sites:
            raise ConfigurationError(
                f"class {cls:g} has {idx.size} participants; {sites} sites need at least "
                f"{2 * sites} (one training and one held-out participant per site)"
            )
        site[idx] = np.arange(idx.size) % sites
        test[idx[: max(sites, round(test_fraction * idx.size))]] = True
    from bedside.models.depresjon_classifier import imputation_values, impute

    fill = imputation_values(raw[~test])
    X = impute(raw, fill)
    mean, sd = X[~test].mean(axis=0), X[~test].std(axis=0)
    X = (X - mean) / np.where(sd > 0, sd, 1.0)
    return [
        DeviceData(
            f"site-{s}",
            X[(site == s) & ~test],
            y[(site == s) & ~test],
            X[(site == s) & test],
            y[(site == s) & test],
        )
        for s in range(sites)
    ]


def depresjon_site_clients(
    root: Path, *, sites: int = 5, test_fraction: float = 0.2, seed: int = 0
) -> list[DeviceData]:
    """`site_clients` over the Depresjon folder `root` (``condition/``, ``control/``)."""
    from bedside.models.depresjon_features import (
        ActigraphyRecording,
        list_labelled_recordings,
        participant_features,
    )
    from bedside.sensors import read_depresjon

    recs = list_labelled_recordings(root)
    raw = np.vstack(
        [
            participant_features(ActigraphyRecording.from_frame(read_depresjon(p)))
            for _, _, p in recs
        ]
    )
    y = np.array([label for _, label, _ in recs], dtype=np.float64)
    ids = np.array([pid for pid, _, _ in recs])
    return site_clients(raw, y, ids, sites=sites, test_fraction=test_fraction, seed=seed)
