"""Registry entries of the daily language biomarkers (see :mod:`bedside.biomarkers.language`).

No LOINC codes exist for these measures; the Bedside code system (the id) is used.
"""

from __future__ import annotations

from functools import partial

from bedside.biomarkers.language_phq9 import PHQ9_ITEMS
from bedside.biomarkers.spec_factory import make_spec
from bedside.domain import BiomarkerSpec, Concern, Modality

__all__ = ["LANGUAGE_SPECS"]

_spec = partial(make_spec, modality=Modality.LANGUAGE)

_RUDE = (
    "Rude SS, Gortner EM, Pennebaker JW. Language use of depressed and depression-vulnerable "
    "college students. Cogn Emot 2004;18(8):1121-1133"
)
_AL_MOSAIWI = (
    "Al-Mosaiwi M, Johnstone T. In an absolute state: elevated use of absolutist words is a "
    "marker specific to anxiety, depression, and suicidal ideation. Clin Psychol Sci "
    "2018;6(4):529-542"
)
_VADER = (
    "Hutto CJ, Gilbert E. VADER: a parsimonious rule-based model for sentiment analysis of "
    "social media text. ICWSM 2014 (lexicon, MIT licence)"
)
_PHQ9 = (
    "Kroenke K, Spitzer RL, Williams JB. The PHQ-9. J Gen Intern Med 2001;16(9):606-613; "
    "embedding: Reimers N, Gurevych I. Sentence-BERT. EMNLP 2019 (all-MiniLM-L6-v2)"
)

LANGUAGE_SPECS: tuple[BiomarkerSpec, ...] = (
    # Direction unsettled: depressed writers are not consistently briefer or wordier.
    _spec("language.word_count", "Words written", "{word}", Concern.BOTH, (0.0, 1e5), _RUDE),
    _spec(
        "language.first_person_singular_pct",
        "First-person singular pronouns",
        "%",
        Concern.UP,
        (0.0, 100.0),
        _RUDE,
    ),
    _spec(
        "language.absolutist_pct", "Absolutist words", "%", Concern.UP, (0.0, 100.0), _AL_MOSAIWI
    ),
    _spec(
        "language.negative_emotion_pct",
        "Negative emotion words",
        "%",
        Concern.UP,
        (0.0, 100.0),
        _VADER + "; direction: " + _RUDE,
    ),
    _spec(
        "language.positive_emotion_pct",
        "Positive emotion words",
        "%",
        Concern.DOWN,
        (0.0, 100.0),
        _VADER + "; direction: " + _RUDE,
    ),
    *(
        _spec(
            f"language.phq9_{item.key}_similarity",
            f"Text similarity to PHQ-9 item {item.number} ({item.title.lower()})",
            "1",
            Concern.UP,
            (-1.0, 1.0),
            _PHQ9,
        )
        for item in PHQ9_ITEMS
    ),
)
