"""Sleep biomarkers from sleep records: a hand-checked night, missing nights, bad frames."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.biomarkers.sleep_records import SLEEP_RECORD_IDS, extract_sleep_records_daily
from bedside.domain import InputFormatError, Modality, PatientId, SleepEpisodeFrame, SleepState

OSLO = ZoneInfo("Europe/Oslo")


def ts(day: int, hour: int, minute: int = 0, zone: ZoneInfo = OSLO) -> int:
    return int(dt.datetime(2024, 1, day, hour, minute, tzinfo=zone).timestamp())


def night(day: int, zone: ZoneInfo = OSLO) -> list[tuple[int, int, SleepState]]:
    """In bed 22:30 on `day`, asleep 23:00-03:00, awake 03:00-03:20, asleep 03:20-07:00."""
    return [
        (ts(day, 22, 30, zone), ts(day + 1, 7, 10, zone), SleepState.IN_BED),
        (ts(day, 23, 0, zone), ts(day + 1, 3, 0, zone), SleepState.ASLEEP),
        (ts(day + 1, 3, 0, zone), ts(day + 1, 3, 20, zone), SleepState.AWAKE),
        (ts(day + 1, 3, 20, zone), ts(day + 1, 7, 0, zone), SleepState.ASLEEP),
    ]


def records(
    rows: list[tuple[int, int, SleepState]], zone: str = "Europe/Oslo"
) -> SleepEpisodeFrame:
    rows = sorted(rows)
    return SleepEpisodeFrame(
        PatientId("p"),
        zone,
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1] for r in rows], dtype=np.int64),
        np.array([r[2] for r in rows], dtype=np.int8),
        np.full(len(rows), np.nan),
    )


def test_one_night_by_hand() -> None:
    table = extract_sleep_records_daily(records(night(1)))
    assert tuple(table.values) == SLEEP_RECORD_IDS
    assert table.date_list() == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    row = table.row(dt.date(2024, 1, 2)).values
    assert row["sleep.onset_min"] == -60.0
    assert row["sleep.offset_min"] == 420.0
    assert row["sleep.midpoint_min"] == 180.0
    assert row["sleep.duration_min"] == 460.0
    assert row["sleep.waso_min"] == 20.0
    assert row["sleep.efficiency"] == pytest.approx(100 * 460 / 480)
    assert row["sleep.latency_min"] == 30.0
    assert table.coverage[Modality.SLEEP_RECORDS].tolist() == [0.0, 1.0]
    assert table.row(dt.date(2024, 1, 1)).values["sleep.duration_min"] is None


def test_latency_is_null_without_in_bed_time_and_missing_nights_are_null() -> None:
    rows = [r for d in (1, 2, 4) for r in night(d) if r[2] != SleepState.IN_BED or d == 4]
    table = extract_sleep_records_daily(records(rows))
    assert table.n_days == 5  # Jan 1 .. Jan 5
    cov = table.coverage[Modality.SLEEP_RECORDS].tolist()
    assert cov == [0.0, 1.0, 1.0, 0.0, 1.0]
    assert np.isnan(table.values["sleep.duration_min"][3])
    assert table.values["sleep.duration_min"][[1, 2, 4]].tolist() == [460.0] * 3
    lat = table.values["sleep.latency_min"]
    assert np.isnan(lat[1:3]).all()
    assert lat[4] == 30.0


def test_a_week_of_identical_nights_is_perfectly_regular() -> None:
    table = extract_sleep_records_daily(records([r for d in range(1, 11) for r in night(d)]))
    sri = table.values["sleep.sri"]
    # Jan 1 has no recorded night: pairs ending from noon Jan 1 to noon Jan 7 keep only the
    # 4.5 of 6 days whose earlier minute lies on Jan 2 or later (< 80 %).
    assert np.isnan(sri[:7]).all()
    np.testing.assert_allclose(sri[7:], 100.0)
    # 2024-01-01 is a Monday; nights are identical, so workday and free-day midpoints agree.
    np.testing.assert_allclose(table.values["sleep.social_jetlag_min"][7:-1], 0.0)


@settings(max_examples=10, deadline=None)
@given(zone=st.sampled_from(["UTC", "Asia/Tokyo", "America/Sao_Paulo", "Asia/Kolkata"]))
def test_same_wall_clock_nights_in_another_zone_give_the_same_table(zone: str) -> None:
    a = extract_sleep_records_daily(records([r for d in range(1, 9) for r in night(d)]))
    tz = ZoneInfo(zone)
    b = extract_sleep_records_daily(records([r for d in range(1, 9) for r in night(d, tz)], zone))
    np.testing.assert_array_equal(a.dates, b.dates)
    for key in a.values:
        np.testing.assert_array_equal(a.values[key], b.values[key], err_msg=key)


def test_bad_frames_are_refused_with_the_reason() -> None:
    one = np.array([10], dtype=np.int64)
    nan = np.array([np.nan])
    with pytest.raises(InputFormatError, match="sleep episode 0 ends before it starts"):
        SleepEpisodeFrame(PatientId("p"), "UTC", one, one - 1, np.array([1], dtype=np.int8), nan)
    with pytest.raises(InputFormatError, match="unknown state code 7"):
        SleepEpisodeFrame(PatientId("p"), "UTC", one, one + 60, np.array([7], dtype=np.int8), nan)
    with pytest.raises(InputFormatError, match="differ in length"):
        SleepEpisodeFrame(
            PatientId("p"), "UTC", one, one + 60, np.array([1], dtype=np.int8), nan[:0]
        )
    with pytest.raises(InputFormatError, match="not sorted"):
        SleepEpisodeFrame(
            PatientId("p"),
            "UTC",
            np.array([60, 0], dtype=np.int64),
            np.array([120, 60], dtype=np.int64),
            np.array([1, 1], dtype=np.int8),
            np.full(2, np.nan),
        )
    with pytest.raises(InputFormatError, match="time zone"):
        SleepEpisodeFrame(
            PatientId("p"), "Mars/Base", one, one + 60, np.array([1], dtype=np.int8), nan
        )


def test_every_asleep_stage_counts_as_asleep() -> None:
    """Apple's core/deep/REM stages give the same night as one plain asleep interval."""
    plain = records(night(1))
    staged_rows = []
    stages = (SleepState.ASLEEP_CORE, SleepState.ASLEEP_DEEP, SleepState.ASLEEP_REM)
    for k, (a, b, state) in enumerate(night(1)):
        staged_rows.append((a, b, stages[k % 3] if state == SleepState.ASLEEP else state))
    staged = records(staged_rows)
    assert (staged.state != plain.state).any()
    a, b = extract_sleep_records_daily(plain), extract_sleep_records_daily(staged)
    for key in a.values:
        np.testing.assert_array_equal(a.values[key], b.values[key], err_msg=key)
