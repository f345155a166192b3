"""``bedside device init|add-clinic|consent-page``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bedside.cli.app import app
from bedside.privacy import Identity, PartyKind, unlock_identity


def test_init_then_add_clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDSIDE_KEY_PASSPHRASE", "device passphrase")
    runner = CliRunner()
    state = tmp_path / "device"
    first = runner.invoke(app, ["device", "init", "--state-dir", str(state)])
    assert first.exit_code == 0, first.output
    patient = unlock_identity((state / "identity.json").read_text(), "device passphrase")
    assert patient.did in first.output
    again = runner.invoke(app, ["device", "init", "--state-dir", str(state)])
    assert again.exit_code == 1
    assert "not overwriting" in again.output
    clinic = Identity.generate(PartyKind.CLINIC_SERVICE).did
    args = ["device", "add-clinic", "--state-dir", str(state), "--name", "Fjord Clinic"]
    paired = runner.invoke(app, [*args, "--did", clinic, "--patient-id", "p1"])
    assert paired.exit_code == 0, paired.output
    clinics = json.loads((state / "clinics.json").read_text())
    assert clinics == [{"name": "Fjord Clinic", "did": clinic, "patient_id": "p1"}]
    bad = runner.invoke(app, [*args, "--did", "did:web:x", "--patient-id", "p1"])
    assert bad.exit_code == 2
    assert "--did" in bad.output


def test_consent_page_command_is_registered() -> None:
    result = CliRunner().invoke(app, ["device", "consent-page", "--help"])
    assert result.exit_code == 0
    assert "127.0.0.1" in result.output
