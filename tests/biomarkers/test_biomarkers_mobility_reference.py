"""GPS mobility biomarkers against scikit-mobility on the same traces.

``data/mobility_reference.json`` comes from ``bench/mobility_reference.py`` (scikit-mobility in
its own venv; its version is recorded in the file). Tolerances, from the measured agreement:

- radius of gyration: 1e-4 km (same definition; skmob's Earth radius is 6371 km, ours the IUGG
  mean 6371.0088 km, a relative difference of 1.4e-6);
- location entropy: 0.03 nats and home time: 0.02 (skmob's stays are found by its own stop
  detection and DBSCAN clustering, ours by minute steps and greedy cells; they differ by a few
  minutes at the edges of stays);
- significant places per day: equal on at least 90% of days, never more than one apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bedside.biomarkers.mobility import daily_mobility
from bedside.sensors.synthetic_gps import generate_gps

REFERENCE = Path(__file__).parent / "data" / "mobility_reference.json"


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text())
    return data


def _ours(ref: dict[str, Any], trace: dict[str, Any]) -> tuple[Any, str]:
    first = dt.date.fromisoformat(ref["first_date"])
    n = ref["n_days"]
    dates = [first + dt.timedelta(days=i) for i in range(n)]
    frame = generate_gps(
        np.random.default_rng(trace["seed"]),
        dates,
        ref["zone"],
        np.linspace(0.0, trace["severity_end"], n),
    )
    h = hashlib.sha256()
    for col in (frame.time_utc, frame.latitude_deg, frame.longitude_deg):
        h.update(col.tobytes())
    return daily_mobility(frame), h.hexdigest()


def test_reference_records_the_tool(reference: dict[str, Any]) -> None:
    assert reference["tool"] == "scikit-mobility"
    assert reference["tool_version"] == "1.3.1"
    assert len(reference["traces"]) == 4


def test_agrees_with_scikit_mobility(reference: dict[str, Any]) -> None:
    equal_places = total_days = 0
    for trace in reference["traces"].values():
        table, digest = _ours(reference, trace)
        assert digest == trace["sha256"], (
            "the synthetic GPS generator changed: re-run bench/mobility_reference.py"
        )
        for i, day in enumerate(table.date_list()[: reference["n_days"]]):
            ref = trace["days"][day.isoformat()]
            where = f"seed {trace['seed']} {day}"
            ours = {k.split(".", 1)[1]: float(v[i]) for k, v in table.values.items()}
            assert ours["radius_gyration_km"] == pytest.approx(
                ref["radius_gyration_km"], abs=1e-4
            ), where
            assert ours["location_entropy"] == pytest.approx(ref["location_entropy"], abs=0.03), (
                where
            )
            assert ours["home_time_frac"] == pytest.approx(ref["home_time_frac"], abs=0.02), where
            assert abs(ours["n_places"] - ref["n_places"]) <= 1, where
            equal_places += int(ours["n_places"] == ref["n_places"])
            total_days += 1
    assert total_days == 4 * reference["n_days"]
    assert equal_places >= 0.9 * total_days
