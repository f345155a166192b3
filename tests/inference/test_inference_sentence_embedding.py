"""The on-device sentence encoder: offline load, unit vectors, truncation, pinned files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bedside.domain import ModelError
from bedside.inference.sentence_embedding import (
    EMBEDDING_DIM,
    SentenceEncoder,
    default_encoder,
    minilm_vocab_path,
)


def test_embeddings_are_unit_vectors_in_input_order() -> None:
    enc = default_encoder()
    texts = ["I feel sad and hopeless.", "", "The train was on time today."]
    emb = enc.encode(texts)
    assert emb.vectors.shape == (3, EMBEDDING_DIM)
    np.testing.assert_allclose(np.linalg.norm(emb.vectors, axis=1), 1.0, rtol=1e-5)
    assert emb.n_tokens.tolist()[1] == 2  # [CLS] [SEP]
    # batching sorts by length; each row must still be its own text's embedding
    alone = enc.encode([texts[2]]).vectors[0]
    np.testing.assert_allclose(emb.vectors[2], alone, atol=1e-5)


def test_paraphrases_are_closer_than_unrelated_sentences() -> None:
    v = (
        default_encoder()
        .encode(
            [
                "I can't fall asleep at night.",
                "I lie awake for hours and cannot get to sleep.",
                "My car needs new tyres before winter.",
            ]
        )
        .vectors
    )
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.2


def test_long_entries_are_truncated_at_128_tokens_and_counted() -> None:
    enc = default_encoder()
    long_text = " ".join(["tired"] * 300)
    emb = enc.encode([long_text, "short entry"])
    assert emb.truncated.tolist() == [True, False]
    assert emb.n_tokens[0] == 128
    assert enc.count_tokens([long_text])[0] == 302


def test_missing_or_invalid_files_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "vocab.txt"
    bad.write_text(minilm_vocab_path().read_text(encoding="utf-8") + "extra\n", encoding="utf-8")
    # custom files are not checked against the pin, but a missing one is named
    with pytest.raises(ModelError, match="file not found"):
        SentenceEncoder.load(vocab=tmp_path / "missing.txt")
    with pytest.raises(ModelError, match="not a valid ONNX model"):
        SentenceEncoder.load(model=bad)
    with pytest.raises(ModelError, match="max_tokens"):
        SentenceEncoder.load(max_tokens=1000)
