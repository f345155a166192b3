"""Synthetic daily voice clips: reproducible, on the right days, episode effects as published."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bedside.biomarkers.voice import daily_voice
from bedside.domain import InputFormatError, Modality
from bedside.sensors.synthetic_voice import generate_voice_clips

ZONE = "Asia/Tokyo"
DATES = [dt.date(2026, 5, 1) + dt.timedelta(days=i) for i in range(6)]


def test_reproducible_and_on_local_days() -> None:
    a = generate_voice_clips(np.random.default_rng(9), DATES, ZONE, np.zeros(6), skip_day_prob=0)
    b = generate_voice_clips(np.random.default_rng(9), DATES, ZONE, np.zeros(6), skip_day_prob=0)
    assert len(a) == 18
    assert [c.start_utc for c in a.clips] == [c.start_utc for c in b.clips]
    np.testing.assert_array_equal(a.clips[0].samples, b.clips[0].samples)
    table = daily_voice(a)
    assert table.date_list() == DATES
    assert float(table.coverage[Modality.VOICE].min()) > 0.4


def test_episode_effects_follow_published_directions() -> None:
    well = daily_voice(generate_voice_clips(np.random.default_rng(2), DATES, ZONE, np.zeros(6)))
    ill = daily_voice(generate_voice_clips(np.random.default_rng(2), DATES, ZONE, np.ones(6)))

    def mean(t: object, key: str) -> float:
        return float(np.nanmean(t.values[key]))  # type: ignore[attr-defined]

    for key in ("voice.f0_sd_st", "voice.speech_rate_syl_s", "voice.hnr_db"):
        assert mean(ill, key) < mean(well, key), key
    for key in ("voice.pause_mean_s", "voice.jitter_local_pct", "voice.shimmer_local_pct"):
        assert mean(ill, key) > mean(well, key), key


def test_severity_is_checked() -> None:
    with pytest.raises(InputFormatError, match="severity"):
        generate_voice_clips(np.random.default_rng(0), DATES, ZONE, np.zeros(5))
