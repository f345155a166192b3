"""Synthetic cohort, other modalities: separate streams, consistency, episode directions."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from bedside.biomarkers import MODALITY_EXTRACTORS
from bedside.domain import Modality, SampleFrame, SleepEpisodeFrame, SleepState
from bedside.sensors import CohortConfig, generate_patient, in_episode_days
from bedside.sensors.synthetic_config import SYNTHETIC_EXTRA_MODALITIES

CONFIG = CohortConfig(
    n_patients=8,
    n_days=70,
    seed=5,
    episode_fraction=1.0,
    onset_day_min=30,
    onset_day_max=35,
    extra_modalities=SYNTHETIC_EXTRA_MODALITIES,
)


def test_extra_modalities_leave_actigraphy_and_truth_unchanged() -> None:
    full = generate_patient(CONFIG, 1)
    bare = generate_patient(CONFIG.model_copy(update={"extra_modalities": ()}), 1)
    only_steps = generate_patient(
        CONFIG.model_copy(update={"extra_modalities": (Modality.STEPS,)}), 1
    )
    assert set(full.raw) == set(SYNTHETIC_EXTRA_MODALITIES)
    assert bare.raw == {}
    assert np.array_equal(full.actigraphy.value, bare.actigraphy.value)
    assert full.episodes == bare.episodes
    assert full.phq9 == bare.phq9
    assert full.gaps == bare.gaps
    steps = full.raw[Modality.STEPS]
    assert isinstance(steps, SampleFrame)
    assert np.array_equal(steps.value, only_steps.raw[Modality.STEPS].value)  # type: ignore[union-attr]
    assert list(full.frames()) == [Modality.ACTIGRAPHY, *SYNTHETIC_EXTRA_MODALITIES]


def test_unknown_or_repeated_modalities_are_refused() -> None:
    with pytest.raises(ValidationError, match="no synthetic generator for self_report"):
        CohortConfig(extra_modalities=("self_report",))
    with pytest.raises(ValidationError, match="twice"):
        CohortConfig(extra_modalities=("steps", "steps"))


def test_steps_share_the_actigraphy_minutes_and_fall_in_episodes() -> None:
    ratios = []
    config = CONFIG.model_copy(update={"extra_modalities": (Modality.STEPS,)})
    for i in range(CONFIG.n_patients):
        p = generate_patient(config, i)
        steps = p.raw[Modality.STEPS]
        assert isinstance(steps, SampleFrame)
        assert np.array_equal(steps.time_utc, p.actigraphy.time_utc)
        day = (steps.time_utc - steps.time_utc[0]) // 86_400
        daily = np.bincount(day, weights=steps.value)[: p.n_days]
        inside = in_episode_days(p)[: daily.size] & (
            p.daily["episode_intensity"][: daily.size] >= 1
        )
        before = np.arange(daily.size) < 28
        ratios.append(daily[inside].mean() / daily[before].mean())
    assert 3000 < daily[before].mean() < 15000
    assert float(np.mean(ratios)) < 0.95


def test_sleep_records_follow_the_plan_and_latency_rises_in_episodes() -> None:
    well, ill = [], []
    config = CONFIG.model_copy(update={"extra_modalities": (Modality.SLEEP_RECORDS,)})
    for i in range(CONFIG.n_patients):
        p = generate_patient(config, i)
        rec = p.raw[Modality.SLEEP_RECORDS]
        assert isinstance(rec, SleepEpisodeFrame)
        bed = rec.state == SleepState.IN_BED
        asleep = rec.state == SleepState.ASLEEP
        # Every night's asleep + awake intervals lie inside its in-bed interval.
        beds = np.column_stack([rec.start_utc[bed], rec.end_utc[bed]])
        which = np.searchsorted(beds[:, 0], rec.start_utc[~bed], side="right") - 1
        assert (rec.end_utc[~bed] <= beds[which, 1]).all()
        first_sleep = np.searchsorted(rec.start_utc[asleep], beds[:, 0], side="right")
        latency = (rec.start_utc[asleep][first_sleep] - beds[:, 0]) / 60.0
        day = np.clip(
            (beds[:, 1] - int(p.actigraphy.time_utc[0])) // 86_400, 0, p.n_days - 1
        ).astype(np.int64)
        sev = p.daily["episode_intensity"][day]
        well += latency[sev == 0].tolist()
        ill += latency[sev >= 1].tolist()
        # About 10 % of nights are missing.
        assert 0.75 * p.n_days <= int(bed.sum()) <= p.n_days
    assert np.median(ill) > 1.4 * np.median(well)


# Published directions of each wired modality's headline biomarker in an episode (the
# generators' docstrings cite them): +1 higher in episodes, -1 lower.
EPISODE_DIRECTIONS: dict[Modality, dict[str, int]] = {
    Modality.HEART_RATE: {"cardiac.resting_hr_bpm": 1, "cardiac.rmssd_ms": -1},
    Modality.GLUCOSE: {"glucose.mean_mgdl": 1},
    Modality.GPS: {"mobility.home_time_frac": 1},
    Modality.PHONE_USE: {"phone_use.screen_on_min": 1},
    Modality.TYPING: {"typing.iki_median_ms": 1},
    Modality.CORTISOL: {"cortisol.mean_nmol_l": 1},
    Modality.VOICE: {"voice.f0_sd_st": -1, "voice.pause_share": 1},
    Modality.LANGUAGE: {
        "language.first_person_singular_pct": 1,
        "language.absolutist_pct": 1,
        "language.negative_emotion_pct": 1,
    },
}


def test_every_wired_modality_shows_its_published_episode_direction() -> None:
    config = CONFIG.model_copy(
        update={"n_days": 56, "onset_day_min": 28, "extra_modalities": tuple(EPISODE_DIRECTIONS)}
    )
    shifts: dict[str, list[float]] = {k: [] for d in EPISODE_DIRECTIONS.values() for k in d}
    for i in range(3):
        p = generate_patient(config, i)
        sev = p.daily["episode_intensity"]
        for modality, ids in EPISODE_DIRECTIONS.items():
            table = MODALITY_EXTRACTORS[modality](p.raw[modality])
            assert modality in table.coverage
            row = (table.dates - np.datetime64(p.start_date, "D")).astype(int)
            ok = (row >= 0) & (row < p.n_days)
            s = sev[row[ok]]
            for key in ids:
                v = table.values[key][ok]
                well, ill = v[(s == 0) & np.isfinite(v)], v[(s >= 1) & np.isfinite(v)]
                assert well.size > 10, key
                assert ill.size > 3, key
                shifts[key].append(float(np.mean(ill) - np.mean(well)) / float(np.std(well)))
    for modality, ids in EPISODE_DIRECTIONS.items():
        for key, sign in ids.items():
            assert sign * np.mean(shifts[key]) > 0.5, (modality, key, shifts[key])
