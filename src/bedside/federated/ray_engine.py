"""Flower's Simulation Engine (Ray backend), kept on this machine.

`run_ray` runs a ServerApp against `num_nodes` virtual SuperNodes with
``flwr.simulation.run_simulation``: the ServerApp runs in a thread of this process, each message
for a node is processed by a ClientApp in one of `num_cpus` Ray actors (worker processes), and
each node's ``Context`` (its ``secaggplus_mod`` state, its personal head) is kept by the engine
between messages, as on a SuperNode. Nodes get random node ids; node ``i`` is told its partition
in ``context.node_config["partition-id"]``.

Ray stays local and quiet:

- ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (for Ray's processes) and the same switch on the
  imported module (`local_ray_node_address`), so Ray's node address is the loopback one (Ray
  otherwise replaces ``127.0.0.1`` by a routable address); every Ray service then listens on
  127.0.0.1 (checked with ``ss -ltnp`` during a run), and `run_ray` refuses to start otherwise;
- ``RAY_USAGE_STATS_ENABLED=0`` (no usage report), no dashboard (``include_dashboard=False``),
  ``log_to_driver=False``;
- Flower's own telemetry (``run_simulation`` sends start/stop events to telemetry.flower.ai
  unless ``FLWR_TELEMETRY_ENABLED=0``; the flag is read when flwr is imported, so it is also
  switched off on the already-imported module);
- ``RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO=0``: Ray's future behaviour for CPU-only actors (no GPU
  here), which also silences its start-up FutureWarning;
- `num_cpus` (2) CPUs, one per actor, and an object store of `object_store_mb` MB.

The ClientApp is pickled to the actors with every message, so it must not carry the cohort:
`PartitionFile` loads a node's `DeviceData` from an ``.npz`` file written by `save_partitions`,
once per actor process.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from flwr.app import Context
from flwr.clientapp import ClientApp
from flwr.serverapp import ServerApp

from bedside.domain import ConfigurationError
from bedside.federated.device_data import DeviceData
from bedside.federated.metered_grid import EngineStoppedError

__all__ = [
    "LOCAL_RAY_ENVIRONMENT",
    "PartitionFile",
    "ProcessTreeMonitor",
    "RayUsage",
    "local_ray_node_address",
    "run_ray",
    "save_partitions",
]

LOCAL_RAY_ENVIRONMENT = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "0",
    "FLWR_TELEMETRY_ENABLED": "0",
}
"""Environment set before Ray starts (module docstring)."""

os.environ.update(LOCAL_RAY_ENVIRONMENT)

_LOADED: dict[str, list[DeviceData]] = {}


def save_partitions(clients: list[DeviceData], path: Path) -> None:
    """Write every client's rows to one ``.npz`` (partition ``i`` = ``clients[i]``)."""
    arrays: dict[str, np.ndarray] = {"n": np.array(len(clients))}
    for i, c in enumerate(clients):
        arrays.update(
            {
                f"id_{i}": np.array(c.client_id),
                f"X_{i}": c.X,
                f"y_{i}": c.y,
                f"Xt_{i}": c.X_test,
                f"yt_{i}": c.y_test,
            }
        )
    np.savez(path, **arrays)  # type: ignore[arg-type]


class PartitionFile:
    """``context -> DeviceData`` of the node's ``partition-id``, read from `path`.

    Small to pickle (only the path); each process reads the file once.
    """

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def _clients(self) -> list[DeviceData]:
        if self.path not in _LOADED:
            with np.load(self.path, allow_pickle=False) as z:
                _LOADED[self.path] = [
                    DeviceData(
                        str(z[f"id_{i}"]), z[f"X_{i}"], z[f"y_{i}"], z[f"Xt_{i}"], z[f"yt_{i}"]
                    )
                    for i in range(int(z["n"]))
                ]
        return _LOADED[self.path]

    def __call__(self, context: Context) -> DeviceData:
        clients = self._clients()
        partition = context.node_config.get("partition-id")
        if not isinstance(partition, int) or not 0 <= partition < len(clients):
            raise ConfigurationError(
                f"node {context.node_id}: partition-id {partition!r} not in "
                f"0..{len(clients) - 1} of {self.path}"
            )
        return clients[partition]


@dataclass(frozen=True)
class RayUsage:
    """What Ray's processes used during `run_ray` (sampled, see `ProcessTreeMonitor`).

    Attributes
    ----------
    cpu_seconds : float
        User + system CPU seconds of all descendant processes of this one (Ray's GCS, raylet,
        actors), at their last sample.
    peak_rss_mb : float
        Largest sum of their resident set sizes (MB; shared object-store pages are counted in
        every process that maps them, so this over-counts).
    processes : int
        Descendant processes seen.
    """

    cpu_seconds: float
    peak_rss_mb: float
    processes: int


class ProcessTreeMonitor:
    """Samples CPU time and RSS of this process's descendants from ``/proc`` every `interval` s.

    Ray's workers are not waited for by this process, so ``getrusage(RUSAGE_CHILDREN)`` misses
    them; a process's CPU time after its last sample (at most `interval` s of it) is missed too.
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._cpu: dict[int, float] = {}
        self._peak_rss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")
        self._page = os.sysconf("SC_PAGE_SIZE")

    def __enter__(self) -> ProcessTreeMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        """Read ``/proc/<pid>/stat`` of every descendant once."""
        parents: dict[int, int] = {}
        stats: dict[int, list[str]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:  # the process ended meanwhile
                continue
            fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
            parents[int(entry)] = int(fields[1])
            stats[int(entry)] = fields
        tree = {os.getpid()}
        grew = True
        while grew:
            new = {pid for pid, ppid in parents.items() if ppid in tree} - tree
            tree |= new
            grew = bool(new)
        tree.discard(os.getpid())
        rss = 0.0
        for pid in tree:
            fields = stats[pid]
            # fields[11], [12]: utime, stime (clock ticks); fields[21]: rss (pages)
            self._cpu[pid] = (int(fields[11]) + int(fields[12])) / self._tick
            rss += int(fields[21]) * self._page / 2**20
        self._peak_rss = max(self._peak_rss, rss)

    def usage(self) -> RayUsage:
        return RayUsage(sum(self._cpu.values()), self._peak_rss, len(self._cpu))


def local_ray_node_address() -> str:
    """Make Ray use the loopback address in this process; returns the address it will use.

    Ray reads ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER`` once, when it is imported; if it was
    imported before this module set the variable, the module constant is switched here.
    """
    import ray._private.ray_constants as ray_constants
    from ray._private.services import get_node_ip_address

    os.environ.update(LOCAL_RAY_ENVIRONMENT)
    ray_constants.ENABLE_RAY_CLUSTER = False
    return str(get_node_ip_address())  # type: ignore[no-untyped-call]


def run_ray(
    server_app: ServerApp,
    client_app: ClientApp,
    num_nodes: int,
    *,
    num_cpus: int = 2,
    object_store_mb: int = 128,
    quiet: bool = True,
) -> RayUsage:
    """Run `server_app` against `num_nodes` nodes of `client_app` on the Simulation Engine.

    Parameters
    ----------
    num_cpus : int
        CPUs Ray may use; one ClientApp actor per CPU.
    object_store_mb : int
        Ray's shared-memory object store (MB; Ray's minimum is 75).
    quiet : bool
        Only errors from Flower's and Ray's loggers.

    Raises
    ------
    ConfigurationError
        Ray would not listen on the loopback address only.
    EngineStoppedError
        The engine crashed (e.g. Ray's node did not start in time on an overloaded machine);
        the message names the first cause.
    """
    import flwr.supercore.telemetry as flwr_telemetry
    from flwr.simulation import run_simulation

    address = local_ray_node_address()
    if address != "127.0.0.1":
        raise ConfigurationError(f"Ray would listen on {address}; refusing (loopback only)")
    flwr_telemetry.FLWR_TELEMETRY_ENABLED = "0"
    loggers = [logging.getLogger(name) for name in ("flwr", "ray")]
    levels = [lg.level for lg in loggers]
    if quiet:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
    try:
        with ProcessTreeMonitor() as monitor:
            run_simulation(
                server_app=server_app,
                client_app=client_app,
                num_supernodes=num_nodes,
                backend_config={
                    "init_args": {
                        "num_cpus": num_cpus,
                        "num_gpus": 0,
                        "include_dashboard": False,
                        "object_store_memory": object_store_mb * 2**20,
                        "log_to_driver": False,
                        "logging_level": logging.ERROR if quiet else logging.INFO,
                    },
                    "client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                },
            )
        return monitor.usage()
    except RuntimeError as exc:
        cause: BaseException = exc
        while cause.__cause__ is not None:
            cause = cause.__cause__
        raise EngineStoppedError(f"Flower's Simulation Engine (Ray) stopped: {cause}") from exc
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
