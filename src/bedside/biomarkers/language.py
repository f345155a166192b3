"""Daily language biomarkers from a patient's text entries, on the device; the text is not kept.

Per entry (:func:`analyse_entries`): the word counts of
:mod:`bedside.biomarkers.language_lexicons` (words, first-person singular pronouns, absolutist
words, VADER negative and positive words) and the cosine similarity of the entry's sentence
embedding (all-MiniLM-L6-v2, int8 ONNX, :mod:`bedside.inference.sentence_embedding`) to each of
the nine PHQ-9 symptoms (:mod:`bedside.biomarkers.language_phq9`; the highest similarity over a
symptom's descriptions). Entries longer than 128 word pieces are truncated for the embedding
only (the word counts use the whole entry); :class:`EntryAnalysis` says which.

Per local day (the day an entry was written, in the patient's zone):

* ``language.word_count``: words written, {word};
* ``language.first_person_singular_pct``, ``language.absolutist_pct``,
  ``language.negative_emotion_pct``, ``language.positive_emotion_pct``: the day's words in
  each list as a percentage of the day's words (NaN under ``min_words``);
* ``language.phq9_<symptom>_similarity``: mean over the day's non-empty entries of the
  entry's similarity to the symptom, cosine in [-1, 1].

Coverage = the day's words / ``target_words`` (default 20), capped at 1, so that a day under
``min_words`` (10) is under the trend monitor's 0.5 coverage floor; days without entries
are NaN with coverage 0. Only these numbers leave this module: no text, token or embedding.

No generative model is used anywhere in Bedside's language path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.language_lexicons import LexiconCounts, count_lexicon_words
from bedside.biomarkers.language_phq9 import PHQ9_ITEMS
from bedside.domain import DailyBiomarkerTable, InputFormatError, Modality, PatientId
from bedside.domain.text_entries import TextEntryFrame
from bedside.inference.sentence_embedding import Embeddings, default_encoder

__all__ = [
    "LANGUAGE_IDS",
    "LEXICON_IDS",
    "PHQ9_SIMILARITY_IDS",
    "EntryAnalysis",
    "EntryEncoder",
    "analyse_entries",
    "daily_language",
    "daily_language_from_entries",
    "phq9_similarities",
]

FloatArray = npt.NDArray[np.float64]

LEXICON_IDS: tuple[str, ...] = (
    "language.word_count",
    "language.first_person_singular_pct",
    "language.absolutist_pct",
    "language.negative_emotion_pct",
    "language.positive_emotion_pct",
)
PHQ9_SIMILARITY_IDS: tuple[str, ...] = tuple(
    f"language.phq9_{item.key}_similarity" for item in PHQ9_ITEMS
)
LANGUAGE_IDS: tuple[str, ...] = LEXICON_IDS + PHQ9_SIMILARITY_IDS
"""Daily biomarker ids of this module, in table order."""

_RATE_FIELDS = ("first_person_singular", "absolutist", "negative", "positive")


class EntryEncoder(Protocol):
    """What embeds entries: :class:`bedside.inference.SentenceEncoder` or a test double."""

    def encode(self, texts: list[str]) -> Embeddings: ...

    def __hash__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class EntryAnalysis:
    """The numbers kept from a batch of entries (their text is not).

    Attributes
    ----------
    counts : tuple of LexiconCounts
        Word counts per entry.
    similarity : ndarray of float64, shape (n, 9)
        Cosine similarity of each entry to each PHQ-9 symptom (questionnaire order); NaN rows
        for entries without a word, and everywhere when similarities were not computed.
    n_tokens : ndarray of int64, shape (n,)
        Word pieces embedded per entry ([CLS] and [SEP] included; 0 when not embedded).
    truncated : ndarray of bool, shape (n,)
        Entries cut at the encoder's token limit.
    """

    counts: tuple[LexiconCounts, ...]
    similarity: FloatArray
    n_tokens: npt.NDArray[np.int64]
    truncated: npt.NDArray[np.bool_]

    @property
    def n_truncated(self) -> int:
        """How many entries were truncated."""
        return int(self.truncated.sum())


@cache
def _description_vectors(encoder: EntryEncoder) -> tuple[npt.NDArray[np.float32], tuple[int, ...]]:
    texts = [d for item in PHQ9_ITEMS for d in item.descriptions]
    owner = tuple(k for k, item in enumerate(PHQ9_ITEMS) for _ in item.descriptions)
    return encoder.encode(texts).vectors, owner


def phq9_similarities(vectors: npt.NDArray[np.float32], encoder: EntryEncoder) -> FloatArray:
    """Similarity of unit embeddings to each PHQ-9 symptom (max over its descriptions).

    Parameters
    ----------
    vectors : ndarray of float32, shape (n, d)
        Unit-length entry embeddings from `encoder`.
    encoder : EntryEncoder
        The encoder that made `vectors` (it embeds the descriptions, once per encoder).

    Returns
    -------
    ndarray of float64, shape (n, 9)
    """
    desc, owner = _description_vectors(encoder)
    cos = vectors.astype(np.float64) @ desc.astype(np.float64).T
    owners = np.asarray(owner)
    out = np.full((vectors.shape[0], len(PHQ9_ITEMS)), -np.inf)
    for k in range(len(PHQ9_ITEMS)):
        out[:, k] = cos[:, owners == k].max(axis=1) if vectors.shape[0] else 0.0
    return out


def analyse_entries(
    texts: Sequence[str], *, encoder: EntryEncoder | None = None, similarity: bool = True
) -> EntryAnalysis:
    """Word counts and PHQ-9 similarities of entries.

    Parameters
    ----------
    texts : sequence of str
    encoder : EntryEncoder, optional
        Default: the shipped all-MiniLM-L6-v2 encoder (loaded once per process).
    similarity : bool
        False skips the embedding (word counts only; `similarity` is all NaN).

    Returns
    -------
    EntryAnalysis
    """
    counts = tuple(count_lexicon_words(t) for t in texts)
    n = len(counts)
    sim = np.full((n, len(PHQ9_ITEMS)), np.nan)
    n_tokens = np.zeros(n, dtype=np.int64)
    truncated = np.zeros(n, dtype=np.bool_)
    worded = [i for i, c in enumerate(counts) if c.words > 0]
    if similarity and worded:
        enc = encoder if encoder is not None else default_encoder()
        emb = enc.encode([texts[i] for i in worded])
        sim[worded] = phq9_similarities(emb.vectors, enc)
        n_tokens[worded] = emb.n_tokens
        truncated[worded] = emb.truncated
    return EntryAnalysis(counts, sim, n_tokens, truncated)


def daily_language_from_entries(
    patient_id: str,
    zone: str,
    times_utc_s: Sequence[int] | npt.NDArray[np.int64],
    analysis: EntryAnalysis,
    *,
    min_words: int = 10,
    target_words: int = 20,
) -> DailyBiomarkerTable:
    """Daily language biomarkers from analysed entries.

    Parameters
    ----------
    patient_id : str
    zone : str
        IANA zone; an entry belongs to the local day it was written on.
    times_utc_s : sequence of int
        UTC seconds of each entry.
    analysis : EntryAnalysis
        Of the same entries, in the same order.
    min_words : int
        Fewest words on a day for its rates (a rate over a handful of words is noise), >= 1.
    target_words : int
        Words of a fully covered day, >= 1.

    Returns
    -------
    DailyBiomarkerTable
        ``LANGUAGE_IDS`` and ``coverage[Modality.LANGUAGE]`` from the first to the last
        entry's local date.

    Raises
    ------
    InputFormatError
        Mismatched lengths or thresholds below 1.
    """
    times = np.asarray(times_utc_s, dtype=np.int64)
    if times.shape != (len(analysis.counts),):
        raise InputFormatError(
            "text entries", f"{times.size} instants for {len(analysis.counts)} analysed entries"
        )
    if min_words < 1 or target_words < 1:
        raise InputFormatError("text entries", "min_words and target_words must be at least 1")
    tz = ZoneInfo(zone)
    if times.size == 0:
        return DailyBiomarkerTable(
            PatientId(patient_id),
            zone,
            np.array([], dtype="datetime64[D]"),
            {k: np.zeros(0) for k in LANGUAGE_IDS},
            {Modality.LANGUAGE: np.zeros(0)},
        )
    dates = [dt.datetime.fromtimestamp(int(t), tz).date() for t in times]
    first = min(dates)
    day_idx = np.array([(d - first).days for d in dates], dtype=np.int64)
    n_days = int(day_idx.max()) + 1
    words = np.bincount(day_idx, [c.words for c in analysis.counts], n_days)
    cols: dict[str, FloatArray] = {k: np.full(n_days, np.nan) for k in LANGUAGE_IDS}
    has_entry = np.bincount(day_idx, minlength=n_days) > 0
    cols["language.word_count"][has_entry] = words[has_entry]
    rated = words >= min_words
    for key, field in zip(LEXICON_IDS[1:], _RATE_FIELDS, strict=True):
        hits = np.bincount(day_idx, [getattr(c, field) for c in analysis.counts], n_days)
        cols[key][rated] = 100.0 * hits[rated] / words[rated]
    embedded = ~np.isnan(analysis.similarity[:, 0])
    if embedded.any():
        n_emb = np.bincount(day_idx[embedded], minlength=n_days)
        ok = n_emb > 0
        for k, key in enumerate(PHQ9_SIMILARITY_IDS):
            total = np.bincount(day_idx[embedded], analysis.similarity[embedded, k], n_days)
            cols[key][ok] = total[ok] / n_emb[ok]
    coverage = np.minimum(1.0, words / target_words)
    return DailyBiomarkerTable(
        PatientId(patient_id),
        zone,
        np.datetime64(first, "D") + np.arange(n_days),
        cols,
        {Modality.LANGUAGE: coverage},
    )


def daily_language(
    frame: TextEntryFrame,
    *,
    encoder: EntryEncoder | None = None,
    similarity: bool = True,
    min_words: int = 10,
    target_words: int = 20,
) -> DailyBiomarkerTable:
    """Daily language biomarkers of a patient's entries (each read once, then not kept).

    Parameters
    ----------
    frame : TextEntryFrame
    encoder : EntryEncoder, optional
        Default: the shipped all-MiniLM-L6-v2 encoder.
    similarity : bool
        False leaves the PHQ-9 similarity columns NaN and loads no model.
    min_words, target_words : int
        See :func:`daily_language_from_entries`.

    Returns
    -------
    DailyBiomarkerTable
    """
    analysis = analyse_entries(frame.texts, encoder=encoder, similarity=similarity)
    return daily_language_from_entries(
        frame.patient_id,
        frame.zone,
        frame.time_utc_s,
        analysis,
        min_words=min_words,
        target_words=target_words,
    )
