"""What one federated client (a patient's device, or a site) holds: its labelled feature rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.domain import ConfigurationError

__all__ = ["DeviceData"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DeviceData:
    """Labelled rows of one client, split in time into training and held-out rows.

    Attributes
    ----------
    client_id : str
        Patient (or site) identifier; stays on the device.
    X, y : ndarray, shapes (n, n_features) and (n,)
        Training rows (features of `bedside.models.features`) and 0/1 labels.
    X_test, y_test : ndarray, shapes (m, n_features) and (m,)
        Later rows held out for evaluation (may be empty).
    """

    client_id: str
    X: FloatArray
    y: FloatArray
    X_test: FloatArray
    y_test: FloatArray

    def __post_init__(self) -> None:
        for X, y, what in ((self.X, self.y, "training"), (self.X_test, self.y_test, "test")):
            if X.ndim != 2 or y.shape != (X.shape[0],):
                raise ConfigurationError(
                    f"client {self.client_id}: {what} rows {X.shape} and labels {y.shape} differ"
                )
            if not bool(np.all(np.isfinite(X))) or not bool(np.all((y == 0) | (y == 1))):
                raise ConfigurationError(
                    f"client {self.client_id}: {what} features must be finite, labels 0/1"
                )
        if self.X.shape[1] != self.X_test.shape[1]:
            raise ConfigurationError(f"client {self.client_id}: train/test feature counts differ")

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])
