"""`bedside clinic round`: evaluates a stored clinic's patients, and refuses half an EHR config."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from bedside.cli.app import app
from bedside.domain import Finding, Modality
from bedside.store import create_store

runner = CliRunner()
DAY = dt.date(2026, 3, 20)


def _db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    store = create_store(url)
    for k in range(8):
        for pid in ("p1", "p2"):
            store.findings.add(
                Finding(
                    patient_id=pid,
                    date=DAY - dt.timedelta(days=k),
                    coverage={Modality.ACTIGRAPHY: 0.1 if k < 3 else 0.9},
                    device_id=f"dev-{pid}",
                )
            )
    store.close()
    return url


def test_round_reports_patients_and_raises_data_gap_recommendations(tmp_path: Path) -> None:
    url = _db(tmp_path)
    args = ["clinic", "round", "--db", url, "--day", DAY.isoformat(), "--zone", "Europe/Oslo"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"{DAY}: 2 patients" in result.output
    # coverage 90 %, then 10 % for 3 days: a data gap for each patient, for the coordinator
    assert result.output.count("data_gap") == 2
    again = runner.invoke(app, args)
    assert "0 new" in again.output


def test_round_refuses_a_partial_ehr_configuration(tmp_path: Path) -> None:
    url = _db(tmp_path)
    result = runner.invoke(
        app,
        ["clinic", "round", "--db", url, "--day", DAY.isoformat(), "--ehr-base", "http://x"],
    )
    assert result.exit_code == 2
    assert "--token-url" in result.output


def test_round_refuses_a_bad_day(tmp_path: Path) -> None:
    result = runner.invoke(app, ["clinic", "round", "--db", _db(tmp_path), "--day", "20-03-2026"])
    assert result.exit_code == 2
    assert "--day" in result.output


def test_round_refuses_an_unreadable_client_key(tmp_path: Path) -> None:
    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    args = ["clinic", "round", "--db", _db(tmp_path), "--day", DAY.isoformat()]
    ehr = ["--ehr-base", "http://127.0.0.1:1/fhir", "--token-url", "http://127.0.0.1:1/t"]
    for key in (bad, tmp_path / "missing.pem"):
        result = runner.invoke(app, [*args, *ehr, "--client-id", "c", "--key", str(key)])
        assert result.exit_code == 2, result.output
        assert "--key" in result.output
