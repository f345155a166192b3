"""Depresjon on the real subset, and the scores/recordings tables on small files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bedside.domain import DataQualityWarning, InputFormatError
from bedside.sensors import (
    list_depresjon_recordings,
    read_depresjon_scores,
    read_depresjon_with_report,
)

SCORES_HEADER = "number,days,gender,age,afftype,melanch,inpatient,edu,marriage,work,madrs1,madrs2"


@pytest.mark.depresjon
def test_every_real_file_reads_with_all_minutes_consecutive(depresjon_dir: Path) -> None:
    recordings = list_depresjon_recordings(depresjon_dir)
    assert recordings
    assert {r.label for r in recordings} <= {0, 1}
    for rec in recordings:
        frame, report = read_depresjon_with_report(rec.path)
        data_lines = len(rec.path.read_text().splitlines()) - 1
        assert report.rows_read == data_lines == len(frame), rec.participant_id
        assert frame.patient_id == rec.participant_id
        # Minute data without gaps, even across clock changes.
        assert np.all(np.diff(frame.time_utc) == 60), rec.participant_id
        assert np.all(frame.value >= 0)
        assert rec.participant is not None
        assert rec.label == rec.participant.label == (rec.path.parent.name == "condition")


@pytest.mark.depresjon
def test_real_file_across_spring_change_is_consecutive(depresjon_dir: Path) -> None:
    oslo = ZoneInfo("Europe/Oslo")
    change = int(dt.datetime(2003, 3, 30, 3, 0, tzinfo=oslo).timestamp())
    crossing = []
    for rec in list_depresjon_recordings(depresjon_dir):
        text = rec.path.read_text()
        if "2003-03-30 01:59:00" in text and "2003-03-30 03:00:00" in text:
            crossing.append(rec)
    if not crossing:
        pytest.skip("no recording in this subset crosses 2003-03-30")
    for rec in crossing:
        frame, _ = read_depresjon_with_report(rec.path)
        i = int(np.searchsorted(frame.time_utc, change))
        assert int(frame.time_utc[i]) == change
        assert int(frame.time_utc[i] - frame.time_utc[i - 1]) == 60


@pytest.mark.depresjon
def test_real_scores_parse(depresjon_dir: Path) -> None:
    participants = read_depresjon_scores(depresjon_dir / "scores.csv")
    patients = [p for p in participants if p.label == 1]
    controls = [p for p in participants if p.label == 0]
    assert all(p.madrs1 is not None for p in patients)
    assert all(p.madrs1 is None and p.afftype is None for p in controls)
    assert all(p.days > 0 and p.sex in {"female", "male"} for p in participants)


def _scores(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "scores.csv"
    path.write_text("\n".join([SCORES_HEADER, *rows]) + "\n")
    return path


def test_scores_missing_value_spellings(tmp_path: Path) -> None:
    path = _scores(
        tmp_path,
        ["condition_2,11,2,35-39,2,NA,2, ,1,2,19,", "control_9,8,1,25-29,NA,NA,NA,,NA,NA,NA,NA"],
    )
    cond, ctrl = read_depresjon_scores(path)
    assert (cond.label, cond.melanch, cond.edu, cond.madrs1, cond.madrs2) == (
        1,
        None,
        None,
        19,
        None,
    )
    assert (ctrl.label, ctrl.gender, ctrl.age_band, ctrl.work) == (0, 1, "25-29", None)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("patient_1,11,2,35-39,2,2,2,6-10,1,2,19,19", "number"),
        ("condition_1,x,2,35-39,2,2,2,6-10,1,2,19,19", "days"),
        ("condition_1,11,3,35-39,2,2,2,6-10,1,2,19,19", "gender"),
        ("condition_1,11,2,old,2,2,2,6-10,1,2,19,19", "age"),
        ("condition_1,11,2,35-39,2,2,2,6-10,1,2,19,high", "madrs2"),
    ],
)
def test_scores_errors_name_line_and_field(tmp_path: Path, row: str, field: str) -> None:
    path = _scores(tmp_path, ["control_9,8,1,25-29,NA,NA,NA,,NA,NA,NA,NA", row])
    with pytest.raises(InputFormatError) as info:
        read_depresjon_scores(path)
    assert (info.value.line, info.value.field) == (3, field)


def test_recordings_join_and_mismatch_warnings(tmp_path: Path) -> None:
    _scores(
        tmp_path,
        [
            "condition_1,11,2,35-39,2,2,2,6-10,1,2,19,19",
            "control_2,8,1,25-29,NA,NA,NA,,NA,NA,NA,NA",
        ],
    )
    for folder, name in [
        ("condition", "condition_1"),
        ("condition", "condition_10"),
        ("control", "control_3"),
    ]:
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / f"{name}.csv").write_text("timestamp,date,activity\n")
    with pytest.warns(DataQualityWarning) as record:
        recordings = list_depresjon_recordings(tmp_path)
    messages = " ".join(str(w.message) for w in record)
    assert "condition_10" in messages
    assert "control_3" in messages
    assert "control_2" in messages  # scores row without recording
    assert [r.participant_id for r in recordings] == ["condition_1", "condition_10", "control_3"]
    assert [r.label for r in recordings] == [1, 1, 0]
    assert recordings[0].participant is not None
    assert recordings[0].participant.madrs1 == 19
    assert recordings[1].participant is None
