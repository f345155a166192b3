"""Federated clients from the synthetic cohort: one patient's device each, labelled by PHQ-9.

A device knows its patient's own PHQ-9 answers, so its label for day ``t`` is 1 when a PHQ-9
answered in ``(t, t + 14]`` days has a total >= 10 and 0 when the answers in that window are all
below 10; days with no answer in the window are unlabelled (dropped). Features are the #4
episode features (`bedside.models.episode_examples`: robust z against the patient's own
28-day baseline, 7- and 14-day windows, coverage), computed from the daily biomarkers of the
patient's actigraphy. Each device keeps its earlier labelled days for training and its last
`test_fraction` for evaluation (a split in time, so no day is predicted from its future).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bedside.biomarkers import extract_daily
from bedside.domain import InsufficientDataError, Phq9Response
from bedside.federated.device_data import DeviceData
from bedside.federated.whitening import Whitening
from bedside.models import episode_examples
from bedside.sensors import CohortConfig, generate_patient

__all__ = [
    "PHQ9_CUTOFF",
    "REFERENCE_SEED_OFFSET",
    "cohort_clients",
    "phq9_window_labels",
    "split_in_time",
    "whitened_cohort",
]

FloatArray = npt.NDArray[np.float64]

PHQ9_CUTOFF = 10
HORIZON_DAYS = 14
REFERENCE_SEED_OFFSET = 1000
"""The whitening's reference cohort uses the federation's seed plus this (other patients)."""


def phq9_window_labels(
    dates: Sequence[dt.date], answers: Sequence[Phq9Response], horizon_days: int = HORIZON_DAYS
) -> FloatArray:
    """Per date: 1.0 if a PHQ-9 in (date, date + horizon] totals >= 10, 0.0 if all are below,
    NaN when there is none; shape (len(dates),)."""
    by_day = sorted((a.date, a.total) for a in answers)
    out = np.full(len(dates), np.nan)
    for i, d in enumerate(dates):
        window = [t for day, t in by_day if d < day <= d + dt.timedelta(days=horizon_days)]
        if window:
            out[i] = 1.0 if max(window) >= PHQ9_CUTOFF else 0.0
    return out


def split_in_time(client_id: str, X: FloatArray, y: FloatArray, test_fraction: float) -> DeviceData:
    """Earlier rows for training, the last `test_fraction` of rows held out."""
    n_test = math.floor(test_fraction * y.size)
    cut = y.size - n_test
    return DeviceData(client_id, X[:cut], y[:cut], X[cut:], y[cut:])


def _patient_rows(config: CohortConfig, index: int) -> tuple[str, FloatArray, FloatArray]:
    patient = generate_patient(config, index)
    table = extract_daily(patient.actigraphy)
    labels = phq9_window_labels(table.date_list(), patient.phq9)
    ex = episode_examples(table, labels)
    return patient.patient_id, ex.features.values, ex.labels


def cohort_clients(
    config: CohortConfig,
    *,
    test_fraction: float = 0.3,
    cache: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[DeviceData]:
    """One `DeviceData` per patient of a synthetic cohort (module docstring).

    Parameters
    ----------
    config : CohortConfig
        Only actigraphy is used (set ``extra_modalities=()`` to skip generating the others).
    test_fraction : float
        Share of each patient's labelled days held out at the end.
    cache : Path, optional
        ``.npz`` file holding the rows of exactly this config; written when absent.
    progress : callable, optional
        Called with the number of patients done.
    """
    key = config.model_dump_json()
    rows: list[tuple[str, FloatArray, FloatArray]] = []
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            if str(z["config"]) == key:
                ids, X, y, owner = z["ids"], z["X"], z["y"], z["owner"]
                rows = [(str(pid), X[owner == i], y[owner == i]) for i, pid in enumerate(ids)]
    if not rows:
        for i in range(config.n_patients):
            try:
                rows.append(_patient_rows(config, i))
            except InsufficientDataError:
                continue
            if progress is not None:
                progress(i + 1)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(
                cache,
                config=np.array(key),
                ids=np.array([r[0] for r in rows]),
                X=np.concatenate([r[1] for r in rows]),
                y=np.concatenate([r[2] for r in rows]),
                owner=np.concatenate([np.full(r[2].size, i) for i, r in enumerate(rows)]),
            )
    return [split_in_time(pid, X, y, test_fraction) for pid, X, y in rows if y.size >= 4]


def whitened_cohort(
    config: CohortConfig,
    *,
    reference_patients: int = 40,
    test_fraction: float = 0.3,
    cache: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[DeviceData], Whitening]:
    """The cohort's clients with whitened features, and the whitening.

    The whitening comes from a reference cohort of `reference_patients` (at most the
    cohort's size, at least 8) other synthetic patients (seed + `REFERENCE_SEED_OFFSET`),
    never from the federation's clients (`bedside.federated.whitening`). `cache` names the
    federation's cache file; the reference cohort is cached beside it with the suffix
    ``.reference.npz``.
    """
    reference = config.model_copy(
        update={
            "n_patients": min(reference_patients, max(8, config.n_patients)),
            "seed": config.seed + REFERENCE_SEED_OFFSET,
        }
    )
    ref_cache = None if cache is None else cache.with_suffix(".reference.npz")
    whitening = Whitening.of_clients(cohort_clients(reference, cache=ref_cache))
    clients = cohort_clients(config, test_fraction=test_fraction, cache=cache, progress=progress)
    return [whitening.apply_to(c) for c in clients], whitening
