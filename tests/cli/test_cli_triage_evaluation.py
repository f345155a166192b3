"""`bedside triage evaluate`: a small clinic end to end, and the naive baseline rule."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bedside.cli.app import app
from bedside.cli.clinic_simulation import naive_alerts
from bedside.domain import DailyBiomarkerTable, Modality, PatientId


def _table(values: list[float], key: str = "activity.total_counts") -> DailyBiomarkerTable:
    n = len(values)
    return DailyBiomarkerTable(
        patient_id=PatientId("p"),
        zone="UTC",
        dates=np.datetime64("2024-01-01", "D") + np.arange(n),
        values={key: np.asarray(values, dtype=float)},
        coverage={Modality.ACTIGRAPHY: np.ones(n)},
    )


def test_naive_rule_alerts_on_a_step_at_most_weekly() -> None:
    assert naive_alerts(_table([100.0] * 40)) == []
    alerts = naive_alerts(_table([100.0] * 20 + [120.0] * 20))
    assert alerts, "a sustained 20 % step exceeds the 12 % rule"
    days = [d for d, _ in alerts]
    assert all((b - a).days >= 7 for a, b in itertools.pairwise(days))
    assert naive_alerts(_table([100.0] * 20 + [110.0] * 20)) == []
    assert naive_alerts(_table([-60.0] * 20 + [60.0] * 20, "sleep.sleep_onset_min")) == []


@pytest.mark.slow
def test_small_clinic_evaluation_keeps_every_recommendation_and_every_crisis(
    tmp_path: Path,
) -> None:
    out = tmp_path / "triage.json"
    result = CliRunner().invoke(
        app,
        [
            "triage",
            "evaluate",
            "--patients",
            "12",
            "--days",
            "75",
            "--clinicians",
            "3",
            "--budget",
            "1",
            "--training-patients",
            "20",
            "--jobs",
            "1",
            "--seed",
            "5",
            "--cohort",
            "episode_fraction=0.6",
            "--cohort",
            "item9_share_in_episode=0.5",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Floors (budget on)" in result.output
    arms = {a["arm"]: a for a in json.loads(out.read_text())["arms"]}
    on, off = arms["bedside, budget on"], arms["bedside, budget off"]
    naive = arms["naive 7-day mean > 12% change"]
    # The budget changes delivery only: the same recommendations are raised, none is lost.
    assert on["recommendations"] == off["recommendations"]
    assert on["caught"] == off["caught"]
    assert on["interruptive_per_clinician_day"] <= off["interruptive_per_clinician_day"]
    assert on["crises"] > 0, "the cohort settings should produce crisis answers"
    assert on["crises_same_day"] == on["crises"]
    assert naive["recommendations"] > on["recommendations"]
    # Device PHQ-9 prompts are on by default, reported with their resolved threshold.
    assert "Device PHQ-9 prompts: ON" in result.output
    doc = json.loads(out.read_text())
    assert 0.0 < doc["phq9_prompt_setting"]["risk_threshold"] < 1.0
    assert doc["phq9_prompts"]["shown"] >= doc["phq9_prompts"]["answered"]
