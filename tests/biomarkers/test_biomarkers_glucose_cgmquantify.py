"""Glucose metrics against cgmquantify (reference values from bench/cgmquantify_reference.py).

cgmquantify's SD and CV use the population SD (``ddof=0``, ``numpy.std``); ours use the sample
SD (``ddof=1``), so they are compared after the exact conversion ``sqrt((n - 1) / n)``. Its
``MAGE`` is not compared: it averages the glucose *levels* of turning points rather than the
amplitudes of excursions exceeding 1 SD (Service 1970), so it measures something else.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bedside.biomarkers.glucose import glucose_metrics

DATA = Path(__file__).parent / "data" / "cgmquantify_reference.json"
REFERENCE = json.loads(DATA.read_text())


def test_reference_records_the_tool_version() -> None:
    assert REFERENCE["tool"] == "cgmquantify"
    assert REFERENCE["version"] == "0.5"


@pytest.mark.parametrize("series", REFERENCE["series"], ids=lambda s: f"seed{s['seed']}")
def test_mean_sd_cv_gmi_agree_with_cgmquantify(series: dict[str, object]) -> None:
    values = np.asarray(series["glucose_mgdl"], dtype=np.float64)
    times = np.asarray(series["times_utc"], dtype=np.int64)
    m = glucose_metrics(
        values, times, window_start_utc=int(times[0]), window_end_utc=int(times[-1]) + 300
    )
    n = values.size
    to_population = np.sqrt((n - 1) / n)
    assert m.mean_mgdl == pytest.approx(series["mean"], rel=1e-12)
    assert m.sd_mgdl * to_population == pytest.approx(series["interdaysd"], rel=1e-12)
    assert m.cv_pct * to_population == pytest.approx(series["interdaycv"], rel=1e-12)
    assert m.gmi_pct == pytest.approx(series["gmi"], rel=1e-12)
