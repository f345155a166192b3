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


def test_round_refuses_an_outbox_without_an_ehr(tmp_path: Path) -> None:
    args = ["clinic", "round", "--db", _db(tmp_path), "--day", DAY.isoformat()]
    result = runner.invoke(app, [*args, "--ehr-outbox", str(tmp_path / "outbox.db")])
    assert result.exit_code == 2, result.output
    assert "--ehr-outbox needs an EHR" in result.output


def test_round_keeps_a_decision_queued_while_the_ehr_is_down(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from bedside.domain import RecommendationStatus
    from bedside.fhir.outbox import OutboxStatus, SqliteOutbox

    url = _db(tmp_path)
    args = ["clinic", "round", "--db", url, "--day", DAY.isoformat()]
    assert runner.invoke(app, args).exit_code == 0
    store = create_store(url)
    rec = store.recommendations.list_for_patient("p1")[0]
    when = dt.datetime(2026, 3, 21, 9, tzinfo=dt.UTC)
    # A decision the API stored but whose outbox write was lost: the round re-derives it.
    store.recommendations.set_status(rec.id, RecommendationStatus.ACCEPTED, "coord-1", when)
    store.close()
    pem = tmp_path / "client.pem"
    pem.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    outbox_path = tmp_path / "outbox.db"
    ehr = ["--ehr-base", "http://127.0.0.1:1/fhir", "--token-url", "http://127.0.0.1:1/token"]
    result = runner.invoke(
        app,
        [*args, *ehr, "--client-id", "c", "--key", str(pem), "--ehr-outbox", str(outbox_path)],
    )
    assert result.exit_code == 0, result.output
    assert "EHR outbox: 0 sent, 1 still queued, 0 rejected" in result.output
    outbox = SqliteOutbox(outbox_path)
    pending = outbox.items(OutboxStatus.PENDING)
    outbox.close()
    assert len(pending) == 1
    task = pending[0].bundle["entry"][0]["resource"]
    assert task["resourceType"] == "Task"
    assert task["status"] == "accepted"


def test_round_names_an_outbox_it_cannot_open(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = tmp_path / "client.pem"
    pem.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    args = ["clinic", "round", "--db", _db(tmp_path), "--day", DAY.isoformat()]
    ehr = ["--ehr-base", "http://127.0.0.1:1/fhir", "--token-url", "http://127.0.0.1:1/token"]
    missing = tmp_path / "no-such-folder" / "outbox.db"
    result = runner.invoke(
        app, [*args, *ehr, "--client-id", "c", "--key", str(pem), "--ehr-outbox", str(missing)]
    )
    assert result.exit_code == 2, result.output
    assert "--ehr-outbox" in result.output
