"""Run a federated training over `DeviceData` clients: ServerApp + ClientApps in one process.

`simulate` wires `BedsideStrategy`, `make_server_app` and one `make_client_app` per client
through `bedside.federated.local_grid` (see there why not Flower's Ray-based Simulation Engine)
and reports per round: the pooled AUROC of all clients' held-out days (a research metric: only
a simulation has everyone's held-out labels), the epsilon spent, the bytes each client uploaded
and downloaded, and the time.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from flwr.app import Context, Message

from bedside.domain import ConfigurationError
from bedside.federated.accountant import PrivacyBudget, noise_for_budget
from bedside.federated.client_app import make_client_app
from bedside.federated.device_data import DeviceData
from bedside.federated.local_grid import DropoutPolicy, Traffic, run_local
from bedside.federated.logistic import LocalTraining, initial_parameters, predict_logit
from bedside.federated.robust import Aggregator
from bedside.federated.server_app import SecAggSettings, make_server_app
from bedside.federated.strategy import BedsideStrategy, DpSettings, RoundRecord
from bedside.models.metrics_ci import auroc

__all__ = ["FIRST_NODE_ID", "FederatedRun", "RunSpec", "pooled_auroc", "simulate"]

FloatArray = npt.NDArray[np.float64]

FIRST_NODE_ID = 1000
"""Node ids are FIRST_NODE_ID + client index (Flower reserves small ids)."""


@dataclass(frozen=True)
class RunSpec:
    """One federated configuration.

    Attributes
    ----------
    rounds : int
    aggregator : {"mean", "median", "trimmed_mean"}
    proximal_mu : float
        FedProx weight (0: FedAvg).
    secagg : SecAggSettings or None
    epsilon : float or None
        DP budget (delta `delta`); the noise multiplier is the smallest that fits `rounds`.
    delta : float
    clipping_norm : float
        DP clipping of each update (parameter units).
    local : LocalTraining
    fraction_fit : float
    max_update_norm : float
    seed : int
        Seed of the server's DP noise.
    """

    rounds: int = 5
    aggregator: Aggregator = "mean"
    proximal_mu: float = 0.0
    secagg: SecAggSettings | None = None
    epsilon: float | None = None
    delta: float = 1e-5
    clipping_norm: float = 1.0
    local: LocalTraining = field(default_factory=LocalTraining)
    fraction_fit: float = 1.0
    max_update_norm: float = 10.0
    seed: int = 0

    def name(self) -> str:
        """Short label such as ``FedAvg+SecAgg+DP(eps=4)``."""
        base = {"mean": "FedProx" if self.proximal_mu else "FedAvg", "median": "FedMedian"}.get(
            self.aggregator, "TrimmedMean"
        )
        if self.secagg is not None:
            base += "+SecAgg+"
        if self.epsilon is not None:
            base += f"+DP(eps={self.epsilon:g})"
        return base


@dataclass
class FederatedRun:
    """Result of `simulate`."""

    spec: RunSpec
    parameters: FloatArray
    records: list[RoundRecord]
    traffic: Traffic
    noise_multiplier: float | None
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float

    def upload_bytes(self, round_: int) -> tuple[float, int]:
        """Mean and max bytes a client uploaded in round `round_`."""
        up = self.traffic.up_per_client(str(round_))
        return (float(np.mean(up)) if up else 0.0, max(up) if up else 0)

    def download_bytes(self, round_: int) -> float:
        """Mean bytes a client downloaded in round `round_`."""
        down = [b for (r, _), b in self.traffic.down.items() if r == str(round_)]
        return float(np.mean(down)) if down else 0.0


def pooled_auroc(w: FloatArray, clients: Sequence[DeviceData]) -> float:
    """AUROC of the global model over every client's held-out days pooled."""
    X = np.concatenate([c.X_test for c in clients])
    y = np.concatenate([c.y_test for c in clients])
    return auroc(y, predict_logit(w, X))


def simulate(
    clients: Sequence[DeviceData],
    spec: RunSpec,
    *,
    dropout: DropoutPolicy | None = None,
    evaluate: bool = True,
    quiet: bool = True,
) -> FederatedRun:
    """Train `spec` over `clients` (module docstring).

    Raises
    ------
    PrivacyBudgetExceededError
        The planned rounds would exceed the DP budget.
    """
    if len(clients) < 3:
        raise ConfigurationError(f"need at least 3 clients, got {len(clients)}")
    n_features = clients[0].n_features
    dp = None
    sigma = None
    if spec.epsilon is not None:
        budget = PrivacyBudget(spec.epsilon, spec.delta)
        sample_rate = 1.0 if spec.fraction_fit >= 1.0 else spec.fraction_fit
        sigma = noise_for_budget(budget, spec.rounds, sample_rate)
        dp = DpSettings(spec.clipping_norm, sigma, budget)
    local = LocalTraining(
        steps=spec.local.steps,
        learning_rate=spec.local.learning_rate,
        l2=spec.local.l2,
        proximal_mu=spec.proximal_mu,
    )
    holder: list[BedsideStrategy] = []

    def strategy_of(_: Context) -> BedsideStrategy:
        s = BedsideStrategy(
            initial_parameters(n_features),
            aggregator=spec.aggregator,
            local=local,
            secure=spec.secagg is not None,
            max_update_norm=spec.max_update_norm,
            dp=dp,
            total_clients=len(clients),
            fraction_fit=spec.fraction_fit,
            min_clients=min(3, len(clients)),
            evaluate=(lambda r, w: {"auroc": pooled_auroc(w, clients)}) if evaluate else None,
        )
        s.rng = np.random.default_rng(spec.seed)
        holder.append(s)
        return s

    by_node = {FIRST_NODE_ID + i: c for i, c in enumerate(clients)}

    def data_of(context: Context) -> DeviceData:
        return by_node[context.node_id]

    app = make_client_app(data_of, secure=spec.secagg is not None, dp=dp is not None)
    server = make_server_app(strategy_of, num_rounds=spec.rounds, secagg=spec.secagg)
    flwr_logger = logging.getLogger("flwr")
    level = flwr_logger.level
    if quiet:
        flwr_logger.setLevel(logging.ERROR)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        grid = run_local(server, dict.fromkeys(by_node, app), dropout=dropout)
    finally:
        flwr_logger.setLevel(level)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    strategy = holder[0]
    return FederatedRun(
        spec=spec,
        parameters=strategy.current,
        records=strategy.records,
        traffic=grid.traffic,
        noise_multiplier=sigma,
        wall_seconds=wall,
        cpu_seconds=cpu,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    )


def drop_at_stage(nodes: set[int], stage: str, rounds: set[str]) -> DropoutPolicy:
    """A dropout policy: `nodes` do not answer SecAgg+ stage `stage` in `rounds`."""

    def policy(node: int, msg: Message) -> bool:
        cfg = msg.content.config_records.get("secaggplus_configs")
        return (
            node in nodes
            and msg.metadata.group_id in rounds
            and cfg is not None
            and cfg.get("stage") == stage
        )

    return policy
