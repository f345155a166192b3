"""The device's Flower ClientApp: trains the global model on the device's own labelled days.

The client receives the global parameters and the round's local-training config, refuses
non-finite parameters, runs `bedside.federated.logistic.train_local` (FedProx when the config's
``proximal_mu`` > 0) and replies with its parameters, its number of labelled days (or 1 when
the config asks for equal weights, as central DP does) and its training loss.

Personalisation: before training, the device fits its personal head (calibration and threshold,
`bedside.federated.personal`) on the received global model and its own days and keeps it in the
ClientApp's ``context.state`` under `PERSONAL_RECORD`; the reply carries only the parameter
vector, the weight and the loss.

Mods: ``secaggplus_mod`` (SecAgg+ client side, outermost) and Flower's ``fixedclipping_mod``
(DP clipping of the update to the config's clipping norm) inside it, so clipping happens before
masking.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from flwr.app import ConfigRecord, Context
from flwr.client import Client, NumPyClient
from flwr.client.mod import fixedclipping_mod, secaggplus_mod
from flwr.clientapp import ClientApp
from flwr.clientapp.typing import Mod
from flwr.common import NDArrays, Scalar

from bedside.domain import ModelError
from bedside.federated.device_data import DeviceData
from bedside.federated.logistic import LocalTraining, log_loss, train_local
from bedside.federated.personal import PersonalHead, fit_personal_head

__all__ = ["PERSONAL_RECORD", "DeviceClient", "make_client_app", "personal_head_of"]

PERSONAL_RECORD = "bedside.personal"


def personal_head_of(context: Context) -> PersonalHead | None:
    """The personal head a device keeps in its ClientApp state, if it has one."""
    rec = context.state.config_records.get(PERSONAL_RECORD)
    if rec is None:
        return None
    values = {}
    for key in ("slope", "offset", "threshold", "n_days"):
        v = rec.get(key)
        if not isinstance(v, int | float):
            raise ModelError(f"device state {PERSONAL_RECORD}: {key} missing or not a number")
        values[key] = float(v)
    return PersonalHead(
        slope=values["slope"],
        offset=values["offset"],
        threshold=values["threshold"],
        n_days=int(values["n_days"]),
    )


class DeviceClient(NumPyClient):
    """Flower NumPyClient over one device's `DeviceData`."""

    def __init__(self, data: DeviceData, context: Context) -> None:
        self.data = data
        self.device_context = context

    def get_parameters(self, config: dict[str, Scalar]) -> NDArrays:
        return [np.zeros(self.data.n_features + 1)]

    def fit(
        self, parameters: NDArrays, config: dict[str, Scalar]
    ) -> tuple[NDArrays, int, dict[str, Scalar]]:
        w = np.asarray(parameters[0], dtype=np.float64).ravel()
        if w.size != self.data.n_features + 1 or not bool(np.all(np.isfinite(w))):
            raise ModelError(
                f"device {self.data.client_id}: received parameters of length {w.size} or not "
                "finite; refusing to train on them"
            )
        head = fit_personal_head(w, self.data.X, self.data.y)
        self.device_context.state.config_records[PERSONAL_RECORD] = ConfigRecord(
            {
                "slope": head.slope,
                "offset": head.offset,
                "threshold": head.threshold,
                "n_days": head.n_days,
            }
        )
        settings = LocalTraining(
            steps=int(config.get("steps", LocalTraining.steps)),
            learning_rate=float(config.get("learning_rate", LocalTraining.learning_rate)),
            l2=float(config.get("l2", LocalTraining.l2)),
            proximal_mu=float(config.get("proximal_mu", 0.0)),
        )
        new = train_local(w, self.data.X, self.data.y, settings)
        weight = 1 if bool(config.get("equal_weights", False)) else int(self.data.y.size)
        return [new], weight, {"loss": log_loss(new, self.data.X, self.data.y)}

    def evaluate(
        self, parameters: NDArrays, config: dict[str, Scalar]
    ) -> tuple[float, int, dict[str, Scalar]]:
        w = np.asarray(parameters[0], dtype=np.float64).ravel()
        X, y = (
            (self.data.X_test, self.data.y_test)
            if self.data.y_test.size
            else (
                self.data.X,
                self.data.y,
            )
        )
        return log_loss(w, X, y), int(y.size), {}


def make_client_app(
    data_of: Callable[[Context], DeviceData], *, secure: bool = False, dp: bool = False
) -> ClientApp:
    """A ClientApp whose device data comes from ``data_of(context)``.

    Parameters
    ----------
    data_of : callable
        Loads the device's data (in deployment from the device's store; in simulation from the
        node config's partition).
    secure : bool
        Add ``secaggplus_mod`` (the server must run `SecAggPlusWorkflow`).
    dp : bool
        Add Flower's ``fixedclipping_mod`` (the server must send a clipping norm).
    """

    def client_fn(context: Context) -> Client:
        return DeviceClient(data_of(context), context).to_client()

    mods: list[Mod] = []
    if secure:
        mods.append(secaggplus_mod)
    if dp:
        mods.append(fixedclipping_mod)
    return ClientApp(client_fn=client_fn, mods=mods)
