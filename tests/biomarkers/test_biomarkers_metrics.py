"""Hand-checkable unit tests of the epoch, activity, sleep and circadian metrics."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest

from bedside.biomarkers import (
    cole_kripke,
    daily_activity,
    daily_coverage,
    main_sleep_periods,
    minute_grid,
    nonparametric_measures,
    webster_rescore,
)
from bedside.biomarkers.epochs import day_lengths_min
from bedside.domain import InputFormatError, Modality, PatientId, SampleFrame

OSLO = "Europe/Oslo"


def utc_of(local: dt.datetime, zone: str) -> int:
    """UTC seconds of a naive local wall time."""
    return int(local.replace(tzinfo=ZoneInfo(zone)).timestamp())


def frame_from(
    start_utc: int, values: npt.ArrayLike, zone: str = "UTC", *, drop: npt.ArrayLike | None = None
) -> SampleFrame:
    """Consecutive minutes from `start_utc`; `drop` is a boolean mask of minutes to omit."""
    v = np.asarray(values, dtype=np.float64)
    t = start_utc + 60 * np.arange(v.size, dtype=np.int64)
    if drop is not None:
        keep = ~np.asarray(drop, dtype=bool)
        t, v = t[keep], v[keep]
    return SampleFrame(
        patient_id=PatientId("p1"),
        modality=Modality.ACTIGRAPHY,
        zone=zone,
        time_utc=t,
        value=v,
    )


def test_dst_days_last_23_and_25_hours() -> None:
    grid = minute_grid(frame_from(utc_of(dt.datetime(2003, 3, 29), OSLO), np.ones(3 * 1440), OSLO))
    lengths = day_lengths_min(grid.first_day, grid.n_days, OSLO)
    assert grid.dates[1] == np.datetime64("2003-03-30")
    assert lengths[:2].tolist() == [1440.0, 1380.0]
    fall = minute_grid(frame_from(utc_of(dt.datetime(2003, 10, 26), OSLO), np.ones(1500), OSLO))
    assert fall.n_days == 1
    assert day_lengths_min(fall.first_day, 1, OSLO).tolist() == [1500.0]
    assert daily_coverage(fall).tolist() == [1.0]
    assert int(fall.elapsed_min.max()) == 1499
    assert int(fall.wall_min.max()) == 1439


def test_full_23_hour_day_has_full_coverage() -> None:
    start = utc_of(dt.datetime(2003, 3, 30), OSLO)
    cov = daily_coverage(minute_grid(frame_from(start, np.ones(1380), OSLO)))
    assert cov.tolist() == [1.0]


def test_coverage_counts_missing_and_nan_minutes() -> None:
    values = np.ones(1440)
    values[:100] = np.nan
    drop = np.zeros(1440, dtype=bool)
    drop[200:300] = True
    cov = daily_coverage(minute_grid(frame_from(0, values, drop=drop)))
    assert cov[0] == pytest.approx(1240 / 1440)


def test_sixty_second_epochs_required() -> None:
    frame = frame_from(0, np.ones(3))
    bad = type(frame)(frame.patient_id, frame.modality, frame.zone, frame.time_utc, frame.value, 30)
    with pytest.raises(InputFormatError, match="60-s epochs"):
        minute_grid(bad)


def test_activity_features_by_hand() -> None:
    values = np.tile([0.0, 0.0, 3.0, 5.0], 360)  # mean 2, 50 % zeros
    out = daily_activity(minute_grid(frame_from(0, values)))
    assert out["activity.total_counts"][0] == 1440 * 2
    assert out["activity.mean_counts"][0] == pytest.approx(2.0)
    assert out["activity.zero_fraction"][0] == pytest.approx(0.5)
    assert out["activity.sd_counts"][0] == pytest.approx(np.std(values, ddof=1))


def test_activity_nan_below_min_coverage() -> None:
    drop = np.zeros(1440, dtype=bool)
    drop[:400] = True
    grid = minute_grid(frame_from(0, np.ones(1440), drop=drop))
    assert np.isnan(daily_activity(grid, min_coverage=0.8)["activity.mean_counts"][0])
    assert daily_activity(grid, min_coverage=0.7)["activity.mean_counts"][0] == 1.0


def test_cole_kripke_scores_stillness_asleep_and_movement_awake() -> None:
    counts = np.concatenate([np.zeros(60), np.full(60, 500.0)])
    sleep = cole_kripke(counts, rescore=False)
    assert not sleep[:4].any()  # incomplete 9-minute window -> wake, as in pyActigraphy
    assert sleep[4:50].all()
    assert not sleep[64:116].any()


def test_cole_kripke_threshold_by_hand() -> None:
    # Single movement of c counts at minute 20: D at minute 20 = 0.001 * 230 * c / 30.
    counts = np.zeros(40)
    counts[20] = 130.0  # D = 0.9967 -> still asleep
    assert cole_kripke(counts, rescore=False)[20]
    counts[20] = 131.0  # D = 1.0043 -> awake
    assert not cole_kripke(counts, rescore=False)[20]


def test_webster_rule_one_rescores_minute_after_four_wake() -> None:
    sleep = np.array([True] * 10 + [False] * 4 + [True] * 10)
    out = webster_rescore(sleep)
    assert not out[14]
    assert out[15:].all()
    assert out[:10].all()


def test_main_sleep_period_of_constructed_night() -> None:
    # Two days at UTC; active (wake) all day except 23:00-07:00 with one 30-min waking at 03:00.
    day = np.full(1440, 300.0)
    night = day.copy()
    night[:420] = 0.0  # 00:00-07:00 of day 2
    night[180:210] = 300.0  # awake 03:00-03:30
    evening = day.copy()
    evening[1380:] = 0.0  # 23:00-24:00 of day 1
    grid = minute_grid(frame_from(0, np.concatenate([evening, night])))
    out = main_sleep_periods(grid)
    assert np.isnan(out["sleep.onset_min"][0])  # day 1's night window is not covered
    onset, offset = out["sleep.onset_min"][1], out["sleep.offset_min"][1]
    # Backward weights keep the first 4 still minutes awake (106 * 300 / 30 / 1000 > 1) and
    # Webster's rule 3 (15 wake minutes -> next 4 sleep minutes rescored) delays onset 4 more.
    assert onset == -60 + 4 + 4
    assert 415 <= offset <= 420
    assert out["sleep.midpoint_min"][1] == pytest.approx((onset + offset) / 2)
    wake = out["sleep.waso_min"][1]
    assert 30 <= wake <= 45
    assert out["sleep.duration_min"][1] == pytest.approx(offset - onset - wake)
    assert out["sleep.efficiency"][1] == pytest.approx(
        100 * out["sleep.duration_min"][1] / (offset - onset)
    )


def test_periodic_signal_interdaily_stability_matches_ddof1_formula() -> None:
    days = 7
    profile = np.where(np.arange(1440) < 480, 0.0, 100.0)
    m = nonparametric_measures(frame_from(0, np.tile(profile, days)))
    assert m.interdaily_stability == pytest.approx((24 * days - 1) / (23 * days))
    assert m.l5 == 0.0
    assert m.relative_amplitude == 1.0
    assert m.m10 == 1.0
    assert m.l5_onset_min == 0.0  # earliest start among the all-zero 5-h windows
    assert m.m10_onset_min == 480.0


def test_alternating_hours_intradaily_variability() -> None:
    hours = 24 * 4
    values = np.repeat(np.arange(hours) % 2 * 10.0, 60)
    m = nonparametric_measures(frame_from(0, values))
    assert m.intradaily_variability == pytest.approx(4 * (hours - 1) / hours)


def test_constant_activity_gives_nan_not_error() -> None:
    m = nonparametric_measures(frame_from(0, np.full(3 * 1440, 50.0)))
    assert np.isnan(m.interdaily_stability)
    assert np.isnan(m.intradaily_variability)
    assert m.l5 == 1.0


def test_span_limits_select_data() -> None:
    values = np.concatenate([np.tile(np.repeat([0.0, 10.0], 720), 3), np.full(3 * 1440, 10.0)])
    frame = frame_from(0, values)
    whole = nonparametric_measures(frame)
    first = nonparametric_measures(
        frame, dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(1970, 1, 4, tzinfo=dt.UTC)
    )
    assert first.relative_amplitude == 1.0
    assert whole.relative_amplitude < 1.0
