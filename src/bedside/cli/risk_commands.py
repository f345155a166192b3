"""``bedside risk ...``: evaluation of the clinic's episode-risk model under cohort shift.

``bedside risk evaluate-shift`` trains the episode-risk model (both families) on one synthetic
cohort, then scores cohorts generated with other settings (another seed; weaker and stronger
episode effects; noisier days; rarer episodes; weaker effects and noisier days together) and
prints AUROC, Brier, ECE, calibration-in-the-large and conformal coverage per setting.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import typer

from bedside.biomarkers import extract_daily
from bedside.models import EpisodeExamples, episode_examples
from bedside.sensors import CohortConfig, episode_risk_labels, generate_cohort

__all__ = ["SHIFT_SETTINGS", "cohort_examples", "risk_app", "shift_settings"]

risk_app = typer.Typer(help="Episode-risk model evaluation.", no_args_is_help=True)

_NOISE_FIELDS = (
    "activity_daily_log_sd",
    "sleep_onset_sd_min",
    "sleep_duration_sd_min",
    "sleep_efficiency_sd",
)
_EFFECT_FIELDS = (
    "effect_activity_sd",
    "effect_sleep_duration_sd",
    "effect_sleep_onset_sd",
    "effect_sleep_efficiency_sd",
    "effect_rhythm_irregularity",
)

SHIFT_SETTINGS: tuple[tuple[str, float, float, float | None], ...] = (
    # name, effect factor, noise factor, episode fraction (None = training's)
    ("training settings, new seed", 1.0, 1.0, None),
    ("weaker effects x0.5", 0.5, 1.0, None),
    ("stronger effects x1.5", 1.5, 1.0, None),
    ("noisier days x1.5", 1.0, 1.5, None),
    ("rarer episodes (20%)", 1.0, 1.0, 0.2),
    ("weaker x0.5 + noisier x1.5", 0.5, 1.5, None),
)


def shift_settings(base: CohortConfig, seed: int) -> list[tuple[str, CohortConfig]]:
    """The evaluation cohorts' configs: `base` with another seed and the shifts above."""
    out = []
    for k, (name, effect, noise, fraction) in enumerate(SHIFT_SETTINGS):
        update: dict[str, object] = {"seed": seed + 101 * (k + 1)}
        for f in _EFFECT_FIELDS:
            update[f] = min(5.0, getattr(base, f) * effect)
        for f in _NOISE_FIELDS:
            update[f] = getattr(base, f) * noise
        if fraction is not None:
            update["episode_fraction"] = fraction
        out.append((name, base.model_copy(update=update)))
    return out


def cohort_examples(config: CohortConfig) -> list[EpisodeExamples]:
    """Episode-risk examples of every patient of a generated cohort."""
    cohort = generate_cohort(config)
    out = []
    for patient in cohort.patients:
        table = extract_daily(patient.actigraphy)
        labels = episode_risk_labels(patient).astype(np.float64)
        offset = int((table.dates[0] - np.datetime64(config.start_date, "D")).astype(int))
        out.append(episode_examples(table, labels[offset : offset + table.n_days]))
    return out


@risk_app.command("evaluate-shift")
def evaluate_shift(
    train_patients: Annotated[int, typer.Option(min=8, help="Training cohort size.")] = 80,
    test_patients: Annotated[int, typer.Option(min=4, help="Patients per test cohort.")] = 40,
    days: Annotated[int, typer.Option(min=45, help="Days per patient.")] = 90,
    seed: Annotated[int, typer.Option(help="Training cohort seed.")] = 7,
) -> None:
    """Train on one synthetic cohort, evaluate on cohorts generated with other settings."""
    from bedside.models import train_episode_risk
    from bedside.models.episode_evaluation import CohortEvaluation, evaluate_episode_model

    base = CohortConfig(n_patients=train_patients, n_days=days, seed=seed, episode_fraction=0.5)
    typer.echo(
        f"training cohort: {train_patients} patients x {days} days, seed {seed}, "
        f"episode fraction {base.episode_fraction}, default effects and noise"
    )
    train = cohort_examples(base)
    models = {f: train_episode_risk(train, family=f, seed=seed) for f in ("logistic", "gbt")}
    settings = shift_settings(base.model_copy(update={"n_patients": test_patients}), seed)
    tests = [(name, cohort_examples(cfg)) for name, cfg in settings]
    typer.echo(f"{'family':<9}{'test cohort':<29}{CohortEvaluation.header()}")
    for family, model in models.items():
        for name, examples in tests:
            result = evaluate_episode_model(model, examples, seed=seed)
            typer.echo(f"{family:<9}{name:<29}{result.row()}")
    typer.echo(
        "AUROC CI: 95% percentile bootstrap over patients; pred-obs: mean predicted minus "
        "observed rate; cov/nominal: conformal prediction-set coverage of patient-days; "
        "pt-cov: mean over patients of the share of their days covered (the unit the "
        "patient-level conformal calibration targets)"
    )
