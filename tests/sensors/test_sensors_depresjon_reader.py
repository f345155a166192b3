"""Depresjon reader: strict errors with line and field, lenient counts, clock changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bedside.domain import DroppedRowsWarning, InputFormatError, Modality
from bedside.sensors import read_depresjon, read_depresjon_with_report

HEADER = "timestamp,date,activity"


def _write(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "p_1.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _minutes(start: str, n: int) -> list[str]:
    t0 = dt.datetime.fromisoformat(start)
    out = []
    for k in range(n):
        t = t0 + dt.timedelta(minutes=k)
        out.append(f"{t:%Y-%m-%d %H:%M:%S},{t:%Y-%m-%d},{k}")
    return out


def _oslo_utc(local: str, fold: int = 0) -> int:
    t = dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Europe/Oslo"), fold=fold)
    return int(t.timestamp())


def test_reads_values_times_and_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, _minutes("2004-06-01 12:00:00", 5))
    frame = read_depresjon(path)
    assert frame.patient_id == "p_1"
    assert frame.modality is Modality.ACTIGRAPHY
    assert frame.epoch_s == 60
    assert frame.zone == "Europe/Oslo"
    assert frame.time_utc.dtype == np.int64
    assert frame.value.dtype == np.float64
    assert frame.value.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert int(frame.time_utc[0]) == _oslo_utc("2004-06-01 12:00:00")
    assert np.all(np.diff(frame.time_utc) == 60)
    assert read_depresjon(path, patient_id="x").patient_id == "x"


def test_crlf_line_endings_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(("\r\n".join([HEADER, *_minutes("2004-06-01 12:00:00", 3)]) + "\r\n").encode())
    assert len(read_depresjon(path)) == 3


def test_spring_forward_gap_gives_consecutive_utc_minutes(tmp_path: Path) -> None:
    rows = _minutes("2003-03-30 01:58:00", 2) + _minutes("2003-03-30 03:00:00", 2)
    frame = read_depresjon(_write(tmp_path, rows))
    assert np.diff(frame.time_utc).tolist() == [60, 60, 60]
    assert int(frame.time_utc[2]) == _oslo_utc("2003-03-30 03:00:00")


def test_fall_back_repeated_hour_in_order(tmp_path: Path) -> None:
    first = _minutes("2003-10-26 01:59:00", 61)  # 01:59 .. 02:59 summer time
    second = _minutes("2003-10-26 02:00:00", 61)  # 02:00 .. 03:00 winter time
    frame = read_depresjon(_write(tmp_path, first + second))
    assert len(frame) == 122
    assert np.all(np.diff(frame.time_utc) == 60)
    assert int(frame.time_utc[1]) == _oslo_utc("2003-10-26 02:00:00", fold=0)
    assert int(frame.time_utc[61]) == _oslo_utc("2003-10-26 02:00:00", fold=1)


GOOD = "2004-06-01 12:00:00,2004-06-01,1"


@pytest.mark.parametrize(
    ("rows", "line", "field", "reason_word"),
    [
        ([GOOD, "2004-06-01 12:01,2004-06-01,2"], 3, "timestamp", "parse"),
        ([GOOD, "2004-02-30 12:01:00,2004-02-30,2"], 3, "timestamp", "parse"),
        ([GOOD, "2004-06-01 12:01:00,2004-06-02,2"], 3, "date", "date"),
        (["2004-06-01 12:00:00,2004-06-01,x"], 2, "activity", "parse"),
        ([GOOD, "2004-06-01 12:01:00,2004-06-01,-1"], 3, "activity", ">= 0"),
        (["2004-06-01 12:00:00,2004-06-01,nan"], 2, "activity", "finite"),
        (["2004-06-01 12:00:00,2004-06-01"], 2, None, "fields"),
        ([GOOD, GOOD], 3, "timestamp", "same instant"),
        (
            [GOOD, "2004-06-01 12:02:00,2004-06-01,1", "2004-06-01 12:01:00,2004-06-01,1"],
            4,
            "timestamp",
            "earlier",
        ),
        (
            ["2003-03-30 01:59:00,2003-03-30,1", "2003-03-30 02:30:00,2003-03-30,1"],
            3,
            "timestamp",
            "does not exist",
        ),
        ([GOOD, ""], 3, None, "fields"),
    ],
)
def test_malformed_rows_name_line_and_field(
    tmp_path: Path, rows: list[str], line: int, field: str | None, reason_word: str
) -> None:
    path = _write(tmp_path, rows)
    with pytest.raises(InputFormatError) as info:
        read_depresjon(path)
    err = info.value
    assert err.source == str(path)
    assert err.line == line
    assert err.field == field
    assert reason_word in err.reason
    assert f"line {line}" in str(err)


@pytest.mark.parametrize(
    "header", ["timestamp,date", "timestamp,date,activity,x", "Timestamp,date,activity"]
)
def test_bad_header(tmp_path: Path, header: str) -> None:
    path = _write(tmp_path, _minutes("2004-06-01 12:00:00", 2), header=header)
    with pytest.raises(InputFormatError) as info:
        read_depresjon(path)
    assert (info.value.line, info.value.field) == (1, "header")


def test_earliest_bad_line_wins(tmp_path: Path) -> None:
    rows = _minutes("2004-06-01 12:00:00", 4)
    rows[3] = rows[3].replace(",3", ",-3")
    rows[1] = rows[1].replace("2004-06-01,", "2004-06-09,")
    with pytest.raises(InputFormatError) as info:
        read_depresjon(_write(tmp_path, rows))
    assert (info.value.line, info.value.field) == (3, "date")


def test_lenient_drops_and_counts_per_reason(tmp_path: Path) -> None:
    rows = _minutes("2004-06-01 12:00:00", 10)
    rows[1] = "garbage,2004-06-01,1"
    rows[2] = rows[2].rsplit(",", 1)[0] + ",-5"
    rows[3] = rows[3].replace("2004-06-01,", "2004-06-02,")
    rows[5] = rows[4]  # duplicate instant
    rows.append(rows[0])  # duplicate of an earlier row, at the end
    rows.append("2004-06-01 11:00:00,2004-06-01,1")  # out of order
    path = _write(tmp_path, rows)
    with pytest.warns(DroppedRowsWarning, match="dropped 6 of 12 rows"):
        frame, report = read_depresjon_with_report(path, lenient=True)
    assert report.rows_read == 12
    assert report.rows_dropped == {
        "timestamp": 1,
        "negative_value": 1,
        "date_mismatch": 1,
        "duplicate_instant": 2,
        "out_of_order": 1,
    }
    assert report.rows_kept == len(frame) == 6
    assert np.all(np.diff(frame.time_utc) > 0)


def test_strict_report_has_no_drops(tmp_path: Path) -> None:
    frame, report = read_depresjon_with_report(_write(tmp_path, _minutes("2004-06-01 12:00:00", 3)))
    assert report.rows_dropped == {}
    assert report.rows_read == report.rows_kept == len(frame) == 3


def test_unknown_zone_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="zone"):
        read_depresjon(_write(tmp_path, _minutes("2004-06-01 12:00:00", 2)), zone="Mars/Olympus")
