"""Time slices of raw frames: the samples of a UTC interval, as a frame of the same type.

A device extracts biomarkers a few days at a time (bounded memory) instead of over a whole
patient-year; each raw frame type therefore needs "the part of this frame inside ``[start, end)``"
that an extractor treats exactly as it treats the whole frame on the days the part covers.

Rules (all intervals half-open, UTC seconds since the Unix epoch):

* Point samples (1-D sample series, GPS fixes, RR intervals, screen and key events, audio
  clips, text entries)
  are kept when their instant lies in ``[start, end)``; millisecond event times are compared with
  ``start * 1000`` and ``end * 1000``.
* Sleep episodes are kept when they START in ``[start, end)`` (an episode belongs to the interval
  where it begins; it may end after ``end``).
* Screen and keystroke frames carry the hours their logger ran; "none given" means every hour from
  the frame's first to its last event. A slice makes that explicit (the implicit hours that touch
  the interval), because the slice's own first and last events would otherwise define a shorter
  observation and change coverage near the slice's edges.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from bedside.domain.audio_clips import AudioClipFrame
from bedside.domain.cardiac_recording import CardiacRecording
from bedside.domain.errors import InputFormatError
from bedside.domain.gps_samples import GpsFrame
from bedside.domain.keystroke_samples import KeystrokeFrame
from bedside.domain.raw_frames import RawFrame
from bedside.domain.rr_intervals import RRIntervalFrame
from bedside.domain.samples import SampleFrame
from bedside.domain.screen_events import ScreenEventFrame
from bedside.domain.sleep_episodes import SleepEpisodeFrame
from bedside.domain.text_entries import TextEntryFrame

__all__ = ["frame_rows", "frame_span", "observed_hours_in", "slice_frame"]

IntArray = npt.NDArray[np.int64]


def _range(times: IntArray, lo: int, hi: int) -> slice:
    """Rows of a non-decreasing time column inside ``[lo, hi)``."""
    i0 = int(np.searchsorted(times, lo, side="left"))
    i1 = int(np.searchsorted(times, hi, side="left"))
    return slice(i0, max(i0, i1))


def observed_hours_in(
    event_span_ms: tuple[int, int] | None, given: IntArray | None, start: int, end: int
) -> IntArray | None:
    """Observed hours (hours since the epoch) of a screen or keystroke frame touching
    ``[start, end)`` UTC seconds.

    Parameters
    ----------
    event_span_ms : (int, int) or None
        First and last event of the WHOLE frame, UTC milliseconds (None: no events).
    given : ndarray of int64 or None
        The frame's ``observed_hours_utc``; None means every hour from the first to the last
        event, which the result makes explicit.
    start, end : int
        The slice, UTC seconds.
    """
    first_h = start // 3600
    last_h = -(-end // 3600) - 1  # last hour that starts before `end`
    if given is None:
        if event_span_ms is None:
            return None
        lo = max(first_h, event_span_ms[0] // 1000 // 3600)
        hi = min(last_h, event_span_ms[1] // 1000 // 3600)
        return np.arange(lo, hi + 1, dtype=np.int64) if hi >= lo else np.zeros(0, np.int64)
    hours = np.asarray(given, dtype=np.int64)
    return hours[(hours >= first_h) & (hours <= last_h)]


def _event_span_ms(times_ms: IntArray) -> tuple[int, int] | None:
    return (int(times_ms[0]), int(times_ms[-1])) if times_ms.size else None


def slice_frame(frame: RawFrame, start_utc: int, end_utc: int) -> RawFrame:
    """The part of `frame` inside ``[start_utc, end_utc)`` (see the module notes), same type.

    Parameters
    ----------
    frame : RawFrame
    start_utc, end_utc : int
        UTC seconds since the Unix epoch, ``start_utc <= end_utc``.

    Returns
    -------
    RawFrame
        A frame of the same type, patient, zone and source; possibly empty. Columns are copies,
        so the slice does not keep the whole frame's arrays alive.

    Raises
    ------
    InputFormatError
        If ``end_utc < start_utc``.
    """
    if end_utc < start_utc:
        raise InputFormatError(
            getattr(frame, "source", "<memory>"),
            f"slice ends ({end_utc}) before it starts ({start_utc})",
        )
    if isinstance(frame, SampleFrame):
        s = _range(frame.time_utc, start_utc, end_utc)
        return dataclasses.replace(
            frame, time_utc=frame.time_utc[s].copy(), value=frame.value[s].copy()
        )
    if isinstance(frame, SleepEpisodeFrame):
        s = _range(frame.start_utc, start_utc, end_utc)
        return dataclasses.replace(
            frame,
            start_utc=frame.start_utc[s].copy(),
            end_utc=frame.end_utc[s].copy(),
            state=frame.state[s].copy(),
            asleep_min=frame.asleep_min[s].copy(),
        )
    if isinstance(frame, GpsFrame):
        s = _range(frame.time_utc, start_utc, end_utc)
        return dataclasses.replace(
            frame,
            time_utc=frame.time_utc[s].copy(),
            latitude_deg=frame.latitude_deg[s].copy(),
            longitude_deg=frame.longitude_deg[s].copy(),
            accuracy_m=frame.accuracy_m[s].copy(),
        )
    if isinstance(frame, RRIntervalFrame):
        s = _range(frame.time_utc, start_utc, end_utc)
        return dataclasses.replace(
            frame, time_utc=frame.time_utc[s].copy(), rr_ms=frame.rr_ms[s].copy()
        )
    if isinstance(frame, ScreenEventFrame):
        s = _range(frame.time_utc_ms, start_utc * 1000, end_utc * 1000)
        hours = observed_hours_in(
            _event_span_ms(frame.time_utc_ms), frame.observed_hours_utc, start_utc, end_utc
        )
        return dataclasses.replace(
            frame,
            time_utc_ms=frame.time_utc_ms[s].copy(),
            event=frame.event[s].copy(),
            observed_hours_utc=hours,
        )
    if isinstance(frame, KeystrokeFrame):
        s = _range(frame.time_utc_ms, start_utc * 1000, end_utc * 1000)
        hours = observed_hours_in(
            _event_span_ms(frame.time_utc_ms), frame.observed_hours_utc, start_utc, end_utc
        )
        return dataclasses.replace(
            frame,
            time_utc_ms=frame.time_utc_ms[s].copy(),
            session=frame.session[s].copy(),
            kind=frame.kind[s].copy(),
            observed_hours_utc=hours,
        )
    if isinstance(frame, CardiacRecording):
        hr = frame.heart_rate
        rr = frame.rr
        return CardiacRecording(
            heart_rate=None if hr is None else slice_frame(hr, start_utc, end_utc),  # type: ignore[arg-type]
            rr=None if rr is None else slice_frame(rr, start_utc, end_utc),  # type: ignore[arg-type]
        )
    if isinstance(frame, AudioClipFrame):
        clips = tuple(c for c in frame.clips if start_utc <= c.start_utc < end_utc)
        return dataclasses.replace(frame, clips=clips)
    if isinstance(frame, TextEntryFrame):
        s = _range(frame.time_utc_s, start_utc, end_utc)
        return dataclasses.replace(
            frame, time_utc_s=frame.time_utc_s[s].copy(), texts=frame.texts[s]
        )
    raise InputFormatError("<memory>", f"no time slice for a {type(frame).__name__}")


def frame_rows(frame: RawFrame) -> int:
    """Samples (fixes, intervals, events, episodes, clips) in a frame; both series of a
    `CardiacRecording` count; observed hours without events count as one row."""
    if isinstance(frame, CardiacRecording):
        return sum(len(f) for f in (frame.heart_rate, frame.rr) if f is not None)
    if isinstance(frame, ScreenEventFrame | KeystrokeFrame):
        hours = frame.observed_hours_utc
        return len(frame) + (1 if hours is not None and hours.size and not len(frame) else 0)
    return len(frame)


def frame_span(frame: RawFrame | RRIntervalFrame) -> tuple[int, int] | None:
    """First and last instant of a frame's data, UTC seconds (None when it holds none).

    Sleep episodes span from the first start to the latest end; observed hours of screen and
    keystroke frames count (coverage is known there even without events).
    """
    if isinstance(frame, CardiacRecording):
        spans = [frame_span(f) for f in (frame.heart_rate, frame.rr) if f is not None]
        known = [s for s in spans if s is not None]
        if not known:
            return None
        return min(s[0] for s in known), max(s[1] for s in known)
    if isinstance(frame, SampleFrame | GpsFrame | RRIntervalFrame):
        t = frame.time_utc
        return (int(t[0]), int(t[-1])) if t.size else None
    if isinstance(frame, SleepEpisodeFrame):
        if not len(frame):
            return None
        return int(frame.start_utc[0]), int(frame.end_utc.max())
    if isinstance(frame, ScreenEventFrame | KeystrokeFrame):
        bounds: list[int] = []
        if frame.time_utc_ms.size:
            bounds += [int(frame.time_utc_ms[0] // 1000), int(frame.time_utc_ms[-1] // 1000)]
        hours = frame.observed_hours_utc
        if hours is not None and hours.size:
            bounds += [int(hours.min()) * 3600, int(hours.max()) * 3600 + 3599]
        return (min(bounds), max(bounds)) if bounds else None
    if isinstance(frame, TextEntryFrame):
        t = frame.time_utc_s
        return (int(t[0]), int(t[-1])) if t.size else None
    if isinstance(frame, AudioClipFrame):
        if not frame.clips:
            return None
        return frame.clips[0].start_utc, max(
            c.start_utc + int(np.ceil(c.duration_s)) for c in frame.clips
        )
    raise InputFormatError("<memory>", f"no time span for a {type(frame).__name__}")
