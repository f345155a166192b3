"""The Flower app a clinic deploys: a SecAgg+ ServerApp and the sites' ClientApp.

``deploy/flower-app/pyproject.toml`` names `server_app` and `client_app` as the app's
components; ``flwr run deploy/flower-app <connection>`` sends the app to the clinic's SuperLink,
whose SuperExec runs `server_app` and whose SuperNodes run `client_app` (one process per message).

ServerApp: waits until ``min-nodes`` SuperNodes are connected (at most ``node-wait-s``
seconds), then runs ``num-server-rounds`` FedAvg rounds of the episode-risk logistic model
(`bedside.federated.strategy.BedsideStrategy`, aggregate-only checks) through SecAgg+ with
``num-shares`` neighbours, threshold ``reconstruction-threshold`` and a finite
``secagg-timeout-s`` per stage, so a SuperNode that vanishes mid-round is dropped (its masks are
rebuilt from its neighbours' shares) instead of stalling the round. With ``result-file`` set it
writes the final parameters and what it saw per round as JSON (`write_result`).

ClientApp: `bedside.federated.client_app` with ``secaggplus_mod``; the site's rows come from the
``.npz`` its SuperNode's ``--node-config data-file=...`` names (`site_data.load_site_data`).
After round 1 a round proceeds with any two or more SuperNodes (SecAgg+'s minimum).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from flwr.app import Context
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid, ServerApp

from bedside.domain import ConfigurationError
from bedside.federated.client_app import make_client_app
from bedside.federated.deployment.site_data import load_site_data
from bedside.federated.device_data import DeviceData
from bedside.federated.logistic import initial_parameters
from bedside.federated.server_app import SecAggSettings, run_rounds
from bedside.federated.strategy import BedsideStrategy

__all__ = ["DeploymentConfig", "client_app", "server_app", "site_data_of", "write_result"]

N_FEATURES = 17
"""Episode features of `bedside.models.features` (8 biomarkers x 2 windows + coverage); a
constant because importing that package costs every ClientApp process seconds (tested equal)."""


@dataclass(frozen=True)
class DeploymentConfig:
    """The ServerApp's settings, from the run config (keys in brackets; units in the names).

    Attributes
    ----------
    num_rounds : int
        [``num-server-rounds``] federated rounds.
    min_nodes : int
        [``min-nodes``] SuperNodes that must be connected before round 1.
    node_wait_s : float
        [``node-wait-s``] longest wait for them (seconds); the run fails after it.
    num_shares, reconstruction_threshold : int
        [``num-shares``, ``reconstruction-threshold``] SecAgg+ parameters (odd >= 3; < shares).
    secagg_timeout_s : float
        [``secagg-timeout-s``] longest wait for each SecAgg+ stage's replies (seconds).
    result_file : str
        [``result-file``] JSON written at the end on the SuperLink's machine ('' for none).
    """

    num_rounds: int = 2
    min_nodes: int = 3
    node_wait_s: float = 120.0
    num_shares: int = 3
    reconstruction_threshold: int = 2
    secagg_timeout_s: float = 60.0
    result_file: str = ""

    @classmethod
    def from_run_config(cls, run_config: dict[str, object]) -> DeploymentConfig:
        """Read the keys above; missing keys keep their defaults.

        Raises
        ------
        ConfigurationError
            A key has the wrong type or an impossible value (named).
        """

        def number(key: str, default: float, kind: type[int] | type[float]) -> float:
            value = run_config.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigurationError(f"run config {key!r} must be a number, got {value!r}")
            if kind is int and float(value) != int(value):
                raise ConfigurationError(f"run config {key!r} must be an integer, got {value!r}")
            return float(value)

        d = cls()
        result = run_config.get("result-file", d.result_file)
        if not isinstance(result, str):
            raise ConfigurationError(f"run config 'result-file' must be a string, got {result!r}")
        cfg = cls(
            num_rounds=int(number("num-server-rounds", d.num_rounds, int)),
            min_nodes=int(number("min-nodes", d.min_nodes, int)),
            node_wait_s=number("node-wait-s", d.node_wait_s, float),
            num_shares=int(number("num-shares", d.num_shares, int)),
            reconstruction_threshold=int(
                number("reconstruction-threshold", d.reconstruction_threshold, int)
            ),
            secagg_timeout_s=number("secagg-timeout-s", d.secagg_timeout_s, float),
            result_file=result,
        )
        if cfg.num_rounds < 1 or cfg.min_nodes < 2:
            raise ConfigurationError(
                f"run config: num-server-rounds must be >= 1 and min-nodes >= 2, got "
                f"{cfg.num_rounds} and {cfg.min_nodes}"
            )
        if not cfg.secagg_timeout_s > 0 or not cfg.node_wait_s > 0:
            raise ConfigurationError("run config: secagg-timeout-s and node-wait-s must be > 0")
        return cfg

    def secagg(self) -> SecAggSettings:
        """The SecAgg+ settings (finite timeout)."""
        return SecAggSettings(
            num_shares=self.num_shares,
            reconstruction_threshold=self.reconstruction_threshold,
            timeout=self.secagg_timeout_s,
        )


def _wait_for_nodes(grid: Grid, cfg: DeploymentConfig) -> int:
    deadline = time.monotonic() + cfg.node_wait_s
    while True:
        n = len(list(grid.get_node_ids()))
        if n >= cfg.min_nodes:
            return n
        if time.monotonic() > deadline:
            raise ConfigurationError(
                f"only {n} of min-nodes {cfg.min_nodes} SuperNodes connected within "
                f"{cfg.node_wait_s:g} s"
            )
        time.sleep(1.0)


def write_result(path: Path, strategy: BedsideStrategy, nodes_at_start: int) -> None:
    """Write the final global parameters and the per-round records as JSON.

    Keys: ``parameters`` (list of floats: coefficients then intercept), ``nodes_at_start``,
    ``rounds`` (per round: ``round``, ``clients_sampled``, ``results``, ``failures``,
    ``rejected``, ``update_norm``, ``seconds``).
    """
    rounds = [
        {
            "round": r.round,
            "clients_sampled": r.clients_sampled,
            "results": r.results,
            "failures": r.failures,
            "rejected": r.rejected,
            "update_norm": r.update_norm,
            "seconds": r.seconds,
        }
        for r in strategy.records
    ]
    payload = {
        "parameters": [float(v) for v in np.asarray(strategy.current).ravel()],
        "nodes_at_start": nodes_at_start,
        "rounds": rounds,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")


server_app = ServerApp()


@server_app.main()
def _server_main(grid: Grid, context: Context) -> None:
    cfg = DeploymentConfig.from_run_config(dict(context.run_config))
    nodes = _wait_for_nodes(grid, cfg)
    strategy = BedsideStrategy(
        initial_parameters(N_FEATURES), secure=True, total_clients=nodes, min_clients=2
    )
    run_rounds(grid, context, strategy, num_rounds=cfg.num_rounds, secagg=cfg.secagg())
    if cfg.result_file:
        write_result(Path(cfg.result_file), strategy, nodes)


def site_data_of(context: Context) -> DeviceData:
    """The site's rows, from the file its SuperNode's node config names (``data-file``).

    Raises
    ------
    ConfigurationError
        The node config has no ``data-file``.
    """
    path = context.node_config.get("data-file")
    if not isinstance(path, str) or not path:
        raise ConfigurationError(
            "SuperNode node config lacks data-file (start it with --node-config "
            "'data-file=\"/path/site.npz\"')"
        )
    return load_site_data(Path(path))


client_app: ClientApp = make_client_app(site_data_of, secure=True)
