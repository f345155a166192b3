"""Dexcom Clarity, LibreView and generic mapped CSV importers: layouts, units, zones, errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bedside.domain import DroppedRowsWarning, InputFormatError, Modality
from bedside.sensors.csv_mapping import CsvMapping, read_mapped_csv
from bedside.sensors.dexcom_clarity import read_dexcom_clarity
from bedside.sensors.libreview import read_libreview

OSLO = "Europe/Oslo"
CLARITY_HEADER = (
    "Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,"
    "Source Device ID,Glucose Value ({unit}),Insulin Value (u),Carb Value (grams),"
    "Duration (hh:mm:ss),Glucose Rate of Change ({unit}/min),Transmitter Time (Long Integer),"
    "Transmitter ID"
)
CLARITY_PREAMBLE = [
    "1,,FirstName,,Test,,,,,,,,,",
    "2,,LastName,,Patient,,,,,,,,,",
    "3,,Device,,,Dexcom G7,iOS G7,,,,,,,",
    "4,,Alert,Urgent Low,,,iOS G7,55,,,,,,",
]


def utc(local: str, zone: str = OSLO) -> int:
    return int(dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).timestamp())


def clarity(tmp_path: Path, rows: list[str], unit: str = "mg/dL", name: str = "c.csv") -> Path:
    path = tmp_path / name
    lines = [CLARITY_HEADER.format(unit=unit), *CLARITY_PREAMBLE, *rows]
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def egv(i: int, stamp: str, value: str, tx: str = "TX1") -> str:
    return f"{i},{stamp},EGV,,,,iOS G7,{value},,,,,{1000 + i},{tx}"


def test_dexcom_reads_egv_rows_with_censored_values(tmp_path: Path) -> None:
    rows = [
        egv(5, "2024-01-10T08:00:00", "120"),
        egv(6, "2024-01-10T08:05:00", "Low"),
        "7,2024-01-10T08:07:00,Insulin,Fast-Acting,,,iOS G7,,4,,,,,",
        egv(8, "2024-01-10T08:10:00", "High"),
    ]
    frame, report = read_dexcom_clarity(clarity(tmp_path, rows), zone=OSLO)
    assert frame.modality is Modality.GLUCOSE
    assert frame.epoch_s == 300
    assert frame.value.tolist() == [120.0, 40.0, 400.0]
    assert frame.time_utc.tolist() == [
        utc("2024-01-10T08:00"),
        utc("2024-01-10T08:05"),
        utc("2024-01-10T08:10"),
    ]
    assert report.notes["alias:Low"] == 1
    assert report.notes["alias:High"] == 1
    assert report.notes["not_selected"] == 5  # 4 untimed settings rows + insulin


def test_dexcom_mmol_equals_mgdl_after_conversion(tmp_path: Path) -> None:
    mg = [egv(i, f"2024-01-10T08:{5 * i:02d}:00", str(v)) for i, v in enumerate([99, 126, 180])]
    mmol = [egv(i, f"2024-01-10T08:{5 * i:02d}:00", str(v)) for i, v in enumerate([5.5, 7.0, 10.0])]
    a, _ = read_dexcom_clarity(clarity(tmp_path, mg), zone=OSLO)
    b, _ = read_dexcom_clarity(clarity(tmp_path, mmol, "mmol/L", "m.csv"), zone=OSLO)
    np.testing.assert_allclose(b.value, np.array([5.5, 7.0, 10.0]) * 18.0182)
    np.testing.assert_allclose(a.value, b.value, atol=0.2)


def test_wrongly_labelled_units_are_a_clear_error(tmp_path: Path) -> None:
    rows = [egv(i, f"2024-01-10T08:{5 * i:02d}:00", str(v)) for i, v in enumerate([5.5, 6.1, 7.0])]
    with pytest.raises(InputFormatError, match=r"line 6.*looks like mmol/L"):
        read_dexcom_clarity(clarity(tmp_path, rows), zone=OSLO)
    # Values plausible in both units but typical of the other one: the file-level check.
    rows = [egv(i, f"2024-01-10T08:{5 * i:02d}:00", str(v)) for i, v in enumerate([22, 25, 28])]
    with pytest.raises(InputFormatError, match=r"declared in mg/dL has median 25.*mmol/L"):
        read_dexcom_clarity(clarity(tmp_path, rows, name="b.csv"), zone=OSLO)


def test_dexcom_broken_files_name_file_line_and_column(tmp_path: Path) -> None:
    bad_value = clarity(tmp_path, [egv(5, "2024-01-10T08:00:00", "12o")], name="v.csv")
    with pytest.raises(InputFormatError, match=r"v.csv, line 6, field 'Glucose Value \(mg/dL\)'"):
        read_dexcom_clarity(bad_value, zone=OSLO)
    bad_time = clarity(tmp_path, [egv(5, "2024-13-10T08:00:00", "120")], name="t.csv")
    with pytest.raises(InputFormatError, match=r"t.csv, line 6, field 'Timestamp"):
        read_dexcom_clarity(bad_time, zone=OSLO)
    gap = clarity(tmp_path, [egv(5, "2024-03-31T02:30:00", "120")], name="g.csv")
    with pytest.raises(InputFormatError, match="does not exist in Europe/Oslo"):
        read_dexcom_clarity(gap, zone=OSLO)
    not_dexcom = tmp_path / "n.csv"
    not_dexcom.write_text("time,glucose\n2024-01-10T08:00:00,100\n")
    with pytest.raises(InputFormatError, match="not a Dexcom Clarity export"):
        read_dexcom_clarity(not_dexcom, zone=OSLO)
    implausible = clarity(tmp_path, [egv(5, "2024-01-10T08:00:00", "900")], name="i.csv")
    with pytest.raises(InputFormatError, match=r"line 6.*plausible range"):
        read_dexcom_clarity(implausible, zone=OSLO)


def test_dexcom_lenient_drops_and_counts(tmp_path: Path) -> None:
    rows = [egv(5, "2024-01-10T08:00:00", "120"), egv(6, "2024-01-10T08:05:00", "x")]
    with pytest.warns(DroppedRowsWarning, match="dropped 1 of 6 records"):
        frame, report = read_dexcom_clarity(clarity(tmp_path, rows), zone=OSLO, lenient=True)
    assert frame.value.tolist() == [120.0]
    assert report.dropped == {"value": 1}


def test_dexcom_duplicates_and_sensor_overlap_resolved_deterministically(tmp_path: Path) -> None:
    rows = [
        egv(5, "2024-01-10T08:00:00", "120", "OLD"),
        egv(6, "2024-01-10T08:00:00", "120", "OLD"),  # exported twice
        egv(7, "2024-01-10T08:05:00", "130", "OLD"),
        egv(8, "2024-01-10T08:06:00", "140", "NEW"),  # new sensor, 1 min after the old one
        egv(9, "2024-01-10T08:11:00", "150", "NEW"),
    ]
    path = clarity(tmp_path, rows)
    frame, report = read_dexcom_clarity(path, zone=OSLO, source_priority=["NEW"])
    assert frame.value.tolist() == [120.0, 140.0, 150.0]
    assert report.notes["identical_duplicate"] == 1
    assert report.notes["overlap"] == 1
    reversed_rows = clarity(tmp_path, rows[::-1], name="r.csv")
    again, _ = read_dexcom_clarity(reversed_rows, zone=OSLO, source_priority=["NEW"])
    assert again.value.tolist() == frame.value.tolist()


def test_dexcom_fall_back_hour_in_file_order(tmp_path: Path) -> None:
    stamps = ["2024-10-27T02:30:00", "2024-10-27T02:45:00", "2024-10-27T02:30:00"]
    rows = [egv(i, s, "100") for i, s in enumerate(stamps)]
    frame, _ = read_dexcom_clarity(clarity(tmp_path, rows), zone=OSLO)
    first = int(dt.datetime(2024, 10, 27, 0, 30, tzinfo=dt.UTC).timestamp())
    assert frame.time_utc.tolist() == [first, first + 900, first + 3600]


LIBRE_HEADER = (
    "Device,Serial Number,Device Timestamp,Record Type,Historic Glucose {u},Scan Glucose {u},"
    "Non-numeric Rapid-Acting Insulin,Rapid-Acting Insulin (units),Non-numeric Food,"
    "Carbohydrates (grams),Carbohydrates (servings),Non-numeric Long-Acting Insulin,"
    "Long-Acting Insulin Value (units),Notes,Strip Glucose {u},Ketone mmol/L,"
    "Meal Insulin (units),Correction Insulin (units),User Change Insulin (units)"
)


def libre(tmp_path: Path, rows: list[str], unit: str = "mg/dL", name: str = "l.csv") -> Path:
    path = tmp_path / name
    pad = "," * 14
    lines = [
        "Glucose Data,Generated on,01-20-2024 9:00 AM UTC,Generated by,Test Patient",
        LIBRE_HEADER.format(u=unit),
        *(r + pad for r in rows),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_libreview_historic_rows_with_us_dates(tmp_path: Path) -> None:
    rows = [
        "FreeStyle LibreLink,S1,01-13-2024 07:15 AM,0,99,",
        "FreeStyle LibreLink,S1,01-13-2024 07:20 AM,1,,104",
        "FreeStyle LibreLink,S1,01-13-2024 07:30 AM,0,108,",
        "FreeStyle LibreLink,S1,01-13-2024 07:45 PM,0,120,",
    ]
    frame, report = read_libreview(libre(tmp_path, rows), zone=OSLO)
    assert frame.value.tolist() == [99.0, 108.0, 120.0]
    assert frame.time_utc[0] == utc("2024-01-13T07:15")
    assert frame.time_utc[2] == utc("2024-01-13T19:45")
    assert report.notes["not_selected"] == 1


def test_libreview_day_first_mmol_and_ambiguous_dates(tmp_path: Path) -> None:
    rows = [
        f"FreeStyle Libre 3,S1,13-01-2024 07:{m:02d},0,{v},,"
        for m, v in ((0, 5.5), (5, 6.0), (10, 6.5))
    ]
    frame, _ = read_libreview(libre(tmp_path, rows, "mmol/L"), zone=OSLO)
    np.testing.assert_allclose(frame.value, np.array([5.5, 6.0, 6.5]) * 18.0182)
    assert frame.epoch_s == 300
    ambiguous = [f"FreeStyle Libre 3,S1,01-02-2024 07:{m:02d},0,100," for m in (0, 15)]
    with pytest.raises(InputFormatError, match="month-first or day-first"):
        read_libreview(libre(tmp_path, ambiguous, name="a.csv"), zone=OSLO)
    frame2, _ = read_libreview(
        libre(tmp_path, ambiguous, name="b.csv"), zone=OSLO, date_order="DMY"
    )
    assert frame2.time_utc[0] == utc("2024-02-01T07:00")


def test_libreview_broken_file(tmp_path: Path) -> None:
    rows = [
        "FreeStyle LibreLink,S1,01-13-2024 07:15,0,99,",
        "FreeStyle LibreLink,S1,01-13-2024 25:15,0,99,",
    ]
    with pytest.raises(InputFormatError, match=r"l.csv, line 4, field 'Device Timestamp'"):
        read_libreview(libre(tmp_path, rows), zone=OSLO, date_order="MDY")
    no_header = tmp_path / "x.csv"
    no_header.write_text("Glucose Data\nsomething,else\n")
    with pytest.raises(InputFormatError, match="not a LibreView export"):
        read_libreview(no_header, zone=OSLO)


def test_generic_mapping_with_per_row_zone_for_travel(tmp_path: Path) -> None:
    # A patient flies Oslo -> New York; the device logs naive wall-clock time and its zone.
    path = tmp_path / "hr.csv"
    path.write_text(
        "when;bpm;tz\n"
        "2024-01-10 08:00;60;Europe/Oslo\n"
        "2024-01-10 08:00;70;America/New_York\n"
        "2024-01-10T20:00:00+01:00;65;\n",
        encoding="utf-8",
    )
    mapping = CsvMapping(
        time_column="when",
        value_column="bpm",
        modality=Modality.HEART_RATE,
        unit="bpm",
        zone_column="tz",
        delimiter=";",
    )
    with pytest.raises(InputFormatError, match=r"line 4, field 'when'.*unknown time zone"):
        read_mapped_csv(path, mapping, zone=OSLO)
    path.write_text(path.read_text().replace(";65;\n", ";65;+01:00\n"), encoding="utf-8")
    frame, _ = read_mapped_csv(path, mapping, zone=OSLO)
    assert frame.time_utc.tolist() == [
        utc("2024-01-10T08:00"),
        utc("2024-01-10T08:00", "America/New_York"),  # 13:00 UTC
        utc("2024-01-10T20:00"),  # 19:00 UTC
    ]
    assert frame.value.tolist() == [60.0, 70.0, 65.0]


def test_generic_mapping_unit_column_and_bad_units(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("t,v,u\n2024-01-10T08:00:00Z,5.5,mmol/L\n2024-01-10T08:05:00Z,100,mg/dL\n")
    mapping = CsvMapping(
        time_column="t", value_column="v", unit_column="u", modality=Modality.GLUCOSE
    )
    frame, _ = read_mapped_csv(path, mapping, zone=OSLO)
    np.testing.assert_allclose(frame.value, [5.5 * 18.0182, 100.0])
    path.write_text("t,v,u\n2024-01-10T08:00:00Z,5.5,mg/kg\n")
    with pytest.raises(InputFormatError, match=r"line 2, field 'u'.*not a glucose unit"):
        read_mapped_csv(path, mapping, zone=OSLO)
    with pytest.raises(ValueError, match="not a glucose unit"):
        CsvMapping(time_column="t", value_column="v", unit="kg", modality=Modality.GLUCOSE)
    path.write_text("t,x,u\n")
    with pytest.raises(InputFormatError, match="missing column 'v'"):
        read_mapped_csv(path, mapping, zone=OSLO)
