"""The actigraphy daily table: columns, DST days, warnings, invariants (Hypothesis), CSV."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bedside.biomarkers import ACTIGRAPHY_IDS, extract_daily, read_daily_csv, write_daily_csv
from bedside.domain import DataQualityWarning, InputFormatError, Modality, PatientId, SampleFrame


def frame_from(
    start_utc: int, values: npt.ArrayLike, zone: str = "UTC", drop: npt.ArrayLike | None = None
) -> SampleFrame:
    v = np.asarray(values, dtype=np.float64)
    t = start_utc + 60 * np.arange(v.size, dtype=np.int64)
    if drop is not None:
        keep = ~np.asarray(drop, dtype=bool)
        t, v = t[keep], v[keep]
    return SampleFrame(PatientId("p1"), Modality.ACTIGRAPHY, zone, t, v)


def week_signal(days: int, seed: int = 0) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    minute = np.arange(days * 1440) % 1440
    awake = (minute >= 7 * 60) & (minute < 23 * 60)
    return np.where(awake, rng.poisson(200, minute.size), rng.poisson(1, minute.size)) * 1.0


def assert_tables_equal(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-12, atol=1e-9, err_msg=key)


def test_every_registry_id_one_row_per_local_date_and_no_warning() -> None:
    start = int(dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC).timestamp())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = extract_daily(frame_from(start, week_signal(10)))
    assert tuple(table.values) == ACTIGRAPHY_IDS
    assert table.n_days == 11
    cov = table.coverage[Modality.ACTIGRAPHY]
    assert cov[0] == 0.5
    assert cov[1:-1].tolist() == [1.0] * 9
    assert np.isfinite(table.values["activity.mean_counts"][1:-1]).all()
    assert np.isnan(table.values["activity.mean_counts"][0])
    assert np.isfinite(table.values["sleep.duration_min"][1:-1]).all()
    # A 7-day window first fits on day 6 (0-based) and needs 80 % coverage of its minutes.
    is_col = table.values["circadian.interdaily_stability"]
    assert np.isnan(is_col[:6]).all()
    assert np.isfinite(is_col[6:-1]).all()


def test_dst_days_are_rows_with_full_coverage() -> None:
    zone = "Europe/Oslo"
    start = int(dt.datetime(2003, 3, 24, tzinfo=ZoneInfo(zone)).timestamp())
    n = 14 * 1440 - 60  # 14 local days, one of them 23 h long
    table = extract_daily(frame_from(start, week_signal(14)[:n], zone))
    assert table.n_days == 14
    assert table.date_list()[6] == dt.date(2003, 3, 30)
    assert table.coverage[Modality.ACTIGRAPHY].tolist() == [1.0] * 14
    assert np.isfinite(table.values["activity.total_counts"]).all()


def test_out_of_range_values_become_null_with_warning() -> None:
    values = np.full(3 * 1440, 20_000.0)  # 2.88e7 counts a day > registry maximum 2e7
    with pytest.warns(DataQualityWarning, match=r"activity.total_counts: 3 day\(s\)"):
        table = extract_daily(frame_from(0, values))
    assert np.isnan(table.values["activity.total_counts"]).all()
    assert np.isnan(table.values["activity.mean_counts"]).all()  # above 1e4 counts/min
    assert (table.values["activity.zero_fraction"] == 0.0).all()  # in range: kept


@settings(max_examples=15, deadline=None)
@given(shift_days=st.integers(-400, 400), seed=st.integers(0, 5))
def test_shifting_by_whole_days_shifts_rows_only(shift_days: int, seed: int) -> None:
    start = int(dt.datetime(2024, 2, 1, 9, tzinfo=dt.UTC).timestamp())
    a = extract_daily(frame_from(start, week_signal(9, seed)))
    b = extract_daily(frame_from(start + shift_days * 86_400, week_signal(9, seed)))
    assert (b.dates - a.dates == np.timedelta64(shift_days, "D")).all()
    a_values, b_values = dict(a.values), dict(b.values)
    if shift_days % 7:
        # Social jetlag compares free days (weekends) with workdays: only whole weeks keep them.
        del a_values["sleep.social_jetlag_min"], b_values["sleep.social_jetlag_min"]
    assert_tables_equal(a_values, b_values)
    np.testing.assert_array_equal(a.coverage[Modality.ACTIGRAPHY], b.coverage[Modality.ACTIGRAPHY])


@settings(max_examples=10, deadline=None)
@given(
    zone=st.sampled_from(["America/Sao_Paulo", "Asia/Tokyo", "Etc/GMT+5", "Asia/Kolkata"]),
    seed=st.integers(0, 5),
)
def test_zone_change_with_matching_utc_shift_changes_nothing(zone: str, seed: int) -> None:
    # January 2024: no clock change in these zones; same local wall times in both frames.
    local_start = dt.datetime(2024, 1, 10, 9)
    a_start = int(local_start.replace(tzinfo=dt.UTC).timestamp())
    b_start = int(local_start.replace(tzinfo=ZoneInfo(zone)).timestamp())
    a = extract_daily(frame_from(a_start, week_signal(9, seed), "UTC"))
    b = extract_daily(frame_from(b_start, week_signal(9, seed), zone))
    np.testing.assert_array_equal(a.dates, b.dates)
    assert_tables_equal(dict(a.values), dict(b.values))


@settings(max_examples=15, deadline=None)
@given(
    gap_start=st.integers(0, 9 * 1440 - 1),
    gap_len=st.integers(1, 3000),
    seed=st.integers(0, 5),
)
def test_dropping_data_never_raises_coverage(gap_start: int, gap_len: int, seed: int) -> None:
    values = week_signal(9, seed)
    drop = np.zeros(values.size, dtype=bool)
    drop[gap_start : gap_start + gap_len] = True
    drop[0] = drop[-1] = False  # keep the same first and last sample, hence the same rows
    assume(drop.any())
    full = extract_daily(frame_from(0, values)).coverage[Modality.ACTIGRAPHY]
    part = extract_daily(frame_from(0, values, drop=drop)).coverage[Modality.ACTIGRAPHY]
    assert (part <= full).all()
    assert part.sum() < full.sum()


def test_csv_round_trip_is_exact(tmp_path: Path) -> None:
    table = extract_daily(frame_from(3600 * 5, week_signal(9)))
    path = tmp_path / "daily.csv"
    write_daily_csv(table, path)
    header = path.read_text().splitlines()[0].split(",")
    assert header[0] == "date"
    assert header[-1] == "coverage.actigraphy"
    back = read_daily_csv(path, patient_id="p1", zone="UTC")
    np.testing.assert_array_equal(back.dates, table.dates)
    for key, col in table.values.items():
        np.testing.assert_array_equal(back.values[key], col)
    np.testing.assert_array_equal(
        back.coverage[Modality.ACTIGRAPHY], table.coverage[Modality.ACTIGRAPHY]
    )


@pytest.mark.parametrize(
    ("text", "match", "line", "field"),
    [
        ("day,sleep.duration_min\n", "first column must be 'date'", 1, None),
        ("date,sleep.nap_min\n", "unknown biomarker id 'sleep.nap_min'", 1, "sleep.nap_min"),
        ("date,coverage.smell\n", "unknown modality", 1, "coverage.smell"),
        ("date,sleep.duration_min\n2024-01-01,1\n2024-01-01,2\n", "duplicate", 3, "date"),
        ("date,sleep.duration_min\n2024-01-01,1\n2024-01-03,2\n", "not the day after", 3, "date"),
        ("date,sleep.duration_min\n2024-13-01,1\n", "not an ISO date", 2, "date"),
        ("date,sleep.duration_min\n2024-01-01,abc\n", "not a number", 2, "sleep.duration_min"),
        ("date,sleep.duration_min\n2024-01-01,1,2\n", "expected 2 cells", 2, None),
        ("date,coverage.actigraphy\n2024-01-01,1.5\n", "outside", 2, "coverage.actigraphy"),
    ],
)
def test_csv_reader_names_the_problem(
    tmp_path: Path, text: str, match: str, line: int, field: str | None
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputFormatError, match=match) as info:
        read_daily_csv(path, patient_id="p1", zone="UTC")
    assert info.value.line == line
    assert info.value.field == field


def test_csv_empty_cells_are_null(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("date,sleep.duration_min,coverage.actigraphy\n2024-01-01,,0.5\n2024-01-02,7,\n")
    table = read_daily_csv(path, patient_id="p1", zone="UTC")
    col = table.values["sleep.duration_min"]
    assert np.isnan(col[0])
    assert col[1] == 7.0
    assert table.coverage[Modality.ACTIGRAPHY][0] == 0.5
