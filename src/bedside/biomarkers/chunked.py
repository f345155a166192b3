"""Daily biomarkers extracted a few days at a time, identical to extracting the whole record.

A device must not hold a patient-year of raw samples and its minute grids in memory at once.
Here each modality is extracted over consecutive chunks of local days ``[a, b)``: the source is
read over ``[midnight(a - lead_in_days), midnight(b + lag_days))``, the modality's extractor runs
on that slice, and only the rows of days ``a .. b-1`` are kept. The lead-in gives the measures
that look back (the 7-day circadian and sleep-regularity windows, the night that ends on the
morning of day ``a``, runs of zero counts in the non-wear rule, a heartbeat's predecessor) all
the data they see in a batch run; the lag covers what looks a little ahead (a night's sleep
period or a typing session that crosses midnight). Days in the record that no chunk's slice
reaches hold no data: they get NaN values and zero coverage, as the merge gives any day without
data. The property tests check that the chunked table equals the batch table exactly, over
chunk sizes and boundaries.

GPS mobility is the exception to day-local extraction: home and significant places are found
over the whole trace. It is computed in two passes (:mod:`bedside.biomarkers.mobility_chunked`):
the cleaned minute track is built chunk by chunk, then the mobility measures run over the
assembled track, which holds a few numbers per minute instead of the raw fixes and their
intermediates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from bedside.biomarkers.daily_table import extract_daily
from bedside.biomarkers.epochs import local_days, local_midnight_utc
from bedside.biomarkers.multimodal import combine_modality_tables, modality_extractor
from bedside.biomarkers.wear import with_wear_coverage
from bedside.domain import (
    ConfigurationError,
    DailyBiomarkerTable,
    InputFormatError,
    Modality,
    SampleFrame,
)
from bedside.domain.daily import FloatArray
from bedside.domain.raw_frames import RawFrame
from bedside.domain.raw_source import RawSource
from bedside.domain.time_slice import frame_rows

__all__ = [
    "DEFAULT_CHUNK_DAYS",
    "LAG_DAYS",
    "LEAD_IN_DAYS",
    "chunk_days_of",
    "extract_modality_chunked",
    "extract_multimodal_chunked",
]

DEFAULT_CHUNK_DAYS = 7
"""Local days per chunk (a week: about 1/50 of a year's working memory)."""

LEAD_IN_DAYS = 8
"""Days read before a chunk: the 7-day rolling windows end on the chunk's first day, plus the
night before it."""

LAG_DAYS = 1
"""Days read after a chunk: a night or a session crossing the chunk's last midnight."""

Extractor = Callable[[RawFrame], DailyBiomarkerTable]


def chunk_days_of(first_day: int, last_day: int, chunk_days: int) -> Iterator[tuple[int, int]]:
    """Chunks ``[a, b)`` of local days (days since 1970-01-01) covering ``first..last``."""
    if chunk_days < 1:
        raise ConfigurationError(f"chunk_days must be at least 1, got {chunk_days}")
    for a in range(first_day, last_day + 1, chunk_days):
        yield a, min(a + chunk_days, last_day + 1)


def _day_numbers(table: DailyBiomarkerTable) -> np.ndarray:
    return table.dates.astype("datetime64[D]").astype(np.int64)


def _actigraphy_with_wear(frame: RawFrame) -> DailyBiomarkerTable:
    if not isinstance(frame, SampleFrame):
        raise InputFormatError(frame.source, "expected an actigraphy sample frame")
    return with_wear_coverage(extract_daily(frame), frame)


def extract_modality_chunked(
    source: RawSource,
    modality: Modality,
    extractor: Extractor,
    *,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    lead_in_days: int = LEAD_IN_DAYS,
    lag_days: int = LAG_DAYS,
) -> DailyBiomarkerTable | None:
    """One modality's daily table, extracted chunk by chunk (see the module notes).

    Parameters
    ----------
    source : RawSource
    modality : Modality
    extractor : callable
        The modality's daily extractor (a raw frame -> its table).
    chunk_days, lead_in_days, lag_days : int
        Local days per chunk, read before it, read after it.

    Returns
    -------
    DailyBiomarkerTable or None
        None when the source holds no data of the modality.
    """
    if lead_in_days < 0 or lag_days < 0:
        raise ConfigurationError("lead_in_days and lag_days must not be negative")
    span = source.span(modality)
    if span is None:
        return None
    zone = source.zone
    first_day, last_day = (int(d) for d in local_days(np.array(span, dtype=np.int64), zone))
    days: list[np.ndarray] = []
    values: dict[str, list[FloatArray]] = {}
    coverage: dict[Modality, list[FloatArray]] = {}
    patient_id = None
    # one day either side: an extractor may date a row a day after its data (sleep ends on the
    # morning after the record's last start) or before it
    for a, b in chunk_days_of(first_day - 1, last_day + 1, chunk_days):
        lo, hi = local_midnight_utc(np.array([a - lead_in_days, b + lag_days]), zone).tolist()
        frame = source.read(modality, lo, hi)
        if frame_rows(frame) == 0:
            continue
        table = extractor(frame)
        patient_id = table.patient_id
        d = _day_numbers(table)
        keep = (d >= a) & (d < b)
        if not keep.any():
            continue
        days.append(d[keep])
        for key, col in table.values.items():
            values.setdefault(key, []).append(col[keep])
        for m, col in table.coverage.items():
            coverage.setdefault(m, []).append(col[keep])
        del frame, table
    if patient_id is None or not days:
        return None
    day = np.concatenate(days)
    n = int(day[-1] - day[0]) + 1
    rows = day - day[0]

    def dense(parts: list[FloatArray], fill: float) -> FloatArray:
        out = np.full(n, fill)
        out[rows] = np.concatenate(parts)
        return out

    dates = (np.arange(n, dtype=np.int64) + day[0]).astype("datetime64[D]")
    return DailyBiomarkerTable(
        patient_id=patient_id,
        zone=zone,
        dates=dates,
        values={k: dense(v, np.nan) for k, v in values.items()},
        coverage={m: dense(v, 0.0) for m, v in coverage.items()},
    )


def extract_multimodal_chunked(
    source: RawSource,
    *,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    wear_coverage: bool = False,
) -> DailyBiomarkerTable:
    """Every daily biomarker of one patient, read and extracted chunk by chunk.

    Equal to ``extract_multimodal_daily`` over the whole frames (and, with `wear_coverage`, to
    ``with_wear_coverage`` of it with the actigraphy frame), while the raw data and the
    extractors' working arrays in memory at any time are those of one chunk and its lead-in
    (GPS: see the module notes).

    Parameters
    ----------
    source : RawSource
    chunk_days : int
        Local days per chunk.
    wear_coverage : bool
        Lower the actigraphy coverage to the worn share of each day.

    Raises
    ------
    InputFormatError
        When the source holds no data, or as the modality extractors do.
    """
    from bedside.biomarkers.mobility_chunked import daily_mobility_chunked

    tables: dict[Modality, DailyBiomarkerTable] = {}
    for modality in source.modalities():
        table: DailyBiomarkerTable | None
        if modality is Modality.GPS:
            table = daily_mobility_chunked(source, chunk_days=chunk_days)
        else:
            extractor: Extractor = (
                _actigraphy_with_wear
                if wear_coverage and modality is Modality.ACTIGRAPHY
                else modality_extractor(modality)
            )
            table = extract_modality_chunked(source, modality, extractor, chunk_days=chunk_days)
        if table is not None:
            tables[modality] = table
    if not tables:
        raise InputFormatError("raw source", "no data to extract")
    return combine_modality_tables(tables)
