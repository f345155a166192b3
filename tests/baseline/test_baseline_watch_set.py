"""The curated watch set: known ids, one family per modality at most a few, monitor honours it."""

from __future__ import annotations

import numpy as np

from bedside.baseline import UNWATCHED_BIOMARKERS, DailyTrendMonitor
from bedside.baseline.watch_set import CLINICAL_WATCH_SET, unwatched_outside
from bedside.biomarkers import REGISTRY
from bedside.domain import DailyBiomarkerTable, Modality, PatientId


def test_every_watched_id_is_registered_and_none_is_a_known_rescaling() -> None:
    assert set(REGISTRY) >= CLINICAL_WATCH_SET
    assert not CLINICAL_WATCH_SET & UNWATCHED_BIOMARKERS
    # A small set: at most a few biomarkers per modality beyond actigraphy.
    per_modality: dict[Modality, int] = {}
    for b in CLINICAL_WATCH_SET:
        per_modality[REGISTRY[b].modality] = per_modality.get(REGISTRY[b].modality, 0) + 1
    assert all(n <= 2 for m, n in per_modality.items() if m is not Modality.ACTIGRAPHY)
    assert len(CLINICAL_WATCH_SET) < len(REGISTRY) / 2


def test_monitor_watches_only_the_set_of_a_wide_table() -> None:
    ids = [b for b in REGISTRY if REGISTRY[b].modality is Modality.ACTIGRAPHY]
    dates = np.datetime64("2024-01-01") + np.arange(3)
    table = DailyBiomarkerTable(
        PatientId("p"),
        "UTC",
        dates,
        {b: np.zeros(3) for b in ids},
        {Modality.ACTIGRAPHY: np.ones(3)},
    )
    everything = DailyTrendMonitor().watched(table)
    curated = DailyTrendMonitor(unwatched=unwatched_outside(REGISTRY)).watched(table)
    assert set(curated) == set(ids) & CLINICAL_WATCH_SET
    assert set(curated) < set(everything)
    assert "circadian.cosinor_mesor" in everything
    assert "circadian.cosinor_mesor" not in curated
