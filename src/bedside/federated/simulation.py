"""Run a federated training over `DeviceData` clients: the ServerApp and one ClientApp each.

`simulate` wires `BedsideStrategy`, `make_server_app` and `make_client_app` on one of two engines:

- ``engine="ray"``: Flower's Simulation Engine (`bedside.federated.ray_engine`): ClientApps in
  Ray actors on 2 CPUs, the ServerApp in this process behind a `MeteredGrid` that counts bytes;
- ``engine="local"``: `bedside.federated.local_grid`, the same apps called sequentially in this
  process (no Ray start-up: what the tests, `bedside fl evaluate` and the 1,000-client bench use).

Both report per round the pooled AUROC of all clients' held-out days (a research metric: only a
simulation has everyone's held-out labels; computed by the strategy in this process), the
epsilon the strategy's accountant has spent, the bytes each client uploaded and downloaded
(serialised RecordDict), and the time. Client ``i`` is the node whose ``partition-id`` is ``i``.
"""

from __future__ import annotations

import logging
import resource
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
from flwr.app import Context, Message
from flwr.serverapp import Grid, ServerApp

from bedside.domain import ConfigurationError
from bedside.federated.accountant import PrivacyBudget, noise_for_budget
from bedside.federated.client_app import make_client_app
from bedside.federated.device_data import DeviceData
from bedside.federated.local_grid import DropoutPolicy, Traffic, run_local
from bedside.federated.logistic import LocalTraining, initial_parameters, predict_logit
from bedside.federated.metered_grid import MeteredGrid

if TYPE_CHECKING:
    from bedside.federated.ray_engine import RayUsage
from bedside.federated.robust import Aggregator
from bedside.federated.server_app import SecAggSettings, make_server_app
from bedside.federated.strategy import (
    DEFAULT_SERVER_STEP,
    BedsideStrategy,
    DpSettings,
    RoundRecord,
    ServerStep,
)
from bedside.models.metrics_ci import auroc

__all__ = [
    "FIRST_NODE_ID",
    "DropoutPlan",
    "Engine",
    "FederatedRun",
    "RunSpec",
    "drop_at_stage",
    "pooled_auroc",
    "simulate",
]

FloatArray = npt.NDArray[np.float64]

FIRST_NODE_ID = 1000
"""Local engine: node ids are FIRST_NODE_ID + client index (Flower reserves small ids)."""

Engine = Literal["ray", "local"]


@dataclass(frozen=True)
class DropoutPlan:
    """`count` nodes (the lowest node ids) do not answer SecAgg+ stage `stage` in `rounds`.

    Engine-neutral (Ray's node ids are random): resolved against the node ids at run time.
    """

    count: int
    stage: str = "collect_masked_vectors"
    rounds: frozenset[str] = frozenset({"1"})

    def policy(self, node_ids: Sequence[int]) -> DropoutPolicy:
        return drop_at_stage(set(sorted(node_ids)[: self.count]), self.stage, set(self.rounds))


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
    server : ServerStep
        The server optimiser on the aggregate's change (`bedside.federated.strategy`).
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
    server: ServerStep = DEFAULT_SERVER_STEP

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
    """Result of `simulate`.

    `cpu_seconds` and `peak_rss_mb` are this process's (ServerApp; on the local engine also
    every ClientApp); `worker_cpu_seconds` and `worker_peak_rss_mb` are Ray's processes' (0 on
    the local engine, see `bedside.federated.ray_engine.RayUsage`).
    """

    spec: RunSpec
    parameters: FloatArray
    records: list[RoundRecord]
    traffic: Traffic
    noise_multiplier: float | None
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    engine: Engine = "local"
    worker_cpu_seconds: float = 0.0
    worker_peak_rss_mb: float = 0.0

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
    dropout: DropoutPolicy | DropoutPlan | None = None,
    evaluate: bool = True,
    quiet: bool = True,
    engine: Engine = "local",
) -> FederatedRun:
    """Train `spec` over `clients` on `engine` (module docstring).

    A `DropoutPolicy` (node-id based) needs the local engine; a `DropoutPlan` works on both.

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
            server_step=spec.server,
        )
        s.rng = np.random.default_rng(spec.seed)
        holder.append(s)
        return s

    secure, clip = spec.secagg is not None, dp is not None
    server = make_server_app(strategy_of, num_rounds=spec.rounds, secagg=spec.secagg)
    flwr_logger = logging.getLogger("flwr")
    level = flwr_logger.level
    if quiet:
        flwr_logger.setLevel(logging.ERROR)
    wall, cpu = time.perf_counter(), time.process_time()
    usage = None
    try:
        if engine == "local":
            node_ids = [FIRST_NODE_ID + i for i in range(len(clients))]
            policy = dropout.policy(node_ids) if isinstance(dropout, DropoutPlan) else dropout
            app = make_client_app(
                lambda ctx: clients[int(ctx.node_config["partition-id"])], secure=secure, dp=clip
            )
            traffic = run_local(
                server,
                dict.fromkeys(node_ids, app),
                node_configs={n: {"partition-id": i} for i, n in enumerate(node_ids)},
                dropout=policy,
            ).traffic
        elif engine == "ray":
            if dropout is not None and not isinstance(dropout, DropoutPlan):
                raise ConfigurationError("the Ray engine takes a DropoutPlan (node ids are random)")
            traffic, usage = _simulate_on_ray(clients, server, dropout, secure=secure, dp=clip)
        else:
            raise ConfigurationError(f"unknown engine {engine!r} (ray or local)")
    finally:
        flwr_logger.setLevel(level)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    strategy = holder[0]
    return FederatedRun(
        spec=spec,
        parameters=strategy.current,
        records=strategy.records,
        traffic=traffic,
        noise_multiplier=sigma,
        wall_seconds=wall,
        cpu_seconds=cpu,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        engine=engine,
        worker_cpu_seconds=0.0 if usage is None else usage.cpu_seconds,
        worker_peak_rss_mb=0.0 if usage is None else usage.peak_rss_mb,
    )


def _simulate_on_ray(
    clients: Sequence[DeviceData],
    server: ServerApp,
    dropout: DropoutPlan | None,
    *,
    secure: bool,
    dp: bool,
) -> tuple[Traffic, RayUsage]:
    """Run on the Simulation Engine; the clients go to the actors as a file, not in the app."""
    from bedside.federated.ray_engine import PartitionFile, run_ray, save_partitions

    grids: list[MeteredGrid] = []
    stopped = threading.Event()  # set when the engine fails: the ServerApp's thread gives up
    metered = ServerApp()

    @metered.main()
    def main(grid: Grid, context: Context) -> None:
        # The engine registers its nodes while this thread starts; the strategy samples from
        # the nodes available, so wait for all of them (as the local engine has them at once).
        deadline = time.monotonic() + 60.0
        while len(list(grid.get_node_ids())) < len(clients):
            if time.monotonic() > deadline or stopped.is_set():
                raise ConfigurationError(
                    f"the Simulation Engine registered {len(list(grid.get_node_ids()))} of "
                    f"{len(clients)} nodes within 60 s"
                )
            time.sleep(0.05)
        policy = None if dropout is None else dropout.policy(list(grid.get_node_ids()))
        grids.append(MeteredGrid(grid, dropout=policy, abort=stopped))
        server(grids[0], context)

    with tempfile.TemporaryDirectory(prefix="bedside-fl-") as tmp:
        path = Path(tmp) / "clients.npz"
        save_partitions(list(clients), path)
        app = make_client_app(PartitionFile(path), secure=secure, dp=dp)
        try:
            usage = run_ray(metered, app, len(clients))
        except BaseException:
            stopped.set()
            raise
    return grids[0].traffic, usage


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
