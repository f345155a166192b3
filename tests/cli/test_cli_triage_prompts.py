"""Device PHQ-9 prompts in the synthetic clinic: answers join the record, settings are reported."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

import numpy as np
import pytest
from typer.testing import CliRunner

from bedside.cli.app import app
from bedside.cli.clinic_simulation import PatientRecord, with_phq9_prompts
from bedside.cli.triage_evaluation import TriageOptions, evaluate_triage, prompt_setting
from bedside.domain import DailyBiomarkerTable, Finding, Modality, PatientId, RiskEstimate
from bedside.sensors import CohortConfig, generate_patient

CONFIG = CohortConfig(n_patients=2, n_days=60, seed=9, episode_fraction=1.0)


def _record(index: int, risk: float) -> PatientRecord:
    patient = generate_patient(CONFIG, index)
    dates = [CONFIG.start_date + dt.timedelta(days=k) for k in range(CONFIG.n_days)]
    findings = tuple(
        Finding(
            patient_id=patient.patient_id,
            date=d,
            risk=RiskEstimate(
                as_of=d,
                probability=risk,
                interval_low=risk,
                interval_high=risk,
                model_id="m",
                model_version="1",
            ),
        )
        for d in dates
    )
    table = DailyBiomarkerTable(
        patient_id=PatientId(patient.patient_id),
        zone=patient.zone,
        dates=np.datetime64(dates[0], "D") + np.arange(len(dates)),
        values={"activity.total_counts": np.full(len(dates), 100.0)},
        coverage={Modality.ACTIGRAPHY: np.ones(len(dates))},
    )
    return PatientRecord(
        patient_id=patient.patient_id,
        zone=patient.zone,
        findings=findings,
        phq9=tuple(patient.phq9),
        medications=tuple(patient.medications),
        episodes=tuple((e.onset, e.end) for e in patient.episodes),
        table=table,
    )


def test_prompted_answers_join_the_scheduled_ones_in_date_order() -> None:
    record = _record(0, risk=0.9)
    setting = prompt_setting(risk=0.5, risk_at_base_rate=False, response_rate=1.0)
    prompted = with_phq9_prompts(record, CONFIG, 0, setting)
    assert prompted.findings == record.findings
    # Risk high every day, every prompt answered: one prompt a week from the second day.
    offsets = [(p.date - CONFIG.start_date).days for p in prompted.prompts]
    assert offsets == list(range(1, CONFIG.n_days, 7))
    assert all(r in prompted.phq9 for r in record.phq9)
    extra = Counter(r.date for r in prompted.phq9) - Counter(r.date for r in record.phq9)
    assert sorted(extra.elements()) == [p.date for p in prompted.prompts]
    assert [r.date for r in prompted.phq9] == sorted(r.date for r in prompted.phq9)
    quiet = with_phq9_prompts(_record(1, risk=0.1), CONFIG, 1, setting)
    assert quiet.prompts == ()
    assert quiet.phq9 == _record(1, risk=0.1).phq9


def test_base_rate_setting_resolves_and_evaluation_counts_prompts() -> None:
    setting = prompt_setting()
    assert setting.policy.risk_threshold is None
    assert "to be set" in setting.describe()
    resolved = setting.for_model(0.1666)
    assert resolved.policy.risk_threshold == pytest.approx(0.167)
    assert "risk >= 0.167 (the risk model's training base rate)," in resolved.describe()
    assert "response rate 0.75" in resolved.describe()
    records = [with_phq9_prompts(_record(i, 0.9), CONFIG, i, resolved) for i in range(2)]
    result = evaluate_triage(
        TriageOptions(patients=2, days=CONFIG.n_days, clinicians=2, seed=9, prompting=resolved),
        records=records,
    )
    assert result.prompts is not None
    assert result.prompts.shown == sum(len(r.prompts) for r in records) > 0
    assert result.prompts.patients_prompted == 2
    setting_json = result.to_json_dict()["phq9_prompt_setting"]
    assert setting_json["risk_threshold"] == pytest.approx(0.167)
    assert setting_json["risk_at_base_rate"] is True
    off = evaluate_triage(
        TriageOptions(patients=2, days=CONFIG.n_days, clinicians=2, seed=9),
        records=[dataclasses.replace(r, prompts=()) for r in records],
    )
    assert off.prompts is None


def test_response_rate_and_risk_option_are_checked() -> None:
    with pytest.raises(ValueError, match="response_rate"):
        prompt_setting(response_rate=1.2)
    for bad in ("high", "1.5", "-0.1", "nan"):
        result = CliRunner().invoke(app, ["triage", "evaluate", "--prompt-risk", bad])
        assert result.exit_code == 2, (bad, result.output)
        assert "--prompt-risk" in result.output
        assert "probability from 0 to 1" in result.output
