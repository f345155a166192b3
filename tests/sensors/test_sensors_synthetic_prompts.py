"""Synthetic patients answering the device's PHQ-9 prompts (`phq9_respondent`)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bedside.sensors import CohortConfig, generate_patient, phq9_respondent

CONFIG = CohortConfig(n_patients=8, n_days=120, seed=3, episode_fraction=1.0)


def test_respondent_uses_the_patients_own_episode_and_answers_higher_inside_it() -> None:
    patient = generate_patient(CONFIG, 0)
    (episode,) = patient.episodes
    respondent = phq9_respondent(CONFIG, 0, response_rate=1.0)
    model = respondent.model
    assert model.patient_id == patient.patient_id
    assert CONFIG.start_date + dt.timedelta(days=model.onset_day) == episode.onset
    assert model.rise == pytest.approx(episode.effects["phq9.total"])
    full = [d for d in range(CONFIG.n_days) if model.intensity[d] >= 1.0]
    well = [d for d in range(CONFIG.n_days) if model.intensity[d] == 0.0]
    assert full
    assert well
    inside = [respondent.answer(CONFIG.start_date + dt.timedelta(days=d)) for d in full[:20]]
    outside = [respondent.answer(CONFIG.start_date + dt.timedelta(days=d)) for d in well[:20]]
    assert np.mean([r.total for r in inside]) > np.mean([r.total for r in outside]) + 4
    assert all(r.items[8] == 0 for r in outside), "item 9 is only positive inside an episode"
    assert all(r.source == "device" for r in inside + outside)


def test_response_rate_bounds_and_days_outside_monitoring() -> None:
    last = CONFIG.start_date + dt.timedelta(days=CONFIG.n_days - 1)
    always = phq9_respondent(CONFIG, 1, response_rate=1.0)
    never = phq9_respondent(CONFIG, 1, response_rate=0.0)
    assert always.responds(last)
    assert not never.responds(last)
    after = last + dt.timedelta(days=1)
    assert not always.responds(after)
    with pytest.raises(ValueError, match="outside"):
        always.answer(after)
    with pytest.raises(ValueError, match="response_rate"):
        phq9_respondent(CONFIG, 1, response_rate=1.5)
    half = phq9_respondent(CONFIG, 2, response_rate=0.5)
    share = np.mean([half.responds(CONFIG.start_date) for _ in range(2000)])
    assert 0.45 < share < 0.55


def test_prompts_never_change_the_scheduled_questionnaires() -> None:
    before = generate_patient(CONFIG, 4).phq9
    respondent = phq9_respondent(CONFIG, 4, response_rate=1.0)
    for d in range(0, CONFIG.n_days, 3):
        respondent.answer(CONFIG.start_date + dt.timedelta(days=d))
    assert generate_patient(CONFIG, 4).phq9 == before
    again = phq9_respondent(CONFIG, 4, response_rate=1.0)
    assert again.answer(CONFIG.start_date) == phq9_respondent(CONFIG, 4, 1.0).answer(
        CONFIG.start_date
    ), "seeded: the same prompt day gets the same answer"
