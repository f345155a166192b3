"""`bedside risk evaluate-shift`: the shifted cohort settings differ from training as named."""

from __future__ import annotations

import pytest

from bedside.cli.risk_commands import SHIFT_SETTINGS, shift_settings
from bedside.sensors import CohortConfig


def test_every_setting_has_its_own_seed_and_its_named_shift() -> None:
    base = CohortConfig(n_patients=10, n_days=60, seed=7)
    settings = dict(shift_settings(base, seed=7))
    assert len(settings) == len(SHIFT_SETTINGS)
    assert len({c.seed for c in settings.values()} | {base.seed}) == len(settings) + 1
    same = settings["training settings, new seed"]
    assert same.effect_activity_sd == base.effect_activity_sd
    weak = settings["weaker effects x0.5"]
    assert weak.effect_activity_sd == pytest.approx(0.5 * base.effect_activity_sd)
    assert weak.sleep_duration_sd_min == base.sleep_duration_sd_min
    noisy = settings["noisier days x1.5"]
    assert noisy.sleep_duration_sd_min == pytest.approx(1.5 * base.sleep_duration_sd_min)
    assert noisy.effect_sleep_duration_sd == base.effect_sleep_duration_sd
    assert settings["rarer episodes (20%)"].episode_fraction == pytest.approx(0.2)
