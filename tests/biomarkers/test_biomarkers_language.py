"""Daily language biomarkers: local days, hand-counted rates, similarity means, coverage."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bedside.biomarkers import REGISTRY, extract_multimodal_daily
from bedside.biomarkers.language import (
    LANGUAGE_IDS,
    PHQ9_SIMILARITY_IDS,
    analyse_entries,
    daily_language,
)
from bedside.biomarkers.language_phq9 import PHQ9_ITEMS
from bedside.domain import InputFormatError, Modality, PatientId, SampleFrame
from bedside.domain.text_entries import TextEntryFrame
from bedside.inference.sentence_embedding import Embeddings

ZONE = "Europe/Oslo"
_OWNER = {d: k for k, item in enumerate(PHQ9_ITEMS) for d in item.descriptions}


class OneHotEncoder:
    """Test double: a description embeds as its symptom's unit vector; an entry written
    ``"#k ..."`` embeds as symptom k's; anything else as the first symptom's."""

    def encode(self, texts: list[str]) -> Embeddings:
        vectors = np.zeros((len(texts), 9), dtype=np.float32)
        for i, t in enumerate(texts):
            k = _OWNER.get(t, int(t[1]) if t.startswith("#") else 0)
            vectors[i, k] = 1.0
        n = np.array([len(t.split()) + 2 for t in texts], dtype=np.int64)
        return Embeddings(vectors, n, n > 128)


def _utc(day: dt.date, hour: int, minute: int = 0) -> int:
    wall = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(ZONE))
    return int(wall.timestamp())


def _frame(entries: list[tuple[int, str]]) -> TextEntryFrame:
    return TextEntryFrame(
        PatientId("p1"),
        ZONE,
        np.array([t for t, _ in entries], dtype=np.int64),
        tuple(text for _, text in entries),
    )


# Spring clock change in Oslo on 2026-03-29; 23:30 local belongs to that day, 00:10 to the next.
D0 = dt.date(2026, 3, 28)
D1 = dt.date(2026, 3, 29)
D3 = dt.date(2026, 3, 31)
ENTRIES = [
    # 13 words; I x2, my x1 -> 3 FPS; always, never -> 2 absolutist; sad, tired -> 2 negative
    (_utc(D0, 9), "#1 I always feel sad and I never sleep, so my head is tired"),
    # 5 words; me -> 1 FPS; good -> positive 1
    (_utc(D0, 23, 30), "#4 a good day for me"),
    # 11 words on the clock-change day, no list words except "love" (positive)
    (_utc(D1, 23, 30), "#2 we walked by the lake and love the quiet evening light"),
    # day D1 + 1 has no entry; D3 has one short entry under min_words
    (_utc(D3, 0, 10), "#8 fine"),
]


def test_daily_rates_equal_hand_counts_on_local_days() -> None:
    table = daily_language(_frame(ENTRIES), encoder=OneHotEncoder())
    assert table.date_list() == [D0, D1, D1 + dt.timedelta(days=1), D3]
    words = table.values["language.word_count"]
    # "#1" is not a word (it holds a digit)
    np.testing.assert_array_equal(words, [13 + 5, 11, np.nan, 1])
    fps = table.values["language.first_person_singular_pct"]
    np.testing.assert_allclose(fps[:2], [100 * 4 / 18, 0.0])
    np.testing.assert_allclose(table.values["language.absolutist_pct"][:2], [100 * 2 / 18, 0])
    np.testing.assert_allclose(table.values["language.negative_emotion_pct"][:2], [100 * 2 / 18, 0])
    np.testing.assert_allclose(
        table.values["language.positive_emotion_pct"][:2], [100 * 1 / 18, 100 * 1 / 11]
    )
    # under min_words (10): no rates, but the words and the similarity are kept
    assert np.isnan(fps[3])
    assert np.isnan(fps[2])
    np.testing.assert_allclose(table.coverage[Modality.LANGUAGE], [18 / 20, 11 / 20, 0, 1 / 20])


def test_daily_similarity_is_the_mean_over_the_days_entries() -> None:
    table = daily_language(_frame(ENTRIES), encoder=OneHotEncoder())
    sim = np.vstack([table.values[k] for k in PHQ9_SIMILARITY_IDS])  # (9, n_days)
    np.testing.assert_allclose(sim[:, 0], np.eye(9)[1] / 2 + np.eye(9)[4] / 2)
    np.testing.assert_allclose(sim[:, 1], np.eye(9)[2])
    assert np.all(np.isnan(sim[:, 2]))
    np.testing.assert_allclose(sim[:, 3], np.eye(9)[8])


def test_lexicon_only_loads_no_model_and_leaves_similarity_missing() -> None:
    table = daily_language(_frame(ENTRIES), similarity=False)
    assert all(np.all(np.isnan(table.values[k])) for k in PHQ9_SIMILARITY_IDS)
    assert table.values["language.word_count"][0] == 18


def test_empty_entries_count_nothing_and_are_not_embedded() -> None:
    analysis = analyse_entries(["", "!!!", "#3 ok then"], encoder=OneHotEncoder())
    assert [c.words for c in analysis.counts] == [0, 0, 2]
    assert np.all(np.isnan(analysis.similarity[:2]))
    assert analysis.similarity[2, 3] == 1.0
    assert analysis.n_truncated == 0


def test_specs_cover_every_id() -> None:
    for key in LANGUAGE_IDS:
        spec = REGISTRY[key]
        assert spec.modality is Modality.LANGUAGE
        assert spec.citation
    assert REGISTRY["language.absolutist_pct"].concern == "up"
    assert "Al-Mosaiwi" in REGISTRY["language.absolutist_pct"].citation


def test_empty_frame_gives_an_empty_table() -> None:
    table = daily_language(_frame([]), encoder=OneHotEncoder())
    assert table.n_days == 0
    assert set(table.values) == set(LANGUAGE_IDS)


def test_bad_frames_are_refused_with_the_field_named() -> None:
    with pytest.raises(InputFormatError, match="earlier than the entry before"):
        _frame([(10, "b"), (5, "a")])
    with pytest.raises(InputFormatError, match="2 instants but 1 texts"):
        TextEntryFrame(PatientId("p"), ZONE, np.array([1, 2], dtype=np.int64), ("a",))
    with pytest.raises(InputFormatError, match="unknown IANA time zone"):
        TextEntryFrame(PatientId("p"), "Mars/Base", np.array([1], dtype=np.int64), ("a",))
    steps = SampleFrame(
        PatientId("p"),
        Modality.STEPS,
        ZONE,
        np.array([0], dtype=np.int64),
        np.array([1.0]),
    )
    with pytest.raises(InputFormatError, match="text-entry frame"):
        extract_multimodal_daily({Modality.LANGUAGE: steps})
