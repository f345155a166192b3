"""timestamp,value CSV reader: ISO offsets, naive local times, DST, errors, and a property."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedside.domain import DroppedRowsWarning, InputFormatError, Modality
from bedside.sensors import (
    local_to_utc_candidates,
    read_timestamp_value_csv,
    read_timestamp_value_csv_with_report,
)

HEADER = "timestamp,value"


def _write(directory: Path, rows: list[str], name: str = "hr.csv") -> Path:
    path = directory / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def _read(path: Path, zone: str = "Europe/Oslo", **kw: bool) -> np.ndarray:
    frame = read_timestamp_value_csv(path, zone=zone, modality=Modality.HEART_RATE, **kw)
    return frame.time_utc


def test_offsets_and_z_are_taken_as_given(tmp_path: Path) -> None:
    rows = [
        "2024-03-01T10:00:00Z,60",
        "2024-03-01T11:01:00+01:00,61",  # 10:01Z
        "2024-03-01T05:02:00-05:00,62",  # 10:02Z
        "2024-03-01 15:33+0530,63",  # 10:03Z
        "2024-03-01T10:04:00.000Z,64",
    ]
    frame = read_timestamp_value_csv(
        _write(tmp_path, rows), zone="America/New_York", modality=Modality.HEART_RATE, epoch_s=30
    )
    t0 = int(dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC).timestamp())
    assert (frame.time_utc - t0).tolist() == [0, 60, 120, 180, 240]
    assert frame.value.tolist() == [60.0, 61.0, 62.0, 63.0, 64.0]
    assert frame.modality is Modality.HEART_RATE
    assert frame.epoch_s == 30
    assert frame.zone == "America/New_York"


def test_naive_times_use_the_zone_including_dst(tmp_path: Path) -> None:
    rows = ["2024-03-10 01:59,1", "2024-03-10 03:00,2"]  # New York spring forward
    t = _read(_write(tmp_path, rows), zone="America/New_York")
    assert np.diff(t).tolist() == [60]
    rows = ["2024-11-03 01:30,1", "2024-11-03 01:59,1", "2024-11-03 01:00,1", "2024-11-03 01:30,2"]
    t = _read(_write(tmp_path, rows), zone="America/New_York")
    ny = ZoneInfo("America/New_York")
    first = int(dt.datetime(2024, 11, 3, 1, 30, tzinfo=ny).timestamp())
    second = int(dt.datetime(2024, 11, 3, 1, 30, tzinfo=ny, fold=1).timestamp())
    assert int(t[0]) == first
    assert int(t[3]) == second
    assert second - first == 3600


@pytest.mark.parametrize(
    ("row", "field", "word"),
    [
        ("2024-03-01T10:00:00+25:00,1", "timestamp", "parse"),
        ("2024-03-01T10:00:00.5Z,1", "timestamp", "parse"),
        ("2024/03/01 10:00,1", "timestamp", "parse"),
        ("2024-03-01T10:00Z,-2", "value", ">= 0"),
        ("2024-03-01T10:00Z,abc", "value", "parse"),
        ("2024-03-31 02:30,1", "timestamp", "does not exist"),
        ("2024-03-01T09:00Z,1", "timestamp", "earlier"),
        ("2024-03-01T09:30Z,1", "timestamp", "same instant"),
    ],
)
def test_errors_name_line_and_field(tmp_path: Path, row: str, field: str, word: str) -> None:
    path = _write(tmp_path, ["2024-03-01T09:30:00Z,1", row])
    with pytest.raises(InputFormatError) as info:
        _read(path)
    assert (info.value.line, info.value.field) == (3, field)
    assert word in info.value.reason


def test_bad_header_and_lenient_counts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,value\n2024-03-01T10:00Z,1\n")
    with pytest.raises(InputFormatError) as info:
        _read(bad)
    assert (info.value.line, info.value.field) == (1, "header")
    rows = ["2024-03-01T10:00Z,1", "2024-03-01T10:01Z,-1", "2024-03-01T10:02Z,1,9", "nope,2"]
    with pytest.warns(DroppedRowsWarning, match="dropped 3 of 4"):
        frame, report = read_timestamp_value_csv_with_report(
            _write(tmp_path, rows), zone="UTC", modality=Modality.GLUCOSE, lenient=True
        )
    assert report.rows_dropped == {"negative_value": 1, "field_count": 1, "timestamp": 1}
    assert len(frame) == 1


def test_candidates_mark_gap_and_repeat() -> None:
    oslo_naive = np.array(
        [
            int(dt.datetime(2003, 3, 30, 2, 30, tzinfo=dt.UTC).timestamp()),
            int(dt.datetime(2003, 10, 26, 2, 30, tzinfo=dt.UTC).timestamp()),
            int(dt.datetime(2003, 7, 1, 12, 0, tzinfo=dt.UTC).timestamp()),
        ],
        dtype=np.int64,
    )
    cand = local_to_utc_candidates(oslo_naive, "Europe/Oslo")
    assert cand.exists.tolist() == [False, True, True]
    assert cand.repeated.tolist() == [False, True, False]
    assert int(cand.latest[1] - cand.earliest[1]) == 3600
    assert int(oslo_naive[2] - cand.earliest[2]) == 7200


def _offset(tz: ZoneInfo, t: int) -> dt.timedelta | None:
    return dt.datetime.fromtimestamp(t, tz).utcoffset()


def _next_change(tz: ZoneInfo, t: int) -> int | None:
    """The first UTC second within a year after t where the zone's offset changes."""
    lo, hi = t, t
    for _ in range(53):
        hi = lo + 7 * 86400
        if _offset(tz, hi) != _offset(tz, lo):
            break
        lo = hi
    else:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _offset(tz, mid) == _offset(tz, lo) else (lo, mid)
    return hi


ZONES = ["Europe/Oslo", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    start=st.integers(
        int(dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()) // 60,
        int(dt.datetime(2030, 1, 1, tzinfo=dt.UTC).timestamp()) // 60,
    ),
    # A naive series is only unambiguous when each step is shorter than the clock shift it
    # may cross (then a backwards local time can only mean the repeated period): the smallest
    # shift among ZONES is Lord Howe's 30 minutes.
    steps=st.lists(st.integers(1, 29), min_size=1, max_size=60),
    near_change=st.booleans(),
)
def test_offsets_and_naive_local_times_read_the_same(
    zone: str, start: int, steps: list[int], near_change: bool
) -> None:
    tz = ZoneInfo(zone)
    t0 = start * 60
    if near_change:  # start the series 90 minutes before the next clock change, if any
        change = _next_change(tz, t0)
        if change is not None:
            t0 = change - 90 * 60
    instants = t0 + 60 * np.cumsum([0, *steps])
    with_offset, naive = [], []
    for i, t in enumerate(instants.tolist()):
        local = dt.datetime.fromtimestamp(t, tz)
        with_offset.append(f"{local.isoformat()},{i}")
        naive.append(f"{local.replace(tzinfo=None):%Y-%m-%d %H:%M:%S},{i}")
    with tempfile.TemporaryDirectory() as tmp:
        a = _read(_write(Path(tmp), with_offset, "a.csv"), zone=zone)
        b = _read(_write(Path(tmp), naive, "b.csv"), zone=zone)
    assert a.tolist() == instants.tolist()
    assert b.tolist() == a.tolist()
