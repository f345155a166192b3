"""Language word lists: counts equal hand counts; vendored files match their recorded hashes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bedside.biomarkers.language_lexicons import (
    ABSOLUTIST_WORDS,
    FIRST_PERSON_SINGULAR,
    count_lexicon_words,
    language_resources,
    tokenize_words,
    vader_lexicon,
)

ROOT = Path(__file__).resolve().parents[2]

# Each text with its counts made by hand: (words, first-person singular, absolutist,
# VADER negative, VADER positive). The VADER words are listed in the comment of each case.
HAND_COUNTED = [
    # negative: mess (-1.5)
    (
        "I can't believe I always mess up everything, and nothing ever works for me.",
        (14, 3, 4, 1, 0),
    ),
    # positive: happy, great, friends, laughed; negative: none
    ("Happy day!! Great walk with friends -- we laughed a lot.", (10, 0, 0, 0, 4)),
    # negative: sad, lonely, alone, tired; positive: none (curly apostrophe in I’m)
    ("I’m sad and lonely. Totally alone, tired of my whole life.", (11, 2, 2, 4, 0)),
    # digits and emoji are not words; "Im" and "ive" are phone spellings of I'm and I've
    ("Im up at 3am again 😩 ive slept 2 hours", (7, 2, 0, 0, 0)),
    ("", (0, 0, 0, 0, 0)),
]


@pytest.mark.parametrize(("text", "expected"), HAND_COUNTED)
def test_counts_equal_hand_counts(text: str, expected: tuple[int, int, int, int, int]) -> None:
    c = count_lexicon_words(text)
    assert (c.words, c.first_person_singular, c.absolutist, c.negative, c.positive) == expected


def test_tokenizer_keeps_contractions_and_drops_digits() -> None:
    assert tokenize_words("I can’t sleep, 3 nights! Self-esteem.") == [
        "i",
        "can't",
        "sleep",
        "nights",
        "self",
        "esteem",
    ]


def test_absolutist_list_is_the_published_19_words() -> None:
    assert len(ABSOLUTIST_WORDS) == 19
    assert {"always", "never", "nothing", "completely", "whole", "must"} <= ABSOLUTIST_WORDS
    assert "me" in FIRST_PERSON_SINGULAR
    assert "we" not in FIRST_PERSON_SINGULAR


def test_vader_words_split_by_sign() -> None:
    vader = vader_lexicon()
    assert {"sad", "hopeless", "lonely"} <= vader.negative
    assert {"happy", "great", "love"} <= vader.positive
    assert not vader.negative & vader.positive
    assert len(vader.negative) + len(vader.positive) == language_resources()["vader"]["rows"]


@pytest.mark.parametrize("name", ["vocab", "vader"])
def test_vendored_files_match_their_recorded_sha256(name: str) -> None:
    record = language_resources()[name]
    path = ROOT / str(record["output"])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == record["output_sha256"]
    assert len(str(record["sha256"])) == 64
