"""Benchmark: language biomarkers per text entry on one core, next to the keyword baseline.

For entries of 32, 64 and 128 word pieces ([CLS] and [SEP] included; built from the shipped
validation texts, so they read like journal entries), each entry is processed on its own, as a
device does when an entry is written:

* **embedding method**: the word counts of the lexicons plus the all-MiniLM-L6-v2 int8 ONNX
  embedding (onnxruntime, ``intra_op_num_threads=1``) and its similarity to the nine PHQ-9
  symptoms (:func:`bedside.biomarkers.language.analyse_entries`);
* **keyword baseline**: the same word counts plus the keyword scores of the nine symptoms.

The process is pinned to one CPU with BLAS/OpenMP threads at one. Prints milliseconds per
entry (median over entries; CPU time, which a loaded shared machine does not inflate, and wall
time, with the load average), the ratio to the baseline, the issue's floor (under 50 ms per
entry at 64 tokens, judged on CPU time and on wall time), and the process's resident memory
(VmRSS/VmHWM from /proc) before and after loading the model and after the runs.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from bedside.biomarkers.language import analyse_entries  # noqa: E402
from bedside.biomarkers.language_lexicons import count_lexicon_words  # noqa: E402
from bedside.biomarkers.language_phq9 import keyword_scores  # noqa: E402
from bedside.biomarkers.language_validation import load_validation_texts  # noqa: E402
from bedside.inference.sentence_embedding import SentenceEncoder  # noqa: E402

LENGTHS = (32, 64, 128)
ENTRIES = 40
FLOOR_MS_AT_64 = 50.0


def _memory_mb() -> tuple[float, float]:
    """Current and peak resident set (VmRSS, VmHWM) of this process, MB."""
    rss = hwm = float("nan")
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    return rss, hwm


def _entries(encoder: SentenceEncoder, n_tokens: int, count: int) -> list[str]:
    """`count` journal-like entries of exactly `n_tokens` word pieces (when words allow)."""
    words = " ".join(t.text for t in load_validation_texts()).split()
    out: list[str] = []
    start = 0
    while len(out) < count:
        picked: list[str] = []
        k = start
        while True:
            trial = " ".join([*picked, words[k % len(words)]])
            if int(encoder.count_tokens([trial])[0]) > n_tokens:
                break
            picked.append(words[k % len(words)])
            k += 1
        out.append(" ".join(picked))
        start += 17
    return out


def _per_entry(fn: Callable[[str], object], texts: list[str]) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn(text)`` per entry."""
    walls, cpus = [], []
    for text in texts:
        w0, c0 = time.perf_counter(), time.process_time()
        fn(text)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return 1000 * float(np.median(walls)), 1000 * float(np.median(cpus))


def main() -> int:
    rss0, _ = _memory_mb()
    t0 = time.process_time()
    encoder = SentenceEncoder.load(threads=1)
    load_cpu = time.process_time() - t0
    analyse_entries(["warm-up entry"], encoder=encoder)  # embeds the PHQ-9 descriptions once
    rss1, _ = _memory_mb()
    print(
        f"model load: {load_cpu * 1000:.0f} ms CPU; RSS {rss0:.0f} MB before, {rss1:.0f} MB "
        f"after loading (+{rss1 - rss0:.0f} MB); load average {os.getloadavg()[0]:.2f}"
    )

    def embedding(text: str) -> object:
        return analyse_entries([text], encoder=encoder)

    def keyword(text: str) -> object:
        return count_lexicon_words(text), keyword_scores(text)

    print(
        f"{'tokens':>6} {'embed CPU ms':>12} {'embed wall ms':>13} {'kw CPU ms':>9} "
        f"{'kw wall ms':>10} {'ratio (CPU)':>11}"
    )
    at64 = (float("nan"), float("nan"))
    for n in LENGTHS:
        texts = _entries(encoder, n, ENTRIES)
        actual = encoder.count_tokens(texts)
        emb_wall, emb_cpu = _per_entry(embedding, texts)
        kw_wall, kw_cpu = _per_entry(keyword, texts)
        if n == 64:
            at64 = (emb_cpu, emb_wall)
        print(
            f"{n:>6} {emb_cpu:>12.2f} {emb_wall:>13.2f} {kw_cpu:>9.3f} {kw_wall:>10.3f} "
            f"{emb_cpu / max(kw_cpu, 1e-6):>10.0f}x   (entries of {actual.min()}-{actual.max()} "
            f"tokens, median of {len(texts)})"
        )
    rss2, hwm2 = _memory_mb()
    print(
        f"memory: RSS {rss2:.0f} MB, peak (VmHWM) {hwm2:.0f} MB; load average "
        f"{os.getloadavg()[0]:.2f}"
    )
    ok_cpu, ok_wall = at64[0] < FLOOR_MS_AT_64, at64[1] < FLOOR_MS_AT_64
    print(
        f"floor: under {FLOOR_MS_AT_64:.0f} ms per entry at 64 tokens on one core: CPU "
        f"{at64[0]:.1f} ms {'met' if ok_cpu else 'NOT met'}; wall {at64[1]:.1f} ms "
        f"{'met' if ok_wall else 'NOT met'}"
    )
    return 0 if ok_cpu else 1


if __name__ == "__main__":
    raise SystemExit(main())
