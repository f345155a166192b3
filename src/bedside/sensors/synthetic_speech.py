"""Synthetic voiced signals with known ground truth: glottal pulse trains and syllable trains.

The source is a train of Rosenberg glottal pulses (Rosenberg AE. Effect of glottal pulse shape on
the quality of natural vowels. J Acoust Soc Am 1971;49(2B):583-590): within each period the flow
rises as ``0.5 * (1 - cos(pi * phase / 0.4))`` for the first 40 %, falls as a quarter cosine
over the next 28.3 % (``0.4 / sqrt(2)``, which makes the curvature continuous at the peak, an
open quotient of 0.68) and is zero (closed glottis) for the rest, so each period has one smooth
peak of height equal to its amplitude, 40 % into the period, and a minimum of zero. Periods and
amplitudes are drawn around a given F0 contour with controlled relative perturbation
(Gaussian, i.i.d. per period), and the true pulse instants and amplitudes are returned, so that
jitter and shimmer of the result are known exactly.

A syllable train strings short voiced syllables (flat-topped envelopes with short tapers) into
phrases separated by silent pauses, with per-syllable F0 targets and levels, over a low noise
floor; its ground truth holds the syllable count, the pauses and the speaking span.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["PulseTrain", "SpeechTruth", "glottal_pulse_train", "syllable_train"]

FloatArray = npt.NDArray[np.float64]

_OPEN = 0.4
_CLOSE = _OPEN / np.sqrt(2.0)


@dataclass(frozen=True, slots=True)
class PulseTrain:
    """A synthetic voiced signal and its truth.

    Attributes
    ----------
    samples : ndarray of float64, shape (n,)
        Waveform, full scale 1.0.
    peak_times_s : ndarray of float64, shape (n_pulses,)
        Instants of the pulse peaks, s.
    amplitudes : ndarray of float64, shape (n_pulses,)
        Peak height of each pulse (= its peak-to-peak amplitude).
    """

    samples: FloatArray
    peak_times_s: FloatArray
    amplitudes: FloatArray


def _rosenberg(phase: FloatArray) -> FloatArray:
    out = np.zeros_like(phase)
    rise = phase < _OPEN
    out[rise] = 0.5 * (1.0 - np.cos(np.pi * phase[rise] / _OPEN))
    fall = (phase >= _OPEN) & (phase < _OPEN + _CLOSE)
    out[fall] = np.cos(0.5 * np.pi * (phase[fall] - _OPEN) / _CLOSE)
    return out


def glottal_pulse_train(
    rng: np.random.Generator,
    f0_hz: npt.ArrayLike,
    sample_rate_hz: int,
    *,
    jitter_sd: float = 0.0,
    shimmer_sd: float = 0.0,
    level: float = 0.5,
) -> PulseTrain:
    """A Rosenberg pulse train following an F0 contour, with period and amplitude perturbation.

    Parameters
    ----------
    rng : numpy.random.Generator
    f0_hz : array_like of float, shape (n,)
        Nominal F0 at every sample, Hz; its length sets the signal length.
    sample_rate_hz : int
        Sampling rate, Hz.
    jitter_sd : float
        SD of the relative perturbation of each period (0.01 = 1 %).
    shimmer_sd : float
        SD of the relative perturbation of each pulse amplitude.
    level : float
        Nominal pulse amplitude, full scale 1.0.

    Returns
    -------
    PulseTrain
    """
    f0 = np.asarray(f0_hz, dtype=np.float64).reshape(-1)
    sr = float(sample_rate_hz)
    n = f0.size
    # Nominal onsets where the running phase of the contour passes whole cycles.
    phase = np.cumsum(f0) / sr
    n_cycles = int(phase[-1]) + 1 if n else 0
    cycles = np.arange(n_cycles, dtype=np.float64)
    # Sub-sample crossing instants (linear between samples), so the nominal periods carry no
    # quantisation jitter.
    nominal = np.interp(cycles, np.concatenate(([0.0], phase)), np.arange(n + 1) - 1.0) / sr
    periods = np.diff(np.append(nominal, nominal[-1] + 1.0 / f0[-1])) if n_cycles else nominal
    periods = periods * (1.0 + jitter_sd * rng.standard_normal(periods.size))
    onsets = np.concatenate(([0.0], np.cumsum(periods)[:-1]))
    amps = level * (1.0 + shimmer_sd * rng.standard_normal(periods.size))
    t = np.arange(n) / sr
    k = np.clip(np.searchsorted(onsets, t, side="right") - 1, 0, max(0, onsets.size - 1))
    samples = _rosenberg((t - onsets[k]) / periods[k]) * amps[k] if n_cycles else np.zeros(n)
    peaks = onsets + _OPEN * periods
    # Keep only pulses whose peak lies inside the signal.
    inside = peaks < (n - 1) / sr
    return PulseTrain(samples, peaks[inside], amps[inside])


@dataclass(frozen=True, slots=True)
class SpeechTruth:
    """A synthetic syllable train and its truth.

    Attributes
    ----------
    samples : ndarray of float64, shape (n,)
        Waveform, full scale 1.0.
    n_syllables : int
        Voiced syllables.
    pauses_s : ndarray of float64
        Lengths of the silent pauses between phrases, s.
    span_s : float
        Start of the first syllable to end of the last, s.
    voiced_s : float
        Total voiced (syllable) time, s.
    """

    samples: FloatArray
    n_syllables: int
    pauses_s: FloatArray
    span_s: float
    voiced_s: float


def syllable_train(
    rng: np.random.Generator,
    *,
    duration_s: float,
    sample_rate_hz: int,
    f0_hz: float = 150.0,
    f0_sd_st: float = 2.0,
    syllable_rate_hz: float = 4.5,
    pause_mean_s: float = 0.6,
    jitter_sd: float = 0.005,
    shimmer_sd: float = 0.03,
    hnr_db: float = 25.0,
    level_sd_db: float = 3.0,
    lead_s: float = 0.3,
    background_db: float = 45.0,
) -> SpeechTruth:
    """Phrases of 3-7 voiced syllables separated by pauses, over a low noise floor.

    Parameters
    ----------
    rng : numpy.random.Generator
    duration_s : float
        Clip length, s.
    sample_rate_hz : int
        Sampling rate, Hz.
    f0_hz : float
        Speaker's median F0, Hz.
    f0_sd_st : float
        SD of the per-syllable F0 targets, semitones.
    syllable_rate_hz : float
        Syllables per second within a phrase (each syllable is voiced for 70 % of its slot).
    pause_mean_s : float
        Mean pause between phrases, s (lognormal, SD of log 0.3, at least 0.35 s).
    jitter_sd, shimmer_sd : float
        Relative period and amplitude perturbation of the source.
    hnr_db : float
        Power of the source's periodic (zero-mean) part over that of the aspiration noise
        added to it, dB.
    level_sd_db : float
        SD of the per-syllable level, dB.
    lead_s : float
        Silence before the first syllable and at least after the last, s.
    background_db : float
        Level of the white background noise below the voiced level, dB.

    Returns
    -------
    SpeechTruth
    """
    sr = float(sample_rate_hz)
    n = round(duration_s * sr)
    slot = 1.0 / syllable_rate_hz
    voiced_len = 0.7 * slot
    syllables: list[tuple[float, float]] = []
    pauses: list[float] = []
    t = lead_s
    while True:
        n_syl = int(rng.integers(3, 8))
        if t + n_syl * slot > duration_s - lead_s:
            break
        for i in range(n_syl):
            syllables.append((t + i * slot, t + i * slot + voiced_len))
        t += n_syl * slot
        pause = max(0.35, pause_mean_s * float(rng.lognormal(-0.045, 0.3)))
        if t + pause + 3 * slot > duration_s - lead_s:
            break
        pauses.append(pause + (slot - voiced_len))
        t += pause
    times = np.arange(n) / sr
    if syllables:
        centres = np.array([(a + b) / 2.0 for a, b in syllables])
        targets = f0_hz * 2.0 ** (f0_sd_st * rng.standard_normal(centres.size) / 12.0)
        contour = np.interp(times, centres, targets)
    else:
        contour = np.full(n, f0_hz)
    source = glottal_pulse_train(
        rng, contour, sample_rate_hz, jitter_sd=jitter_sd, shimmer_sd=shimmer_sd
    ).samples
    envelope = np.zeros(n)
    taper = 0.02
    for a, b in syllables:
        gain = 10.0 ** (level_sd_db * float(rng.standard_normal()) / 20.0)
        i0, i1 = int(a * sr), min(n, int(b * sr))
        local = times[i0:i1] - a
        ramp = np.minimum(1.0, np.minimum(local, (b - a) - local) / taper)
        envelope[i0:i1] = gain * np.sin(0.5 * np.pi * np.clip(ramp, 0.0, 1.0)) ** 2
    # Aspiration noise rides on the voice (sets the HNR against the source's periodic, zero-mean
    # part); a separate background floor sits ``background_db`` below the voice.
    breath = rng.standard_normal(n) * float(np.std(source)) * 10.0 ** (-hnr_db / 20.0)
    voice = (source - float(np.mean(source)) + breath) * envelope
    power = float(np.mean(voice[envelope > 0.5] ** 2)) if syllables else 1e-6
    background = rng.standard_normal(n) * np.sqrt(power) * 10.0 ** (-background_db / 20.0)
    samples = voice + background
    peak = float(np.max(np.abs(samples)))
    if peak > 0.9:
        samples *= 0.9 / peak
    span = syllables[-1][1] - syllables[0][0] if syllables else 0.0
    return SpeechTruth(
        samples=samples,
        n_syllables=len(syllables),
        pauses_s=np.asarray(pauses, dtype=np.float64),
        span_s=span,
        voiced_s=len(syllables) * voiced_len,
    )
