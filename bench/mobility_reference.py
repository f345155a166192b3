"""Independent reference: scikit-mobility's radius of gyration, stays and places on GPS traces.

Run from the project venv: ``.venv/bin/python bench/mobility_reference.py``. It

1. generates the reference traces with ``bedside.sensors.synthetic_gps`` (fixed seeds, one fix a
   minute, 14 days across the 2026 spring clock change in Europe/Oslo) and writes them to a
   temporary directory as ``time_utc,latitude,longitude`` CSV;
2. creates (once) the separate venv ``bench/.venvs/skmob`` (gitignored) with scikit-mobility
   1.3.1 (which needs numpy < 2 and shapely < 2, hence its own venv) and re-runs itself there;
3. there, per local day: skmob's ``radius_of_gyration`` on the day's fixes; skmob's
   ``stay_locations`` (stops of at least 10 min within 0.1 km) clustered by
   ``clustering.cluster`` (DBSCAN, 0.1 km); from those stays and clusters, the number of places
   with at least 10 min of stay that day, Saeb's time-weighted location entropy over the
   clusters, and home time (share of the day in stays at the cluster with most stay time
   between 00:00 and 06:00);
4. writes ``tests/biomarkers/data/mobility_reference.json`` with the tool's version and a
   SHA-256 of each trace, so tests can tell a changed generator from a disagreement.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "bench" / ".venvs" / "skmob"
OUT = ROOT / "tests" / "biomarkers" / "data" / "mobility_reference.json"
TOOL = "scikit-mobility==1.3.1"
DEPS = [TOOL, "numpy<2", "shapely<2"]

# The traces: (seed, severity ramp end). Same values are used by the tests.
TRACES = [(11, 0.0), (12, 0.4), (13, 0.8), (14, 1.0)]
ZONE = "Europe/Oslo"
FIRST_DATE = "2026-03-22"
N_DAYS = 14
STOP_MIN = 10.0
RADIUS_KM = 0.1


def trace_digest(time_utc: Any, lat: Any, lon: Any) -> str:
    """SHA-256 of a trace's columns (int64 seconds, float64 degrees), hex."""
    h = hashlib.sha256()
    for col in (time_utc, lat, lon):
        h.update(col.tobytes())
    return h.hexdigest()


def make_traces(out_dir: Path) -> list[dict[str, Any]]:
    """Generate the reference traces (project venv only); write CSVs; return their metadata."""
    import datetime as dt

    import numpy as np

    from bedside.sensors.synthetic_gps import generate_gps

    first = dt.date.fromisoformat(FIRST_DATE)
    dates = [first + dt.timedelta(days=i) for i in range(N_DAYS)]
    meta = []
    for seed, sev_end in TRACES:
        frame = generate_gps(
            np.random.default_rng(seed), dates, ZONE, np.linspace(0.0, sev_end, N_DAYS)
        )
        path = out_dir / f"trace_{seed}.csv"
        rows = np.column_stack([frame.time_utc, frame.latitude_deg, frame.longitude_deg])
        np.savetxt(path, rows, delimiter=",", fmt=["%d", "%.10f", "%.10f"])
        meta.append(
            {
                "seed": seed,
                "severity_end": sev_end,
                "path": str(path),
                "sha256": trace_digest(frame.time_utc, frame.latitude_deg, frame.longitude_deg),
                "n_fixes": len(frame),
            }
        )
    return meta


def ensure_venv() -> Path:
    py = VENV / "bin" / "python"
    if py.exists():
        ok = subprocess.run([str(py), "-c", "import skmob"], capture_output=True, check=False)
        if ok.returncode == 0:
            return py
    uv = shutil.which("uv")
    if uv:  # much faster than pip; same PyPI packages
        subprocess.run([uv, "venv", "--quiet", "--python", "3.11", str(VENV)], check=True)
        env = {**os.environ, "VIRTUAL_ENV": str(VENV)}
        subprocess.run([uv, "pip", "install", "--quiet", *DEPS], check=True, env=env)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", *DEPS], check=True)
    return py


def skmob_reference(meta: list[dict[str, Any]]) -> dict[str, Any]:
    """Inside the skmob venv: per-day reference values of every trace."""
    import importlib.metadata
    import warnings

    warnings.filterwarnings("ignore")
    import numpy as np
    import pandas as pd
    import skmob
    from skmob.measures.individual import radius_of_gyration
    from skmob.preprocessing import clustering, detection

    traces = {}
    for m in meta:
        raw = pd.read_csv(m["path"], header=None, names=["t", "lat", "lng"])
        utc = pd.to_datetime(raw["t"], unit="s", utc=True)
        local = utc.dt.tz_convert(ZONE)
        # skmob wants naive times; UTC has no clock-change gaps, which its stop detection would
        # take for missing data. Stays are converted to local time for the day split below.
        raw["datetime"] = utc.dt.tz_localize(None)
        raw["uid"] = 1
        raw["day"] = local.dt.date.astype(str)
        tdf = skmob.TrajDataFrame(raw, latitude="lat", longitude="lng", datetime="datetime")
        # Radius of gyration per local day on the day's fixes.
        rg = {}
        for day, part in tdf.groupby("day"):
            sub = skmob.TrajDataFrame(part.drop(columns=["day"]))
            rg[day] = float(radius_of_gyration(sub, show_progress=False)["radius_of_gyration"][0])
        # Stays and places over the whole trace.
        base = skmob.TrajDataFrame(raw.drop(columns=["day"]).copy())
        stays = detection.stay_locations(
            base,
            minutes_for_a_stop=STOP_MIN,
            spatial_radius_km=RADIUS_KM,
            leaving_time=True,
            no_data_for_minutes=5,
        )
        stays = clustering.cluster(stays, cluster_radius_km=RADIUS_KM, min_samples=1)
        # Stay minutes per (local day, cluster), splitting stays at local midnight.
        per_day: dict[str, dict[int, float]] = {}
        night: dict[int, float] = {}
        for _, s in stays.iterrows():
            start = pd.Timestamp(s["datetime"]).tz_localize("UTC")
            end = pd.Timestamp(s["leaving_datetime"]).tz_localize("UTC")
            minutes = pd.date_range(start.ceil("min"), end, freq="min", inclusive="left")
            for ts in minutes.tz_convert(ZONE):
                key = str(ts.date())
                c = int(s["cluster"])
                per_day.setdefault(key, {}).setdefault(c, 0.0)
                per_day[key][c] += 1.0
                if ts.hour < 6:
                    night[c] = night.get(c, 0.0) + 1.0
        home = max(night, key=lambda c: night[c]) if night else None
        days = {}
        for day in sorted(rg):
            visits = per_day.get(day, {})
            w = np.array([v for v in visits.values() if v > 0])
            p = w / w.sum() if w.size else w
            entropy = float(-(p * np.log(p)).sum()) if w.size else float("nan")
            n_places = int((w >= STOP_MIN).sum())
            home_min = visits.get(home, 0.0) if home is not None else float("nan")
            day_len = float((tdf["day"] == day).sum())  # one fix a minute: fixes = observed minutes
            days[day] = {
                "radius_gyration_km": rg[day],
                "n_places": n_places,
                "location_entropy": entropy,
                "home_time_frac": home_min / day_len if day_len else float("nan"),
                "n_stays": int(
                    sum(
                        1
                        for _, s in stays.iterrows()
                        if str(
                            pd.Timestamp(s["datetime"]).tz_localize("UTC").tz_convert(ZONE).date()
                        )
                        == day
                    )
                ),
            }
        traces[str(m["seed"])] = {**m, "days": days}
        traces[str(m["seed"])].pop("path")
    return {
        "tool": "scikit-mobility",
        "tool_version": importlib.metadata.version("scikit-mobility"),
        "numpy_version": importlib.metadata.version("numpy"),
        "pandas_version": importlib.metadata.version("pandas"),
        "zone": ZONE,
        "first_date": FIRST_DATE,
        "n_days": N_DAYS,
        "stop_minutes": STOP_MIN,
        "radius_km": RADIUS_KM,
        "description": (
            "scikit-mobility radius_of_gyration per local day; stay_locations (10 min, 0.1 km) "
            "+ clustering.cluster (DBSCAN 0.1 km); time-weighted entropy, places >= 10 min and "
            "home time from those stays; see bench/mobility_reference.py"
        ),
        "traces": traces,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", type=Path, help="(internal) metadata JSON, run inside skmob")
    args = parser.parse_args()
    if args.child:
        meta = json.loads(args.child.read_text())
        print(json.dumps(skmob_reference(meta)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        meta = make_traces(Path(tmp))
        meta_path = Path(tmp) / "meta.json"
        meta_path.write_text(json.dumps(meta))
        py = ensure_venv()
        done = subprocess.run(
            [str(py), __file__, "--child", str(meta_path)],
            check=True,
            capture_output=True,
            text=True,
        )
    result = json.loads(done.stdout)
    OUT.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({result['tool']} {result['tool_version']})")


if __name__ == "__main__":
    main()
