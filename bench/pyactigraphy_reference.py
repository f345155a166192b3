"""Independent reference: pyActigraphy's IS, IV, RA, L5, M10 on every whole Depresjon recording.

Run with any Python 3.11: ``python bench/pyactigraphy_reference.py``. It creates (once) the
separate venv ``bench/.venvs/pyactigraphy`` (gitignored) with pyActigraphy 1.2.2 and its
dependencies, re-runs itself inside it and writes
``tests/biomarkers/data/pyactigraphy_reference.json``.

``--timing OUT.json`` instead times pyActigraphy (CSV read + IS, IV, RA, L5, M10) on every file and
writes the timings and values there; ``bench/biomarkers.py`` uses it.

How a recording becomes a pyActigraphy object: the CSV's local wall-clock timestamps (Europe/Oslo,
naive) index a pandas Series of counts, made regular with ``asfreq('1min')`` (so the wall-clock
hour skipped by the spring clock change becomes 60 NaN minutes), wrapped in
``pyActigraphy.io.BaseRaw`` with a 1-min frequency. All measures use pyActigraphy's defaults
(``binarize=True, threshold=4``, ``freq='1h'`` for IS and IV).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "bench" / ".venvs" / "pyactigraphy"
OUT = ROOT / "tests" / "biomarkers" / "data" / "pyactigraphy_reference.json"
DEPS = [
    "pandas<2.3",
    "numpy<2.1",
    "scipy",
    "numba",
    "joblib",
    "lmfit",
    "statsmodels",
    "plotly",
    "spm1d",
    "stochastic",
    "pyexcel",
    "pyexcel-ods3",
    "pyexcel-xlsx",
    "tqdm",
    "imbalanced-learn",
    "scikit-learn",
]
NO_DEPS = ["pyactigraphy==1.2.2", "accelerometer"]


def depresjon_dir() -> Path:
    env = os.environ.get("BEDSIDE_DEPRESJON_DIR")
    return Path(env) if env else (ROOT / ".." / "shared" / "data" / "depresjon").resolve()


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """Create the pyActigraphy venv when missing; return its interpreter."""
    py = venv_python()
    if py.exists():
        check = subprocess.run(
            [str(py), "-c", "import pyActigraphy"], capture_output=True, check=False
        )
        if check.returncode == 0:
            return py
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(py), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, *DEPS], check=True)
    subprocess.run([*pip, "--no-deps", *NO_DEPS], check=True)
    return py


def recordings(root: Path) -> list[Path]:
    return sorted(
        (*root.glob("condition/condition_*.csv"), *root.glob("control/control_*.csv")),
        key=lambda p: (p.parent.name, int(p.stem.split("_")[1])),
    )


def _measures(path: Path) -> dict[str, Any]:
    """Inside the venv: pyActigraphy's measures of one whole recording."""
    import pandas as pd
    from pyActigraphy.io import BaseRaw
    from pyActigraphy.metrics.metrics import _lmx

    t0 = time.perf_counter()
    c0 = time.process_time()
    frame = pd.read_csv(path)
    index = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"]))
    series = pd.Series(frame["activity"].to_numpy(dtype=float), index=index, name="activity")
    steps = index.to_series().diff().dropna()
    clock_change = bool((steps != pd.Timedelta("1min")).any())
    series = series.asfreq("1min")
    raw = BaseRaw(
        name=path.stem,
        uuid=None,
        format="CSV",
        axial_mode="mono-axial",
        start_time=series.index[0],
        period=series.index[-1] - series.index[0],
        frequency=pd.Timedelta("1min"),
        data=series,
        light=None,
    )
    values = {
        "IS": float(raw.IS()),
        "IV": float(raw.IV()),
        "RA": float(raw.RA()),
        "L5": float(raw.L5()),
        "M10": float(raw.M10()),
    }
    seconds = time.perf_counter() - t0  # read + the five measures only
    cpu_seconds = time.process_time() - c0
    binary = raw.binarized_data(4)
    l5_start, _ = _lmx(binary, "5h", lowest=True)
    m10_start, _ = _lmx(binary, "10h", lowest=False)
    sleep = raw.CK(settings="mean", threshold=1.0, rescoring=True)
    return {
        "file": f"{path.parent.name}/{path.name}",
        "crosses_clock_change": clock_change,
        "n_minutes": len(frame),
        **values,
        "L5_onset_min": l5_start.total_seconds() / 60.0,
        "M10_onset_min": m10_start.total_seconds() / 60.0,
        "ck_mean_sleep_minutes": int(sleep.sum()),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def _versions() -> dict[str, str]:
    import numpy as np
    import pandas as pd
    import pyActigraphy

    return {
        "pyActigraphy": str(pyActigraphy.__version__),
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


def inside(out: Path, timing: bool) -> None:
    import warnings

    warnings.simplefilter("ignore")
    root = depresjon_dir()
    results = []
    total = 0.0
    total_cpu = 0.0
    for path in recordings(root):
        rec = _measures(path)
        total += float(rec.pop("seconds"))
        total_cpu += float(rec.pop("cpu_seconds"))
        results.append(rec)
    payload: dict[str, Any] = {
        "description": (
            "pyActigraphy defaults (binarize=True, threshold=4, freq='1h') on whole Depresjon "
            "recordings indexed by local wall-clock time; see bench/pyactigraphy_reference.py"
        ),
        "versions": _versions(),
        "recordings": results,
    }
    if timing:
        payload["seconds_total"] = total
        payload["cpu_seconds_total"] = total_cpu
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--timing", type=Path, default=None, help="write timings to this file")
    args = parser.parse_args()
    out = args.timing if args.timing is not None else OUT
    if args.inside:
        inside(out, timing=args.timing is not None)
        return 0
    if not depresjon_dir().is_dir():
        print(f"Depresjon folder {depresjon_dir()} is absent; nothing to do.")
        return 0
    py = ensure_venv()
    cmd = [str(py), str(Path(__file__).resolve()), "--inside"]
    if args.timing is not None:
        cmd += ["--timing", str(args.timing)]
    subprocess.run(cmd, check=True)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
