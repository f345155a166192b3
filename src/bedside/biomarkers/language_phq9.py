"""The nine PHQ-9 symptoms as short first-person descriptions, and a keyword baseline.

The PHQ-9 (Kroenke K, Spitzer RL, Williams JB. The PHQ-9: validity of a brief depression
severity measure. J Gen Intern Med 2001;16(9):606-613) asks about nine DSM-IV symptoms of
depression over two weeks. An entry's similarity to a symptom is the highest cosine similarity
between the entry's sentence embedding and the symptom's descriptions below. The descriptions
were written for Bedside, in the words a patient might use in a journal, before the validation
texts (``bedside language validate``) and were not fitted to them; the PHQ-9 item wording is
paraphrased, not quoted.

The keyword baseline scores a symptom by how many of its keyword stems start a word of the
entry; it is what the embedding method has to beat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.language_lexicons import tokenize_words

__all__ = [
    "PHQ9_ITEMS",
    "Phq9Item",
    "keyword_scores",
    "symptom_ranks",
]


@dataclass(frozen=True, slots=True)
class Phq9Item:
    """One PHQ-9 symptom.

    Attributes
    ----------
    number : int
        Item number in the questionnaire, 1..9.
    key : str
        Short name, used in biomarker ids (``language.phq9_<key>_similarity``).
    title : str
        The symptom in a few words.
    descriptions : tuple of str
        First-person paraphrases the entries are compared with.
    keywords : tuple of str
        Lower-case stems for the keyword baseline (a stem matches a word that starts with it).
    """

    number: int
    key: str
    title: str
    descriptions: tuple[str, ...]
    keywords: tuple[str, ...]


PHQ9_ITEMS: tuple[Phq9Item, ...] = (
    Phq9Item(
        1,
        "anhedonia",
        "Little interest or pleasure in doing things",
        (
            "I have lost interest in the things I used to enjoy.",
            "Nothing gives me pleasure or feels fun anymore.",
            "My hobbies and friends don't excite me; I can't be bothered to do anything.",
            "I don't look forward to anything and I feel no joy in activities.",
            "Even things I love feel flat and pointless to do.",
        ),
        ("interest", "pleasure", "enjoy", "fun", "bother", "hobb", "joy", "excit", "bored"),
    ),
    Phq9Item(
        2,
        "depressed_mood",
        "Feeling down, depressed or hopeless",
        (
            "I feel sad, down and depressed.",
            "I feel hopeless about the future, like things will never get better.",
            "I have been crying and feeling miserable and low.",
            "There is a heavy gloomy feeling of despair that does not lift.",
            "I feel empty and unhappy most of the day.",
        ),
        ("sad", "down", "depress", "hopeless", "cry", "miserab", "low", "despair", "unhapp"),
    ),
    Phq9Item(
        3,
        "sleep",
        "Trouble falling or staying asleep, or sleeping too much",
        (
            "I can't fall asleep at night and lie awake for hours.",
            "I keep waking up in the middle of the night and can't get back to sleep.",
            "I have insomnia and my sleep is terrible.",
            "I am sleeping far too much and stay in bed most of the day.",
            "I wake up too early in the morning and cannot sleep again.",
        ),
        ("sleep", "slept", "asleep", "insomnia", "awake", "wak", "bed", "nap", "night"),
    ),
    Phq9Item(
        4,
        "fatigue",
        "Feeling tired or having little energy",
        (
            "I feel tired all the time and have no energy.",
            "I am exhausted and worn out even after resting.",
            "Everything takes so much effort; my body feels heavy and drained.",
            "I am too fatigued to do simple tasks like showering.",
            "I have no strength and feel sluggish and weary.",
        ),
        ("tired", "energy", "exhaust", "fatigu", "drain", "weary", "worn", "effort", "sluggish"),
    ),
    Phq9Item(
        5,
        "appetite",
        "Poor appetite or overeating",
        (
            "I have no appetite and keep skipping meals.",
            "I don't feel like eating and I am losing weight.",
            "I have been overeating and snacking all the time.",
            "I eat too much junk food to comfort myself and have gained weight.",
            "Food has no taste and I forget to eat.",
        ),
        ("appetite", "eat", "ate", "food", "meal", "hungry", "weight", "snack", "binge"),
    ),
    Phq9Item(
        6,
        "worthlessness",
        "Feeling bad about yourself, a failure, letting others down",
        (
            "I feel like a failure and a disappointment.",
            "I am worthless and not good enough.",
            "I have let my family and myself down.",
            "I hate myself and feel guilty about everything I do.",
            "I feel like a burden to the people around me.",
        ),
        ("failure", "worthless", "useless", "guilt", "burden", "disappoint", "let", "hate", "fail"),
    ),
    Phq9Item(
        7,
        "concentration",
        "Trouble concentrating on things such as reading or television",
        (
            "I can't concentrate or focus on anything.",
            "I read the same page over and over and nothing sinks in.",
            "I can't follow a TV show or a conversation; my mind keeps drifting.",
            "My thinking is foggy and I struggle to make decisions.",
            "I keep forgetting things and losing track at work.",
        ),
        ("concentrat", "focus", "read", "distract", "forget", "fog", "attention", "mind", "decid"),
    ),
    Phq9Item(
        8,
        "psychomotor",
        "Moving or speaking slowly, or being fidgety and restless",
        (
            "I move and talk so slowly that other people notice.",
            "Everything I do feels like I am moving in slow motion.",
            "I am restless and fidgety and can't sit still.",
            "I keep pacing around and feel agitated and jittery.",
            "My speech is slow and I take ages to answer people.",
        ),
        ("slow", "restless", "fidget", "pac", "agitat", "still", "jitter", "sluggish", "speech"),
    ),
    Phq9Item(
        9,
        "suicidal_thoughts",
        "Thoughts of being better off dead or of self-harm",
        (
            "I think everyone would be better off if I were dead.",
            "I have thoughts of killing myself.",
            "I want to hurt myself.",
            "I wish I could go to sleep and never wake up.",
            "I have been thinking about ending my life.",
        ),
        ("dead", "die", "suicid", "kill", "hurt", "harm", "end", "life", "cut"),
    ),
)
"""The nine PHQ-9 symptoms in questionnaire order."""


def keyword_scores(text: str) -> npt.NDArray[np.float64]:
    """Keyword-baseline score of each symptom for one text.

    Parameters
    ----------
    text : str

    Returns
    -------
    ndarray of float64, shape (9,)
        Number of words of `text` that start with one of the symptom's keyword stems.
    """
    words = tokenize_words(text)
    return np.array(
        [sum(any(w.startswith(k) for k in item.keywords) for w in words) for item in PHQ9_ITEMS],
        dtype=np.float64,
    )


def symptom_ranks(
    scores: npt.NDArray[np.float64], intended: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Rank (1 = best) of each text's intended symptom among the nine, ties counted against.

    Parameters
    ----------
    scores : ndarray of float64, shape (n, 9)
        Higher = more similar.
    intended : ndarray of int64, shape (n,)
        Index 0..8 of the intended symptom of each text.

    Returns
    -------
    ndarray of int64, shape (n,)
        ``1 + number of other symptoms scoring at least as high``: a text that scores all
        nine equally (e.g. no keyword at all) ranks its symptom 9th.
    """
    scores = np.where(np.isnan(scores), -np.inf, scores)  # an unscored text ranks last
    own = scores[np.arange(scores.shape[0]), intended][:, None]
    at_least = (scores >= own).sum(axis=1) - 1
    ranks: npt.NDArray[np.int64] = (1 + at_least).astype(np.int64)
    return ranks
