"""`bedside trends ...`: verified trends of a daily table, and the detectors' evaluation.

Heavy imports happen inside each command so that `bedside --help` stays instant.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bedside.domain import BedsideError

if TYPE_CHECKING:
    import datetime as dt

    from bedside.domain import TrendDirection, TrendFinding

__all__ = ["TRENDS_COLUMNS", "trends_app"]

trends_app = typer.Typer(
    help="Verified trends against the patient's own baseline, and their evaluation.",
    no_args_is_help=True,
)

TRENDS_COLUMNS = [
    "biomarker",
    "direction",
    "onset_date",
    "detection_date",
    "size",
    "robust_z",
    "false_alarm_rate_per_year",
    "coverage",
    "days_sustained",
    "theil_sen_slope_per_day",
    "mann_kendall_p",
    "active_on_last_day",
]
"""Columns of `bedside trends detect`: the contract's eight, then four more (effect size)."""


def _fail(exc: Exception) -> typer.Exit:
    typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


@trends_app.command("detect")
def detect(
    daily: Annotated[
        Path,
        typer.Argument(
            help="Daily biomarker CSV from `bedside biomarkers extract`.", dir_okay=False
        ),
    ],
    out: Annotated[Path, typer.Option(help="Trends CSV to write (one row per verified trend).")],
    zone: Annotated[str, typer.Option(help="IANA zone of the table's local days.")] = "Europe/Oslo",
    rate: Annotated[
        float, typer.Option(min=0.001, help="Family-wise false alarms per patient-year allowed.")
    ] = 1.0,
    prior: Annotated[
        Path | None, typer.Option(help="Population prior JSON (cold-start baselines).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the per-patient calibration.")] = 0,
) -> None:
    """Every verified trend of one patient's daily table, calibrated to that patient."""
    from bedside.baseline import DailyTrendMonitor, PopulationPrior
    from bedside.baseline.trend_statistics import mann_kendall, theil_sen_slope
    from bedside.biomarkers import read_daily_csv

    if not daily.is_file():
        raise _fail(FileNotFoundError(f"{daily}: no such file"))
    try:
        table = read_daily_csv(daily, patient_id=daily.stem, zone=zone)
        population = None
        if prior is not None:
            population = PopulationPrior.from_dict(json.loads(prior.read_text(encoding="utf-8")))
        state = DailyTrendMonitor(target_rate_per_year=rate, prior=population, seed=seed).update(
            table
        )
    except (BedsideError, OSError, json.JSONDecodeError) as exc:
        raise _fail(exc) from exc
    # one row per trend: a change seen first by the episode-signature chart and then by its
    # biomarker's own chart is one trend (same onset); the earliest detection is kept
    findings: dict[tuple[str, TrendDirection, dt.date], TrendFinding] = {}
    for day in state.daily_trends:
        for f in day:
            key = (f.biomarker, f.direction, f.onset_date)
            if key not in findings or f.detection_date < findings[key].detection_date:
                findings[key] = f
    active = {(f.biomarker, f.direction, f.onset_date) for f in state.trends}
    out.parent.mkdir(parents=True, exist_ok=True)
    index = {d: i for i, d in enumerate(table.date_list())}
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(TRENDS_COLUMNS)
        for key in sorted(
            findings, key=lambda k: (findings[k].detection_date, k[0], k[1].value, k[2])
        ):
            f = findings[key]
            span = table.values[f.biomarker][index[f.onset_date] : index[f.detection_date] + 1]
            writer.writerow(
                [
                    f.biomarker,
                    f.direction.value,
                    f.onset_date.isoformat(),
                    f.detection_date.isoformat(),
                    _num(f.size),
                    _num(f.robust_z),
                    _num(f.false_alarm_rate_per_year),
                    _num(f.coverage),
                    f.days_sustained,
                    _num(theil_sen_slope(span)),
                    _num(mann_kendall(span).p_value),
                    int(key in active),
                ]
            )
    counts: dict[str, list[str]] = {}
    for b, status in state.status.items():
        counts.setdefault(status.value, []).append(b)
    for status_name in sorted(counts):
        typer.echo(f"{status_name}: {', '.join(counts[status_name])}")
    cal = state.calibration
    if cal is not None:
        typer.echo(
            f"calibrated on {cal.pool_days} in-control days: simulated family-wise false-alarm "
            f"rate {cal.family_rate_per_year:.2f} per patient-year (target {rate:g})"
        )
    else:
        typer.echo("no calibration: too little data for a baseline (insufficient data)")
    typer.echo(f"wrote {len(findings)} verified trend(s) to {out}")


def _num(x: float) -> str:
    return "" if math.isnan(x) else f"{x:.6g}"


@trends_app.command("evaluate")
def evaluate(
    depresjon: Annotated[
        Path | None,
        typer.Option(help="Depresjon folder: its controls are the semi-synthetic background."),
    ] = None,
    patient_years: Annotated[
        int, typer.Option(min=5, help="Simulated patient-years per background.")
    ] = 100,
    rate: Annotated[
        float, typer.Option(min=0.001, help="Family-wise false alarms per patient-year.")
    ] = 1.0,
    calibration_series: Annotated[
        int,
        typer.Option(min=5, help="Bootstrap series per patient calibration (the device's: 100)."),
    ] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the whole evaluation.")] = 0,
    onset_day: Annotated[
        int,
        typer.Option(
            help="First monitoring day of the injected onsets (spread over 28 days): 28 tests "
            "a patient's second month, 224 a device in its steady state."
        ),
    ] = 28,
) -> None:
    """Detection rate, delay and false alarms of every detector, next to the naive rules."""
    import numpy as np

    from bedside.baseline.evaluation import (
        EVAL_BIOMARKERS,
        evaluate_detectors,
        source_arrays,
        synthetic_background,
    )
    from bedside.baseline.scheme import BaselineScheme

    reports = []
    try:
        if depresjon is not None:
            from bedside.baseline import DailyTrendMonitor
            from bedside.biomarkers import extract_daily
            from bedside.biomarkers.wear import with_wear_coverage
            from bedside.domain import Modality
            from bedside.sensors import read_depresjon

            files = sorted((depresjon / "control").glob("control_*.csv"))
            if not files:
                raise _fail(FileNotFoundError(f"{depresjon}/control: no control_*.csv files"))
            sources = []
            n_all = 0
            min_cov = DailyTrendMonitor().min_day_coverage
            for f in files:
                frame = read_depresjon(f)
                table = with_wear_coverage(extract_daily(frame), frame)
                missing = [b for b in EVAL_BIOMARKERS if b not in table.values]
                if missing:
                    raise _fail(ValueError(f"{f}: no column for {', '.join(missing)}"))
                src = source_arrays(table.values)
                n_all += src.shape[0]
                # the device's coverage rule: an off-wrist (or half-recorded) day is missing; the
                # background is the worn days (a patient-year of off-wrist days is not a test)
                worn = table.coverage[Modality.ACTIGRAPHY][-src.shape[0] :] >= min_cov
                sources.append(src[worn])
            days = sum(s.shape[0] for s in sources)
            typer.echo(
                f"Depresjon controls: {len(sources)} recordings, {days} worn days of {n_all} "
                "(days under half worn are missing, as on the device)"
            )
            reports.append(
                evaluate_detectors(
                    sources,
                    background=f"Depresjon controls ({len(sources)}, {days} worn days), "
                    "block bootstrap",
                    n_patient_years=patient_years,
                    target_rate_per_year=rate,
                    n_series=calibration_series,
                    seed=seed,
                    onset_day=onset_day,
                )
            )
        n_days = BaselineScheme().start_days + 365
        synthetic = synthetic_background(patient_years, n_days, np.random.default_rng(seed + 1))
        reports.append(
            evaluate_detectors(
                synthetic,
                background="long synthetic baselines (AR(1) 0.3/0.8, t5, correlated)",
                n_patient_years=patient_years,
                resample=False,
                target_rate_per_year=rate,
                n_series=calibration_series,
                seed=seed,
                oracle=True,
                onset_day=onset_day,
            )
        )
    except BedsideError as exc:
        raise _fail(exc) from exc
    for report in reports:
        typer.echo(report.to_table())
        typer.echo(_floors(report))
        typer.echo("")


def _floors(report: object) -> str:
    """The issue's floors for the device detector, met or not, from the report."""
    from bedside.baseline.evaluation import EvaluationReport

    assert isinstance(report, EvaluationReport)
    lines = []
    for r in report.results:
        if not r.name.startswith("device"):
            continue
        fa_ok = r.false_alarms_per_year <= report.target_rate_per_year
        a = ("episode (3 biomarkers)", 1.0)
        b = ("activity alone", 2.0)
        checks = [
            ("FA <= target", fa_ok),
            ("(a) 1 SD episode >= 80% in 21 d", r.detection[a] >= 0.8),
            ("(b) 2 SD activity >= 80% in 21 d", r.detection[b] >= 0.8),
            ("(c) median delay <= 1.5 x bound", all(
                r.median_delay[key] <= 1.5 * report.bounds[key] for key in (a, b)
            )),
        ]  # fmt: skip
        met = ", ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks)
        lo, hi = r.scored_false_alarms_ci
        lines.append(
            f"floors for {r.name}: {met} (FA judged over the year, "
            f"{r.false_alarms_per_year:.2f}; over the scored days it was "
            f"{r.scored_false_alarms_per_year:.2f} [{lo:.2f}, {hi:.2f}])"
        )
    return "\n".join(lines)
