"""Registry entries of the daily voice biomarkers (see :mod:`bedside.biomarkers.voice`).

No LOINC codes exist for these acoustic measures; the Bedside code system (the id) is used.
"""

from __future__ import annotations

from functools import partial

from bedside.biomarkers.spec_factory import make_spec
from bedside.domain import BiomarkerSpec, Concern, Modality

__all__ = ["VOICE_SPECS"]

_spec = partial(make_spec, modality=Modality.VOICE)

_CUMMINS = (
    "Cummins N et al. A review of depression and suicide risk assessment using speech "
    "analysis. Speech Commun 2015;71:10-49"
)
_BOERSMA = (
    "Boersma P. Accurate short-term analysis of the fundamental frequency and the "
    "harmonics-to-noise ratio of a sampled sound. Proc Inst Phonetic Sci Univ Amsterdam "
    "1993;17:97-110"
)
_TEIXEIRA = (
    "Teixeira JP, Oliveira C, Lopes C. Vocal acoustic analysis - jitter, shimmer and HNR "
    "parameters. Procedia Technol 2013;9:1112-1122; direction: Ozdas A et al. IEEE Trans "
    "Biomed Eng 2004;51(9):1530-1540"
)
_DE_JONG = (
    "de Jong NH, Wempe T. Praat script to detect syllable nuclei and measure speech rate "
    "automatically. Behav Res Methods 2009;41(2):385-390; direction: Mundt JC et al. Biol "
    "Psychiatry 2012;72(7):580-587"
)


VOICE_SPECS: tuple[BiomarkerSpec, ...] = (
    # Mean F0 shifts either way in depression across studies (Cummins et al. 2015).
    _spec("voice.f0_mean_hz", "Mean F0", "Hz", Concern.BOTH, (50.0, 600.0), _BOERSMA),
    # Monotone speech: reduced F0 variability (Mundt JC et al. J Neurolinguistics
    # 2007;20(1):50-64; Cummins et al. 2015).
    _spec(
        "voice.f0_sd_st",
        "F0 variability",
        "{semitone}",
        Concern.DOWN,
        (0.0, 24.0),
        _BOERSMA + "; direction: " + _CUMMINS,
    ),
    _spec("voice.jitter_local_pct", "Jitter (local)", "%", Concern.UP, (0.0, 30.0), _TEIXEIRA),
    _spec("voice.shimmer_local_pct", "Shimmer (local)", "%", Concern.UP, (0.0, 60.0), _TEIXEIRA),
    _spec(
        "voice.hnr_db",
        "Harmonics-to-noise ratio",
        "dB",
        Concern.DOWN,
        (-20.0, 50.0),
        _BOERSMA + "; direction: " + _CUMMINS,
    ),
    _spec(
        "voice.intensity_sd_db",
        "Loudness variability (SD of intensity)",
        "dB",
        Concern.DOWN,
        (0.0, 60.0),
        _CUMMINS,
    ),
    # Slower speech and longer pauses with severity (Cannizzaro M et al. Brain Cogn
    # 2004;56(1):30-35; Mundt et al. 2012).
    _spec(
        "voice.speech_rate_syl_s",
        "Speech rate",
        "{syllable}/s",
        Concern.DOWN,
        (0.0, 15.0),
        _DE_JONG,
    ),
    _spec("voice.pause_share", "Share of time in pauses", "1", Concern.UP, (0.0, 1.0), _DE_JONG),
    _spec("voice.pause_mean_s", "Mean pause length", "s", Concern.UP, (0.0, 60.0), _DE_JONG),
)
