"""Open mHealth / IEEE 1752.1 data points: reading, broken files, and daily write-back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from bedside.biomarkers import REGISTRY, daily_glucose
from bedside.domain import (
    DailyBiomarkerTable,
    DroppedRowsWarning,
    InputFormatError,
    Modality,
    PatientId,
    SleepState,
)
from bedside.sensors.open_mhealth import read_open_mhealth
from bedside.sensors.open_mhealth_writer import (
    daily_data_points,
    read_daily_data_points,
    write_daily_data_points,
)

OSLO = "Europe/Oslo"


def point(name: str, body: dict[str, object], source: str = "phone") -> dict[str, object]:
    return {
        "header": {
            "uuid": f"id-{name}-{len(json.dumps(body))}",
            "schema_id": {"namespace": "omh", "name": name, "version": "2.0"},
            "source_creation_date_time": "2024-01-10T08:00:00Z",
            "acquisition_provenance": {"source_name": source, "modality": "sensed"},
        },
        "body": body,
    }


def at(t: str) -> dict[str, object]:
    return {"date_time": t}


def interval(a: str, b: str) -> dict[str, object]:
    return {"time_interval": {"start_date_time": a, "end_date_time": b}}


POINTS = [
    point(
        "heart-rate",
        {
            "heart_rate": {"value": 62, "unit": "beats/min"},
            "effective_time_frame": at("2024-01-10T08:00:00+01:00"),
        },
    ),
    point(
        "heart-rate",
        {
            "heart_rate": {"value": 64, "unit": "beats/min"},
            "effective_time_frame": at("2024-01-10T08:00:00-05:00"),
        },
    ),
    point(
        "blood-glucose",
        {
            "blood_glucose": {"value": 5.5, "unit": "mmol/L"},
            "effective_time_frame": at("2024-01-10T09:00:00+01:00"),
        },
    ),
    point(
        "step-count",
        {
            "step_count": {"value": 120, "unit": "steps"},
            "effective_time_frame": {
                "time_interval": {
                    "start_date_time": "2024-01-10T10:00:00+01:00",
                    "duration": {"value": 2, "unit": "min"},
                }
            },
        },
    ),
    point(
        "step-count",
        {
            "step_count": 60,
            "effective_time_frame": interval(
                "2024-01-10T11:00:00+01:00", "2024-01-10T11:01:00+01:00"
            ),
        },
    ),
    point(
        "physical-activity",
        {
            "activity_name": "walking",
            "effective_time_frame": interval(
                "2024-01-10T10:00:00+01:00", "2024-01-10T10:30:00+01:00"
            ),
        },
    ),
    point(
        "total-sleep-time",
        {
            "total_sleep_time": {"value": 7, "unit": "h"},
            "effective_time_frame": interval(
                "2024-01-09T23:00:00+01:00", "2024-01-10T07:00:00+01:00"
            ),
        },
    ),
    point(
        "sleep-episode",
        {
            "effective_time_frame": interval(
                "2024-01-10T23:00:00+01:00", "2024-01-11T06:30:00+01:00"
            )
        },
    ),
    point("body-weight", {"body_weight": {"value": 70, "unit": "kg"}}),
]


def utc(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


@pytest.mark.parametrize("layout", ["array", "lines"])
def test_reads_every_supported_schema(tmp_path: Path, layout: str) -> None:
    path = tmp_path / ("p.json" if layout == "array" else "p.jsonl")
    if layout == "array":
        path.write_text(json.dumps(POINTS, indent=1))
    else:
        path.write_text("\n".join(json.dumps(p) for p in POINTS) + "\n")
    got = read_open_mhealth(path, zone=OSLO)
    assert got.heart_rate.time_utc.tolist() == [
        utc("2024-01-10T08:00:00+01:00"),
        utc("2024-01-10T08:00:00-05:00"),
    ]
    np.testing.assert_allclose(got.glucose.value, [5.5 * 18.0182])
    assert got.steps_per_minute.value.tolist() == [60.0, 60.0, 60.0]
    assert got.activity_bouts.activity == ("walking",)
    assert got.sleep.state.tolist() == [SleepState.IN_BED, SleepState.ASLEEP]
    assert got.sleep.asleep_min[0] == 420.0
    assert np.isnan(got.sleep.asleep_min[1])
    assert got.report.notes["other_schema:body-weight"] == 1
    assert got.report.records_read == len(POINTS)


def test_broken_files_name_line_and_data_point(tmp_path: Path) -> None:
    lines = [json.dumps(p) for p in POINTS[:2]]
    path = tmp_path / "b.jsonl"
    path.write_text(lines[0] + "\n" + lines[1][:-5] + "\n")
    with pytest.raises(InputFormatError, match=r"b.jsonl, line 2: malformed JSON"):
        read_open_mhealth(path, zone=OSLO)
    arr = tmp_path / "a.json"
    arr.write_text("[" + lines[0] + ",\n" + lines[1])
    with pytest.raises(InputFormatError, match="line 2"):
        read_open_mhealth(arr, zone=OSLO)
    bad = [
        POINTS[0],
        point(
            "heart-rate",
            {
                "heart_rate": {"value": 62, "unit": "mmHg"},
                "effective_time_frame": at("2024-01-10T08:00:00Z"),
            },
        ),
    ]
    path.write_text("\n".join(json.dumps(p) for p in bad) + "\n")
    with pytest.raises(
        InputFormatError, match=r"line 2, field 'body.heart_rate': data point #2: unit 'mmHg'"
    ):
        read_open_mhealth(path, zone=OSLO)
    with pytest.warns(DroppedRowsWarning, match="dropped 1 of 2"):
        got = read_open_mhealth(path, zone=OSLO, lenient=True)
    assert got.heart_rate.value.tolist() == [62.0]
    no_time = [point("heart-rate", {"heart_rate": {"value": 62, "unit": "beats/min"}})]
    path.write_text(json.dumps(no_time))
    with pytest.raises(InputFormatError, match="missing 'effective_time_frame'"):
        read_open_mhealth(path, zone=OSLO)
    gap = [
        point(
            "heart-rate",
            {
                "heart_rate": {"value": 62, "unit": "beats/min"},
                "effective_time_frame": at("2024-03-31T02:30:00"),
            },
        )
    ]
    path.write_text(json.dumps(gap))
    with pytest.raises(InputFormatError, match="does not exist in Europe/Oslo"):
        read_open_mhealth(path, zone=OSLO)


def test_daily_biomarkers_round_trip_through_data_points(tmp_path: Path) -> None:
    dates = np.arange(np.datetime64("2024-03-30"), np.datetime64("2024-04-02"))  # spans DST
    table = DailyBiomarkerTable(
        patient_id=PatientId("p1"),
        zone=OSLO,
        dates=dates,
        values={
            "cardiac.resting_hr_bpm": np.array([58.0, np.nan, 61.5]),
            "glucose.mean_mgdl": np.array([110.0, 120.0, 130.0]),
            "glucose.tir_pct": np.array([90.0, 80.0, np.nan]),
        },
        coverage={
            Modality.HEART_RATE: np.array([1.0, 0.2, 0.9]),
            Modality.GLUCOSE: np.array([1.0, 1.0, 0.5]),
        },
    )
    points = list(daily_data_points(table, REGISTRY))
    assert len(points) == 7  # the two NaN values are not written
    hr = points[0]
    assert hr["header"]["schema_id"] == {"namespace": "omh", "name": "heart-rate", "version": "2.0"}
    assert hr["body"]["heart_rate"] == {"value": 58.0, "unit": "beats/min"}
    assert hr["body"]["effective_time_frame"]["time_interval"] == {
        "start_date_time": "2024-03-30T00:00:00+01:00",
        "end_date_time": "2024-03-31T00:00:00+01:00",
    }
    dst_day = [p for p in points if p["body"]["bedside_biomarker"] == "glucose.tir_pct"][1]
    assert dst_day["header"]["schema_id"]["namespace"] == "bedside"
    assert dst_day["body"]["effective_time_frame"]["time_interval"]["end_date_time"].endswith(
        "+02:00"
    )
    path = tmp_path / "out.jsonl"
    assert write_daily_data_points(table, REGISTRY, path) == 7
    back = read_daily_data_points(path, patient_id="p1", zone=OSLO)
    assert back.dates.tolist() == dates.tolist()
    for key, col in table.values.items():
        np.testing.assert_array_equal(back.values[key], col)
    # The raw-data reader recognises its own summaries and does not take them for samples.
    raw = read_open_mhealth(path, zone=OSLO)
    assert len(raw.heart_rate) == 0
    assert raw.report.notes["bedside_summary"] == 7
    # Same table, same ids.
    assert [p["header"]["uuid"] for p in daily_data_points(table, REGISTRY)] == [
        p["header"]["uuid"] for p in points
    ]


def test_glucose_from_data_points_feeds_the_daily_table(tmp_path: Path) -> None:
    start = dt.datetime(2024, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    pts = [
        point(
            "blood-glucose",
            {
                "blood_glucose": {"value": 100 + (i % 12), "unit": "mg/dL"},
                "effective_time_frame": at((start + dt.timedelta(minutes=5 * i)).isoformat()),
            },
        )
        for i in range(288)
    ]
    path = tmp_path / "g.json"
    path.write_text(json.dumps(pts))
    got = read_open_mhealth(path, zone=OSLO)
    frame = got.glucose
    table = daily_glucose(
        type(frame)(
            frame.patient_id,
            frame.modality,
            frame.zone,
            frame.time_utc,
            frame.value,
            300,
            frame.source,
        )
    )
    assert table.coverage[Modality.GLUCOSE].tolist() == [1.0]
    assert table.values["glucose.tir_pct"][0] == 100.0
