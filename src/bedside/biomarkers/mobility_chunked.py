"""GPS mobility from fixes read a week at a time: the same table as `daily_mobility`.

Home, significant places and the centring of the circadian-movement fit are computed over the
whole trace, so mobility is not a day-local extraction. What is day-local is the cleaning and the
minute track: a fix is dropped as inaccurate, stale or part of an excursion by its neighbours
within minutes, and a minute's position, hold and step depend on the minutes just before it. So
the track is built chunk by chunk (each chunk read with a day before and after it), the chunks'
own minutes are written into one track of the whole trace (a few numbers per minute instead of
the raw fixes and their working arrays), and :func:`mobility_from_track` runs on it.

One cleaning rule reaches further back: a fix is stale when the same coordinates have been
reported for more than ``stale_after_s`` since the first fix of the run, however long ago that
was. The run that is open when a chunk's slice starts is therefore carried over from the
previous chunk (its first fix is put in front of the slice), which keeps the rule exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bedside.biomarkers.chunked import chunk_days_of
from bedside.biomarkers.epochs import MinuteGrid, local_days, local_midnight_utc
from bedside.biomarkers.gps_track import GpsSettings, MinuteTrack, _local_grid, minute_track
from bedside.biomarkers.mobility import mobility_from_track
from bedside.domain import DailyBiomarkerTable, InputFormatError, Modality
from bedside.domain.daily import FloatArray
from bedside.domain.gps_samples import GpsFrame
from bedside.domain.raw_source import RawSource

__all__ = ["GPS_MARGIN_DAYS", "daily_mobility_chunked"]

GPS_MARGIN_DAYS = 1
"""Days read on each side of a chunk: the cleaning and minute rules reach minutes, not days."""


@dataclass(frozen=True, slots=True)
class _RunStart:
    """First fix of the run of equal coordinates open at some instant."""

    time_utc: int
    latitude_deg: float
    longitude_deg: float
    accuracy_m: float


def _with_run_start(frame: GpsFrame, run: _RunStart | None) -> GpsFrame:
    if run is None:
        return frame
    return GpsFrame(
        patient_id=frame.patient_id,
        zone=frame.zone,
        time_utc=np.concatenate([[run.time_utc], frame.time_utc]).astype(np.int64),
        latitude_deg=np.concatenate([[run.latitude_deg], frame.latitude_deg]),
        longitude_deg=np.concatenate([[run.longitude_deg], frame.longitude_deg]),
        accuracy_m=np.concatenate([[run.accuracy_m], frame.accuracy_m]),
        source=frame.source,
    )


def _open_run(frame: GpsFrame, before_utc: int, settings: GpsSettings) -> _RunStart | None:
    """The run of accurate fixes open just before `before_utc` (as `clean_fixes` sees runs)."""
    acc = frame.accuracy_m
    idx = np.flatnonzero(~(np.isfinite(acc) & (acc > settings.max_accuracy_m)))
    idx = idx[frame.time_utc[idx] < before_utc]
    if idx.size == 0:
        return None
    lat, lon = frame.latitude_deg[idx], frame.longitude_deg[idx]
    changes = np.flatnonzero((lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1]))
    first = int(idx[changes[-1] + 1]) if changes.size else int(idx[0])
    return _RunStart(
        int(frame.time_utc[first]),
        float(frame.latitude_deg[first]),
        float(frame.longitude_deg[first]),
        float(frame.accuracy_m[first]),
    )


def _year_grid(first_minute: int, n: int, zone: str, counts: FloatArray) -> MinuteGrid:
    """`_local_grid` of the whole track, built a block of minutes at a time.

    Every label is a function of the minute's UTC instant alone (local day, wall-clock minute,
    minutes since local midnight, UTC offset), so the blocks' labels are the whole grid's.
    """
    local_day = np.empty(n, dtype=np.int64)
    wall_min = np.empty(n, dtype=np.int64)
    elapsed_min = np.empty(n, dtype=np.int64)
    offset_s = np.empty(n, dtype=np.int64)
    step = 1 << 16
    for a in range(0, n, step):
        b = min(a + step, n)
        part = _local_grid(first_minute + a, b - a, zone, counts[a:b])
        local_day[a:b] = part.local_day
        wall_min[a:b] = part.wall_min
        elapsed_min[a:b] = part.elapsed_min
        offset_s[a:b] = part.offset_s
    first_day = int(local_day[0])
    return MinuteGrid(
        zone=zone,
        start_utc=first_minute * 60,
        counts=counts,
        local_day=local_day,
        wall_min=wall_min,
        elapsed_min=elapsed_min,
        offset_s=offset_s,
        first_day=first_day,
        n_days=int(local_day[-1]) - first_day + 1,
    )


def daily_mobility_chunked(
    source: RawSource,
    *,
    chunk_days: int = 7,
    settings: GpsSettings | None = None,
) -> DailyBiomarkerTable | None:
    """Daily mobility biomarkers from a source's GPS fixes, read chunk by chunk.

    Parameters
    ----------
    source : RawSource
        Must serve `GpsFrame` slices for ``Modality.GPS``.
    chunk_days : int
        Local days per chunk.
    settings : GpsSettings, optional

    Returns
    -------
    DailyBiomarkerTable or None
        Equal to ``daily_mobility`` of the whole frame; None when the source has no fixes.
    """
    settings = settings or GpsSettings()
    span = source.span(Modality.GPS)
    if span is None:
        return None
    zone = source.zone
    hold_min = int(settings.hold_s // 60)
    base = span[0] // 60
    n_all = span[1] // 60 - base + 1 + hold_min
    lat = np.full(n_all, np.nan)
    lon = np.full(n_all, np.nan)
    observed = np.full(n_all, -1, dtype=np.int64)  # absolute minute until the end
    step = np.full(n_all, np.nan)
    jump = np.zeros(n_all, dtype=np.bool_)
    counts = np.full(n_all, np.nan)
    first_day, last_day = (int(d) for d in local_days(np.array(span, dtype=np.int64), zone))
    run: _RunStart | None = None
    patient_id = None
    # the hold after the last fix may reach into the next day
    for a, b in chunk_days_of(first_day, last_day + 1, chunk_days):
        edges = np.array([a - GPS_MARGIN_DAYS, a, b, b + GPS_MARGIN_DAYS, b - GPS_MARGIN_DAYS])
        lo, core_lo, core_hi, hi, next_lo = local_midnight_utc(edges, zone).tolist()
        sliced = source.read(Modality.GPS, lo, hi)
        if not isinstance(sliced, GpsFrame):
            raise InputFormatError(getattr(sliced, "source", "<source>"), "expected a GPS frame")
        patient_id = sliced.patient_id
        frame = _with_run_start(sliced, run)
        # the next chunk's slice starts at next_lo; this frame holds everything before it
        if not len(frame):
            continue
        run = _open_run(frame, next_lo, settings) or run
        track = minute_track(frame, settings)
        n = track.latitude_deg.size
        if n == 0:
            continue
        f = track.grid.start_utc // 60
        m_lo, m_hi = max(core_lo // 60, f), min(core_hi // 60, f + n)
        if m_hi <= m_lo:
            continue
        src = slice(m_lo - f, m_hi - f)
        dst = slice(m_lo - base, m_hi - base)
        lat[dst] = track.latitude_deg[src]
        lon[dst] = track.longitude_deg[src]
        obs = track.observed_min[src]
        observed[dst] = np.where(obs >= 0, obs + f, -1)
        step[dst] = track.step_m[src]
        jump[dst] = track.jump[src]
        counts[dst] = track.grid.counts[src]
        del frame, sliced, track
    if patient_id is None:
        return None
    has = np.flatnonzero(np.isfinite(counts))
    if has.size == 0:
        none = np.zeros(0)
        empty = GpsFrame(patient_id, zone, np.zeros(0, dtype=np.int64), none, none, none)
        return mobility_from_track(minute_track(empty, settings), settings, patient_id=patient_id)
    i0, i1 = int(has[0]), int(has[-1]) + 1 + hold_min
    first = base + i0
    obs = observed[i0:i1]
    track = MinuteTrack(
        grid=_year_grid(first, i1 - i0, zone, counts[i0:i1]),
        latitude_deg=lat[i0:i1],
        longitude_deg=lon[i0:i1],
        observed_min=np.where(obs >= 0, obs - first, -1),
        step_m=step[i0:i1],
        jump=jump[i0:i1],
    )
    return mobility_from_track(track, settings, patient_id=patient_id)
