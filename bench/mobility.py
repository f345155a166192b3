"""Bench: our GPS daily mobility summaries against Forest's ``gps_stats_main`` on the same data.

Data: 14 patient-days of synthetic GPS at 1 Hz for 1 minute in every 10 (Beiwe's usual duty
cycle), written as a Beiwe raw-data study folder (hourly UTC CSV files). Forest (``beiwe-forest``
1.0, its own venv ``bench/.venvs/forest``, created with uv or pip when missing) runs
``gps_stats_main`` (daily frequency, no trajectory file) on that folder; Bedside runs the Beiwe
reader and ``daily_mobility`` on the same folder. Each side is timed as the best of several
runs (the machine is shared, so the minimum is the least disturbed), and the script prints both
times, the speed ratio and both tools' home time, distance, radius of gyration and maximum
distance from home per day (different algorithms: Forest imputes the off periods with its
sparse online Gaussian process; we hold positions for at most 10 minutes).

Run: ``.venv/bin/python bench/mobility.py [--repeats 5] [--forest-repeats 2]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bedside.domain.gps_samples import GpsFrame

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "bench" / ".venvs" / "forest"
FOREST = "beiwe-forest==1.0"
ZONE = "America/New_York"
PATIENT = "benchpatient"

_FOREST_CHILD = r"""
import json, logging, sys, time, warnings
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
import importlib.metadata
import pandas as pd
from forest.constants import Frequency
from forest.jasmine.traj2stats import gps_stats_main
study, out, zone, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
times = []
cpu_times = []
for r in range(repeats):
    t = time.perf_counter()
    c = time.process_time()
    gps_stats_main(study, f"{out}/{r}", zone, Frequency.DAILY, False)
    times.append(time.perf_counter() - t)
    cpu_times.append(time.process_time() - c)
df = pd.read_csv(f"{out}/0/daily/{sys.argv[5]}.csv")
cols = [c for c in ("year", "month", "day", "home_time", "dist_traveled", "radius",
                    "max_dist_home", "num_sig_places") if c in df.columns]
print(json.dumps({"version": importlib.metadata.version("beiwe-forest"), "times": times,
                  "cpu_times": cpu_times,
                  "rows": df[cols].to_dict(orient="records")}))
"""


def ensure_forest() -> Path:
    py = VENV / "bin" / "python"
    if py.exists():
        ok = subprocess.run([str(py), "-c", "import forest"], capture_output=True, check=False)
        if ok.returncode == 0:
            return py
    uv = shutil.which("uv")
    if uv:
        subprocess.run([uv, "venv", "--quiet", "--python", "3.11", str(VENV)], check=True)
        env = {**os.environ, "VIRTUAL_ENV": str(VENV)}
        subprocess.run([uv, "pip", "install", "--quiet", FOREST], check=True, env=env)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", FOREST], check=True)
    return py


def write_study(study: Path) -> int:
    """Write 14 days of duty-cycled 1 Hz GPS as a Beiwe study folder; return the fix count."""
    import numpy as np

    from bedside.sensors.synthetic_gps import GpsSampling, generate_gps

    dates = [dt.date(2026, 6, 1) + dt.timedelta(days=i) for i in range(14)]
    frame = generate_gps(
        np.random.default_rng(2026),
        dates,
        ZONE,
        np.zeros(14),
        origin=(42.36, -71.06),
        sampling=GpsSampling(interval_s=1, on_s=60, off_s=540),
    )
    write_beiwe_gps(frame, study / PATIENT / "gps")
    return len(frame)


def write_beiwe_gps(frame: GpsFrame, folder: Path) -> None:
    """Write a GPS frame as Beiwe's hourly raw-data CSV files into `folder`."""
    import numpy as np

    folder.mkdir(parents=True)
    hour = frame.time_utc // 3600
    bounds = np.flatnonzero(np.diff(hour)) + 1
    for part in np.split(np.arange(len(frame)), bounds):
        h = int(hour[part[0]])
        name = dt.datetime.fromtimestamp(h * 3600, dt.UTC).strftime("%Y-%m-%d %H_%M_%S.csv")
        lines = ["timestamp,UTC time,latitude,longitude,altitude,accuracy"]
        for i in part.tolist():
            t = int(frame.time_utc[i])
            utc = dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000")
            lines.append(
                f"{t * 1000},{utc},{frame.latitude_deg[i]:.7f},{frame.longitude_deg[i]:.7f},"
                f"0.0,{frame.accuracy_m[i]}"
            )
        (folder / name).write_text("\n".join(lines) + "\n")


def run_forest(study: Path, out: Path, zone: str, repeats: int, patient: str) -> dict[str, Any]:
    """Forest's ``gps_stats_main`` on a Beiwe study folder in its own venv: version, wall and
    CPU times of each run (s), and its daily rows of `patient`."""
    py = ensure_forest()
    done = subprocess.run(
        [str(py), "-c", _FOREST_CHILD, str(study), str(out), zone, str(repeats), patient],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def best_of(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--forest-repeats", type=int, default=2)
    args = parser.parse_args()

    from bedside.biomarkers.mobility import daily_mobility
    from bedside.sensors.beiwe import read_beiwe_folder

    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "study"
        n_fixes = write_study(study)
        folder = study / PATIENT

        def ours_with_read() -> object:
            data = read_beiwe_folder(folder, zone=ZONE)
            assert data.gps is not None
            return daily_mobility(data.gps)

        gps = read_beiwe_folder(folder, zone=ZONE).gps
        assert gps is not None
        t_read = best_of(ours_with_read, args.repeats)
        t_bio = best_of(lambda: daily_mobility(gps), args.repeats)
        table = daily_mobility(gps)

        forest = run_forest(study, Path(tmp) / "forest_out", ZONE, args.forest_repeats, PATIENT)
    t_forest = min(forest["times"])
    print(f"data: {n_fixes} fixes, 14 patient-days of 1 Hz GPS, 1 min in every 10, zone {ZONE}")
    print(f"Forest (beiwe-forest {forest['version']}) gps_stats_main: {t_forest:.3f} s")
    print(f"Bedside daily_mobility (frame in memory): {t_bio * 1000:.1f} ms")
    print(f"Bedside Beiwe reader + daily_mobility: {t_read * 1000:.1f} ms")
    print(
        f"speed ratio vs Forest: {t_forest / t_bio:.0f}x (biomarkers), "
        f"{t_forest / t_read:.0f}x (reader + biomarkers)"
    )
    print(
        "per day: date | home time h (Forest, ours) | distance km | radius of gyration km "
        "| max distance from home km"
    )
    ours = {d.isoformat(): i for i, d in enumerate(table.date_list())}
    for row in forest["rows"]:
        day = f"{int(row['year']):04d}-{int(row['month']):02d}-{int(row['day']):02d}"
        i = ours.get(day)
        if i is None:
            continue
        v = {k.split(".", 1)[1]: float(c[i]) for k, c in table.values.items()}
        hours_obs = 24.0 * float(table.coverage[next(iter(table.coverage))][i])
        print(
            f"{day} | {row.get('home_time', float('nan')):.1f}, "
            f"{v['home_time_frac'] * hours_obs:.1f} | "
            f"{row.get('dist_traveled', float('nan')):.1f}, {v['distance_km']:.1f} | "
            f"{row.get('radius', float('nan')):.2f}, {v['radius_gyration_km']:.2f} | "
            f"{row.get('max_dist_home', float('nan')):.2f}, {v['max_home_dist_km']:.2f}"
        )


if __name__ == "__main__":
    main()
