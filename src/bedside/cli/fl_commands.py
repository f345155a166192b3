"""``bedside fl ...``: federated training of the episode-risk model (Flower).

``bedside fl simulate`` generates a synthetic cohort (one client per patient, labelled by the
patient's own PHQ-9), runs the clinic's ServerApp against one ClientApp per patient on Flower's
Simulation Engine (Ray, local only, 2 CPUs; `bedside.federated.ray_engine`) or, with
``--engine local``, sequentially in this process (`bedside.federated.local_grid`), and prints per
round: clients answered/sampled, updates rejected, pooled held-out AUROC, epsilon spent, bytes
uploaded and downloaded per client, seconds; then wall and CPU time (Ray's processes' CPU
separately) and peak RSS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["fl_app"]

fl_app = typer.Typer(help="Federated learning (Flower).", no_args_is_help=True)


@fl_app.command("simulate")
def simulate_command(
    clients: Annotated[
        int, typer.Option(min=3, help="Synthetic patients (one client each).")
    ] = 100,
    days: Annotated[int, typer.Option(min=45, help="Days per patient.")] = 90,
    rounds: Annotated[int, typer.Option(min=1, help="Federated rounds.")] = 5,
    aggregator: Annotated[
        str, typer.Option(help="mean (FedAvg/FedProx), median (FedMedian) or trimmed_mean.")
    ] = "mean",
    proximal_mu: Annotated[float, typer.Option(min=0.0, help="FedProx mu (0: FedAvg).")] = 0.0,
    secagg: Annotated[bool, typer.Option(help="Secure aggregation (SecAgg+).")] = False,
    num_shares: Annotated[int, typer.Option(help="SecAgg+ shares per client (odd).")] = 5,
    threshold: Annotated[int, typer.Option(help="SecAgg+ reconstruction threshold.")] = 3,
    dropouts: Annotated[
        int, typer.Option(min=0, help="Clients that vanish mid-round 1 (after sharing keys).")
    ] = 0,
    epsilon: Annotated[
        float | None, typer.Option(help="DP budget epsilon (delta 1e-5); omit for no DP.")
    ] = None,
    clip: Annotated[float, typer.Option(help="DP clipping norm of each update.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Cohort seed.")] = 5,
    cache: Annotated[
        Path | None, typer.Option(help="Cache of the cohort's features (.npz).")
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="ray: Flower's Simulation Engine (Ray, 2 CPUs, 127.0.0.1 only); local: the "
            "same apps called in this process (no Ray start-up; faster for small models)."
        ),
    ] = "ray",
    depresjon: Annotated[
        Path | None,
        typer.Option(
            help="Depresjon folder (condition/, control/): clients are sites of participants "
            "instead of synthetic patients (--clients/--days/--cache ignored)."
        ),
    ] = None,
    sites: Annotated[int, typer.Option(min=3, help="Depresjon site clients.")] = 5,
) -> None:
    """Run federated training on a synthetic cohort (or Depresjon sites); per-round figures."""
    from bedside.domain import BedsideError
    from bedside.federated.cohort_data import whitened_cohort
    from bedside.federated.robust import AGGREGATORS
    from bedside.federated.server_app import SecAggSettings
    from bedside.federated.simulation import DropoutPlan, RunSpec, simulate
    from bedside.sensors import CohortConfig

    if aggregator not in AGGREGATORS:
        raise typer.BadParameter(f"--aggregator must be one of {AGGREGATORS}")
    if engine not in ("ray", "local"):
        raise typer.BadParameter("--engine must be ray or local")
    if dropouts and not secagg:
        raise typer.BadParameter("--dropouts needs --secagg (it drops SecAgg+ stages)")
    try:
        spec = RunSpec(
            rounds=rounds,
            aggregator=aggregator,
            proximal_mu=proximal_mu,
            secagg=SecAggSettings(num_shares, threshold) if secagg else None,
            epsilon=epsilon,
            clipping_norm=clip,
        )
        if depresjon is not None:
            from dataclasses import replace

            from bedside.federated.depresjon_sites import (
                SITE_LOCAL_TRAINING,
                SITE_SERVER_STEP,
                depresjon_site_clients,
            )

            data = depresjon_site_clients(depresjon, sites=sites)
            spec = replace(spec, local=SITE_LOCAL_TRAINING, server=SITE_SERVER_STEP)
            typer.echo(
                f"Depresjon: {sites} site clients, participants per site (training/held out) "
                + ", ".join(f"{c.y.size}/{c.y_test.size}" for c in data)
            )
        else:
            config = CohortConfig(n_patients=clients, n_days=days, seed=seed, extra_modalities=())
            typer.echo(f"cohort: {clients} synthetic patients x {days} days, seed {seed}")
            data, _ = whitened_cohort(config, cache=cache)
        dropout = DropoutPlan(dropouts) if dropouts else None
        run = simulate(data, spec, dropout=dropout, engine="ray" if engine == "ray" else "local")
    except BedsideError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from exc
    typer.echo(
        f"{spec.name()}: {len(data)} clients, {rounds} rounds"
        + ("" if run.noise_multiplier is None else f", noise multiplier {run.noise_multiplier:.3f}")
        + (
            " (engine: Flower Simulation Engine, Ray)"
            if engine == "ray"
            else " (engine: in-process grid, Flower ServerApp/ClientApp)"
        )
    )
    typer.echo(
        f"{'round':>5} {'answered':>9} {'rejected':>8} {'AUROC':>6} {'epsilon':>8} "
        f"{'up B/client':>11} {'max up B':>8} {'down B':>7} {'seconds':>8}"
    )
    for r in run.records:
        up_mean, up_max = run.upload_bytes(r.round)
        eps = "-" if r.epsilon is None else f"{r.epsilon:.3f}"
        typer.echo(
            f"{r.round:>5} {r.results:>4}/{r.clients_sampled:<4} {len(r.rejected):>8} "
            f"{r.metrics.get('auroc', float('nan')):>6.3f} {eps:>8} {up_mean:>11.0f} "
            f"{up_max:>8d} {run.download_bytes(r.round):>7.0f} {r.seconds:>8.2f}"
        )
        for why in r.rejected:
            typer.echo(f"      rejected: {why}")
    typer.echo(
        f"total: {run.wall_seconds:.1f} s wall, {run.cpu_seconds:.1f} s CPU in this process "
        f"(training only, cohort generation excluded), peak RSS {run.peak_rss_mb:.0f} MB"
    )
    if engine == "ray":
        typer.echo(
            f"Ray's processes (start-up included): {run.worker_cpu_seconds:.1f} s CPU, peak RSS "
            f"sum {run.worker_peak_rss_mb:.0f} MB (shared object-store pages counted per process)"
        )


@fl_app.command("evaluate")
def evaluate_command(
    clients: Annotated[
        int, typer.Option(min=8, help="Synthetic patients (one client each).")
    ] = 500,
    days: Annotated[int, typer.Option(min=45, help="Days per patient.")] = 90,
    rounds: Annotated[int, typer.Option(min=1, help="Federated rounds.")] = 5,
    epsilon: Annotated[
        list[float] | None, typer.Option(help="DP budgets to compare (repeat the option).")
    ] = None,
    depresjon: Annotated[
        Path | None, typer.Option(help="Depresjon folder (condition/, control/) to add.")
    ] = None,
    sites: Annotated[int, typer.Option(min=2, help="Depresjon site clients.")] = 5,
    seed: Annotated[int, typer.Option(help="Cohort seed.")] = 5,
    cache: Annotated[
        Path | None, typer.Option(help="Cache of the cohort's features (.npz).")
    ] = None,
) -> None:
    """One table: centralised, FedAvg, FedProx, FedMedian, +SecAgg+, +DP, local-only,
    personalised; Depresjon centralised vs federated over sites when --depresjon is given."""
    from bedside.federated.cohort_data import whitened_cohort
    from bedside.federated.evaluation import evaluate_depresjon, evaluate_synthetic, format_table
    from bedside.sensors import CohortConfig

    config = CohortConfig(n_patients=clients, n_days=days, seed=seed, extra_modalities=())
    typer.echo(f"cohort: {clients} synthetic patients x {days} days, seed {seed}; {rounds} rounds")
    data, _ = whitened_cohort(config, cache=cache)
    rows = evaluate_synthetic(
        data,
        rounds=rounds,
        epsilons=tuple(epsilon) if epsilon else (1.0, 4.0, 8.0),
        progress=lambda name: typer.echo(f"  running {name}", err=True),
    )
    if depresjon is not None:
        rows += evaluate_depresjon(
            depresjon, sites=sites, progress=lambda s: typer.echo(f"  {s}", err=True)
        )
    typer.echo(format_table(rows))
    typer.echo(
        "AUROC: pooled held-out days (synthetic: each patient's last 30 % of labelled days; "
        "label PHQ-9 >= 10 within 14 days) with a 95% bootstrap interval over clients; "
        "Depresjon: subject-level 5-fold CV. up B/cl/rd: serialised bytes a client uploads per "
        "round (all SecAgg+ stages). Times: training only."
    )


@fl_app.command("credentials")
def credentials_command(
    out: Annotated[
        Path, typer.Option(help="Directory for ca.crt, ca.key, server.pem, server.key.")
    ],
    host: Annotated[
        list[str],
        typer.Option(help="Name or IP address the SuperLink is reached at (repeatable)."),
    ],
    days: Annotated[int, typer.Option(min=1, help="Validity of the certificates (days).")] = 365,
) -> None:
    """Write a new CA and a SuperLink TLS certificate for the given hosts (the clinic runs it)."""
    from bedside.federated.deployment.credentials import write_tls_files

    files = write_tls_files(out, host, days=days)
    typer.echo(f"CA certificate (give to every site): {files.ca_certificate}")
    typer.echo(f"SuperLink certificate and key: {files.server_certificate}, {files.server_key}")


@fl_app.command("supernode-keys")
def supernode_keys_command(
    out: Annotated[Path, typer.Option(help="Directory for the key pair.")],
    name: Annotated[str, typer.Option(help="File name of the private key (public: NAME.pub).")],
) -> None:
    """Write a SuperNode's authentication key pair (the site runs it, sends NAME.pub)."""
    from bedside.domain import BedsideError
    from bedside.federated.deployment.credentials import write_supernode_keys

    try:
        keys = write_supernode_keys(out, name)
    except BedsideError as err:
        raise typer.BadParameter(str(err), param_hint="--name") from err
    typer.echo(f"private key (stays on this SuperNode): {keys.private_key}")
    typer.echo(f"public key (register it at the clinic): {keys.public_key}")


@fl_app.command("site-data")
def site_data_command(
    out: Annotated[Path, typer.Option(help="The site's data file (.npz).")],
    name: Annotated[str, typer.Option(help="Site name.")] = "site",
    patients: Annotated[int, typer.Option(min=1, help="Synthetic patients at the site.")] = 3,
    days: Annotated[int, typer.Option(min=45, help="Days per patient.")] = 60,
    seed: Annotated[int, typer.Option(help="Cohort seed (use a different one per site).")] = 0,
) -> None:
    """Write a synthetic site's training rows for its SuperNode (``data-file``)."""
    from bedside.domain import BedsideError
    from bedside.federated.deployment.site_data import save_site_data
    from bedside.federated.deployment.synthetic_site import synthetic_site

    try:
        data = synthetic_site(name, patients=patients, days=days, seed=seed)
    except BedsideError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    save_site_data(out, data)
    typer.echo(
        f"{out}: site {name}, {data.y.size} training days ({int(data.y.sum())} positive), "
        f"{data.y_test.size} held out"
    )
