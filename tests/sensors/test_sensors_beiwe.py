"""Beiwe raw-data folders: formats, ordering, duplicates, zones and deliberately broken files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from bedside.domain import DroppedRowsWarning, InputFormatError, KeyKind, ScreenEvent
from bedside.sensors.beiwe import read_beiwe_folder

T0_MS = 1_780_000_000_000  # 2026-05-28T20:26:40Z


def _utc(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _write(folder: Path, stream: str, name: str, header: str, rows: list[str]) -> Path:
    path = folder / stream / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


GPS_HEADER = "timestamp,UTC time,latitude,longitude,altitude,accuracy"


def _gps_row(ms: int, lat: float = 59.9, lon: float = 10.7, acc: float = 12.0) -> str:
    return f"{ms},{_utc(ms)},{lat},{lon},20.0,{acc}"


def test_gps_files_are_merged_in_time_order_with_duplicates_removed(tmp_path: Path) -> None:
    p = tmp_path / "patientA"
    # Two hourly files given out of order, one row repeated by a re-upload, one conflicting.
    _write(p, "gps", "2026-05-28 21_00_00.csv", GPS_HEADER, [_gps_row(T0_MS + 3_600_000)])
    _write(
        p,
        "gps",
        "2026-05-28 20_00_00.csv",
        GPS_HEADER,
        [
            _gps_row(T0_MS + 60_000),
            _gps_row(T0_MS),
            _gps_row(T0_MS),  # exact duplicate
            _gps_row(T0_MS + 60_000, lat=59.95),  # same instant, different value: later loses
        ],
    )
    data = read_beiwe_folder(p, zone="Europe/Oslo")
    assert data.gps is not None
    assert data.gps.patient_id == "patientA"
    np.testing.assert_array_equal(
        data.gps.time_utc, np.array([T0_MS, T0_MS + 60_000, T0_MS + 3_600_000]) // 1000
    )
    np.testing.assert_allclose(data.gps.latitude_deg, [59.9, 59.9, 59.9])
    report = data.reports["gps"]
    assert (report.files, report.rows_read, report.duplicates, report.conflicts) == (2, 5, 1, 1)
    assert data.screen is None
    assert data.keystrokes is None


def test_fuzzed_longitudes_are_wrapped(tmp_path: Path) -> None:
    _write(tmp_path, "gps", "a.csv", GPS_HEADER, [_gps_row(T0_MS, lon=190.5)])
    data = read_beiwe_folder(tmp_path, zone="UTC")
    assert data.gps is not None
    assert data.gps.longitude_deg[0] == pytest.approx(-169.5)


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ("1780000000000,2026-05-28T20:26:40.000,91.0,10.0,0,5", "latitude", "latitude"),
        ("1780000000000,2026-05-28T20:26:40.000,abc,10.0,0,5", "latitude", "latitude"),
        ("1780000000000,2026-05-28T20:26:40.000,59.0,10.0,0", None, "field_count"),
        ("1780000000000,2026-05-28T21:26:40.000,59.0,10.0,0,5", "UTC time", "utc_time_mismatch"),
        ("1780000000000,yesterday,59.0,10.0,0,5", "UTC time", "utc_time"),
        ("17800x0000000,2026-05-28T20:26:40.000,59.0,10.0,0,5", "timestamp", "timestamp"),
        ("1780000000000,2026-05-28T20:26:40.000,59.0,10.0,0,-3", "accuracy", "accuracy"),
    ],
)
def test_broken_gps_rows_name_file_line_and_field(
    tmp_path: Path, row: str, field: str | None, reason: str
) -> None:
    path = _write(tmp_path, "gps", "2026-05-28 20_00_00.csv", GPS_HEADER, [_gps_row(T0_MS), row])
    with pytest.raises(InputFormatError) as info:
        read_beiwe_folder(tmp_path, zone="UTC")
    assert info.value.source == str(path)
    assert info.value.line == 3
    assert info.value.field == field
    with pytest.warns(DroppedRowsWarning, match=reason):
        data = read_beiwe_folder(tmp_path, zone="UTC", lenient=True)
    assert data.gps is not None
    assert len(data.gps) == 1
    assert data.reports["gps"].rows_dropped == {reason: 1}


def test_bad_header_and_binary_file_are_errors_even_when_lenient(tmp_path: Path) -> None:
    _write(tmp_path, "gps", "a.csv", "time,lat,lon", [])
    with pytest.raises(InputFormatError, match="header") as info:
        read_beiwe_folder(tmp_path, zone="UTC", lenient=True)
    assert info.value.line == 1
    (tmp_path / "gps" / "a.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputFormatError, match="UTF-8"):
        read_beiwe_folder(tmp_path, zone="UTC")


def test_unknown_zone_and_missing_folder_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="Mars"):
        read_beiwe_folder(tmp_path, zone="Mars/Olympus")
    with pytest.raises(InputFormatError, match="not a folder"):
        read_beiwe_folder(tmp_path / "nope", zone="UTC")


def test_power_state_android_and_ios(tmp_path: Path) -> None:
    rows_android = [
        f"{T0_MS},{_utc(T0_MS)},Screen turned on",
        f"{T0_MS + 5000},{_utc(T0_MS + 5000)},Power connected",
        f"{T0_MS + 65_000},{_utc(T0_MS + 65_000)},Screen turned off",
    ]
    _write(
        tmp_path / "a",
        "power_state",
        "2026-05-28 20_00_00.csv",
        "timestamp,UTC time,event",
        rows_android,
    )
    rows_ios = [
        f"{T0_MS},{_utc(T0_MS)},Unlocked,0.68",
        f"{T0_MS + 9000},{_utc(T0_MS + 9000)},Locked,0.67",
    ]
    _write(
        tmp_path / "b",
        "power_state",
        "2026-05-28 20_00_00.csv",
        "timestamp,UTC time,event,level",
        rows_ios,
    )
    a = read_beiwe_folder(tmp_path / "a", zone="UTC").screen
    b = read_beiwe_folder(tmp_path / "b", zone="UTC").screen
    assert a is not None
    assert b is not None
    assert a.event.tolist() == [ScreenEvent.SCREEN_ON, ScreenEvent.SCREEN_OFF]
    assert b.event.tolist() == [ScreenEvent.UNLOCKED, ScreenEvent.LOCKED]
    assert a.observed_hours_utc is not None
    assert a.observed_hours_utc.tolist() == [T0_MS // 3_600_000]


def test_keyboard_extension_and_broken_kind(tmp_path: Path) -> None:
    header = "timestamp,UTC time,session,key_kind"
    rows = [
        f"{T0_MS},{_utc(T0_MS)},1,alphanumeric",
        f"{T0_MS + 180},{_utc(T0_MS + 180)},1,backspace",
        f"{T0_MS + 400},{_utc(T0_MS + 400)},1,emoji",
    ]
    path = _write(tmp_path, "keyboard", "2026-05-28 20_00_00.csv", header, rows)
    with pytest.raises(InputFormatError, match="emoji") as info:
        read_beiwe_folder(tmp_path, zone="UTC")
    assert (info.value.source, info.value.line, info.value.field) == (str(path), 4, "key_kind")
    with pytest.warns(DroppedRowsWarning):
        keys = read_beiwe_folder(tmp_path, zone="UTC", lenient=True).keystrokes
    assert keys is not None
    assert keys.kind.tolist() == [KeyKind.ALPHANUMERIC, KeyKind.BACKSPACE]
    assert keys.time_utc_ms.tolist() == [T0_MS, T0_MS + 180]


def test_accelerometer_is_reduced_to_minutes_in_milli_g(tmp_path: Path) -> None:
    header = "timestamp,UTC time,accuracy,x,y,z"
    # Android in m/s^2: at rest (1 g) for the first minute, 1.5 g the next.
    rows = []
    for k in range(120):
        ms = T0_MS - T0_MS % 60_000 + k * 1000
        z = 9.80665 if k < 60 else 1.5 * 9.80665
        rows.append(f"{ms},{_utc(ms)},unknown,0.0,0.0,{z}")
    _write(tmp_path, "accelerometer", "2026-05-28 20_00_00.csv", header, rows)
    frame = read_beiwe_folder(tmp_path, zone="UTC").accelerometer_minutes
    assert frame is not None
    np.testing.assert_allclose(frame.value, [0.0, 500.0], atol=1e-9)
    assert np.diff(frame.time_utc).tolist() == [60]


def test_local_days_follow_the_given_zone(tmp_path: Path) -> None:
    # 23:30 UTC on 2026-05-28 is 01:30 on 2026-05-29 in Oslo (UTC+2).
    ms = int(dt.datetime(2026, 5, 28, 23, 30, tzinfo=dt.UTC).timestamp() * 1000)
    _write(tmp_path, "gps", "x.csv", GPS_HEADER, [_gps_row(ms)])
    from bedside.biomarkers.mobility import daily_mobility

    table = daily_mobility(read_beiwe_folder(tmp_path, zone="Europe/Oslo").gps)  # type: ignore[arg-type]
    assert table.date_list()[0] == dt.date(2026, 5, 29)
