"""Frame-level F0, periodicity and intensity of a mono clip (autocorrelation, Boersma 1993).

Method (Boersma P. Accurate short-term analysis of the fundamental frequency and the
harmonics-to-noise ratio of a sampled sound. Proceedings of the Institute of Phonetic Sciences,
University of Amsterdam 1993;17:97-110):

* Frames of ``3 / min_f0`` seconds (three periods of the lowest pitch) every ``step_s``; each
  frame has its mean removed and is multiplied by a Hann window.
* The normalised autocorrelation is the frame's autocorrelation divided by the window's
  (Boersma's eq. 9), both normalised to 1 at lag 0, computed with one batched real FFT.
* Candidates are the local maxima of that curve at lags between ``1 / max_f0`` and
  ``1 / min_f0``, refined by parabolic interpolation. The chosen candidate maximises
  ``r - octave_cost * log2(min_f0 * lag)`` (Boersma's octave cost, 0.01 per octave, favours the
  shorter of two near-equal lags, against octave-down errors).
* A frame is voiced when the chosen ``r`` reaches ``voicing_threshold`` (0.45) and its absolute
  peak reaches ``silence_threshold`` (0.03) of the clip's absolute peak (Praat's defaults).

Simplifications against Praat's "To Pitch (ac)", stated so results are read correctly: no
Viterbi path search and parabolic instead of sinc interpolation. Instead, each voiced frame's
candidate is re-picked with an octave-jump cost against its voiced run's median F0, voiced runs
shorter than ``min_voiced_frames`` are unvoiced, and a frame still more than
``max_octave_jump`` octaves from its run's median F0 is unvoiced rather than guessed.

Intensity is the Hann-weighted mean square of the frame, ``10 * log10(sum(w * x**2) / sum(w))``
in dB re full scale (a full-scale square wave is 0 dB, a full-scale sine about -3 dB).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import fft as sp_fft
from scipy import signal

from bedside.domain import InputFormatError

__all__ = ["PitchSettings", "PitchTrack", "track_pitch"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_INTENSITY_FLOOR_DB = -120.0


@dataclass(frozen=True, slots=True)
class PitchSettings:
    """Settings of the F0 tracker (defaults are Praat's for speech, max F0 500 Hz).

    Attributes
    ----------
    min_f0_hz, max_f0_hz : float
        Search range of F0, Hz.
    step_s : float
        Time between frame centres, s.
    voicing_threshold : float
        Least normalised autocorrelation of a voiced frame (0-1).
    silence_threshold : float
        Least frame peak, as a share of the clip's absolute peak, of a voiced frame.
    octave_cost : float
        Penalty per octave of lag (Boersma 1993).
    min_voiced_frames : int
        Shortest voiced run kept, frames.
    max_octave_jump : float
        Largest distance from the run's median F0 kept, octaves.
    octave_jump_cost : float
        Penalty per octave of distance from the voiced run's median F0 (Praat's default
        octave-jump cost, here against the run median instead of the previous frame).
    analysis_rate_hz : float
        Clips sampled faster are first decimated by the largest integer factor that keeps the
        rate at or above this (an anti-aliased polyphase filter), for speed; F0, periodicity and
        intensity are then those of the band below half this rate.
    """

    min_f0_hz: float = 75.0
    max_f0_hz: float = 500.0
    step_s: float = 0.01
    voicing_threshold: float = 0.45
    silence_threshold: float = 0.03
    octave_cost: float = 0.01
    min_voiced_frames: int = 3
    max_octave_jump: float = 0.7
    octave_jump_cost: float = 0.35
    analysis_rate_hz: float = 8000.0


@dataclass(frozen=True, slots=True)
class PitchTrack:
    """Frame-level analysis of one clip.

    Attributes
    ----------
    times_s : ndarray of float64, shape (n_frames,)
        Frame centres, s from the clip start.
    f0_hz : ndarray of float64, shape (n_frames,)
        F0, Hz; NaN in unvoiced frames.
    periodicity : ndarray of float64, shape (n_frames,)
        Normalised autocorrelation at the chosen lag (0-1); 0 in silent frames.
    intensity_db : ndarray of float64, shape (n_frames,)
        Windowed mean square, dB re full scale (floor -120 dB).
    step_s : float
        Frame step, s.
    samples : ndarray of float64, shape (m,)
        The waveform analysed: the clip after decimation to the analysis rate.
    sample_rate_hz : float
        Rate of `samples`, Hz.
    """

    times_s: FloatArray
    f0_hz: FloatArray
    periodicity: FloatArray
    intensity_db: FloatArray
    step_s: float
    samples: FloatArray
    sample_rate_hz: float

    @property
    def voiced(self) -> BoolArray:
        """Frames with an F0."""
        return ~np.isnan(self.f0_hz)


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    """Half-open index ranges of the True runs of a 1-D mask."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _clean_runs(f0: FloatArray, settings: PitchSettings) -> FloatArray:
    out = f0.copy()
    for a, b in _runs(~np.isnan(out)):
        if b - a < settings.min_voiced_frames:
            out[a:b] = np.nan
            continue
        seg = out[a:b]
        far = np.abs(np.log2(seg / np.median(seg))) > settings.max_octave_jump
        seg[far] = np.nan
    # Removing outliers can leave short fragments: drop those too.
    for a, b in _runs(~np.isnan(out)):
        if b - a < settings.min_voiced_frames:
            out[a:b] = np.nan
    return out


def track_pitch(
    samples: npt.ArrayLike, sample_rate_hz: int, settings: PitchSettings | None = None
) -> PitchTrack:
    """F0, periodicity and intensity per frame.

    Parameters
    ----------
    samples : array_like of float, shape (n,)
        Mono waveform, full scale 1.0.
    sample_rate_hz : int
        Sampling rate, Hz; must be at least ``4 * max_f0_hz``.
    settings : PitchSettings, optional

    Returns
    -------
    PitchTrack
        Zero frames when the clip is shorter than one window.

    Raises
    ------
    InputFormatError
        When the sampling rate is too low for the F0 range.
    """
    s = settings or PitchSettings()
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    sr = float(sample_rate_hz)
    factor = int(sr // s.analysis_rate_hz)
    if factor >= 2:
        x = signal.resample_poly(x, 1, factor)
        sr /= factor
    if sr < 4.0 * s.max_f0_hz:
        raise InputFormatError(
            "pitch tracker",
            f"sample rate {sample_rate_hz} Hz is below 4 x max F0 ({s.max_f0_hz:g} Hz)",
            field="sample_rate_hz",
        )
    win_n = round(3.0 * sr / s.min_f0_hz)
    hop_n = max(1, round(s.step_s * sr))
    step = hop_n / sr
    if x.size < win_n:
        empty = np.zeros(0)
        return PitchTrack(empty, empty.copy(), empty.copy(), empty.copy(), step, x, sr)
    # float32 halves the FFT cost; autocorrelation peaks need nowhere near its precision.
    x32 = x.astype(np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(x32, win_n)[::hop_n]
    n_frames = frames.shape[0]
    times = (np.arange(n_frames) * hop_n + win_n / 2.0) / sr
    window = np.hanning(win_n + 2)[1:-1]
    w32 = window.astype(np.float32)
    power = ((frames * frames) @ w32).astype(np.float64) / window.sum()
    intensity = 10.0 * np.log10(np.maximum(power, 10.0 ** (_INTENSITY_FLOOR_DB / 10)))
    global_peak = float(np.max(np.abs(x)))
    local_peak = np.max(np.abs(frames), axis=1)
    loud = local_peak >= s.silence_threshold * global_peak if global_peak > 0 else local_peak > 0
    f0 = np.full(n_frames, np.nan)
    periodicity = np.zeros(n_frames)
    idx = np.flatnonzero(loud)
    if idx.size:
        lag_lo = max(2, int(np.floor(sr / s.max_f0_hz)))
        lag_hi = min(win_n - 2, int(np.ceil(sr / s.min_f0_hz)))
        nfft = sp_fft.next_fast_len(2 * win_n, real=True)
        w_ac = sp_fft.irfft(np.abs(sp_fft.rfft(window, nfft)) ** 2, nfft)[: lag_hi + 2]
        w_ac = w_ac / w_ac[0]
        seg = frames[idx] - frames[idx].mean(axis=1, keepdims=True)
        seg *= w32
        spec = sp_fft.rfft(seg, nfft, axis=1)
        ac = sp_fft.irfft(spec.real**2 + spec.imag**2, nfft, axis=1)[:, : lag_hi + 2]
        ac = ac.astype(np.float64)
        energy = ac[:, :1]
        energy[energy <= 0.0] = np.inf
        r = ac / energy / w_ac
        mid = r[:, lag_lo : lag_hi + 1]
        left = r[:, lag_lo - 1 : lag_hi]
        right = r[:, lag_lo + 1 : lag_hi + 2]
        is_peak = (mid > left) & (mid >= right)
        lags = np.arange(lag_lo, lag_hi + 1, dtype=np.float64)
        denom = left - 2.0 * mid + right
        safe = np.where(denom < 0.0, denom, -1.0)
        delta = np.clip(np.where(denom < 0.0, 0.5 * (left - right) / safe, 0.0), -0.5, 0.5)
        r_peak = mid - 0.25 * (left - right) * delta
        strength = r_peak - s.octave_cost * np.log2(s.min_f0_hz * (lags + delta) / sr)
        strength = np.where(is_peak, strength, -np.inf)
        best = np.argmax(strength, axis=1)
        rows = np.arange(idx.size)
        has_peak = np.isfinite(strength[rows, best])
        best_r = np.where(has_peak, r_peak[rows, best], 0.0)
        best_lag = lags[best] + delta[rows, best]
        voiced = has_peak & (best_r >= s.voicing_threshold)
        f0[idx[voiced]] = sr / best_lag[voiced]
        # Continuity in place of Praat's path search: re-pick every voiced frame's candidate
        # with an octave-jump cost against its voiced run's median F0 (octave errors are
        # isolated frames, so the median follows the true F0).
        ref = np.full(n_frames, np.nan)
        for a, b in _runs(~np.isnan(f0)):
            ref[a:b] = np.median(f0[a:b])
        ref_rows = ref[idx]
        cand_f0 = sr / (lags + delta)
        jump = np.abs(np.log2(cand_f0 / np.where(np.isnan(ref_rows), 1.0, ref_rows)[:, None]))
        strength2 = strength - s.octave_jump_cost * jump
        best2 = np.argmax(strength2, axis=1)
        best = np.where(voiced, best2, best)
        best_r = np.where(has_peak, r_peak[rows, best], 0.0)
        best_lag = lags[best] + delta[rows, best]
        f0[idx[voiced]] = sr / best_lag[voiced]
        periodicity[idx] = np.clip(best_r, 0.0, 1.0)
    f0 = _clean_runs(f0, s)
    return PitchTrack(times.astype(np.float64), f0, periodicity, intensity, step, x, sr)
