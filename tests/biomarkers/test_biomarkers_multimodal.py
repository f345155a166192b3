"""Multi-modal daily extraction: every modality's columns and coverage in one table."""

from __future__ import annotations

import numpy as np
import pytest

from bedside.biomarkers import (
    MODALITY_EXTRACTORS,
    extract_daily,
    extract_multimodal_daily,
    extract_sleep_records_daily,
    extract_steps_daily,
)
from bedside.domain import InputFormatError, Modality, SampleFrame
from bedside.sensors import CohortConfig, generate_patient
from bedside.sensors.synthetic_config import SYNTHETIC_EXTRA_MODALITIES

CONFIG = CohortConfig(
    n_patients=2,
    n_days=21,
    seed=9,
    off_wrist_prob=0.5,
    missing_day_prob=0.1,
    extra_modalities=SYNTHETIC_EXTRA_MODALITIES,
)


def test_merged_table_holds_every_modality_and_matches_the_single_extractors() -> None:
    patient = generate_patient(CONFIG, 0)
    table = extract_multimodal_daily(patient.frames())
    assert set(table.coverage) == set(patient.frames())
    singles = [MODALITY_EXTRACTORS[m](f) for m, f in patient.frames().items()]
    assert set(table.values) == {k for t in singles for k in t.values}
    acti = extract_daily(patient.actigraphy)
    steps = extract_steps_daily(patient.raw[Modality.STEPS])  # type: ignore[arg-type]
    records = extract_sleep_records_daily(patient.raw[Modality.SLEEP_RECORDS])  # type: ignore[arg-type]
    rows = slice(
        (acti.dates[0] - table.dates[0]).astype(int),
        (acti.dates[0] - table.dates[0]).astype(int) + acti.n_days,
    )
    for key in ("activity.total_counts", "circadian.cosinor_amplitude"):
        np.testing.assert_array_equal(table.values[key][rows], acti.values[key])
    np.testing.assert_array_equal(
        table.values["activity.steps"][rows][: steps.n_days], steps.values["activity.steps"]
    )
    # Sleep: the actigraphy's night where it has one, the record's where it does not.
    dur = table.values["sleep.duration_min"][rows]
    have = np.isfinite(acti.values["sleep.duration_min"])
    np.testing.assert_array_equal(dur[have], acti.values["sleep.duration_min"][have])
    rec_rows = (records.dates - acti.dates[0]).astype(int)
    rec_dur = records.values["sleep.duration_min"]
    filled = (~have[np.clip(rec_rows, 0, acti.n_days - 1)]) & np.isfinite(rec_dur)
    filled &= (rec_rows >= 0) & (rec_rows < acti.n_days)
    assert filled.any(), "this seed should lose some actigraphy nights that a record covers"
    np.testing.assert_array_equal(dur[rec_rows[filled]], rec_dur[filled])


def test_wrong_frame_types_and_unknown_modalities_are_refused() -> None:
    patient = generate_patient(CONFIG, 1)
    with pytest.raises(InputFormatError, match="sleep-episode frame"):
        extract_multimodal_daily({Modality.SLEEP_RECORDS: patient.actigraphy})
    with pytest.raises(InputFormatError, match="audio-clip frame"):
        extract_multimodal_daily({Modality.VOICE: patient.actigraphy})
    with pytest.raises(InputFormatError, match="no daily extractor for modality self_report"):
        extract_multimodal_daily({Modality.SELF_REPORT: patient.actigraphy})
    other = SampleFrame(
        patient.actigraphy.patient_id,
        Modality.STEPS,
        "Asia/Tokyo",
        patient.actigraphy.time_utc,
        patient.actigraphy.value,
    )
    with pytest.raises(InputFormatError, match="cannot merge"):
        extract_multimodal_daily({Modality.ACTIGRAPHY: patient.actigraphy, Modality.STEPS: other})


def test_heart_rate_modality_takes_samples_rr_or_both() -> None:
    import datetime as dt

    from bedside.biomarkers import daily_cardiac
    from bedside.domain.cardiac_recording import CardiacRecording
    from bedside.sensors.synthetic_cardiac import synthetic_cardiac

    dates = [dt.date(2024, 3, 1) + dt.timedelta(days=k) for k in range(4)]
    c = synthetic_cardiac(np.random.default_rng(1), dates, "Europe/Oslo", np.zeros(4))
    extract = MODALITY_EXTRACTORS[Modality.HEART_RATE]
    both = extract(CardiacRecording(c.heart_rate, c.rr))
    ref = daily_cardiac(c.heart_rate, c.rr)
    for key in ref.values:
        np.testing.assert_array_equal(both.values[key], ref.values[key])
    assert np.isfinite(both.values["cardiac.rmssd_ms"]).any()
    hr_only = extract(c.heart_rate)
    assert np.isnan(hr_only.values["cardiac.rmssd_ms"]).all()
    np.testing.assert_array_equal(
        hr_only.values["cardiac.resting_hr_bpm"], both.values["cardiac.resting_hr_bpm"]
    )
    rr_only = extract(c.rr)
    assert np.isfinite(rr_only.values["cardiac.rmssd_ms"]).any()
    with pytest.raises(InputFormatError, match="heart-rate samples or RR intervals"):
        CardiacRecording(None, None)
    with pytest.raises(InputFormatError, match="expected heart-rate samples"):
        CardiacRecording(generate_patient(CONFIG, 0).actigraphy, c.rr)
