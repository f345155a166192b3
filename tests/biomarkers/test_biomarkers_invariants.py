"""Time-series invariants of the whole actigraphy table (Hypothesis).

- Shifting a periodic series by whole hours shifts every onset-like time by the shift and leaves
  the other biomarkers unchanged.
- Dropping data never raises coverage and never makes a missing biomarker appear.
(Whole-day shifts and zone changes with matching UTC shifts: test_biomarkers_daily_table.py.)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bedside.biomarkers import ACTIGRAPHY_IDS, extract_daily
from bedside.domain import Modality, PatientId, SampleFrame

CLOCK_IDS = {
    "sleep.onset_min",
    "sleep.offset_min",
    "sleep.midpoint_min",
    "circadian.l5_onset_min",
    "circadian.m10_onset_min",
    "circadian.cosinor_acrophase_min",
}
WRAPPING = {"circadian.l5_onset_min", "circadian.m10_onset_min", "circadian.cosinor_acrophase_min"}
# IV sums squared differences of successive hours inside a window that starts at local
# midnight: rotating the day changes which one hourly difference falls outside the window.
# Active and sedentary minutes exclude sleep scored on each day's minutes alone (causality), so
# the scoring at midnight moves with the data. They are checked for shifts by whole days.
EDGE_DEPENDENT = {
    "circadian.intradaily_variability",
    "activity.active_min",
    "activity.sedentary_min",
    "activity.sedentary_bout_max_min",
}
DAYS = 16


def day_pattern(seed: int) -> npt.NDArray[np.float64]:
    """One day of counts with a unique least active 5 h (00:00-05:00, all zero) and a unique
    most active 10 h (08:00-18:00, all active); elsewhere every other minute is active."""
    rng = np.random.default_rng(seed)
    minute = np.arange(1440)
    counts = np.where(minute % 2 == 0, 0.0, 150.0 + rng.integers(0, 200, 1440))
    counts[:300] = 0.0
    counts[480:1080] = 300.0 + rng.integers(0, 3000, 600)
    return counts


def periodic_frame(
    pattern: npt.NDArray[np.float64], shift_min: int, drop: npt.NDArray[np.bool_] | None = None
) -> SampleFrame:
    v = np.tile(np.roll(pattern, shift_min), DAYS)
    t = 1_704_067_200 + 60 * np.arange(v.size, dtype=np.int64)  # 2024-01-01 00:00 UTC
    if drop is not None:
        t, v = t[~drop], v[~drop]
    return SampleFrame(PatientId("p"), Modality.ACTIGRAPHY, "UTC", t, v)


@settings(max_examples=12, deadline=None)
@given(hours=st.integers(1, 4), seed=st.integers(0, 50))
def test_shifting_by_whole_hours_shifts_onset_times_and_nothing_else(hours: int, seed: int) -> None:
    pattern = day_pattern(seed)
    a = extract_daily(periodic_frame(pattern, 0))
    b = extract_daily(periodic_frame(pattern, 60 * hours))
    rows = slice(8, DAYS - 1)  # full windows and nights, away from the recording's edges
    for key in ACTIGRAPHY_IDS:
        va, vb = a.values[key][rows], b.values[key][rows]
        assert np.isfinite(va).all(), key
        if key in EDGE_DEPENDENT:
            continue
        if key in CLOCK_IDS:
            want = va + 60 * hours
            if key in WRAPPING:
                want = np.mod(want, 1440.0)
            np.testing.assert_allclose(vb, want, atol=1e-6, err_msg=key)
        else:
            np.testing.assert_allclose(vb, va, rtol=1e-9, atol=1e-9, err_msg=key)


@settings(max_examples=15, deadline=None)
@given(
    gap_start=st.integers(1, DAYS * 1440 - 2),
    gap_len=st.integers(1, 4000),
    seed=st.integers(0, 50),
)
def test_dropping_data_lowers_coverage_and_never_adds_a_value(
    gap_start: int, gap_len: int, seed: int
) -> None:
    pattern = day_pattern(seed)
    drop = np.zeros(DAYS * 1440, dtype=bool)
    drop[gap_start : gap_start + gap_len] = True
    drop[-1] = False
    assume(drop.any())
    full = extract_daily(periodic_frame(pattern, 0))
    part = extract_daily(periodic_frame(pattern, 0, drop))
    cov_full = full.coverage[Modality.ACTIGRAPHY]
    cov_part = part.coverage[Modality.ACTIGRAPHY]
    assert (cov_part <= cov_full).all()
    assert cov_part.sum() < cov_full.sum()
    for key in ACTIGRAPHY_IDS:
        appeared = np.isfinite(part.values[key]) & ~np.isfinite(full.values[key])
        assert not appeared.any(), key
