"""Word lists of the language biomarkers and the word counts over one text.

* First-person singular pronouns: I, me, my, mine, myself and the contractions I'm, I've, I'll,
  I'd, plus the apostrophe-less phone spellings "im" and "ive". Their rate is higher in the
  writing of depressed people (Rude SS, Gortner EM, Pennebaker JW. Language use of depressed and
  depression-vulnerable college students. Cogn Emot 2004;18(8):1121-1133; meta-analysis:
  Edwards T, Holtzman NS. J Res Pers 2017;68:63-68). The list is written here from English
  grammar; it is not LIWC's dictionary.
* Absolutist words: the 19-word dictionary published by Al-Mosaiwi M, Johnstone T. In an
  absolute state: elevated use of absolutist words is a marker specific to anxiety, depression,
  and suicidal ideation. Clin Psychol Sci 2018;6(4):529-542 (doi:10.1177/2167702617747074).
* Negative and positive emotion words: the single-word entries of VADER's lexicon (Hutto CJ,
  Gilbert E. VADER: a parsimonious rule-based model for sentiment analysis of social media
  text. ICWSM 2014; vaderSentiment 3.3.2, MIT licence), negative where the mean valence is
  below 0, positive where above. The words are counted as they occur: negation ("not happy")
  is not handled, as in the word-count studies above.

Words are maximal runs of letters (Unicode), optionally joined by apostrophes ("can't",
"I'm"); the curly apostrophe counts as one; a run that contains a digit ("3am", "4kg"),
punctuation and emoji are not words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "ABSOLUTIST_WORDS",
    "FIRST_PERSON_SINGULAR",
    "LexiconCounts",
    "VaderLexicon",
    "count_lexicon_words",
    "language_resources",
    "tokenize_words",
    "vader_lexicon",
]

FIRST_PERSON_SINGULAR: frozenset[str] = frozenset(
    {"i", "me", "my", "mine", "myself", "i'm", "i've", "i'll", "i'd", "im", "ive"}
)
"""First-person singular pronouns and their contractions (lower case)."""

ABSOLUTIST_WORDS: frozenset[str] = frozenset(
    {
        "absolutely",
        "all",
        "always",
        "complete",
        "completely",
        "constant",
        "constantly",
        "definitely",
        "entire",
        "ever",
        "every",
        "everyone",
        "everything",
        "full",
        "must",
        "never",
        "nothing",
        "totally",
        "whole",
    }
)
"""The absolutist dictionary of Al-Mosaiwi & Johnstone (2018), 19 words."""

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_DIGIT = re.compile(r"\d")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_PACKAGE = "bedside.biomarkers"


def tokenize_words(text: str) -> list[str]:
    """The words of a text, lower case, in order.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str
        E.g. ``"I can’t sleep, 3 nights!"`` gives ``["i", "can't", "sleep", "nights"]``.
    """
    tokens: list[str] = _TOKEN.findall(text.translate(_APOSTROPHES).lower())
    return [t for t in tokens if not _DIGIT.search(t)]


@dataclass(frozen=True, slots=True)
class VaderLexicon:
    """VADER's single-word entries split by the sign of their mean valence.

    Attributes
    ----------
    negative, positive : frozenset of str
        Words with mean valence below / above 0 (VADER's scale is -4 to +4).
    """

    negative: frozenset[str]
    positive: frozenset[str]


@cache
def vader_lexicon() -> VaderLexicon:
    """The vendored VADER word list (see ``bench/language_resources.py`` for its provenance)."""
    text = resources.files(_PACKAGE).joinpath("data", "vader_words.tsv").read_text(encoding="utf-8")
    negative: set[str] = set()
    positive: set[str] = set()
    for line in text.splitlines():
        word, valence = line.split("\t")
        (negative if float(valence) < 0 else positive).add(word)
    return VaderLexicon(frozenset(negative), frozenset(positive))


def language_resources() -> dict[str, dict[str, object]]:
    """Provenance of the vendored files: wheel, version, SHA-256 of wheel and extracted file."""
    text = (
        resources.files(_PACKAGE)
        .joinpath("data", "language_resources.json")
        .read_text(encoding="utf-8")
    )
    record: dict[str, dict[str, object]] = json.loads(text)
    return record


@dataclass(frozen=True, slots=True)
class LexiconCounts:
    """Word counts of one text.

    Attributes
    ----------
    words : int
        Number of words.
    first_person_singular, absolutist, negative, positive : int
        Words in each list (a word can be in two lists, e.g. "nothing" is absolutist and, in
        VADER, negative).
    """

    words: int
    first_person_singular: int
    absolutist: int
    negative: int
    positive: int


def count_lexicon_words(text: str) -> LexiconCounts:
    """Count the words of `text` and those in each word list.

    Parameters
    ----------
    text : str

    Returns
    -------
    LexiconCounts
    """
    words = tokenize_words(text)
    vader = vader_lexicon()
    return LexiconCounts(
        words=len(words),
        first_person_singular=sum(w in FIRST_PERSON_SINGULAR for w in words),
        absolutist=sum(w in ABSOLUTIST_WORDS for w in words),
        negative=sum(w in vader.negative for w in words),
        positive=sum(w in vader.positive for w in words),
    )
