"""One patient's daily biomarker table from all of their raw frames.

Each modality's extractor produces its own table (its columns and its coverage entry);
:func:`bedside.biomarkers.merge_daily_tables` joins them. The one overlap is sleep: actigraphy
and sleep records both measure the main sleep period, under the same ``sleep.*`` ids. The
actigraphy's values are kept where it has them (the patient's baseline and the risk model were
learned from them, and switching source night by night would add a between-source difference to
the day-to-day variation); records fill the nights the actigraphy misses (off the wrist, too
little coverage) and add what only they know (``sleep.latency_min``). Both coverages are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from bedside.biomarkers.cardiac_daily import daily_cardiac
from bedside.biomarkers.cortisol import daily_cortisol
from bedside.biomarkers.daily_table import extract_daily
from bedside.biomarkers.glucose_daily import daily_glucose
from bedside.biomarkers.language import daily_language
from bedside.biomarkers.merge import merge_daily_tables
from bedside.biomarkers.mobility import daily_mobility
from bedside.biomarkers.phone_use import daily_phone_use
from bedside.biomarkers.sleep import SLEEP_IDS
from bedside.biomarkers.sleep_records import extract_sleep_records_daily
from bedside.biomarkers.steps import extract_steps_daily
from bedside.biomarkers.typing_cadence import daily_typing
from bedside.biomarkers.voice import daily_voice
from bedside.domain import (
    DailyBiomarkerTable,
    InputFormatError,
    Modality,
    SampleFrame,
    SleepEpisodeFrame,
)
from bedside.domain.audio_clips import AudioClipFrame
from bedside.domain.cardiac_recording import CardiacRecording
from bedside.domain.daily import FloatArray
from bedside.domain.gps_samples import GpsFrame
from bedside.domain.keystroke_samples import KeystrokeFrame
from bedside.domain.raw_frames import RawFrame
from bedside.domain.rr_intervals import RRIntervalFrame
from bedside.domain.screen_events import ScreenEventFrame
from bedside.domain.text_entries import TextEntryFrame

_F = TypeVar("_F", GpsFrame, ScreenEventFrame, KeystrokeFrame, AudioClipFrame, TextEntryFrame)

__all__ = [
    "MODALITY_EXTRACTORS",
    "combine_modality_tables",
    "extract_multimodal_daily",
    "fill_sleep_from_records",
    "modality_extractor",
]


def _sample_frame(frame: RawFrame, modality: Modality) -> SampleFrame:
    if not isinstance(frame, SampleFrame) or frame.modality is not modality:
        raise InputFormatError(
            getattr(frame, "source", "<memory>"), f"expected a {modality} sample frame"
        )
    return frame


def _typed(frame: RawFrame, kind: type[_F], name: str) -> _F:
    if not isinstance(frame, kind):
        raise InputFormatError(frame.source, f"expected a {name} frame")
    return frame


def _cardiac(frame: RawFrame) -> DailyBiomarkerTable:
    """Heart-rate samples, RR intervals, or both (a `CardiacRecording`)."""
    if isinstance(frame, CardiacRecording):
        return daily_cardiac(frame.heart_rate, frame.rr)
    if isinstance(frame, RRIntervalFrame):
        return daily_cardiac(None, frame)
    return daily_cardiac(_sample_frame(frame, Modality.HEART_RATE), None)


def _sleep_frame(frame: RawFrame) -> SleepEpisodeFrame:
    if not isinstance(frame, SleepEpisodeFrame):
        raise InputFormatError(frame.source, "expected a sleep-episode frame")
    return frame


MODALITY_EXTRACTORS: dict[Modality, Callable[[Any], DailyBiomarkerTable]] = {
    Modality.ACTIGRAPHY: lambda f: extract_daily(_sample_frame(f, Modality.ACTIGRAPHY)),
    Modality.STEPS: lambda f: extract_steps_daily(_sample_frame(f, Modality.STEPS)),
    Modality.SLEEP_RECORDS: lambda f: extract_sleep_records_daily(_sleep_frame(f)),
    Modality.CORTISOL: lambda f: daily_cortisol(_sample_frame(f, Modality.CORTISOL)),
    Modality.GPS: lambda f: daily_mobility(_typed(f, GpsFrame, "GPS")),
    Modality.PHONE_USE: lambda f: daily_phone_use(_typed(f, ScreenEventFrame, "screen-event")),
    Modality.TYPING: lambda f: daily_typing(_typed(f, KeystrokeFrame, "keystroke")),
    Modality.HEART_RATE: lambda f: _cardiac(f),
    Modality.GLUCOSE: lambda f: daily_glucose(_sample_frame(f, Modality.GLUCOSE)),
    Modality.VOICE: lambda f: daily_voice(_typed(f, AudioClipFrame, "audio-clip")),
    Modality.LANGUAGE: lambda f: daily_language(_typed(f, TextEntryFrame, "text-entry")),
}
"""Daily extractor of each modality with raw data on the device (a frame -> its own table)."""


def _day0(table: DailyBiomarkerTable) -> int:
    return int(table.dates[0].astype("datetime64[D]").astype(np.int64))


def fill_sleep_from_records(
    actigraphy: DailyBiomarkerTable, records: DailyBiomarkerTable
) -> tuple[DailyBiomarkerTable, DailyBiomarkerTable]:
    """Fill the actigraphy's missing ``sleep.*`` values from the records of the same night.

    Returns
    -------
    actigraphy, records : DailyBiomarkerTable
        The actigraphy table whose shared ``sleep.*`` columns take the records' value on days
        where the actigraphy's is NaN and the night is recorded, and the records table without
        those shared columns (its own columns, such as ``sleep.latency_min``, and its coverage
        remain).
    """
    shared = [k for k in records.values if k in actigraphy.values]
    if "sleep.duration_min" not in shared or actigraphy.n_days == 0 or records.n_days == 0:
        return actigraphy, records
    covered = records.coverage[Modality.SLEEP_RECORDS] > 0
    offset = _day0(records) - _day0(actigraphy)
    a_idx = np.arange(records.n_days) + offset
    inside = (a_idx >= 0) & (a_idx < actigraphy.n_days) & covered
    values: dict[str, FloatArray] = dict(actigraphy.values)
    rows, src = a_idx[inside], np.flatnonzero(inside)
    # A night's period measures come from one source: all of them fill when the actigraphy
    # had no scorable night (duration NaN); rolling-week measures fill one by one.
    night_missing = np.isnan(values["sleep.duration_min"][rows])
    for key in shared:
        col = values[key].copy()
        fill = night_missing if key in SLEEP_IDS else np.isnan(col[rows])
        col[rows[fill]] = records.values[key][src[fill]]
        values[key] = col
    fused = DailyBiomarkerTable(
        actigraphy.patient_id, actigraphy.zone, actigraphy.dates, values, actigraphy.coverage
    )
    rest = {k: v for k, v in records.values.items() if k not in shared}
    return fused, DailyBiomarkerTable(
        records.patient_id, records.zone, records.dates, rest, records.coverage
    )


def extract_multimodal_daily(frames: Mapping[Modality, RawFrame]) -> DailyBiomarkerTable:
    """Every daily biomarker of one patient from their raw frames.

    Parameters
    ----------
    frames : mapping of Modality to RawFrame
        At least one frame; each must be the type its modality's extractor takes (see
        :data:`MODALITY_EXTRACTORS`), all of the same patient and zone.

    Returns
    -------
    DailyBiomarkerTable
        Rows over the union of the modalities' dates; a modality's coverage is 0 on days its
        data do not reach (see :func:`bedside.biomarkers.merge_daily_tables`).

    Raises
    ------
    InputFormatError
        For a modality without an extractor, a frame of the wrong type, or frames of
        different patients or zones.
    """
    if not frames:
        raise InputFormatError("raw frames", "no frame to extract")
    return combine_modality_tables(
        {modality: modality_extractor(modality)(frame) for modality, frame in frames.items()}
    )


def modality_extractor(modality: Modality) -> Callable[[Any], DailyBiomarkerTable]:
    """The daily extractor of a modality (see :data:`MODALITY_EXTRACTORS`).

    Raises
    ------
    InputFormatError
        For a modality without an extractor.
    """
    extractor = MODALITY_EXTRACTORS.get(modality)
    if extractor is None:
        raise InputFormatError("raw frames", f"no daily extractor for modality {modality}")
    return extractor


def combine_modality_tables(
    tables: Mapping[Modality, DailyBiomarkerTable],
) -> DailyBiomarkerTable:
    """One patient table from each modality's own table (sleep records fill the actigraphy's
    missing nights, then :func:`bedside.biomarkers.merge_daily_tables`)."""
    out = dict(tables)
    acti = out.get(Modality.ACTIGRAPHY)
    rec = out.get(Modality.SLEEP_RECORDS)
    if acti is not None and rec is not None:
        out[Modality.ACTIGRAPHY], out[Modality.SLEEP_RECORDS] = fill_sleep_from_records(acti, rec)
    return merge_daily_tables(list(out.values()))
