"""Benchmark: a multi-modal patient-year on one core; actigraphy vs pyActigraphy on Depresjon.

First part (always runs): the daily extraction of a synthetic patient-year of multi-modal data
(``bench/multimodal_year.py``), timed in CPU seconds (``time.process_time``) against the budget
of 5 CPU-s, and its peak traced memory (``tracemalloc``) against 500 MB; prints patient-years
per second and which of the issue's modalities have no extractor yet.

Second part: patient-days per second for Bedside's full daily table (CSV read + every
actigraphy biomarker for every local day) and for pyActigraphy 1.2.2 computing only IS, IV, RA,
L5 and M10 of each whole recording (CSV read included; timed inside its own venv, created on
first use by ``bench/pyactigraphy_reference.py``), their ratio, and the largest absolute
difference per measure between Bedside's whole-recording values and pyActigraphy's on files
without a clock change. Skipped with a message when the Depresjon folder is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIELDS = {
    "IS": "interdaily_stability",
    "IV": "intradaily_variability",
    "RA": "relative_amplitude",
    "L5": "l5",
    "M10": "m10",
}


def depresjon_dir() -> Path:
    env = os.environ.get("BEDSIDE_DEPRESJON_DIR")
    return Path(env) if env else (ROOT / ".." / "shared" / "data" / "depresjon").resolve()


def multimodal() -> None:
    """Time and measure the daily extraction of one synthetic multi-modal patient-year."""
    sys.path.insert(0, str(ROOT / "bench"))
    from multimodal_year import MISSING, make_patient_year

    year = make_patient_year()
    sizes = ", ".join(f"{m}: {len(f):,}" for m, f in year.frames.items())
    print(
        f"Patient-year (365 days): {sizes} samples/intervals; heart rate: {year.hr_bpm.size:,}; "
        f"CGM: {year.cgm_mgdl.size:,}"
    )
    total = 0.0
    for name, step in year.steps().items():
        t0 = time.process_time()
        step()
        cpu = time.process_time() - t0
        total += cpu
        print(f"  {name}: {cpu:.2f} CPU-s")
    tracemalloc.start()
    for step in year.steps().values():
        step()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(
        f"multi-modal patient-year: {total:.2f} CPU-s (budget 5) = {1.0 / total:.2f} "
        f"patient-years per CPU-s; peak traced memory {peak:.0f} MB (budget 500)"
    )
    print(f"not included (no daily extractor on main yet): {', '.join(MISSING)}")


def main() -> int:
    multimodal()
    root = depresjon_dir()
    if not root.is_dir():
        print(f"Depresjon folder {root} is absent; biomarker benchmark skipped.")
        return 0
    from bedside.biomarkers import extract_daily, nonparametric_measures
    from bedside.sensors import read_depresjon

    paths = sorted((*root.glob("condition/condition_*.csv"), *root.glob("control/control_*.csv")))
    t0 = time.perf_counter()
    days = 0
    frames = {}
    for path in paths:
        frame = read_depresjon(path)
        days += extract_daily(frame).n_days
        frames[f"{path.parent.name}/{path.name}"] = frame
    ours_s = time.perf_counter() - t0
    print(
        f"Bedside daily table: {len(paths)} files, {days} patient-days in {ours_s:.2f} s "
        f"= {days / ours_s:.0f} patient-days/s"
    )

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "timing.json"
        cmd = [
            sys.executable,
            str(ROOT / "bench" / "pyactigraphy_reference.py"),
            "--timing",
            str(out),
        ]
        done = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if done.returncode != 0 or not out.is_file():
            print("pyActigraphy baseline unavailable:", done.stderr.strip()[-500:])
            return 0
        ref = json.loads(out.read_text())
    theirs_s = float(ref["seconds_total"])
    print(
        f"pyActigraphy {ref['versions']['pyActigraphy']} IS/IV/RA/L5/M10: {days} patient-days "
        f"in {theirs_s:.2f} s = {days / theirs_s:.0f} patient-days/s"
    )
    print(f"ratio (Bedside full table / pyActigraphy five measures): {theirs_s / ours_s:.1f}x")

    diffs: dict[str, float] = dict.fromkeys(FIELDS, 0.0)
    n_plain = 0
    for rec in ref["recordings"]:
        if rec["crosses_clock_change"] or rec["file"] not in frames:
            continue
        n_plain += 1
        mine = nonparametric_measures(frames[rec["file"]])
        for key, attr in FIELDS.items():
            diffs[key] = max(diffs[key], abs(getattr(mine, attr) - rec[key]))
    shown = ", ".join(f"{k} {v:.1e}" for k, v in diffs.items())
    print(f"max |Bedside - pyActigraphy| over {n_plain} files without a clock change: {shown}")
    assert all(np.isfinite(v) for v in diffs.values())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
