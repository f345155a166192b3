"""The audit log detects a modified, deleted, inserted or reordered entry (and truncation);
`bedside audit verify` exits non-zero for each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bedside.audit import SqlAuditLog, make_entry, read_audit_log, verify_audit_log, verify_chain
from bedside.cli.app import app
from bedside.privacy import Identity, PartyKind

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
CLINIC = Identity.generate(PartyKind.CLINIC_SERVICE)


_ENGINES: list[sa.Engine] = []


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    while _ENGINES:
        _ENGINES.pop().dispose()


def _log(url: str, n: int = 5) -> sa.Engine:
    engine = sa.create_engine(url)
    _ENGINES.append(engine)
    log = SqlAuditLog(engine, CLINIC, attestation="unattested")
    for i in range(n):
        log.record(
            at=T0 + dt.timedelta(minutes=i),
            actor="did:key:zPatient",
            action="ingest.envelope",
            subject=f"env-{i + 1}",
            outcome="stored",
            detail={"sequence": i + 1},
        )
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _cli(url: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify", "--db", url, "--clinic-did", CLINIC.did])
    return result.exit_code, result.output


def test_intact_log_verifies(url: str) -> None:
    engine = _log(url)
    entries, head = read_audit_log(engine)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert head == (5, entries[-1].entry_hash)
    assert verify_audit_log(engine, trusted_did=CLINIC.did) == []
    code, out = _cli(url)
    assert code == 0
    assert "5 entries" in out


def _exec(engine: sa.Engine, sql: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql))


def test_modified_entry(url: str) -> None:
    engine = _log(url)
    _exec(engine, "UPDATE audit_log SET outcome = 'rejected:replay' WHERE seq = 3")
    problems = verify_audit_log(engine, trusted_did=CLINIC.did)
    assert {p.seq for p in problems} == {3}
    assert "content does not match" in problems[0].problem
    assert _cli(url)[0] == 1


def test_deleted_entry(url: str) -> None:
    engine = _log(url)
    _exec(engine, "DELETE FROM audit_log WHERE seq = 2")
    problems = verify_audit_log(engine, trusted_did=CLINIC.did)
    assert [p.seq for p in problems] == [3, 3]  # sequence gap and broken link at the next entry
    assert _cli(url)[0] == 1


def test_truncated_tail(url: str) -> None:
    engine = _log(url)
    _exec(engine, "DELETE FROM audit_log WHERE seq = 5")
    problems = verify_audit_log(engine, trusted_did=CLINIC.did)
    assert len(problems) == 1
    assert "head records 5" in problems[0].problem
    assert _cli(url)[0] == 1


def test_inserted_entry_signed_by_another_key(url: str) -> None:
    engine = _log(url)
    entries, _ = read_audit_log(engine)
    mallory = Identity.generate(PartyKind.CLINIC_SERVICE)
    forged = make_entry(
        mallory,
        seq=3,
        prev_hash=entries[1].entry_hash,
        at=T0,
        actor="x",
        action="read.findings",
        subject="p1",
        outcome="allowed",
        attestation="unattested",
    )
    row = forged.model_dump(mode="json")
    row["detail"] = "{}"
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET seq = seq + 1 WHERE seq >= 3"))
        cols = ", ".join(row)
        conn.execute(sa.text(f"INSERT INTO audit_log ({cols}) VALUES (:{', :'.join(row)})"), row)
    problems = verify_audit_log(engine, trusted_did=CLINIC.did)
    assert any("signed by" in p.problem for p in problems)
    assert any(p.seq == 4 for p in problems)  # the shifted original no longer links
    assert _cli(url)[0] == 1


def test_reordered_entries(url: str) -> None:
    engine = _log(url)
    _exec(engine, "UPDATE audit_log SET seq = 100 WHERE seq = 2")
    _exec(engine, "UPDATE audit_log SET seq = 2 WHERE seq = 3")
    _exec(engine, "UPDATE audit_log SET seq = 3 WHERE seq = 100")
    problems = verify_audit_log(engine, trusted_did=CLINIC.did)
    assert {p.seq for p in problems} >= {2, 3}
    assert _cli(url)[0] == 1


def test_pure_chain_check_on_swapped_list() -> None:
    a = make_entry(CLINIC, seq=1, prev_hash="0" * 64, at=T0, actor="a", action="x",
                   subject="s", outcome="o", attestation="unattested")  # fmt: skip
    b = make_entry(CLINIC, seq=2, prev_hash=a.entry_hash, at=T0, actor="a", action="x",
                   subject="s", outcome="o", attestation="unattested")  # fmt: skip
    assert verify_chain([a, b]) == []
    assert verify_chain([b, a]) != []


def test_unreadable_database_is_exit_2(tmp_path: Path) -> None:
    code, _ = _cli("nosuchdialect://x")
    assert code == 2
