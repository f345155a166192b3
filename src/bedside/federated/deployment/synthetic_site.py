"""A synthetic site for a SuperNode: pooled synthetic-cohort patients (actigraphy episode features,
labels from each patient's own PHQ-9 answers, `bedside.federated.cohort_data`).
"""

from __future__ import annotations

import numpy as np

from bedside.domain import ConfigurationError
from bedside.federated.cohort_data import cohort_clients
from bedside.federated.device_data import DeviceData
from bedside.sensors import CohortConfig

__all__ = ["synthetic_site"]


def synthetic_site(name: str, *, patients: int, days: int, seed: int) -> DeviceData:
    """A site pooling `patients` synthetic patients over `days` days (cohort `seed`).

    Each patient's last 30 % of labelled days are held out (`cohort_clients`); the site's
    training rows are all patients' training rows, likewise its held-out rows.

    Raises
    ------
    ConfigurationError
        No patient of the cohort has enough labelled days.
    """
    clients = cohort_clients(
        CohortConfig(n_patients=patients, n_days=days, seed=seed, extra_modalities=())
    )
    if not clients:
        raise ConfigurationError(
            f"site {name}: none of {patients} synthetic patients over {days} days has "
            "enough labelled days; use more patients or days"
        )
    return DeviceData(
        name,
        np.concatenate([c.X for c in clients]),
        np.concatenate([c.y for c in clients]),
        np.concatenate([c.X_test for c in clients]),
        np.concatenate([c.y_test for c in clients]),
    )
