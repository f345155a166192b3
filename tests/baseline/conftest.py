"""Synthetic daily tables shared by the baseline tests."""

from __future__ import annotations

import numpy as np

from bedside.domain import DailyBiomarkerTable, PatientId

# biomarker -> (mean, SD, sign of the adverse shift)
PROFILE = {
    "sleep.duration_min": (420.0, 40.0, -1.0),
    "activity.total_counts": (300_000.0, 45_000.0, -1.0),
    "circadian.interdaily_stability": (0.5, 0.05, -1.0),
}


def make_table(
    seed: int,
    n_days: int = 90,
    shift_at: int | None = None,
    shift_sd: float = 1.0,
    patient: str | None = None,
    profile: dict[str, tuple[float, float, float]] | None = None,
) -> DailyBiomarkerTable:
    """Independent normal days; optionally a sustained adverse shift of `shift_sd` SDs."""
    rng = np.random.default_rng(seed)
    values = {}
    for b, (mean, sd, sign) in (profile or PROFILE).items():
        v = mean + sd * rng.standard_normal(n_days)
        if shift_at is not None:
            v[shift_at:] += sign * shift_sd * sd
        values[b] = v
    dates = np.datetime64("2026-01-05") + np.arange(n_days)  # a Monday
    return DailyBiomarkerTable(PatientId(patient or f"p{seed}"), "Europe/Oslo", dates, values)
