"""Benchmark: a multi-modal patient-year on one core; actigraphy vs pyActigraphy; GPS vs Forest.

First part (always runs): the daily extraction of a synthetic patient-year of multi-modal data
without audio (``bench/multimodal_year.py``: minute actigraphy and steps, minute heart rate,
1/min GPS, about 2,000 keystrokes a day, 5-min CGM, six cortisol samples a day, screen events,
sleep records; RR intervals for an hour a night timed separately), each modality's extractor and the
merged ``extract_multimodal_daily`` timed in CPU seconds (``time.process_time``) against the
budget of 5 CPU-s, its peak memory traced with ``tracemalloc`` against 500 MB, and
patient-years per CPU-s. Then, on the same data, pyActigraphy 1.2.2 (own venv,
``bench/pyactigraphy_reference.py --timing``) computing IS, IV, RA, L5 and M10 of the
patient-year's actigraphy written as a Depresjon-style CSV, against Bedside's whole actigraphy
table of the same minutes; and Forest's ``gps_stats_main`` (beiwe-forest 1.0, own venv, see
``bench/mobility.py``) against ``daily_mobility`` on the issue's 14 patient-days of duty-cycled
1 Hz GPS (Forest refuses a 1/min trace).

Second part: patient-days per second for Bedside's full daily table (CSV read + every
actigraphy biomarker for every local day) and for pyActigraphy 1.2.2 computing only IS, IV, RA,
L5 and M10 of each whole recording (CSV read included; timed inside its own venv, created on
first use by ``bench/pyactigraphy_reference.py``), their ratio, and the largest absolute
difference per measure between Bedside's whole-recording values and pyActigraphy's on files
without a clock change. Skipped with a message when the Depresjon folder is absent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bedside.domain import Modality, SampleFrame
from bedside.domain.cardiac_recording import CardiacRecording

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


def _cpu(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def multimodal() -> None:
    """Time and measure the daily extraction of one synthetic multi-modal patient-year."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bedside.biomarkers import MODALITY_EXTRACTORS, extract_multimodal_daily
    from multimodal_year import DAYS, make_patient_year, raw_size

    year = make_patient_year()
    sizes = ", ".join(f"{m}: {raw_size(f)}" for m, f in year.frames.items())
    print(f"Patient-year ({DAYS} days, no audio): {sizes}")
    for modality, frame in year.frames.items():
        cpu = _cpu(lambda m=modality, f=frame: MODALITY_EXTRACTORS[m](f))
        print(f"  {modality}: {cpu:.2f} CPU-s")
    # The issue's patient-year has minute heart rate; the cohort also records RR intervals
    # for an hour after local midnight (about 3,600 beats a night), timed separately.
    cardiac = year.frames[Modality.HEART_RATE]
    assert isinstance(cardiac, CardiacRecording)
    issue_frames = {**year.frames, Modality.HEART_RATE: CardiacRecording(cardiac.heart_rate, None)}
    for name, frames in (
        ("issue's patient-year (minute heart rate, no RR)", issue_frames),
        ("with the nightly RR intervals (HRV) too", year.frames),
    ):
        total = min(_cpu(lambda f=frames: extract_multimodal_daily(f)) for _ in range(2))
        tracemalloc.start()
        table = extract_multimodal_daily(frames)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(
            f"{name}: extract_multimodal_daily ({len(table.biomarker_ids)} biomarkers x "
            f"{table.n_days} days) {total:.2f} CPU-s (budget 5) = {1.0 / total:.2f} "
            f"patient-years per CPU-s; peak memory of the extraction {peak:.0f} MB "
            "(tracemalloc, budget 500)"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS so far (raw data generation included): {rss:.0f} MB")
    pyactigraphy_same_data(year.frames[Modality.ACTIGRAPHY])  # type: ignore[arg-type]
    forest_same_data()


def pyactigraphy_same_data(frame: SampleFrame) -> None:
    """pyActigraphy's IS, IV, RA, L5, M10 on the patient-year's actigraphy (written as a
    Depresjon-format CSV) against Bedside's whole actigraphy table of the same minutes."""
    from bedside.biomarkers import extract_daily

    ours = _cpu(lambda: extract_daily(frame))
    days = extract_daily(frame).n_days
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "condition"
        folder.mkdir()
        local = frame.time_utc.astype("datetime64[s]").astype(object)
        tz = ZoneInfo(frame.zone)
        lines = ["timestamp,date,activity"]
        seen: set[dt.datetime] = set()
        for t, v in zip(local.tolist(), frame.value.tolist(), strict=True):
            wall = t.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)
            if wall in seen:
                continue  # the repeated autumn hour: Depresjon-style wall-clock files skip it
            seen.add(wall)
            lines.append(f"{wall:%Y-%m-%d %H:%M:%S},{wall:%Y-%m-%d},{int(v)}")
        (folder / "condition_1.csv").write_text("\n".join(lines) + "\n")
        ref = _pyactigraphy_timing(Path(tmp))
    if ref is None:
        return
    theirs = float(ref.get("cpu_seconds_total", ref["seconds_total"]))
    kind = "CPU-s" if "cpu_seconds_total" in ref else "s wall"
    print(
        f"same actigraphy, {days} patient-days: pyActigraphy {ref['versions']['pyActigraphy']} "
        f"IS/IV/RA/L5/M10 {theirs:.2f} {kind} = {days / theirs:.0f} patient-days/s; Bedside "
        f"full actigraphy table ({len(extract_daily(frame).biomarker_ids)} biomarkers) "
        f"{ours:.2f} CPU-s = {days / ours:.0f} patient-days/s; ratio {theirs / ours:.1f}x"
    )


def _pyactigraphy_timing(folder: Path) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "timing.json"
        cmd = [sys.executable, str(ROOT / "bench" / "pyactigraphy_reference.py"), "--timing"]
        done = subprocess.run(
            [*cmd, str(out)],
            check=False,
            capture_output=True,
            text=True,
            env={**os.environ, "BEDSIDE_DEPRESJON_DIR": str(folder)},
        )
        if done.returncode != 0 or not out.is_file():
            print("pyActigraphy baseline unavailable:", done.stderr.strip()[-500:])
            return None
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def forest_same_data() -> None:
    """Forest's gps_stats_main against Bedside's daily_mobility on the same GPS: the issue's
    14 patient-days of 1 Hz GPS for 1 minute in every 10 (``bench/mobility.py``). Forest
    refuses the patient-year's 1/min trace (its quality check wants more than 60 fixes in
    every hourly file), so the comparison uses its own sampling scheme."""
    from bedside.biomarkers.mobility import daily_mobility
    from bedside.sensors.beiwe import read_beiwe_folder
    from mobility import PATIENT, ZONE, run_forest, write_study

    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "study"
        n_fixes = write_study(study)
        gps = read_beiwe_folder(study / PATIENT, zone=ZONE).gps
        assert gps is not None
        ours = min(_cpu(lambda: daily_mobility(gps)) for _ in range(3))
        try:
            forest = run_forest(study, Path(tmp) / "out", ZONE, 1, PATIENT)
        except subprocess.CalledProcessError as exc:
            print(f"Forest baseline unavailable: {exc.stderr.strip()[-800:]}")
            return
    wall, cpu = min(forest["times"]), min(forest.get("cpu_times", forest["times"]))
    print(
        f"same GPS ({n_fixes:,} fixes, 14 patient-days, 1 Hz for 1 min in 10): Forest "
        f"(beiwe-forest {forest['version']}) gps_stats_main {cpu:.2f} CPU-s ({wall:.2f} s wall); "
        f"Bedside daily_mobility {ours * 1000:.0f} ms CPU; ratio {cpu / ours:.0f}x CPU "
        "(target >= 100x)"
    )


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
