"""`bedside fl evaluate`: one table comparing centralised, federated and local training.

Synthetic cohort (`evaluate_synthetic`): every client is a patient whose earlier labelled days
train and whose last 30 % are held out (`bedside.federated.cohort_data`). Rows:

- centralised: the same logistic objective minimised over all clients' training rows pooled;
- FedAvg, FedProx (mu 0.1), FedMedian: `simulate` without secure aggregation;
- FedAvg + SecAgg+; FedAvg + SecAgg+ + DP at each epsilon (delta 1e-5, clipping `DP_CLIP`, the
  smallest noise multiplier that fits the rounds);

Every federated row uses the default local training (`bedside.federated.logistic.LocalTraining`)
and server step (`bedside.federated.strategy.DEFAULT_SERVER_STEP`), chosen on a development
cohort of another seed, never on the evaluation's cohort.
- local-only: each device fits the model on its own days only (from zero, 200 gradient steps of
  up to 3.0, capped at 1.9 / L) and predicts its own held-out days;
- FedAvg + personalisation: the FedAvg global model recalibrated by each device's personal head
  (`bedside.federated.personal`) fitted on its own training days.

AUROC is over all clients' held-out days pooled, with a 95 % bootstrap interval over clients.

Depresjon (`evaluate_depresjon`): every participant holds a single class, so a participant
cannot be a client; participants are dealt (stratified, seeded) into `sites` site clients, and
subject-level cross-validation (stratified folds of participants) compares the centralised
logistic fit with FedAvg over the sites' training participants. Imputation and standardisation
statistics are computed on each training fold pooled (in deployment: a secure-aggregated sum
of the sites' counts, sums and sums of squares).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bedside.federated.device_data import DeviceData
from bedside.federated.logistic import (
    LocalTraining,
    fit_centralised,
    initial_parameters,
    predict_logit,
    train_local,
)
from bedside.federated.personal import fit_personal_head
from bedside.federated.server_app import SecAggSettings
from bedside.federated.simulation import FederatedRun, RunSpec, simulate
from bedside.federated.strategy import ServerStep
from bedside.models.metrics_ci import Estimate, auroc, cluster_bootstrap

__all__ = [
    "DP_CLIP",
    "EvalRow",
    "evaluate_depresjon",
    "evaluate_sites",
    "evaluate_synthetic",
    "format_table",
]

FloatArray = npt.NDArray[np.float64]

DP_CLIP = 0.2
"""L2 clipping norm of each client's update in the DP rows (parameter units of the whitened
model). Honest updates of one local step of 0.2 (the default's two steps of 0.1, near enough)
have norms 0.08 .. 0.55 (median 0.23) at the first round and 0.01 .. 0.51 (median 0.06) at the
centralised optimum on the 500-patient development cohort (seed 6); there, after 5 rounds,
clipping 0.5 / 0.2 / 0.1 gave pooled AUROC 0.736 / 0.779 / 0.765 at epsilon 1 and 0.791 / 0.794
/ 0.775 at epsilon 4 (a smaller clip means less noise but more bias). Measured 2026-11-27."""


@dataclass(frozen=True)
class EvalRow:
    """One line of the table (bytes per client per round; seconds of the training)."""

    data: str
    method: str
    auroc: Estimate
    epsilon: float | None = None
    upload_bytes: float | None = None
    upload_bytes_max: int | None = None
    wall_seconds: float | None = None
    cpu_seconds: float | None = None


def format_table(rows: Sequence[EvalRow]) -> str:
    """Plain-text table of `rows`."""
    head = (
        f"{'data':<12} {'method':<28} {'AUROC [95% CI]':>22} {'epsilon':>8} "
        f"{'up B/cl/rd':>10} {'max up B':>8} {'wall s':>7} {'CPU s':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        eps = "-" if r.epsilon is None else f"{r.epsilon:.2f}"
        up = "-" if r.upload_bytes is None else f"{r.upload_bytes:.0f}"
        upm = "-" if r.upload_bytes_max is None else f"{r.upload_bytes_max:d}"
        wall = "-" if r.wall_seconds is None else f"{r.wall_seconds:.1f}"
        cpu = "-" if r.cpu_seconds is None else f"{r.cpu_seconds:.1f}"
        lines.append(
            f"{r.data:<12} {r.method:<28} {r.auroc!s:>22} {eps:>8} {up:>10} {upm:>8} "
            f"{wall:>7} {cpu:>7}"
        )
    return "\n".join(lines)


def _pooled(
    clients: Sequence[DeviceData], score: Callable[[DeviceData], FloatArray], seed: int, n_boot: int
) -> Estimate:
    y = np.concatenate([c.y_test for c in clients])
    s = np.concatenate([score(c) for c in clients])
    groups = np.concatenate([np.full(c.y_test.size, c.client_id) for c in clients])
    return cluster_bootstrap(auroc, y, s, groups, n_bootstrap=n_boot, seed=seed)


def _row(
    data: str, run: FederatedRun, clients: Sequence[DeviceData], seed: int, n_boot: int
) -> EvalRow:
    w = run.parameters
    ups = [run.upload_bytes(r.round) for r in run.records]
    return EvalRow(
        data=data,
        method=run.spec.name(),
        auroc=_pooled(clients, lambda c: predict_logit(w, c.X_test), seed, n_boot),
        epsilon=run.records[-1].epsilon if run.records else None,
        upload_bytes=float(np.mean([u[0] for u in ups])),
        upload_bytes_max=max(u[1] for u in ups),
        wall_seconds=run.wall_seconds,
        cpu_seconds=run.cpu_seconds,
    )


def evaluate_synthetic(
    clients: Sequence[DeviceData],
    *,
    rounds: int = 5,
    epsilons: Sequence[float] = (1.0, 4.0, 8.0),
    secagg: SecAggSettings | None = None,
    seed: int = 0,
    n_bootstrap: int = 300,
    progress: Callable[[str], None] | None = None,
) -> list[EvalRow]:
    """The synthetic-cohort rows of the table (module docstring)."""
    secagg = secagg or SecAggSettings()
    say = progress or (lambda _: None)
    data = f"synthetic/{len(clients)}"
    rows: list[EvalRow] = []
    say("centralised")
    started, cpu = time.perf_counter(), time.process_time()
    X = np.concatenate([c.X for c in clients])
    y = np.concatenate([c.y for c in clients])
    w_central = fit_centralised(X, y, l2=LocalTraining().l2)
    rows.append(
        EvalRow(
            data,
            "centralised",
            _pooled(clients, lambda c: predict_logit(w_central, c.X_test), seed, n_bootstrap),
            wall_seconds=time.perf_counter() - started,
            cpu_seconds=time.process_time() - cpu,
        )
    )
    specs = [
        RunSpec(rounds=rounds, seed=seed),
        RunSpec(rounds=rounds, proximal_mu=0.1, seed=seed),
        RunSpec(rounds=rounds, aggregator="median", seed=seed),
        RunSpec(rounds=rounds, secagg=secagg, seed=seed),
        *(
            RunSpec(rounds=rounds, secagg=secagg, epsilon=e, clipping_norm=DP_CLIP, seed=seed)
            for e in epsilons
        ),
    ]
    fedavg: FederatedRun | None = None
    for spec in specs:
        say(spec.name())
        run = simulate(clients, spec, evaluate=False)
        if fedavg is None:
            fedavg = run
        rows.append(_row(data, run, clients, seed, n_bootstrap))
    say("local-only")
    # A device alone can afford to train to convergence on its own days.
    local = LocalTraining(steps=200, learning_rate=3.0)
    started, cpu = time.perf_counter(), time.process_time()
    own = {
        c.client_id: train_local(initial_parameters(c.n_features), c.X, c.y, local) for c in clients
    }
    rows.append(
        EvalRow(
            data,
            "local-only",
            _pooled(
                clients, lambda c: predict_logit(own[c.client_id], c.X_test), seed, n_bootstrap
            ),
            upload_bytes=0.0,
            wall_seconds=time.perf_counter() - started,
            cpu_seconds=time.process_time() - cpu,
        )
    )
    assert fedavg is not None
    w_fed = fedavg.parameters
    heads = {c.client_id: fit_personal_head(w_fed, c.X, c.y) for c in clients}
    rows.append(
        EvalRow(
            data,
            "FedAvg+personal head",
            _pooled(
                clients, lambda c: heads[c.client_id].logit(w_fed, c.X_test), seed, n_bootstrap
            ),
            upload_bytes=rows[1].upload_bytes,
            upload_bytes_max=rows[1].upload_bytes_max,
        )
    )
    return rows


def _standardise(train: FloatArray, test: FloatArray) -> tuple[FloatArray, FloatArray]:
    from bedside.models.depresjon_classifier import imputation_values, impute

    fill = imputation_values(train)
    a, b = impute(train, fill), impute(test, fill)
    mean, sd = a.mean(axis=0), a.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (a - mean) / sd, (b - mean) / sd


def evaluate_depresjon(
    root: Path,
    *,
    sites: int = 5,
    folds: int = 5,
    rounds: int = 10,
    seed: int = 0,
    n_bootstrap: int = 300,
    progress: Callable[[str], None] | None = None,
) -> list[EvalRow]:
    """Centralised vs FedAvg over site clients on Depresjon (module docstring)."""
    from bedside.models.depresjon_features import (
        ActigraphyRecording,
        list_labelled_recordings,
        participant_features,
    )
    from bedside.sensors import read_depresjon

    say = progress or (lambda _: None)
    recs = list_labelled_recordings(root)
    say(f"reading {len(recs)} Depresjon recordings")
    raw = np.vstack(
        [
            participant_features(ActigraphyRecording.from_frame(read_depresjon(p)))
            for _, _, p in recs
        ]
    )
    y = np.array([label for _, label, _ in recs], dtype=np.float64)
    ids = np.array([pid for pid, _, _ in recs])
    return evaluate_sites(
        raw,
        y,
        ids,
        data=f"depresjon/{sites} sites",
        sites=sites,
        folds=folds,
        rounds=rounds,
        seed=seed,
        n_bootstrap=n_bootstrap,
        progress=say,
    )


def evaluate_sites(
    raw: FloatArray,
    y: FloatArray,
    ids: npt.NDArray[np.str_],
    *,
    data: str,
    sites: int = 5,
    folds: int = 5,
    rounds: int = 10,
    seed: int = 0,
    n_bootstrap: int = 300,
    progress: Callable[[str], None] | None = None,
) -> list[EvalRow]:
    """Centralised vs FedAvg over site clients for one row per participant (subject-level CV).

    Parameters
    ----------
    raw : ndarray, shape (n_participants, n_features)
        Participant features (NaN allowed: imputed with the training fold's medians).
    y : ndarray of 0/1, shape (n_participants,)
    ids : ndarray of str
        Participant ids (bootstrap unit).
    """
    say = progress or (lambda _: None)
    rng = np.random.default_rng(seed)
    fold = np.empty(y.size, dtype=np.intp)
    site = np.empty(y.size, dtype=np.intp)
    for cls in (0.0, 1.0):
        idx = rng.permutation(np.flatnonzero(y == cls))
        fold[idx] = np.arange(idx.size) % folds
        site[idx] = rng.permutation(np.arange(idx.size) % sites)
    central = np.full(y.size, np.nan)
    federated = np.full(y.size, np.nan)
    upload: list[float] = []
    wall = cpu = 0.0
    for k in range(folds):
        say(f"fold {k + 1}/{folds}")
        tr, te = fold != k, fold == k
        Xtr, Xte = _standardise(raw[tr], raw[te])
        w_c = fit_centralised(Xtr, y[tr], l2=0.1)
        central[te] = predict_logit(w_c, Xte)
        clients = [
            DeviceData(
                f"site-{s}",
                Xtr[site[tr] == s],
                y[tr][site[tr] == s],
                np.empty((0, Xtr.shape[1])),
                np.empty(0),
            )
            for s in range(sites)
            if np.any(site[tr] == s)
        ]
        run = simulate(
            clients,
            # 50 local steps per round over a few sites (measured so); plain FedAvg server.
            RunSpec(
                rounds=rounds,
                local=LocalTraining(steps=50, learning_rate=0.5, l2=0.1),
                server=ServerStep(),
            ),
            evaluate=False,
        )
        federated[te] = predict_logit(run.parameters, Xte)
        upload.extend(run.upload_bytes(r.round)[0] for r in run.records)
        wall += run.wall_seconds
        cpu += run.cpu_seconds
    est_c = cluster_bootstrap(auroc, y, central, ids, n_bootstrap=n_bootstrap, seed=seed)
    est_f = cluster_bootstrap(auroc, y, federated, ids, n_bootstrap=n_bootstrap, seed=seed)
    return [
        EvalRow(data, f"centralised ({folds}-fold, subject)", est_c),
        EvalRow(
            data,
            f"FedAvg over sites ({rounds} rds)",
            est_f,
            upload_bytes=float(np.mean(upload)),
            wall_seconds=wall,
            cpu_seconds=cpu,
        ),
    ]
