"""Sleep regularity, social jetlag, cosinor, activity bouts and steps: hand-checked values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pytest

from bedside.biomarkers import extract_daily, minute_grid
from bedside.biomarkers.activity_bouts import daily_activity_bouts
from bedside.biomarkers.cosinor import rolling_cosinor
from bedside.biomarkers.sleep_regularity import sleep_regularity_index, social_jetlag
from bedside.biomarkers.steps import extract_steps_daily
from bedside.domain import InputFormatError, Modality, PatientId, SampleFrame

MONDAY = int(dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp())


def frame(values: npt.ArrayLike, start: int = MONDAY, zone: str = "UTC") -> SampleFrame:
    v = np.asarray(values, dtype=np.float64)
    t = start + 60 * np.arange(v.size, dtype=np.int64)
    return SampleFrame(PatientId("p"), Modality.ACTIGRAPHY, zone, t, v)


def test_sri_is_100_for_repeated_days_and_minus_100_for_alternating_days() -> None:
    days = 8
    grid = minute_grid(frame(np.zeros(days * 1440)))
    minute = np.arange(days * 1440) % 1440
    same = minute < 420
    sri = sleep_regularity_index(grid, same, window_days=7)
    assert np.isnan(sri[:6]).all()
    np.testing.assert_allclose(sri[6:], 100.0)
    # Asleep at night on even days, awake all day on odd days: every 24-h pair differs at
    # night (420 of 1440 minutes), so P(same) = 1020/1440 and SRI = 200 * that - 100.
    flip = same & ((np.arange(days * 1440) // 1440) % 2 == 0)
    sri = sleep_regularity_index(grid, flip, window_days=7)
    np.testing.assert_allclose(sri[7:], 200.0 * 1020.0 / 1440.0 - 100.0)
    # Day 6's pairs end from noon of day 0 to noon of day 6: the first 720 have no partner.
    pairs = 6 * 1440 - 720
    assert sri[6] == pytest.approx(200.0 * (pairs - 6 * 420) / pairs - 100.0)


def test_sri_of_random_states_is_near_zero_and_needs_coverage() -> None:
    rng = np.random.default_rng(3)
    grid = minute_grid(frame(np.zeros(8 * 1440)))
    sri = sleep_regularity_index(grid, rng.random(8 * 1440) < 0.5, window_days=7)
    assert abs(sri[7]) < 3.0
    valid = np.ones(8 * 1440, dtype=bool)
    valid[2 * 1440 : 4 * 1440] = False  # two of the six paired days lose their pairs
    sri = sleep_regularity_index(grid, np.zeros(8 * 1440, dtype=bool), valid=valid)
    assert np.isnan(sri[6:]).all()


def test_social_jetlag_is_free_minus_work_midpoint() -> None:
    dates = np.arange(np.datetime64("2024-01-01"), np.datetime64("2024-01-15"))  # Monday on
    weekday = (dates.astype(np.int64) + 3) % 7
    mid = np.where(weekday >= 5, 270.0, 180.0)
    mid[9] = np.nan  # a missing Wednesday changes nothing
    sjl = social_jetlag(mid, dates, window_days=7)
    assert np.isnan(sjl[:6]).all()
    np.testing.assert_allclose(sjl[6:], 90.0)
    only_work = np.where(weekday >= 5, np.nan, 180.0)
    assert np.isnan(social_jetlag(only_work, dates)).all()


def test_cosinor_recovers_a_known_rhythm_and_matches_lstsq_with_gaps() -> None:
    minute = np.arange(9 * 1440, dtype=np.float64)
    omega = 2 * np.pi / 1440
    y = 120.0 + 80.0 * np.cos(omega * (minute % 1440 - 900.0))
    out = rolling_cosinor(minute_grid(frame(y)), window_days=7)
    np.testing.assert_allclose(out["circadian.cosinor_mesor"][6:], 120.0, atol=1e-8)
    np.testing.assert_allclose(out["circadian.cosinor_amplitude"][6:], 80.0, atol=1e-8)
    np.testing.assert_allclose(out["circadian.cosinor_acrophase_min"][6:], 900.0, atol=1e-6)

    rng = np.random.default_rng(1)
    noisy = y + rng.normal(0, 40, y.size)
    noisy[3000:3500] = np.nan
    got = rolling_cosinor(minute_grid(frame(noisy)), window_days=7)
    sel = slice(2 * 1440, 9 * 1440)  # the window ending on day 8
    ok = np.isfinite(noisy[sel])
    t = minute[sel][ok] % 1440
    design = np.column_stack([np.ones(t.size), np.cos(omega * t), np.sin(omega * t)])
    m, b, g = np.linalg.lstsq(design, noisy[sel][ok], rcond=None)[0]
    assert got["circadian.cosinor_mesor"][8] == pytest.approx(m, rel=1e-9)
    assert got["circadian.cosinor_amplitude"][8] == pytest.approx(np.hypot(b, g), rel=1e-9)
    acro = np.mod(np.arctan2(g, b) / omega, 1440)
    assert got["circadian.cosinor_acrophase_min"][8] == pytest.approx(acro, rel=1e-9)


def test_activity_bouts_count_waking_minutes_only() -> None:
    counts = np.full(2 * 1440, 500.0)
    counts[:360] = 0.0  # asleep 00:00-06:00 on day 0
    counts[600:645] = 50.0  # a 45-min sedentary bout
    counts[700:710] = 3000.0  # 10 active minutes
    counts[1440 + 1000 : 1440 + 1020] = 20.0
    counts[1440 + 1021 : 1440 + 1031] = 20.0
    grid = minute_grid(frame(counts))
    in_sleep = np.zeros(counts.size, dtype=bool)
    in_sleep[:360] = True
    out = daily_activity_bouts(grid, in_sleep)
    assert out["activity.sedentary_min"].tolist() == [45.0, 30.0]
    assert out["activity.sedentary_bout_max_min"].tolist() == [45.0, 20.0]
    assert out["activity.active_min"].tolist() == [10.0, 0.0]


def test_actigraphy_table_excludes_the_main_sleep_from_sedentary_time() -> None:
    minute = np.arange(10 * 1440)
    awake = (minute % 1440 >= 7 * 60) & (minute % 1440 < 23 * 60)
    counts = np.where(awake, 400.0, 0.0)
    table = extract_daily(frame(counts))
    # Awake minutes count 400 (light activity): the only sedentary minutes are zero minutes
    # that Cole-Kripke scores awake at the edges of the night, outside the main sleep periods.
    onset, offset = table.values["sleep.onset_min"], table.values["sleep.offset_min"]
    in_sleep = np.zeros(minute.size, dtype=bool)
    for d in range(table.n_days):
        if np.isfinite(onset[d]):
            in_sleep[max(0, int(d * 1440 + onset[d])) : int(d * 1440 + offset[d])] = True
    edges = np.bincount(minute[(counts == 0) & ~in_sleep] // 1440, minlength=10)
    sedentary = table.values["activity.sedentary_min"][1:-1]
    assert (sedentary > 0).all()
    assert (sedentary <= edges[1:-1] + 30).all()
    assert table.values["activity.active_min"][1:-1].tolist() == [0.0] * 8
    np.testing.assert_allclose(table.values["sleep.sri"][7:-1], 100.0, atol=0.5)


def steps_frame(values: npt.ArrayLike, epoch_s: int = 3600, start: int = MONDAY) -> SampleFrame:
    v = np.asarray(values, dtype=np.float64)
    t = start + epoch_s * np.arange(v.size, dtype=np.int64)
    return SampleFrame(PatientId("p"), Modality.STEPS, "Europe/Oslo", t, v, epoch_s)


def test_steps_sum_per_local_day_with_coverage() -> None:
    # Hourly records from 00:00 UTC = 01:00 Oslo: 23 hours on Jan 1 local, then 25 more.
    table = extract_steps_daily(steps_frame(np.full(48, 100.0)))
    assert table.n_days == 3
    np.testing.assert_allclose(table.coverage[Modality.STEPS], [23 / 24, 1.0, 1 / 24])
    steps = table.values["activity.steps"]
    assert steps[:2].tolist() == [2300.0, 2400.0]
    assert np.isnan(steps[2])


def test_steps_reject_negative_counts_and_other_modalities() -> None:
    with pytest.raises(InputFormatError, match="sample 2"):
        extract_steps_daily(steps_frame([1.0, 2.0, -3.0]))
    with pytest.raises(InputFormatError, match="step counts"):
        extract_steps_daily(frame([1.0, 2.0]))
