"""active_trends: one baseline, then CUSUM on the rest (the one-shot check)."""

from __future__ import annotations

import numpy as np

from bedside.baseline import active_trends
from bedside.domain import DailyBiomarkerTable, PatientId, TrendDirection

# biomarker -> (mean, SD, sign of the adverse shift)
PROFILE = {
    "sleep.duration_min": (420.0, 40.0, -1.0),
    "activity.mean_counts": (200.0, 30.0, -1.0),
    "sleep.efficiency": (85.0, 4.0, -1.0),
    "circadian.interdaily_stability": (0.5, 0.05, -1.0),
    "sleep.waso_min": (40.0, 10.0, 1.0),
}
SHIFTED = ["sleep.duration_min", "activity.mean_counts", "sleep.efficiency"]


def _cohort_table(
    seed: int, n_days: int = 60, shift_at: int | None = None, shift_sd: float = 1.0
) -> DailyBiomarkerTable:
    rng = np.random.default_rng(seed)
    values = {}
    for b, (mean, sd, sign) in PROFILE.items():
        v = mean + sd * rng.standard_normal(n_days)
        if shift_at is not None and b in SHIFTED:
            v[shift_at:] += sign * shift_sd * sd
        values[b] = v
    dates = np.datetime64("2026-01-01") + np.arange(n_days)
    return DailyBiomarkerTable(PatientId(f"p{seed}"), "Europe/Oslo", dates, values)


def test_active_trends_finds_a_two_sd_drop() -> None:
    shifted = active_trends(_cohort_table(5, n_days=70, shift_at=40, shift_sd=2.0))
    found = {(f.biomarker, f.direction) for f in shifted}
    assert {(b, TrendDirection.DOWN) for b in SHIFTED} <= found
    assert all(f.adverse for f in shifted if f.biomarker in SHIFTED)
    dates = _cohort_table(5, n_days=70).date_list()
    for f in shifted:
        if f.biomarker in SHIFTED:
            # onset estimate: near the change (day 40), before the detection
            assert dates[30] <= f.onset_date <= f.detection_date
            assert f.detection_date >= dates[40]


def test_active_trends_short_table_is_empty() -> None:
    assert active_trends(_cohort_table(0, n_days=20)) == []
