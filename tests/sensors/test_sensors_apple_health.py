"""Apple Health export.xml: record types, per-record offsets, duplicates, broken files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from bedside.domain import DroppedRowsWarning, InputFormatError, Modality, SleepState
from bedside.sensors.apple_health import read_apple_health

OSLO = "Europe/Oslo"
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="en_US">
 <ExportDate value="2024-04-02 10:00:00 +0200"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth=""/>
"""


def record(
    kind: str,
    start: str,
    value: str,
    *,
    end: str | None = None,
    unit: str | None = None,
    source: str = "Watch",
) -> str:
    unit_attr = f' unit="{unit}"' if unit is not None else ""
    return (
        f' <Record type="HK{kind}" sourceName="{source}" sourceVersion="10.1"{unit_attr} '
        f'creationDate="{start}" startDate="{start}" endDate="{end or start}" value="{value}"/>\n'
    )


def export(tmp_path: Path, body: str, name: str = "export.xml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body + "</HealthData>\n", encoding="utf-8")
    return path


def utc(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


def test_reads_each_type_with_its_own_offset_across_travel(tmp_path: Path) -> None:
    body = (
        record(
            "QuantityTypeIdentifierHeartRate", "2024-03-30 08:00:00 +0100", "62", unit="count/min"
        )
        # Flew to New York: the next records carry -0400.
        + record(
            "QuantityTypeIdentifierHeartRate", "2024-03-30 08:00:00 -0400", "70", unit="count/min"
        )
        + record(
            "QuantityTypeIdentifierHeartRateVariabilitySDNN",
            "2024-03-30 03:00:00 -0400",
            "48.5",
            unit="ms",
        )
        + record(
            "QuantityTypeIdentifierBloodGlucose",
            "2024-03-30 09:00:00 -0400",
            "99",
            unit="mg/dL",
            source="Dexcom",
        )
        + record(
            "QuantityTypeIdentifierBloodGlucose",
            "2024-03-30 09:05:00 -0400",
            "5.5",
            unit="mmol&lt;180.15588000005408&gt;/L",
            source="Dexcom",
        )
        + record(
            "CategoryTypeIdentifierSleepAnalysis",
            "2024-03-30 23:00:00 -0400",
            "HKCategoryValueSleepAnalysisAsleepDeep",
            end="2024-03-31 01:00:00 -0400",
        )
        + record("QuantityTypeIdentifierBodyMass", "2024-03-30 08:00:00 +0100", "70", unit="kg")
        + ' <Workout workoutActivityType="HKWorkoutActivityTypeCycling" sourceName="Watch" '
        'startDate="2024-03-30 10:00:00 -0400" endDate="2024-03-30 10:30:00 -0400"/>\n'
    )
    got = read_apple_health(export(tmp_path, body), zone=OSLO)
    assert got.heart_rate.modality is Modality.HEART_RATE
    assert got.heart_rate.time_utc.tolist() == [
        utc("2024-03-30T08:00:00+01:00"),
        utc("2024-03-30T08:00:00-04:00"),
    ]
    assert got.hrv_sdnn_ms.value.tolist() == [48.5]
    np.testing.assert_allclose(got.glucose.value, [99.0, 5.5 * 18.0182])
    assert got.sleep.state.tolist() == [SleepState.ASLEEP_DEEP]
    assert int(got.sleep.end_utc[0] - got.sleep.start_utc[0]) == 7200
    assert got.activity_bouts.activity == ("cycling",)
    assert got.report.notes["other_type"] == 1
    assert got.report.records_read == 8


def test_steps_from_two_devices_are_not_double_counted(tmp_path: Path) -> None:
    body = record(
        "QuantityTypeIdentifierStepCount",
        "2024-01-10 08:00:00 +0100",
        "100",
        end="2024-01-10 08:10:00 +0100",
        unit="count",
        source="iPhone",
    ) + record(
        "QuantityTypeIdentifierStepCount",
        "2024-01-10 08:00:00 +0100",
        "80",
        end="2024-01-10 08:05:00 +0100",
        unit="count",
        source="Watch",
    )
    got = read_apple_health(export(tmp_path, body), zone=OSLO, source_priority=["Watch"])
    steps = got.steps_per_minute
    assert steps.value.tolist() == [16.0] * 5 + [10.0] * 5
    assert steps.value.sum() == 130.0  # the watch's 80, then the phone's last five minutes
    assert got.report.notes["steps:overlap_minutes"] == 5
    phone_first = read_apple_health(
        export(tmp_path, body, "b.xml"), zone=OSLO, source_priority=["iPhone"]
    )
    assert phone_first.steps_per_minute.value.sum() == pytest.approx(100.0)


def test_duplicate_and_conflicting_heart_rates(tmp_path: Path) -> None:
    t = "2024-01-10 08:00:00 +0100"
    body = (
        record("QuantityTypeIdentifierHeartRate", t, "62", unit="count/min", source="Watch")
        + record("QuantityTypeIdentifierHeartRate", t, "62", unit="count/min", source="Watch")
        + record("QuantityTypeIdentifierHeartRate", t, "75", unit="count/min", source="Polar")
    )
    got = read_apple_health(export(tmp_path, body), zone=OSLO, source_priority=["Polar"])
    assert got.heart_rate.value.tolist() == [75.0]
    assert got.report.notes["heart_rate:identical_duplicate"] == 1
    assert got.report.notes["heart_rate:conflicting_duplicate"] == 1


def test_xml_syntax_error_names_the_line(tmp_path: Path) -> None:
    body = record(
        "QuantityTypeIdentifierHeartRate", "2024-01-10 08:00:00 +0100", "62", unit="count/min"
    )
    path = tmp_path / "export.xml"
    path.write_text(HEAD + body + ' <Record type="x" value="1"\n</HealthData>\n')
    with pytest.raises(InputFormatError, match=r"export.xml, line 1[01]: XML syntax error"):
        read_apple_health(path, zone=OSLO)
    truncated = tmp_path / "cut.xml"
    truncated.write_text(HEAD + body)
    with pytest.raises(InputFormatError, match="XML syntax error"):
        read_apple_health(truncated, zone=OSLO)
    other = tmp_path / "o.xml"
    other.write_text("<Other/>")
    with pytest.raises(InputFormatError, match="expected <HealthData>"):
        read_apple_health(other, zone=OSLO)


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        (
            record(
                "QuantityTypeIdentifierHeartRate", "2024-01-10 08:00 +0100", "62", unit="count/min"
            ),
            r"field 'startDate': <Record> #2 \(HKQuantityTypeIdentifierHeartRate\)",
        ),
        (
            record(
                "QuantityTypeIdentifierHeartRate",
                "2024-01-10 08:00:00 +0100",
                "abc",
                unit="count/min",
            ),
            r"#2 .*cannot read value 'abc'",
        ),
        (
            record("QuantityTypeIdentifierHeartRate", "2024-01-10 08:00:00 +0100", "62", unit="ms"),
            r"unit 'ms' is not valid",
        ),
        (
            record(
                "QuantityTypeIdentifierBloodGlucose",
                "2024-01-10 08:00:00 +0100",
                "5.5",
                unit="mg/dL",
            ),
            r"looks like mmol/L",
        ),
        (
            record("CategoryTypeIdentifierSleepAnalysis", "2024-01-10 08:00:00 +0100", "Dozing"),
            r"unknown sleep analysis value 'Dozing'",
        ),
        (
            record(
                "QuantityTypeIdentifierStepCount",
                "2024-01-10 08:00:00 +0100",
                "5",
                unit="count",
                end="2024-01-10 07:00:00 +0100",
            ),
            r"endDate is before startDate",
        ),
    ],
)
def test_malformed_records_name_the_element(tmp_path: Path, bad: str, needle: str) -> None:
    good = record(
        "QuantityTypeIdentifierHeartRate", "2024-01-10 07:00:00 +0100", "60", unit="count/min"
    )
    path = export(tmp_path, good + bad)
    with pytest.raises(InputFormatError, match=needle):
        read_apple_health(path, zone=OSLO)
    with pytest.warns(DroppedRowsWarning, match="dropped 1 of 2 records"):
        got = read_apple_health(path, zone=OSLO, lenient=True)
    assert got.heart_rate.value[0] == 60.0
