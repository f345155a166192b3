"""Reference glucose metrics from cgmquantify, run in its own venv; writes JSON for the tests.

cgmquantify (MIT, Bent et al. 2021) is an independent implementation of CGM summary metrics.
Its 0.5 sdist on PyPI cannot be installed as published: its ``setup.py`` reads a
``README.md`` that the sdist does not contain. This script therefore lets pip unpack the sdist
(``--no-clean`` keeps the build directory after the expected failure), adds a ``README.md``
(a copy of the shipped ``README.rst``) and installs from that directory, all inside
``bench/.venvs/cgmquantify`` (git-ignored). It then draws a few deterministic CGM series
(numpy, fixed seeds), computes cgmquantify's mean (``summary``), ``interdaysd``,
``interdaycv``, ``GMI`` and ``MAGE`` on them, and writes the series, the values and the tool's
version to ``tests/biomarkers/data/cgmquantify_reference.json``.

Usage: ``python bench/cgmquantify_reference.py`` (needs the PyPI registry on first run).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "bench" / ".venvs" / "cgmquantify"
OUT = ROOT / "tests" / "biomarkers" / "data" / "cgmquantify_reference.json"
VERSION = "0.5"

_COMPUTE = r"""
import json, sys
import importlib.metadata as md
import numpy as np
import pandas as pd
import cgmquantify as cgm

series = []
for seed, days, base in ((1, 1, 120.0), (2, 2, 150.0), (3, 3, 100.0)):
    rng = np.random.default_rng(seed)
    n = 288 * days
    t = 1704067200 + 300 * np.arange(n)
    hours = (t % 86400) / 3600.0
    since = [(hours - h) % 24 for h in (8, 13, 19)]
    meals = sum(60.0 * np.exp(-x / 1.5) * (x < 6) for x in since)
    g = np.round(np.clip(base + meals + rng.normal(0, 8, n).cumsum() * 0.3, 40, 400))
    df = pd.DataFrame({"Time": pd.to_datetime(t, unit="s"), "Glucose": g})
    df["Day"] = df["Time"].dt.date
    series.append({
        "seed": seed,
        "times_utc": t.tolist(),
        "glucose_mgdl": g.tolist(),
        "mean": float(cgm.summary(df)[0]),
        "interdaysd": float(cgm.interdaysd(df)),
        "interdaycv": float(cgm.interdaycv(df)),
        "gmi": float(cgm.GMI(df)),
        "mage": float(cgm.MAGE(df)),
    })
json.dump({"tool": "cgmquantify", "version": md.version("cgmquantify"),
           "numpy": np.__version__, "pandas": pd.__version__, "series": series}, sys.stdout)
"""


def _python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> None:
    """Create the venv and install cgmquantify (with the README workaround) if missing."""
    py = _python()
    if py.exists():
        check = subprocess.run([str(py), "-c", "import cgmquantify"], capture_output=True)
        if check.returncode == 0:
            return
    venv.create(VENV, with_pip=True, clear=True)
    pip = [str(py), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "pandas", "numpy", "matplotlib", "statsmodels"], check=True)
    with tempfile.TemporaryDirectory(prefix="cgmq-") as tmp:
        env = dict(os.environ, TMPDIR=tmp)
        failed = subprocess.run(
            [*pip, "--no-deps", "--no-clean", f"cgmquantify=={VERSION}"],
            env=env,
            capture_output=True,
            text=True,
        )
        if failed.returncode == 0:
            return
        found = glob.glob(os.path.join(tmp, "pip-install-*", "cgmquantify_*", "setup.py"))
        if not found:
            raise SystemExit("cgmquantify: could not unpack the sdist:\n" + failed.stderr[-2000:])
        src = Path(found[0]).parent
        build = Path(tmp) / "cgmquantify-src"
        shutil.copytree(src, build)
        shutil.copyfile(build / "README.rst", build / "README.md")
        subprocess.run([*pip, "--no-deps", str(build)], check=True)


def main() -> int:
    ensure_venv()
    done = subprocess.run(
        [str(_python()), "-c", _COMPUTE], check=True, capture_output=True, text=True
    )
    data = json.loads(done.stdout)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(
        f"wrote {OUT.relative_to(ROOT)} (cgmquantify {data['version']}, "
        f"{len(data['series'])} series)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
