"""Benchmark: actigraphy daily table vs pyActigraphy on every Depresjon recording, same run.

Prints patient-days per second for Bedside's full daily table (CSV read + every actigraphy
biomarker for every local day) and for pyActigraphy 1.2.2 computing only IS, IV, RA, L5 and M10
of each whole recording (CSV read included; timed inside its own venv, created on first use by
``bench/pyactigraphy_reference.py``), their ratio, and the largest absolute difference per
measure between Bedside's whole-recording values and pyActigraphy's on files without a clock
change. Exits 0 with a message when the Depresjon folder is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
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


def main() -> int:
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
