"""Flower's Deployment Engine for real: a SuperLink and three SuperNodes on 127.0.0.1 with TLS
and SuperNode authentication, the app run with ``flwr run``, one SuperNode killed mid-round.

The commands are the README's ("Federated learning across machines") with local ports and
paths. Checked on the way: the SuperLink's port speaks TLS with a certificate that chains only to
the clinic's CA, and a fourth SuperNode whose key was never registered is refused. The killed
SuperNode dies (SIGKILL, with its SuperExec and ClientApp processes) when its third SecAgg+
message of round 1 arrives (collect masked vectors), i.e. after it has shared its key shares: the
server must drop it after the stage timeout and remove its pairwise masks from the two
survivors' vectors with their shares. The final model must equal FedAvg (with the strategy's
server step) over the two surviving sites only, to SecAgg+'s quantisation error.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flwr.app import Context, RecordDict
from typer.testing import CliRunner

from bedside.cli.app import app
from bedside.domain import ConfigurationError, InputFormatError
from bedside.federated.deployment.app import N_FEATURES, DeploymentConfig, site_data_of
from bedside.federated.deployment.credentials import write_supernode_keys, write_tls_files
from bedside.federated.deployment.site_data import load_site_data, save_site_data
from bedside.federated.device_data import DeviceData
from bedside.federated.logistic import LocalTraining, initial_parameters, train_local
from bedside.federated.server_app import SecAggSettings
from bedside.federated.strategy import DEFAULT_SERVER_STEP
from bedside.models.features import DEFAULT_EPISODE_BIOMARKERS, episode_feature_names

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SITES = 3
KILLED = 2  # index of the site whose SuperNode is killed
ROUNDS = 2
STAGE_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"process exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"port {port} not open after {timeout:g} s:\n{log.read_text()[-3000:]}")


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # SuperExec finds flwr-* on PATH
    env["FLWR_HOME"] = str(tmp / "flwr-home")
    env["FLWR_TELEMETRY_ENABLED"] = "0"
    env["FLWR_DISABLE_UPDATE_CHECK"] = "1"
    # Every message starts a fresh `flwr-clientapp` process, which must redeem its task token
    # within 30 s (flwr 1.42, HEARTBEAT_DEFAULT_INTERVAL). Compiling flwr from source on each
    # start (PYTHONDONTWRITEBYTECODE) costs ~5 s CPU and, under load, broke that deadline; a
    # bytecode cache outside the venv keeps a start near 2 s CPU.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "bedside-flwr-pycache")
    return env


class _Processes:
    """Started processes, each in its own process group, killed by group id at the end."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.env = env
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, args: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.tmp / f"{name}.log"
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                args,
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=REPO,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc, log

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def close(self) -> None:
        for proc in reversed(self.procs):
            self.kill(proc)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[_Processes]:
    procs = _Processes(tmp_path, _env(tmp_path))
    try:
        yield procs
    finally:
        procs.close()


def _run_all(commands: list[list[str]], env: dict[str, str], timeout: float = 180) -> None:
    """Run the commands concurrently; each must succeed."""
    procs = [
        subprocess.Popen(
            args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for args in commands
    ]
    for args, proc in zip(commands, procs, strict=True):
        out, _ = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, f"{args}: {out}"


def _assert_tls(port: int, ca: Path) -> None:
    """The port speaks TLS with a certificate for 127.0.0.1 that chains to `ca`, and only to it."""
    pinned = ssl.create_default_context(cafile=str(ca))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        pinned.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}
    other_ca = ssl.create_default_context()  # the system's CAs, not the clinic's
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        other_ca.wrap_socket(raw, server_hostname="127.0.0.1")


def _cli(args: list[str]) -> None:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output


def _expected_fedavg(sites: list[Path], rounds: int) -> np.ndarray:
    """FedAvg (weights = labelled days) of the given sites from zero, as the ClientApp trains
    and the strategy steps."""
    data = [load_site_data(p) for p in sites]
    w = initial_parameters(N_FEATURES)
    for _ in range(rounds):
        updates = [train_local(w, d.X, d.y, LocalTraining()) for d in data]
        n = np.array([d.y.size for d in data], dtype=np.float64)
        mean = np.sum([u * k for u, k in zip(updates, n, strict=True)], axis=0) / n.sum()
        # The server's default step on the aggregate's change (no momentum by default).
        w = w + DEFAULT_SERVER_STEP.learning_rate * (mean - w)
    return np.asarray(w)


def _secagg_tolerance(sites: list[Path], rounds: int) -> float:
    """Bound on |final model - exact FedAvg| from SecAgg+'s quantisation (parameter units).

    Each client's parameters, scaled by n_i / max_weight, are stochastically rounded to one of
    2**22 levels over [-clip, clip] (flwr's default quantisation range; one level 3.8e-6 for
    clip 8); the unmasked sum is divided by sum(n_i) / max_weight, so the aggregate is off by at
    most k levels * max_weight / sum(n_i) per round. The server step multiplies that by its
    learning rate; a factor 4 covers its propagation through the next round's local steps.
    """
    n = sum(load_site_data(p).y.size for p in sites)
    secagg = SecAggSettings()
    level = 2 * secagg.clipping_range / 2**22
    per_round = len(sites) * level * secagg.max_weight / n
    return 4.0 * rounds * DEFAULT_SERVER_STEP.learning_rate * per_round


@pytest.mark.slow
def test_superlink_three_supernodes_tls_auth_secagg_survives_a_killed_node(
    tmp_path: Path, processes: _Processes
) -> None:
    for tool in ("flower-superlink", "flower-supernode", "flwr", "flwr-serverapp"):
        assert (BIN / tool).exists(), f"{tool} missing from {BIN}: flwr is in the lock"
    env = processes.env
    creds, keys = tmp_path / "certificates", tmp_path / "keys"
    link_port = _free_port()

    # The clinic: CA + SuperLink certificate; each site: a key pair and its data.
    _cli(["fl", "credentials", "--out", str(creds), "--host", "127.0.0.1", "--host", "localhost"])
    site_files = []
    for i in range(SITES):
        _cli(["fl", "supernode-keys", "--out", str(keys), "--name", f"site-{i}"])
        site_files.append(tmp_path / "sites" / f"site-{i}.npz")
        _cli(
            [
                *("fl", "site-data", "--out", str(site_files[i]), "--name", f"site-{i}"),
                *("--patients", "3", "--days", "60", "--seed", str(100 + i)),
            ]
        )

    link, link_log = processes.start(
        "superlink",
        [
            str(BIN / "flower-superlink"),
            *("--ssl-ca-certfile", str(creds / "ca.crt")),
            *("--ssl-certfile", str(creds / "server.pem")),
            *("--ssl-keyfile", str(creds / "server.key")),
            *("--enable-supernode-auth", "--disable-runtime-dependency-installation"),
            *("--host", "127.0.0.1", "--port", str(link_port)),
        ],
    )
    _wait_port(link_port, link, link_log, timeout=120)
    _assert_tls(link_port, creds / "ca.crt")

    home = tmp_path / "flwr-home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(
        '[superlink]\ndefault = "clinic"\n\n[superlink.clinic]\n'
        f'address = "127.0.0.1:{link_port}"\nroot-certificates = "{creds / "ca.crt"}"\n',
        encoding="utf-8",
    )
    _run_all(
        [
            [str(BIN / "flwr"), "supernode", "register", str(keys / f"site-{i}.pub"), "clinic"]
            for i in range(SITES)
        ],
        env,
    )

    # A SuperNode whose key the clinic never registered: it must not join the federation.
    _cli(["fl", "supernode-keys", "--out", str(keys), "--name", "rogue"])
    rogue, rogue_log = processes.start(
        "supernode-rogue",
        [
            str(BIN / "flower-supernode"),
            *("--superlink", f"127.0.0.1:{link_port}"),
            *("--root-certificates", str(creds / "ca.crt")),
            *("--auth-supernode-private-key", str(keys / "rogue")),
            *("--node-config", f'data-file="{site_files[0]}"'),
            *("--host", "127.0.0.1", "--port", str(_free_port())),
        ],
    )

    nodes = []
    for i in range(SITES):
        runtime_port = _free_port()
        node, node_log = processes.start(
            f"supernode-{i}",
            [
                str(BIN / "flower-supernode"),
                *("--superlink", f"127.0.0.1:{link_port}"),
                *("--root-certificates", str(creds / "ca.crt")),
                *("--auth-supernode-private-key", str(keys / f"site-{i}")),
                *("--node-config", f'data-file="{site_files[i]}"'),
                *("--host", "127.0.0.1", "--port", str(runtime_port)),
            ],
        )
        nodes.append((node, node_log, runtime_port))
    for node, node_log, runtime_port in nodes:
        _wait_port(runtime_port, node, node_log, timeout=120)

    result = tmp_path / "result.json"
    started = time.monotonic()
    run, run_log = processes.start(
        "flwr-run",
        [
            *(str(BIN / "flwr"), "run", str(REPO / "deploy" / "flower-app"), "clinic", "--stream"),
            *("--run-config", f'result-file="{result}" secagg-timeout-s={STAGE_TIMEOUT_S}'),
        ],
    )

    victim, victim_log, _ = nodes[KILLED]
    deadline = time.monotonic() + 300
    while victim_log.read_text().count("Received successfully") < 3:
        assert run.poll() is None, run_log.read_text()[-3000:]
        assert time.monotonic() < deadline, victim_log.read_text()[-3000:]
        time.sleep(0.1)
    processes.kill(victim)
    killed_at = time.monotonic() - started

    try:
        run.wait(timeout=600)
    except subprocess.TimeoutExpired:
        pytest.fail(f"flwr run did not finish:\n{run_log.read_text()[-5000:]}")
    wall = time.monotonic() - started
    print(f"\nflwr run: {wall:.1f} s wall, SuperNode {KILLED} killed at {killed_at:.1f} s")
    assert result.is_file(), run_log.read_text()[-5000:] + link_log.read_text()[-5000:]
    out = json.loads(result.read_text())

    rogue_text = rogue_log.read_text()
    assert rogue.poll() not in (None, 0), rogue_text[-2000:]  # it gave up, refused
    assert "Failed to activate SuperNode" in rogue_text
    assert "Received successfully" not in rogue_text
    assert out["nodes_at_start"] == SITES
    assert [r["round"] for r in out["rounds"]] == list(range(1, ROUNDS + 1))
    first = out["rounds"][0]
    # The SecAgg+ workflow hands the strategy one copy of the unmasked sum per surviving node.
    assert first["clients_sampled"] == SITES
    assert first["results"] == SITES - 1
    assert all(r["rejected"] == [] for r in out["rounds"])
    assert all(r["results"] == SITES - 1 for r in out["rounds"])
    w = np.array(out["parameters"])
    assert w.shape == (N_FEATURES + 1,)
    assert bool(np.all(np.isfinite(w)))
    survivors = [p for i, p in enumerate(site_files) if i != KILLED]
    expected = _expected_fedavg(survivors, ROUNDS)
    with_victim = _expected_fedavg(site_files, ROUNDS)
    tol = _secagg_tolerance(survivors, ROUNDS)
    print(f"max |w - expected| = {np.abs(w - expected).max():.2e} (bound {tol:.2e})")
    np.testing.assert_allclose(w, expected, atol=tol)
    assert np.abs(expected - with_victim).max() > 10 * tol  # the victim's data would show


def test_tls_files_chain_to_the_ca_and_name_the_hosts(tmp_path: Path) -> None:
    files = write_tls_files(tmp_path / "c", ["127.0.0.1", "fl.clinic.example"])
    ca = x509.load_pem_x509_certificate(files.ca_certificate.read_bytes())
    server = x509.load_pem_x509_certificate(files.server_certificate.read_bytes())
    server.verify_directly_issued_by(ca)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert san.get_values_for_type(x509.DNSName) == ["fl.clinic.example"]
    key = serialization.load_pem_private_key(files.server_key.read_bytes(), None)
    assert key.public_key() == server.public_key()
    assert files.server_key.stat().st_mode & 0o077 == 0
    with pytest.raises(ConfigurationError, match="host"):
        write_tls_files(tmp_path / "d", [])


def test_supernode_keys_are_p384_openssh_pairs(tmp_path: Path) -> None:
    keys = write_supernode_keys(tmp_path, "site-a")
    private = serialization.load_ssh_private_key(keys.private_key.read_bytes(), None)
    public = serialization.load_ssh_public_key(keys.public_key.read_bytes())
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    assert isinstance(private.curve, ec.SECP384R1)
    assert private.public_key() == public
    assert keys.private_key.stat().st_mode & 0o077 == 0
    with pytest.raises(ConfigurationError, match="invalid key name"):
        write_supernode_keys(tmp_path, "../x")


def test_site_data_round_trips_and_bad_files_are_named(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    data = DeviceData(
        "s", rng.normal(size=(6, 3)), np.array([0.0, 1, 0, 1, 1, 0]), np.zeros((0, 3)), np.zeros(0)
    )
    back = load_site_data(save_site_data(tmp_path / "s.npz", data))
    assert back.client_id == "s"
    np.testing.assert_array_equal(back.X, data.X)
    np.testing.assert_array_equal(back.y, data.y)
    assert back.X_test.shape == (0, 3)
    partial = tmp_path / "partial.npz"
    np.savez(partial, X=data.X)
    with pytest.raises(InputFormatError, match=r"partial\.npz.*\['y'"):
        load_site_data(partial)
    text = tmp_path / "text.npz"
    text.write_text("not an archive")
    with pytest.raises(InputFormatError, match=r"text\.npz"):
        load_site_data(text)


def test_run_config_defaults_are_the_app_projects_and_bad_values_are_named() -> None:
    assert len(episode_feature_names(DEFAULT_EPISODE_BIOMARKERS)) == N_FEATURES
    project = tomllib.loads((REPO / "deploy" / "flower-app" / "pyproject.toml").read_text())
    defaults = project["tool"]["flwr"]["app"]["config"]
    assert DeploymentConfig.from_run_config(defaults) == DeploymentConfig()
    assert DeploymentConfig.from_run_config({}) == DeploymentConfig()
    cfg = DeploymentConfig.from_run_config({"secagg-timeout-s": 5.0, "num-server-rounds": 1})
    assert cfg.secagg().timeout == 5.0
    assert cfg.num_rounds == 1
    with pytest.raises(ConfigurationError, match="num-shares"):
        DeploymentConfig.from_run_config({"num-shares": "three"})
    with pytest.raises(ConfigurationError, match="min-nodes"):
        DeploymentConfig.from_run_config({"min-nodes": 1})
    with pytest.raises(ConfigurationError, match="data-file"):
        site_data_of(
            Context(run_id=1, node_id=1, node_config={}, state=RecordDict(), run_config={})
        )
