"""`bedside triage ...`: evaluate the protocols and the alert budget on a synthetic clinic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["triage_app"]

triage_app = typer.Typer(
    help="Evaluate clinical protocols, triage and the alert budget.", no_args_is_help=True
)

# Floors of the clinical-recommendations issue, printed next to the measured values.
FLOOR_CAUGHT = 0.80
FLOOR_MEDIAN_DELAY_DAYS = 7.0
FLOOR_INTERRUPTIVE_PER_DAY = 5
FLOOR_FEWER_THAN_NAIVE = 5.0


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


@triage_app.command("evaluate")
def evaluate(
    patients: Annotated[int, typer.Option(min=2, help="Patients in the synthetic clinic.")] = 500,
    days: Annotated[int, typer.Option(min=35, help="Days each patient is monitored.")] = 180,
    clinicians: Annotated[
        int, typer.Option(min=2, help="Clinicians: one care coordinator, the rest psychiatrists.")
    ] = 5,
    budget: Annotated[
        int, typer.Option(min=0, help="Interruptive recommendations per clinician per day.")
    ] = 5,
    seed: Annotated[
        int, typer.Option(help="Seed of the clinic (the model trains on another).")
    ] = 2027,
    training_patients: Annotated[int, typer.Option(min=10)] = 200,
    jobs: Annotated[int, typer.Option(min=1, help="Processes for the device side.")] = 2,
    cohort: Annotated[
        list[str] | None,
        typer.Option(
            "--cohort",
            help="Generator parameter of the clinic as KEY=VALUE (repeatable), e.g. "
            "--cohort effect_activity_sd=0.5; see bedside.sensors.CohortConfig.",
        ),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the table as JSON.")
    ] = None,
    phq9_prompts: Annotated[
        bool,
        typer.Option(
            "--phq9-prompts/--no-phq9-prompts",
            help="Devices prompt their patient for a PHQ-9 when their findings call for one.",
        ),
    ] = True,
    prompt_risk: Annotated[
        str,
        typer.Option(
            help="Risk (probability) at which a device prompts: a number, 'base-rate' (the "
            "risk model's training base rate) or 'off'."
        ),
    ] = "base-rate",
    prompt_trends: Annotated[
        bool,
        typer.Option("--prompt-trends/--no-prompt-trends", help="Prompt on adverse trends."),
    ] = True,
    prompt_interval: Annotated[
        int, typer.Option(min=1, help="Days after an answered prompt before the next.")
    ] = 7,
    prompt_reminders: Annotated[
        int, typer.Option(min=0, help="Next-day repeats of an unanswered prompt.")
    ] = 2,
    prompt_response_rate: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of prompts synthetic patients answer."),
    ] = 0.75,
) -> None:
    """Recommendations per clinician, interruptions, episodes caught, delay, PPV and crises,
    with the budget on and off, next to the naive 7-day-mean rule, in one run."""
    from rich.console import Console
    from rich.table import Table

    from bedside.cli.app import _cohort_overrides
    from bedside.cli.triage_evaluation import TriageOptions, evaluate_triage, prompt_setting

    prompting = None
    if phq9_prompts:
        at_base = prompt_risk == "base-rate"
        risk: float | None = None
        if not at_base and prompt_risk != "off":
            try:
                risk = float(prompt_risk)
            except ValueError:
                risk = None
            if risk is None or not 0.0 <= risk <= 1.0:
                raise typer.BadParameter(
                    f"expected a probability from 0 to 1, 'base-rate' or 'off', "
                    f"got {prompt_risk!r}",
                    param_hint="--prompt-risk",
                )
        prompting = prompt_setting(
            risk=risk,
            risk_at_base_rate=at_base,
            on_adverse_trend=prompt_trends,
            min_interval_days=prompt_interval,
            max_reminders=prompt_reminders,
            response_rate=prompt_response_rate,
        )
    options = TriageOptions(
        patients=patients,
        days=days,
        clinicians=clinicians,
        budget=budget,
        seed=seed,
        training_patients=training_patients,
        jobs=jobs,
        cohort=_cohort_overrides(cohort or []),
        prompting=prompting,
    )
    result = evaluate_triage(options)
    table = Table(
        title=f"Triage on {patients} patients x {days} days, {clinicians} clinicians, seed {seed}"
    )
    for col in (
        "arm",
        "recs",
        "per clin/wk",
        "interrupt/clin/day (max)",
        "caught",
        "caught by interruption",
        "median delay d",
        "PPV",
        "crises same day",
    ):
        table.add_column(col)
    for a in result.arms:
        table.add_row(
            a.arm,
            str(a.recommendations),
            f"{a.per_clinician_per_week:.2f}",
            f"{a.interruptive_per_clinician_day:.2f} ({a.max_interruptive_clinician_day})",
            f"{a.caught}/{a.episodes} ({a.caught / max(1, a.episodes):.0%})",
            f"{a.caught_by_interruption}/{a.episodes}",
            _fmt(a.median_delay_days, ".1f"),
            _fmt(a.ppv, ".2f"),
            f"{a.crises_same_day}/{a.crises}" if a.crises else "-",
        )
    console = Console()
    if result.prompting is None:
        console.print("Device PHQ-9 prompts: off")
    else:
        console.print(f"Device PHQ-9 prompts: ON ({result.prompting.describe()})")
        if result.prompts is not None:
            p = result.prompts
            console.print(
                f"  shown {p.shown} ({p.per_patient_month:.2f} per patient-month, "
                f"{p.patients_prompted}/{patients} patients), answered {p.answered}"
            )
    console.print(table)
    on = result.arm("bedside, budget on")
    naive = result.arm("naive 7-day mean > 12% change")
    ratio = naive.recommendations / max(1, on.recommendations)
    caught = on.caught / max(1, on.episodes)
    console.print(f"Recommendations by protocol (budget on): {result.by_protocol}")
    console.print("Floors (budget on):")
    for label, value, floor, ok in (
        ("episodes caught", f"{caught:.0%}", f">= {FLOOR_CAUGHT:.0%}", caught >= FLOOR_CAUGHT),
        (
            "median delay",
            _fmt(on.median_delay_days, ".1f"),
            f"<= {FLOOR_MEDIAN_DELAY_DAYS:g} d",
            on.median_delay_days is not None and on.median_delay_days <= FLOOR_MEDIAN_DELAY_DAYS,
        ),
        (
            "max interruptive per clinician-day",
            str(on.max_interruptive_clinician_day),
            f"<= {FLOOR_INTERRUPTIVE_PER_DAY}",
            on.max_interruptive_clinician_day <= FLOOR_INTERRUPTIVE_PER_DAY,
        ),
        (
            "fewer recommendations than naive",
            f"{ratio:.1f}x",
            f">= {FLOOR_FEWER_THAN_NAIVE:g}x",
            ratio >= FLOOR_FEWER_THAN_NAIVE,
        ),
        (
            "crises delivered same day",
            f"{on.crises_same_day}/{on.crises}",
            "100%",
            on.crises_same_day == on.crises,
        ),
    ):
        console.print(f"  {label}: {value} (floor {floor}) {'met' if ok else 'NOT met'}")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result.to_json_dict(), indent=2, default=str))
