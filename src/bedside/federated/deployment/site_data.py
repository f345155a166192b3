"""A site's training data on disk: the labelled episode-feature rows its SuperNode trains on.

In a deployment each SuperNode is a site (a clinic, or one patient's device) whose ClientApp
reads its own rows from a file named in the SuperNode's ``--node-config data-file=...``; the rows
never leave the site. The file is a plain ``.npz`` (no pickles) with the arrays of
`bedside.federated.device_data.DeviceData`: ``X``, ``y`` (training rows and 0/1 labels),
``X_test``, ``y_test`` (later rows held out) and ``site`` (the site's name).

This module imports only numpy: every ClientApp process of a SuperNode loads it
(`bedside.federated.deployment.synthetic_site` makes synthetic sites).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bedside.domain import InputFormatError
from bedside.federated.device_data import DeviceData

__all__ = ["load_site_data", "save_site_data"]

_FIELDS = ("X", "y", "X_test", "y_test", "site")


def save_site_data(path: Path, data: DeviceData) -> Path:
    """Write `data` to `path` (``.npz``; parent directories created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez(
            fh,
            X=data.X,
            y=data.y,
            X_test=data.X_test,
            y_test=data.y_test,
            site=np.array(data.client_id),
        )
    return path


def load_site_data(path: Path) -> DeviceData:
    """Read a site file written by `save_site_data`.

    Raises
    ------
    InputFormatError
        The file is missing, not an ``.npz`` archive, or lacks one of the arrays (named).
    ConfigurationError
        The arrays do not form valid `DeviceData` (shapes, non-finite features, labels not 0/1).
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [f for f in _FIELDS if f not in z.files]
            if missing:
                raise InputFormatError(str(path), f"site data lacks the arrays {missing}")
            arrays = {f: z[f] for f in _FIELDS}
    except (OSError, ValueError) as err:
        raise InputFormatError(str(path), f"cannot read site data ({err})") from err
    return DeviceData(
        str(arrays["site"]),
        np.asarray(arrays["X"], dtype=np.float64),
        np.asarray(arrays["y"], dtype=np.float64),
        np.asarray(arrays["X_test"], dtype=np.float64),
        np.asarray(arrays["y_test"], dtype=np.float64),
    )
