"""Voice prosody against synthetic voiced signals with known F0, jitter, shimmer, HNR and timing.

Documented tolerances (what the tests assert):

* F0 of a 100-200 Hz glide: median relative error < 0.3 %, every voiced frame < 2 %, at least
  95 % of frames voiced, at 8, 16 and 44.1 kHz;
* local jitter within 0.01 percentage points (pp) + 4 % of the truth and local shimmer within
  0.2 pp + 1 % of it, at 8, 16 and 44.1 kHz (cross-correlated periods underestimate jitter by
  about 2.5 %; peaks sampled at 8 kHz after decimation add up to 0.17 pp of shimmer); the
  truth is Praat's formula applied to the pulse instants and amplitudes the signal was built
  from (Rosenberg pulses with a smooth peak; see :mod:`bedside.biomarkers.voice_perturbation`
  for the bias on sharper peaks);
* HNR within 1.2 dB of the band-limited (0-4 kHz) signal-to-noise ratio, 0-30 dB;
* syllable nuclei equal to the syllables, pauses within 0.03 s of the truth, speech rate
  within 3 % and pause share within 0.02.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from bedside.biomarkers import REGISTRY
from bedside.biomarkers.voice import (
    VOICE_IDS,
    ClipProsody,
    clip_prosody,
    daily_voice,
    daily_voice_from_clips,
)
from bedside.biomarkers.voice_perturbation import (
    MAX_PERIOD_FACTOR,
    find_pulses,
    jitter_local,
    shimmer_local,
)
from bedside.biomarkers.voice_pitch import track_pitch
from bedside.domain import InputFormatError, Modality, PatientId
from bedside.domain.audio_clips import AudioClip, AudioClipFrame
from bedside.sensors.synthetic_speech import glottal_pulse_train, syllable_train

FloatArray = npt.NDArray[np.float64]


def praat_jitter(peaks_s: FloatArray) -> float:
    p = np.diff(peaks_s)
    ratio = np.maximum(p[1:], p[:-1]) / np.minimum(p[1:], p[:-1])
    assert ratio.max() <= MAX_PERIOD_FACTOR  # no pair excluded, so the plain formula applies
    return float(100.0 * np.mean(np.abs(np.diff(p))) / np.mean(p))


def praat_shimmer(amplitudes: FloatArray) -> float:
    a = amplitudes[:-1]  # one amplitude per period (the last pulse closes no period)
    return float(100.0 * np.mean(np.abs(np.diff(a))) / np.mean(a))


@pytest.mark.parametrize("rate", [8000, 16000, 44100])
def test_f0_contour_of_a_glide(rate: int) -> None:
    n = 2 * rate
    f0 = np.linspace(100.0, 200.0, n)
    train = glottal_pulse_train(np.random.default_rng(0), f0, rate, jitter_sd=0.002)
    track = track_pitch(train.samples, rate)
    truth = np.interp(track.times_s, np.arange(n) / rate, f0)
    err = np.abs(track.f0_hz / truth - 1.0)[track.voiced]
    assert track.voiced.mean() >= 0.95
    assert float(np.median(err)) < 0.003
    assert float(err.max()) < 0.02


@pytest.mark.parametrize("rate", [8000, 16000, 44100])
@pytest.mark.parametrize(("jitter_sd", "shimmer_sd"), [(0.0, 0.0), (0.005, 0.02), (0.02, 0.08)])
def test_jitter_and_shimmer_match_the_built_in_perturbation(
    rate: int, jitter_sd: float, shimmer_sd: float
) -> None:
    rng = np.random.default_rng(11)
    n = 3 * rate
    train = glottal_pulse_train(
        rng, np.full(n, 140.0), rate, jitter_sd=jitter_sd, shimmer_sd=shimmer_sd
    )
    track = track_pitch(train.samples, rate)
    pulses = find_pulses(track)
    # Nearly every pulse is found (the first and last may fall outside the voiced frames).
    assert pulses.times_s.size >= train.peak_times_s.size - 8
    true_jitter = praat_jitter(train.peak_times_s)
    true_shimmer = praat_shimmer(train.amplitudes)
    assert jitter_local(pulses) == pytest.approx(true_jitter, abs=0.01, rel=0.04)
    assert shimmer_local(pulses) == pytest.approx(true_shimmer, abs=0.2, rel=0.01)


def test_jitter_grows_with_the_perturbation() -> None:
    values = []
    for sd in (0.0, 0.01, 0.02, 0.04):
        train = glottal_pulse_train(
            np.random.default_rng(4), np.full(32000, 120.0), 16000, jitter_sd=sd
        )
        values.append(jitter_local(find_pulses(track_pitch(train.samples, 16000))))
    assert values == sorted(values)
    assert values[0] < 0.01  # a perfectly periodic source has (almost) no jitter


@pytest.mark.parametrize("rate", [8000, 16000, 44100])
@pytest.mark.parametrize("snr_db", [0.0, 10.0, 20.0, 30.0])
def test_hnr_of_a_periodic_source_plus_noise(rate: int, snr_db: float) -> None:
    rng = np.random.default_rng(3)
    n = 2 * rate
    source = glottal_pulse_train(rng, np.full(n, 130.0), rate).samples
    source = source - source.mean()
    # Noise confined to 0-4 kHz, the band the HNR is measured in.
    noise = rng.standard_normal(2 * 8000)
    g = math.gcd(rate, 8000)
    noise = signal.resample_poly(noise, rate // g, 8000 // g)[:n]
    x = source + noise * source.std() / noise.std() * 10.0 ** (-snr_db / 20.0)
    assert clip_prosody(x, rate).hnr_db == pytest.approx(snr_db, abs=1.2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_syllables_pauses_and_rate(seed: int) -> None:
    speech = syllable_train(np.random.default_rng(seed), duration_s=15.0, sample_rate_hz=16000)
    p = clip_prosody(speech.samples, 16000)
    assert p.n_nuclei == speech.n_syllables
    assert p.n_pauses == speech.pauses_s.size
    assert p.pause_total_s == pytest.approx(float(speech.pauses_s.sum()), abs=0.03 * p.n_pauses)
    true_rate = speech.n_syllables / speech.span_s
    assert p.speech_rate_syl_s == pytest.approx(true_rate, rel=0.03)
    assert p.pause_share == pytest.approx(float(speech.pauses_s.sum()) / speech.span_s, abs=0.02)
    assert p.voiced_s == pytest.approx(speech.voiced_s, rel=0.15)


def test_f0_variability_in_semitones() -> None:
    rate = 8000
    flat = syllable_train(
        np.random.default_rng(0), duration_s=10.0, sample_rate_hz=rate, f0_sd_st=0.0
    )
    lively = syllable_train(
        np.random.default_rng(0), duration_s=10.0, sample_rate_hz=rate, f0_sd_st=3.0
    )
    sd_flat = clip_prosody(flat.samples, rate).f0_sd_st
    sd_lively = clip_prosody(lively.samples, rate).f0_sd_st
    assert sd_flat < 0.5
    assert 1.5 < sd_lively < 4.0
    # Semitones do not depend on the speaker's register: an octave up changes nothing.
    high = syllable_train(
        np.random.default_rng(0), duration_s=10.0, sample_rate_hz=rate, f0_sd_st=3.0, f0_hz=300.0
    )
    assert clip_prosody(high.samples, rate).f0_sd_st == pytest.approx(sd_lively, abs=0.25)


@settings(max_examples=6, deadline=None)
@given(gain=st.floats(0.01, 1.0))
def test_gain_changes_no_feature(gain: float) -> None:
    speech = syllable_train(np.random.default_rng(7), duration_s=4.0, sample_rate_hz=8000)
    ref = clip_prosody(speech.samples, 8000)
    scaled = clip_prosody(speech.samples * gain, 8000)
    for f in dataclasses.fields(ClipProsody):
        a, b = getattr(ref, f.name), getattr(scaled, f.name)
        assert b == pytest.approx(a, rel=1e-3, abs=1e-6), f.name  # float32 frames


def test_silence_and_too_short_clips_have_no_values() -> None:
    for x in (np.zeros(16000), np.zeros(100)):
        p = clip_prosody(x, 16000)
        assert p.voiced_s == 0.0
        assert math.isnan(p.f0_mean_hz)
        assert math.isnan(p.jitter_local_pct)
        assert math.isnan(p.speech_rate_syl_s)
    with pytest.raises(InputFormatError, match="sample rate 1000 Hz"):
        clip_prosody(np.zeros(1000), 1000)


def clip(**kw: float) -> ClipProsody:
    base: dict[str, float] = dict.fromkeys(f.name for f in dataclasses.fields(ClipProsody))  # type: ignore[arg-type]
    base.update(duration_s=10.0, n_periods=0, n_nuclei=0, n_pauses=0, pause_total_s=0.0, span_s=0.0)
    base.update(kw)
    return ClipProsody(**base)  # type: ignore[arg-type]


def test_daily_pooling_by_hand() -> None:
    zone = "Europe/Oslo"
    day = dt.date(2026, 3, 10)
    noon = int(dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(zone)).timestamp())
    a = clip(
        voiced_s=2.0,
        f0_mean_hz=100.0,
        f0_sd_st=1.0,
        hnr_db=10.0,
        jitter_local_pct=1.0,
        shimmer_local_pct=4.0,
        n_periods=100,
        intensity_sd_db=3.0,
        span_s=5.0,
        n_nuclei=10,
        pause_total_s=1.0,
        n_pauses=2,
    )
    b = clip(
        voiced_s=6.0,
        f0_mean_hz=200.0,
        f0_sd_st=3.0,
        hnr_db=20.0,
        jitter_local_pct=2.0,
        shimmer_local_pct=6.0,
        n_periods=300,
        intensity_sd_db=6.0,
        span_s=15.0,
        n_nuclei=50,
        pause_total_s=4.0,
        n_pauses=3,
    )
    late = noon + 2 * 86400 + 11 * 3600 + 1800  # 23:30 local, 22:30 UTC: still that local day
    table = daily_voice_from_clips("p1", zone, [noon, noon + 600, late], [a, b, a])
    assert table.date_list() == [day, day + dt.timedelta(days=1), day + dt.timedelta(days=2)]
    row = table.row(day).values
    assert row["voice.f0_mean_hz"] == pytest.approx((2 * 100 + 6 * 200) / 8)  # 175 Hz
    assert row["voice.f0_sd_st"] == pytest.approx((2 * 1 + 6 * 3) / 8)
    assert row["voice.hnr_db"] == pytest.approx((2 * 10 + 6 * 20) / 8)
    assert row["voice.jitter_local_pct"] == pytest.approx((100 * 1 + 300 * 2) / 400)
    assert row["voice.shimmer_local_pct"] == pytest.approx((100 * 4 + 300 * 6) / 400)
    assert row["voice.intensity_sd_db"] == pytest.approx((5 * 3 + 15 * 6) / 20)
    assert row["voice.speech_rate_syl_s"] == pytest.approx(60 / 20)
    assert row["voice.pause_share"] == pytest.approx(5 / 20)
    assert row["voice.pause_mean_s"] == pytest.approx(5 / 5)
    cov = table.coverage[Modality.VOICE]
    np.testing.assert_allclose(cov, [8 / 20, 0.0, 2 / 20])
    assert all(v is None for v in table.row(day + dt.timedelta(days=1)).values.values())
    # 2 s of voice is below the 3 s minimum: coverage counts it, values stay missing.
    assert all(v is None for v in table.row(day + dt.timedelta(days=2)).values.values())
    with pytest.raises(InputFormatError, match="2 starts for 3 clips"):
        daily_voice_from_clips("p1", zone, [noon, noon], [a, b, a])


def test_daily_voice_end_to_end_and_registry() -> None:
    zone = "America/Chicago"
    start = int(dt.datetime(2026, 3, 7, 9, tzinfo=ZoneInfo(zone)).timestamp())
    clips = tuple(
        AudioClip(
            start + i * 86400 // 2,
            8000,
            syllable_train(np.random.default_rng(i), duration_s=8.0, sample_rate_hz=8000).samples,
        )
        for i in range(4)
    )
    table = daily_voice(AudioClipFrame(PatientId("p2"), zone, clips))
    assert table.n_days == 2
    assert set(table.values) == set(VOICE_IDS)
    for key in VOICE_IDS:
        spec = REGISTRY[key]
        assert spec.modality is Modality.VOICE
        vals = table.values[key]
        assert bool(np.all((vals >= spec.valid_min) & (vals <= spec.valid_max))), key
    assert bool(np.all(table.coverage[Modality.VOICE] > 0.3))
    empty = daily_voice(AudioClipFrame(PatientId("p2"), zone, ()))
    assert empty.n_days == 0
