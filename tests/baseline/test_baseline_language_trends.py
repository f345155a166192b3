"""Language biomarkers reach the trend monitor: watched by default, and an episode shows."""

from __future__ import annotations

import numpy as np

from bedside.baseline import DailyTrendMonitor
from bedside.biomarkers import MODALITY_EXTRACTORS
from bedside.biomarkers.language import LANGUAGE_IDS
from bedside.domain import Modality
from bedside.sensors import CohortConfig, generate_patient


def test_language_columns_are_watched_and_an_episode_raises_a_language_trend() -> None:
    config = CohortConfig(
        n_patients=1,
        n_days=84,
        seed=11,
        episode_fraction=1.0,
        onset_day_min=50,
        onset_day_max=52,
        text_entry_day_prob=1.0,
        extra_modalities=(Modality.LANGUAGE,),
    )
    patient = generate_patient(config, 0)
    table = MODALITY_EXTRACTORS[Modality.LANGUAGE](patient.raw[Modality.LANGUAGE])
    monitor = DailyTrendMonitor(n_series=40, sim_days=180)
    assert set(LANGUAGE_IDS) <= set(monitor.watched(table))
    state = monitor.update(table)
    onset = int(patient.daily["episode_intensity"].nonzero()[0][0])
    before = {t.biomarker for day in state.daily_trends[: onset - 3] for t in day}
    during = {t.biomarker for day in state.daily_trends[onset:] for t in day}
    assert not before & {"language.first_person_singular_pct", "language.absolutist_pct"}
    assert during & {
        "language.first_person_singular_pct",
        "language.absolutist_pct",
        "language.negative_emotion_pct",
    }
    assert np.isfinite(state.z["language.first_person_singular_pct"][-1])
