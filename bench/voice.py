"""Benchmark: every prosody feature of a 20-second clip on one core, next to librosa's pyin.

Three synthetic 20-s speech clips at 16 kHz (``bedside.sensors.synthetic_speech``) are analysed
by :func:`bedside.biomarkers.voice.clip_prosody` (F0, jitter, shimmer, HNR, loudness variability,
syllable nuclei, pauses) and, in the same run and on the same clips, by ``librosa.pyin`` (F0 and
voicing only, 75-500 Hz, 10 ms hop). The process is pinned to one CPU and BLAS/OpenMP threads
are limited to one. Prints milliseconds per clip (median of repeats; wall and CPU time), times
real time, the ratio to pyin, the issue's floor (under 100 ms per clip and at least 200x real
time) judged on CPU time and on wall time (wall time on a loaded shared machine includes time
spent waiting for the CPU; the load average is printed), and how closely the two F0 tracks agree
on frames both call voiced.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from bedside.biomarkers.voice import clip_prosody  # noqa: E402
from bedside.biomarkers.voice_pitch import track_pitch  # noqa: E402
from bedside.sensors.synthetic_speech import syllable_train  # noqa: E402

RATE = 16_000
CLIP_S = 20.0
REPEATS = 7


def _timed(fn: object, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of calling ``fn()``."""
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return float(np.median(walls)), float(np.median(cpus))


def main() -> int:
    import librosa

    clips = [
        syllable_train(np.random.default_rng(seed), duration_s=CLIP_S, sample_rate_hz=RATE).samples
        for seed in range(3)
    ]
    clip_prosody(clips[0], RATE)  # warm-up (imports, FFT plans)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        librosa.pyin(clips[0][:RATE], fmin=75, fmax=500, sr=RATE, frame_length=1024, hop_length=160)

    ours_wall, ours_cpu, pyin_wall, pyin_cpu, cents = [], [], [], [], []
    for x in clips:
        w, c = _timed(lambda x=x: clip_prosody(x, RATE), REPEATS)
        ours_wall.append(w)
        ours_cpu.append(c)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w0, c0 = time.perf_counter(), time.process_time()
            f0_pyin, voiced_pyin, _ = librosa.pyin(
                x, fmin=75, fmax=500, sr=RATE, frame_length=1024, hop_length=160
            )
            pyin_wall.append(time.perf_counter() - w0)
            pyin_cpu.append(time.process_time() - c0)
        track = track_pitch(x, RATE)
        # pyin frames are centred at k * hop; ours at their own centres: compare at our times.
        pyin_times = np.arange(f0_pyin.size) * 160 / RATE
        ref = np.interp(track.times_s, pyin_times, np.where(voiced_pyin, f0_pyin, np.nan))
        both = track.voiced & np.isfinite(ref)
        cents.extend(1200.0 * np.abs(np.log2(track.f0_hz[both] / ref[both])))

    ours_ms = 1000.0 * float(np.median(ours_wall))
    ours_cpu_ms = 1000.0 * float(np.median(ours_cpu))
    pyin_ms = 1000.0 * float(np.median(pyin_wall))
    pyin_cpu_ms = 1000.0 * float(np.median(pyin_cpu))
    print(f"voice prosody, {len(clips)} synthetic {CLIP_S:.0f}-s clips at {RATE} Hz, one core")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  (1-min load average {load:.1f} on {os.cpu_count()} CPUs: wall time includes waiting)")
    for name, wall, cpu in (
        ("Bedside clip_prosody (all features)", ours_ms, ours_cpu_ms),
        (f"librosa {librosa.__version__} pyin (F0 only)", pyin_ms, pyin_cpu_ms),
    ):
        print(
            f"  {name:38s} {wall:8.1f} ms/clip wall ({CLIP_S * 1000 / wall:5.0f}x real time), "
            f"{cpu:8.1f} ms/clip CPU ({CLIP_S * 1000 / cpu:5.0f}x real time)"
        )
    ratio_wall, ratio_cpu = pyin_ms / ours_ms, pyin_cpu_ms / ours_cpu_ms
    print(f"  ratio pyin / Bedside: {ratio_wall:.0f}x wall, {ratio_cpu:.0f}x CPU")
    for label, ms in (("CPU", ours_cpu_ms), ("wall", ours_ms)):
        verdict = "met" if ms < 100.0 and CLIP_S * 1000 / ms >= 200.0 else "NOT met"
        print(f"  floor (< 100 ms and >= 200x real time) on {label} time: {verdict}")
    arr = np.asarray(cents)
    print(
        f"  F0 agreement with pyin on {arr.size} frames voiced in both: median "
        f"{np.median(arr):.1f} cents, {100 * np.mean(arr < 50):.1f} % within 50 cents"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
