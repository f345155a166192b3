"""Synthetic daily speech clips with episode effects on prosody.

Each day has ``clips_per_day`` short clips (default three of 10 s at 8 kHz, about 13 s of voiced
speech: two thirds of the default daily target, and cheap: a 60-day patient is 180 clips)
recorded at random daytime hours, each a
:func:`~bedside.sensors.synthetic_speech.syllable_train` around the patient's own voice (median
F0 drawn once per patient). With episode severity ``s`` in [0, 1], in the directions
reported for depression:

* F0 variability shrinks by up to 35 % (monotone speech; Mundt JC et al. J Neurolinguistics
  2007;20(1):50-64; Cummins N et al. Speech Commun 2015;71:10-49);
* the within-phrase syllable rate falls by up to 15 % and pauses lengthen by up to 60 %
  (Cannizzaro M et al. Brain Cogn 2004;56(1):30-35; Mundt JC et al. Biol Psychiatry
  2012;72(7):580-587);
* period and amplitude perturbation grow (jitter SD 0.5 -> 0.9 %, shimmer SD 3 -> 4.5 %) and the
  harmonics-to-noise ratio falls by up to 4 dB (Ozdas A et al. IEEE Trans Biomed Eng
  2004;51(9):1530-1540; Quatieri TF, Malyska N. Interspeech 2012:1059-1062);
* the spread of syllable levels shrinks by up to 30 % (reduced loudness variation; Cummins
  et al. 2015).

Mean F0 is left unchanged, its direction being inconsistent across studies (Cummins et al.
2015). Day-to-day variation is added to every parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.domain import InputFormatError, PatientId
from bedside.domain.audio_clips import AudioClip, AudioClipFrame
from bedside.sensors.synthetic_speech import syllable_train

__all__ = ["generate_voice_clips"]


def generate_voice_clips(
    rng: np.random.Generator,
    dates: Sequence[dt.date],
    zone: str,
    severity: npt.ArrayLike,
    *,
    patient_id: str = "synthetic",
    clips_per_day: int = 3,
    clip_s: float = 10.0,
    sample_rate_hz: int = 8000,
    skip_day_prob: float = 0.05,
) -> AudioClipFrame:
    """Draw a patient's speech clips for consecutive local dates.

    Parameters
    ----------
    rng : numpy.random.Generator
        Seeded generator (all randomness comes from it).
    dates : sequence of datetime.date
        Local dates, in order.
    zone : str
        IANA time zone of the patient.
    severity : array_like of float, shape (len(dates),)
        Daily episode severity in [0, 1].
    patient_id : str
    clips_per_day : int
        Clips on a recorded day.
    clip_s : float
        Length of each clip, s.
    sample_rate_hz : int
        Sampling rate of the clips, Hz (at least 2000).
    skip_day_prob : float
        Probability that no clip is recorded on a day.

    Returns
    -------
    AudioClipFrame
    """
    sev = np.asarray(severity, dtype=np.float64).reshape(-1)
    if sev.size != len(dates) or (sev.size and (sev.min() < 0.0 or sev.max() > 1.0)):
        raise InputFormatError(
            "synthetic voice", "severity needs one value in [0, 1] per date", field="severity"
        )
    tz = ZoneInfo(zone)
    f0_patient = float(rng.choice([110.0, 200.0]) * rng.lognormal(0.0, 0.1))
    clips: list[AudioClip] = []
    for day, s in zip(dates, sev, strict=True):
        if rng.random() < skip_day_prob:
            continue
        hours = np.sort(rng.uniform(8.0, 21.0, clips_per_day))
        for hour in hours:
            start = dt.datetime.combine(day, dt.time(0), tzinfo=tz) + dt.timedelta(hours=hour)

            def vary(x: float, sd: float = 0.08) -> float:
                return float(x * rng.lognormal(0.0, sd))

            speech = syllable_train(
                rng,
                duration_s=clip_s,
                sample_rate_hz=sample_rate_hz,
                f0_hz=vary(f0_patient, 0.03),
                f0_sd_st=vary(2.5 * (1.0 - 0.35 * s)),
                syllable_rate_hz=vary(4.5 * (1.0 - 0.15 * s)),
                pause_mean_s=vary(0.55 * (1.0 + 0.6 * s)),
                jitter_sd=vary(0.005 + 0.004 * s),
                shimmer_sd=vary(0.03 + 0.015 * s),
                hnr_db=22.0 - 4.0 * s + float(rng.normal(0.0, 1.0)),
                level_sd_db=vary(4.0 * (1.0 - 0.3 * s)),
            )
            clips.append(
                AudioClip(int(start.timestamp()), sample_rate_hz, speech.samples, "synthetic voice")
            )
    clips.sort(key=lambda c: c.start_utc)
    return AudioClipFrame(PatientId(patient_id), zone, tuple(clips), "synthetic voice")
