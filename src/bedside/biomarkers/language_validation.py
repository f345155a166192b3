"""Validation of PHQ-9 symptom matching on labelled short texts, against a keyword baseline.

The shipped set (``bedside/biomarkers/data/phq9_validation.tsv``) holds 90 short texts written
for Bedside, ten per PHQ-9 symptom, in a journal's voice, with negations ("I'm not sleeping,
not really") and sarcasm ("Oh great, another night of counting every hour"). Its columns are
``split`` (``dev`` or ``held_out``), ``symptom`` (a key of
:data:`bedside.biomarkers.language_phq9.PHQ9_ITEMS`) and ``text``. The symptom descriptions
were written before the texts and were not changed after the first run, so neither split was
used to fit them; both are reported so that a later edit of the descriptions can be checked on
the ``held_out`` texts only.

A text's intended symptom is "top-k" when at most k - 1 other symptoms score at least as high
(ties count against the method, so a keyword baseline without a single keyword hit ranks 9th).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.language import EntryEncoder, analyse_entries
from bedside.biomarkers.language_phq9 import PHQ9_ITEMS, keyword_scores, symptom_ranks
from bedside.domain import InputFormatError

__all__ = [
    "LabelledText",
    "MethodScore",
    "ValidationReport",
    "load_validation_texts",
    "validate_symptom_matching",
]

_KEYS = [item.key for item in PHQ9_ITEMS]
_SPLITS = ("dev", "held_out")


@dataclass(frozen=True, slots=True)
class LabelledText:
    """One validation text: its split, intended symptom index (0..8) and text."""

    split: str
    symptom: int
    text: str


def load_validation_texts(path: Path | None = None) -> list[LabelledText]:
    """Read a validation TSV (header ``split, symptom, text``; tab-separated, UTF-8).

    Parameters
    ----------
    path : Path, optional
        Default: the shipped set.

    Raises
    ------
    InputFormatError
        Naming the file, line and field of a missing column, unknown split or symptom, or an
        empty text.
    """
    if path is None:
        ref = resources.files("bedside.biomarkers").joinpath("data", "phq9_validation.tsv")
        source, content = "phq9_validation.tsv", ref.read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFormatError(source, f"cannot read ({exc})") from exc
    reader = csv.DictReader(content.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    missing = {"split", "symptom", "text"} - set(reader.fieldnames or ())
    if missing:
        raise InputFormatError(source, f"missing column(s) {sorted(missing)}", line=1)
    out: list[LabelledText] = []
    for line, row in enumerate(reader, start=2):
        if row["split"] not in _SPLITS:
            raise InputFormatError(
                source, f"split {row['split']!r} is not one of {_SPLITS}", line=line, field="split"
            )
        if row["symptom"] not in _KEYS:
            raise InputFormatError(
                source, f"unknown symptom {row['symptom']!r}", line=line, field="symptom"
            )
        if not (row["text"] or "").strip():
            raise InputFormatError(source, "empty text", line=line, field="text")
        out.append(LabelledText(row["split"], _KEYS.index(row["symptom"]), row["text"]))
    return out


@dataclass(frozen=True, slots=True)
class MethodScore:
    """How often a method ranks the intended symptom first / in the top three.

    Attributes
    ----------
    n : int
        Texts scored.
    top1, top3 : float
        Shares in [0, 1].
    """

    n: int
    top1: float
    top3: float


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Embedding and keyword-baseline scores per split ("all", "dev", "held_out").

    Attributes
    ----------
    embedding, keyword : dict of str to MethodScore
    n_truncated : int
        Texts cut at the encoder's 128-token limit.
    embedding_ranks, keyword_ranks : ndarray of int64, shape (n,)
        Rank of each text's intended symptom (1 = first).
    """

    embedding: dict[str, MethodScore]
    keyword: dict[str, MethodScore]
    n_truncated: int
    embedding_ranks: npt.NDArray[np.int64]
    keyword_ranks: npt.NDArray[np.int64]


def _scores(ranks: npt.NDArray[np.int64], splits: npt.NDArray[np.str_]) -> dict[str, MethodScore]:
    out: dict[str, MethodScore] = {}
    for name in ("all", *_SPLITS):
        sel = np.ones(ranks.size, dtype=bool) if name == "all" else splits == name
        r = ranks[sel]
        if r.size:
            out[name] = MethodScore(int(r.size), float(np.mean(r == 1)), float(np.mean(r <= 3)))
    return out


def validate_symptom_matching(
    texts: Sequence[LabelledText], *, encoder: EntryEncoder | None = None
) -> ValidationReport:
    """Score the embedding method and the keyword baseline on labelled texts.

    Parameters
    ----------
    texts : sequence of LabelledText
    encoder : EntryEncoder, optional
        Default: the shipped all-MiniLM-L6-v2 encoder.

    Returns
    -------
    ValidationReport
    """
    intended = np.array([t.symptom for t in texts], dtype=np.int64)
    splits = np.array([t.split for t in texts])
    analysis = analyse_entries([t.text for t in texts], encoder=encoder)
    emb_ranks = symptom_ranks(analysis.similarity, intended)
    kw = np.array([keyword_scores(t.text) for t in texts]).reshape(-1, len(PHQ9_ITEMS))
    kw_ranks = symptom_ranks(kw, intended)
    return ValidationReport(
        _scores(emb_ranks, splits),
        _scores(kw_ranks, splits),
        analysis.n_truncated,
        emb_ranks,
        kw_ranks,
    )
