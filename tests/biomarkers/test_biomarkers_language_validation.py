"""PHQ-9 symptom matching on the shipped labelled texts, and the validation file's errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bedside.biomarkers.language_phq9 import PHQ9_ITEMS, keyword_scores, symptom_ranks
from bedside.biomarkers.language_validation import (
    load_validation_texts,
    validate_symptom_matching,
)
from bedside.domain import InputFormatError


def test_shipped_set_has_ten_texts_per_symptom() -> None:
    texts = load_validation_texts()
    counts = np.bincount([t.symptom for t in texts], minlength=9)
    assert counts.tolist() == [10] * 9
    assert len({t.text for t in texts}) == 90
    assert {t.split for t in texts} == {"dev", "held_out"}


def test_embedding_meets_the_floors_and_beats_the_keyword_baseline() -> None:
    report = validate_symptom_matching(load_validation_texts())
    for split in ("all", "held_out"):
        emb, kw = report.embedding[split], report.keyword[split]
        assert emb.top1 >= 0.60
        assert emb.top3 >= 0.85
        assert emb.top1 > kw.top1
    assert report.n_truncated == 0


def test_ranks_count_ties_against_the_method() -> None:
    scores = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.2, 0.9, np.nan]])
    np.testing.assert_array_equal(symptom_ranks(scores, np.array([0, 2, 2])), [2, 3, 3])


def test_keyword_baseline_counts_stem_matches() -> None:
    scores = keyword_scores("I slept badly and was sleepy, no appetite")
    assert scores[2] == 2  # slept, sleepy
    assert scores[4] == 1  # appetite
    assert scores.shape == (len(PHQ9_ITEMS),)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("split\tsymptom\nheld_out\tsleep\n", "missing column"),
        ("split\tsymptom\ttext\ntest\tsleep\tx\n", "line 2, field 'split'"),
        ("split\tsymptom\ttext\ndev\tsleep\tok\ndev\tmood\tx\n", "line 3, field 'symptom'"),
        ("split\tsymptom\ttext\ndev\tsleep\t \n", "line 2, field 'text'"),
    ],
)
def test_bad_validation_files_name_line_and_field(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "texts.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFormatError, match=message):
        load_validation_texts(path)
