"""The `bedside` command line (Typer + Rich).

Heavy imports happen inside each command so that `bedside --help` is instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bedside.cli.audit_commands import audit_app
from bedside.cli.clinic_commands import clinic_app
from bedside.cli.language_commands import language_app
from bedside.cli.risk_commands import risk_app
from bedside.cli.trends_commands import trends_app
from bedside.domain import BedsideError, SampleFrame

__all__ = ["app", "main"]

app = typer.Typer(
    name="bedside",
    help="Bedside: digital biomarkers to triaged, explained recommendations in the EHR.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
biomarkers_app = typer.Typer(
    help="Compute daily biomarkers from raw sensor files.", no_args_is_help=True
)
model_app = typer.Typer(
    help="Train, score and evaluate the Depresjon benchmark classifier.", no_args_is_help=True
)
app.add_typer(biomarkers_app, name="biomarkers")
app.add_typer(model_app, name="model")
app.add_typer(audit_app, name="audit")
app.add_typer(risk_app, name="risk")
app.add_typer(trends_app, name="trends")
app.add_typer(clinic_app, name="clinic")
app.add_typer(language_app, name="language")


def _register_subcommands() -> None:
    from bedside.cli.triage_commands import triage_app

    app.add_typer(triage_app, name="triage")
    from bedside.cli.beiwe_commands import beiwe_app

    app.add_typer(beiwe_app, name="beiwe")
    from bedside.cli.device_commands import device_app

    app.add_typer(device_app, name="device")
    from bedside.cli.roster_commands import roster_app

    app.add_typer(roster_app, name="roster")
    from bedside.cli.fl_commands import fl_app

    app.add_typer(fl_app, name="fl")


_register_subcommands()


def _fail(exc: Exception) -> typer.Exit:
    typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def _cohort_overrides(pairs: list[str]) -> dict[str, str]:
    """Parse KEY=VALUE pairs; CohortConfig validates keys, types and ranges."""
    from bedside.sensors import CohortConfig

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in CohortConfig.model_fields:
            raise typer.BadParameter(
                f"{pair!r}: expected KEY=VALUE with KEY one of {sorted(CohortConfig.model_fields)}",
                param_hint="--cohort",
            )
        out[key] = value
    return out


@app.command()
def demo(
    patients: Annotated[int, typer.Option(min=1, help="Patients in the synthetic clinic.")] = 30,
    days: Annotated[int, typer.Option(min=35, help="Days each patient is monitored.")] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic clinic.")] = 42,
    out: Annotated[Path, typer.Option(help="Output folder (bundle, model, store).")] = Path("out"),
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboard afterwards.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    summary_json: Annotated[
        Path | None, typer.Option(help="Also write the summary as JSON to this path.")
    ] = None,
    training_patients: Annotated[
        int, typer.Option(min=10, help="Patients in the separate synthetic training cohort.")
    ] = 200,
    cohort: Annotated[
        list[str] | None,
        typer.Option(
            "--cohort",
            help="Generator parameter of the clinic as KEY=VALUE (repeatable), e.g. "
            "--cohort effect_activity_sd=0.5; see bedside.sensors.CohortConfig for every key.",
        ),
    ] = None,
    demo_password: Annotated[
        str | None,
        typer.Option(help="Password of every demo clinician account (default: random, printed)."),
    ] = None,
    federated: Annotated[
        bool,
        typer.Option(
            "--federated/--centralised",
            help="Train the episode-risk model by federated learning (FedAvg + SecAgg+ over the "
            "training cohort's patients, PHQ-9 labels) and publish it signed; devices verify it "
            "(default). --centralised: the former centralised model on the cohort's episode "
            "labels.",
        ),
    ] = True,
) -> None:
    """Run the whole pipeline on a synthetic clinic, print a summary, then serve the dashboard."""
    from bedside.cli.demo_run import DemoOptions, run_demo

    options = DemoOptions(
        patients=patients,
        days=days,
        seed=seed,
        out=out,
        training_patients=training_patients,
        cohort=_cohort_overrides(cohort or []),
        federated=federated,
    )
    try:
        result = run_demo(options)
    except BedsideError as exc:
        raise _fail(exc) from exc
    if summary_json is not None:
        import json

        summary_json.parent.mkdir(parents=True, exist_ok=True)
        summary_json.write_text(json.dumps(result.summary.to_json_dict(), indent=2) + "\n")
    if serve:
        from bedside.server import create_app
        from bedside.server import serve as serve_app

        # The server shows the clinic as of the end of the simulated period, not today's date,
        # so that recommendations raised in the replay are open rather than long expired.
        end = result.clock_end
        typer.echo(
            f"Serving the dashboard, CDS Hooks and FHIR API on http://{host}:{port} as of "
            f"{end.isoformat()} (Ctrl-C stops)"
        )
        from bedside.cli import demo_access as access_setup
        from bedside.cli.demo_run import DEMO_CLINICIANS

        base_url = f"http://{host}:{port}"
        password = demo_password or access_setup.demo_password()
        assert result.clinic is not None
        access = access_setup.demo_access(
            result.store,
            result.clinic,
            result.patient_ids,
            DEMO_CLINICIANS,
            password=password,
            base_url=base_url,
            clock_end=end,
        )
        typer.echo(
            f"Log in at {base_url}/login as psychiatrist-1 (or psychiatrist-2.."
            f"{DEMO_CLINICIANS - 1}, care-coordinator-1, {access_setup.DEMO_AUDITOR}) with "
            f"password: {password}   (each psychiatrist sees their own caseload; the care "
            f"coordinator sees every patient's queue but no findings; API clients: POST "
            f"{base_url}/auth/token)"
        )
        from bedside.cli.demo_run import DEMO_BUDGET
        from bedside.clinical import AlertBudget

        app_ = create_app(
            result.store,
            base_url=base_url,
            clock=lambda: end,
            access=access,
            alert_budget=AlertBudget(max_interruptive_per_day=DEMO_BUDGET),
            model_dir=out / "models",
        )
        serve_app(app_, host=host, port=port)


@biomarkers_app.command("extract")
def biomarkers_extract(
    input: Annotated[
        Path, typer.Argument(help="Raw recording (CSV).", exists=True, dir_okay=False)
    ],
    out: Annotated[Path, typer.Option(help="Daily biomarker CSV to write.")],
    format: Annotated[str, typer.Option(help="Input format: depresjon or csv.")] = "depresjon",
    zone: Annotated[
        str, typer.Option(help="IANA zone of naive timestamps (csv format; depresjon is Oslo).")
    ] = "Europe/Oslo",
    lenient: Annotated[
        bool, typer.Option(help="Drop malformed rows (reported with counts) instead of failing.")
    ] = False,
) -> None:
    """Write the daily biomarker table of one recording (one row per local day)."""
    import warnings

    from bedside.biomarkers import extract_daily, write_daily_csv
    from bedside.domain import DroppedRowsWarning, Modality
    from bedside.sensors import read_depresjon_with_report, read_timestamp_value_csv_with_report

    if format not in ("depresjon", "csv"):
        raise typer.BadParameter(f"unknown format {format!r}; use depresjon or csv")
    try:
        with warnings.catch_warnings():
            # the report below says the same in one line
            warnings.simplefilter("ignore", DroppedRowsWarning)
            if format == "depresjon":
                frame, report = read_depresjon_with_report(input, zone=zone, lenient=lenient)
            else:
                frame, report = read_timestamp_value_csv_with_report(
                    input, zone=zone, modality=Modality.ACTIGRAPHY, lenient=lenient
                )
        table = extract_daily(frame)
        write_daily_csv(table, out)
    except BedsideError as exc:
        raise _fail(exc) from exc
    if report.rows_dropped:
        dropped = ", ".join(f"{n} {reason}" for reason, n in sorted(report.rows_dropped.items()))
        typer.secho(
            f"{input}: kept {report.rows_kept} of {report.rows_read} rows; dropped {dropped}",
            err=True,
            fg=typer.colors.YELLOW,
        )
    typer.echo(f"wrote {table.n_days} days x {len(table.values)} biomarkers to {out}")


def _read_depresjon_frame(path: Path) -> SampleFrame:
    from bedside.sensors import read_depresjon

    return read_depresjon(path)


def _participant_info(data_dir: Path) -> dict[str, Any] | None:
    """Sex, age band and MADRS per participant from ``scores.csv`` (None when absent)."""
    from bedside.models import ParticipantInfo
    from bedside.sensors import read_depresjon_scores

    path = data_dir / "scores.csv"
    if not path.is_file():
        return None
    return {
        p.participant_id: ParticipantInfo(
            sex=p.sex,
            age_band=p.age_band,
            madrs=None if p.madrs1 is None else float(p.madrs1),
        )
        for p in read_depresjon_scores(path)
    }


def _check_dataset(dataset: str) -> None:
    if dataset != "depresjon":
        raise typer.BadParameter(f"unknown dataset {dataset!r}; only depresjon is supported")


@model_app.command("train")
def model_train(
    data_dir: Annotated[
        Path, typer.Argument(help="Folder laid out like Depresjon.", exists=True, file_okay=False)
    ],
    out: Annotated[Path, typer.Option(help="Model bundle folder to write.")],
    dataset: Annotated[str, typer.Option(help="Dataset layout (depresjon).")] = "depresjon",
    family: Annotated[str, typer.Option(help="Model family: logistic or gbt.")] = "logistic",
) -> None:
    """Train the Depresjon benchmark classifier on every participant of a folder.

    Also writes a model card (model_card.json / .md) with a 5 x 5-fold subject-level evaluation.
    """
    from bedside.models import train_depresjon

    _check_dataset(dataset)
    if family not in ("logistic", "gbt"):
        raise typer.BadParameter(f"unknown family {family!r}; expected logistic or gbt")
    try:
        model = train_depresjon(
            data_dir,
            _read_depresjon_frame,
            family="gbt" if family == "gbt" else "logistic",
            info=_participant_info(data_dir),
        )
        path = model.save(out)
    except BedsideError as exc:
        raise _fail(exc) from exc
    typer.echo(f"wrote model bundle {path} (threshold {model.threshold:.3f})")


@model_app.command("score")
def model_score(
    input_dir: Annotated[
        Path, typer.Argument(help="Flat folder of Depresjon-format CSVs.", file_okay=False)
    ],
    model: Annotated[Path, typer.Option(help="Model bundle written by `bedside model train`.")],
    out: Annotated[Path, typer.Option(help="CSV to write: participant,probability,predicted.")],
) -> None:
    """Score recordings the model has never seen (participant = file name without extension)."""
    import csv

    from bedside.models import DepresjonModel, score_recordings

    if not input_dir.is_dir():
        raise _fail(FileNotFoundError(f"{input_dir}: not a folder"))
    try:
        scored = score_recordings(DepresjonModel.load(model), input_dir, _read_depresjon_frame)
    except BedsideError as exc:
        raise _fail(exc) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["participant", "probability", "predicted"])
        for row in scored:
            writer.writerow([row.participant, f"{row.probability:.6f}", int(row.predicted)])
    typer.echo(f"scored {len(scored)} recordings -> {out}")


@model_app.command("evaluate")
def model_evaluate(
    data_dir: Annotated[
        Path, typer.Argument(help="Folder laid out like Depresjon.", exists=True, file_okay=False)
    ],
    dataset: Annotated[str, typer.Option(help="Dataset layout (depresjon).")] = "depresjon",
    repeats: Annotated[int, typer.Option(min=1, help="Repeats of the K-fold split.")] = 20,
    folds: Annotated[int, typer.Option(min=2, help="Folds (subject-level, stratified).")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the first repeat.")] = 0,
) -> None:
    """Repeated subject-level cross-validation next to the paper's 3-feature baseline."""
    from bedside.models import evaluate_depresjon

    _check_dataset(dataset)
    try:
        report = evaluate_depresjon(
            data_dir,
            _read_depresjon_frame,
            repeats=repeats,
            folds=folds,
            seed=seed,
            info=_participant_info(data_dir),
        )
    except BedsideError as exc:
        raise _fail(exc) from exc
    typer.echo(report.to_table())


def main() -> None:
    """Console-script entry point."""
    app()
