"""Voice prosody: per-clip features and daily voice biomarkers, on the device, numpy/scipy only.

A clip is analysed once (:func:`clip_prosody`) and can then be discarded; only the features are
kept. Per clip:

* F0 (:mod:`bedside.biomarkers.voice_pitch`, autocorrelation after Boersma 1993): mean in Hz
  and standard deviation in semitones (``12 * log2(F0)``, ddof 0) over voiced frames;
* jitter (local) and shimmer (local), % (:mod:`bedside.biomarkers.voice_perturbation`, as
  Praat defines them; Teixeira et al. 2013);
* harmonics-to-noise ratio, dB: the mean over voiced frames of ``10 * log10(r / (1 - r))``
  with ``r`` the normalised autocorrelation at the F0 lag (Boersma 1993, eq. 4; ``r`` is
  capped at 0.9999, i.e. 40 dB). It is measured at the pitch tracker's analysis rate (8 kHz
  by default), so it is the HNR of the 0-4 kHz band whatever the recording's sampling rate:
  clips from different phones stay comparable, but it is higher than a full-band HNR when the
  noise is broadband;
* loudness variability: standard deviation of the frame intensity (dB) over sounding frames
  (intensity, not a psychoacoustic loudness model such as eGeMAPS's);
* speech rate, pause share and pause lengths (:mod:`bedside.biomarkers.voice_timing`, after
  de Jong & Wempe 2009).

Daily biomarkers pool the clips that start on a local day, weighting each clip's value by the
amount of signal it rests on: voiced time for F0 and HNR, counted periods for jitter and
shimmer, speaking span for loudness variability; speech rate, pause share and mean pause
length are ratios of day totals. A day's values are NaN when its voiced speech is below
``min_voiced_s``. Coverage = voiced seconds / ``target_voiced_s`` (default 20 s), capped at 1.

eGeMAPS (Eyben F et al. IEEE Trans Affect Comput 2016;7(2):190-202) through openSMILE could be
an optional extra for research; it is not installed or required (openSMILE's licence is
non-commercial).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.voice_perturbation import find_pulses, jitter_local, shimmer_local
from bedside.biomarkers.voice_pitch import PitchSettings, track_pitch
from bedside.biomarkers.voice_timing import speech_timing
from bedside.domain import DailyBiomarkerTable, InputFormatError, Modality, PatientId
from bedside.domain.audio_clips import AudioClipFrame

__all__ = [
    "VOICE_IDS",
    "ClipProsody",
    "clip_prosody",
    "daily_voice",
    "daily_voice_from_clips",
]

FloatArray = npt.NDArray[np.float64]

VOICE_IDS: tuple[str, ...] = (
    "voice.f0_mean_hz",
    "voice.f0_sd_st",
    "voice.jitter_local_pct",
    "voice.shimmer_local_pct",
    "voice.hnr_db",
    "voice.intensity_sd_db",
    "voice.speech_rate_syl_s",
    "voice.pause_share",
    "voice.pause_mean_s",
)
"""Daily biomarker ids of this module, in table order."""

_R_CAP = 0.9999


@dataclass(frozen=True, slots=True)
class ClipProsody:
    """Prosody of one clip (NaN where the clip has too little voice for a measure).

    Attributes
    ----------
    duration_s : float
        Clip length, s.
    voiced_s : float
        Voiced frames x frame step, s.
    f0_mean_hz : float
        Mean F0 over voiced frames, Hz.
    f0_sd_st : float
        SD of F0 in semitones over voiced frames.
    jitter_local_pct, shimmer_local_pct : float
        Local jitter and shimmer, %.
    n_periods : int
        Glottal periods found.
    hnr_db : float
        Mean harmonics-to-noise ratio over voiced frames, dB.
    intensity_sd_db : float
        SD of frame intensity over sounding frames, dB.
    span_s : float
        Speaking span (first to last sounding frame), s.
    n_nuclei : int
        Syllable nuclei.
    pause_total_s : float
        Total internal pause time, s.
    n_pauses : int
        Internal pauses of at least the minimum length.
    """

    duration_s: float
    voiced_s: float
    f0_mean_hz: float
    f0_sd_st: float
    jitter_local_pct: float
    shimmer_local_pct: float
    n_periods: int
    hnr_db: float
    intensity_sd_db: float
    span_s: float
    n_nuclei: int
    pause_total_s: float
    n_pauses: int

    @property
    def speech_rate_syl_s(self) -> float:
        """Syllable nuclei per second of speaking span."""
        return self.n_nuclei / self.span_s if self.span_s > 0 else float("nan")

    @property
    def pause_share(self) -> float:
        """Pause time / speaking span (0-1)."""
        return self.pause_total_s / self.span_s if self.span_s > 0 else float("nan")

    @property
    def pause_mean_s(self) -> float:
        """Mean internal pause length, s; NaN without pauses."""
        return self.pause_total_s / self.n_pauses if self.n_pauses else float("nan")


def clip_prosody(
    samples: npt.ArrayLike, sample_rate_hz: int, settings: PitchSettings | None = None
) -> ClipProsody:
    """All prosody features of one mono clip.

    Parameters
    ----------
    samples : array_like of float, shape (n,)
        Mono waveform, full scale 1.0.
    sample_rate_hz : int
        Sampling rate, Hz (at least 4 x the maximum F0, i.e. 2 kHz by default).
    settings : PitchSettings, optional

    Returns
    -------
    ClipProsody
    """
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    track = track_pitch(x, sample_rate_hz, settings)
    voiced = track.voiced
    nan = float("nan")
    f0 = track.f0_hz[voiced]
    voiced_s = float(f0.size * track.step_s)
    f0_mean = float(f0.mean()) if f0.size else nan
    f0_sd = float(np.std(12.0 * np.log2(f0))) if f0.size >= 2 else nan
    r = np.minimum(track.periodicity[voiced], _R_CAP)
    hnr = float(np.mean(10.0 * np.log10(r / (1.0 - r)))) if r.size else nan
    pulses = find_pulses(track)
    timing = speech_timing(track)
    loud = track.intensity_db[timing.sounding]
    return ClipProsody(
        duration_s=x.size / sample_rate_hz,
        voiced_s=voiced_s,
        f0_mean_hz=f0_mean,
        f0_sd_st=f0_sd,
        jitter_local_pct=jitter_local(pulses),
        shimmer_local_pct=shimmer_local(pulses),
        n_periods=int(pulses.periods_s.size),
        hnr_db=hnr,
        intensity_sd_db=float(np.std(loud)) if loud.size >= 2 else nan,
        span_s=timing.span_s,
        n_nuclei=timing.n_nuclei,
        pause_total_s=float(timing.pauses_s.sum()),
        n_pauses=int(timing.pauses_s.size),
    )


def _weighted(values: Sequence[float], weights: Sequence[float]) -> float:
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(v) & (w > 0)
    return float(np.sum(v[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else float("nan")


def _day_values(clips: Sequence[ClipProsody]) -> dict[str, float]:
    voiced = [c.voiced_s for c in clips]
    span = sum(c.span_s for c in clips)
    n_pauses = sum(c.n_pauses for c in clips)
    pause_total = sum(c.pause_total_s for c in clips)
    nan = float("nan")
    return {
        "voice.f0_mean_hz": _weighted([c.f0_mean_hz for c in clips], voiced),
        "voice.f0_sd_st": _weighted([c.f0_sd_st for c in clips], voiced),
        "voice.jitter_local_pct": _weighted(
            [c.jitter_local_pct for c in clips], [c.n_periods for c in clips]
        ),
        "voice.shimmer_local_pct": _weighted(
            [c.shimmer_local_pct for c in clips], [c.n_periods for c in clips]
        ),
        "voice.hnr_db": _weighted([c.hnr_db for c in clips], voiced),
        "voice.intensity_sd_db": _weighted(
            [c.intensity_sd_db for c in clips], [c.span_s for c in clips]
        ),
        "voice.speech_rate_syl_s": sum(c.n_nuclei for c in clips) / span if span > 0 else nan,
        "voice.pause_share": pause_total / span if span > 0 else nan,
        "voice.pause_mean_s": pause_total / n_pauses if n_pauses else nan,
    }


def daily_voice_from_clips(
    patient_id: str,
    zone: str,
    starts_utc: Sequence[int],
    clips: Sequence[ClipProsody],
    *,
    target_voiced_s: float = 20.0,
    min_voiced_s: float = 3.0,
) -> DailyBiomarkerTable:
    """Daily voice biomarkers from already analysed clips.

    Parameters
    ----------
    patient_id : str
    zone : str
        IANA zone; a clip belongs to the local day it starts on.
    starts_utc : sequence of int
        Clip start instants, UTC seconds, one per clip.
    clips : sequence of ClipProsody
    target_voiced_s : float
        Voiced seconds of a fully covered day, s.
    min_voiced_s : float
        Least voiced seconds for a day's values, s.

    Returns
    -------
    DailyBiomarkerTable
        ``VOICE_IDS`` and ``coverage[Modality.VOICE]`` from the first to the last clip's date;
        days without clips are NaN with coverage 0.

    Raises
    ------
    InputFormatError
        Mismatched lengths or non-positive targets.
    """
    if len(starts_utc) != len(clips):
        raise InputFormatError("voice clips", f"{len(starts_utc)} starts for {len(clips)} clips")
    if not target_voiced_s > 0.0 or min_voiced_s < 0.0:
        raise InputFormatError(
            "voice clips", "target_voiced_s must be positive and min_voiced_s not negative"
        )
    tz = ZoneInfo(zone)
    dates = [dt.datetime.fromtimestamp(int(t), tz).date() for t in starts_utc]
    if not dates:
        return DailyBiomarkerTable(
            PatientId(patient_id),
            zone,
            np.array([], dtype="datetime64[D]"),
            {k: np.zeros(0) for k in VOICE_IDS},
            {Modality.VOICE: np.zeros(0)},
        )
    first, last = min(dates), max(dates)
    n_days = (last - first).days + 1
    cols = {k: np.full(n_days, np.nan) for k in VOICE_IDS}
    coverage = np.zeros(n_days)
    by_day: dict[int, list[ClipProsody]] = {}
    for day, clip in zip(dates, clips, strict=True):
        by_day.setdefault((day - first).days, []).append(clip)
    for i, day_clips in by_day.items():
        voiced = sum(c.voiced_s for c in day_clips)
        coverage[i] = min(1.0, voiced / target_voiced_s)
        if voiced < min_voiced_s or voiced == 0.0:
            continue
        for key, value in _day_values(day_clips).items():
            cols[key][i] = value
    return DailyBiomarkerTable(
        PatientId(patient_id),
        zone,
        np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1),
        cols,
        {Modality.VOICE: coverage},
    )


def daily_voice(
    frame: AudioClipFrame,
    *,
    settings: PitchSettings | None = None,
    target_voiced_s: float = 20.0,
    min_voiced_s: float = 3.0,
) -> DailyBiomarkerTable:
    """Daily voice biomarkers of a patient's clips (each analysed once, then not kept).

    Parameters
    ----------
    frame : AudioClipFrame
    settings : PitchSettings, optional
    target_voiced_s, min_voiced_s : float
        See :func:`daily_voice_from_clips`.

    Returns
    -------
    DailyBiomarkerTable
    """
    prosody = [clip_prosody(c.samples, c.sample_rate_hz, settings) for c in frame.clips]
    return daily_voice_from_clips(
        frame.patient_id,
        frame.zone,
        [c.start_utc for c in frame.clips],
        prosody,
        target_voiced_s=target_voiced_s,
        min_voiced_s=min_voiced_s,
    )
